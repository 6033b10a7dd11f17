"""The demo's example: a workspace, a GOPROXY directory and a module cache, broken
in the six ways gomod-doctor finds locally.

:func:`build` writes, under one root directory::

    app/        example.com/app: go.mod, go.sum, main.go importing five modules
    proxy/      a GOPROXY served by the filesystem, holding the pristine modules
    gopath/     GOPATH; its pkg/mod is the module cache (GOMODCACHE)
    home/ gocache/ tmp/    HOME (and the XDG dirs), GOCACHE and TMPDIR for go

With ``broken=True`` (the default) the cache and the workspace are then damaged:

=====================  ================  ==========================================
module                 finding           what was done
=====================  ================  ==========================================
example.com/color      cache-missing     never downloaded (only the proxy has it)
example.com/greet      cache-modified    a file of its extracted dir edited in place
example.com/quote      cache-incomplete  download interrupted: half a zip left in
                       cache-missing     ``v1.2.0.zip738594120.tmp``, no ``.zip``
example.com/units      sum-mismatch      cached intact, go.sum's zip hash is wrong
example.com/legacy     replace-missing   ``replace => ../legacy``, a dir since deleted
(app/go.sum)           sum-conflict      git merge-conflict markers left in go.sum
=====================  ================  ==========================================

:func:`demo_env` is the isolated environment every go command (and the engine)
gets: nothing reads or writes the user's HOME, GOPATH, module cache or go env,
and GOPROXY is the ``file://`` directory, so nothing uses the network.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gomod_doctor.cache import layout
from gomod_doctor.demo.modules import (
    Module,
    file_url,
    write_cache,
    write_download_files,
    write_proxy,
)

__all__ = [
    "APP",
    "BROKEN_GO_SUM",
    "GO_MOD",
    "GO_MOD_CLEAN",
    "GO_SUM",
    "MAIN_GO",
    "MODULES",
    "Example",
    "build",
    "demo_env",
]

APP = "example.com/app"

COLOR = Module(
    "example.com/color",
    "v0.3.0",
    {
        "color.go": (
            "// Package color paints text for a terminal.\n"
            "package color\n\n"
            "// Green returns s in green.\n"
            'func Green(s string) string { return "\\x1b[32m" + s + "\\x1b[0m" }\n'
        ),
    },
)

GREET_GO = (
    "// Package greet says hello.\n"
    "package greet\n\n"
    "// Hello greets name.\n"
    'func Hello(name string) string { return "Hello, " + name + "!" }\n'
)
#: What someone "fixed" in the extracted dir of example.com/greet.
GREET_GO_EDITED = GREET_GO.replace(
    '"Hello, " + name + "!"', '"Hello, " + name + "!" // patched in the cache while debugging'
)
GREET = Module("example.com/greet", "v1.0.0", {"greet.go": GREET_GO})

QUOTE = Module(
    "example.com/quote",
    "v1.2.0",
    {
        "LICENSE": "Public domain.\n",
        "quote.go": (
            "// Package quote has a proverb.\n"
            "package quote\n\n"
            "// Go returns a Go proverb.\n"
            'func Go() string { return "Clear is better than clever." }\n'
        ),
    },
)

UNITS_GO = (
    "// Package units converts lengths.\n"
    "package units\n\n"
    "// Metres converts feet to metres.\n"
    "func Metres(feet float64) float64 { return feet * 0.3048 }\n"
)
UNITS = Module("example.com/units", "v1.1.0", {"units.go": UNITS_GO})
#: The module as it was when the wrong go.sum line was written (say, before the
#: tag was moved): its hash is the one go.sum holds.
UNITS_OTHER = Module(
    "example.com/units", "v1.1.0", {"units.go": UNITS_GO.replace("0.3048", "0.305")}
)

LEGACY = Module(
    "example.com/legacy",
    "v1.0.0",
    {
        "legacy.go": (
            "// Package legacy is kept for compatibility.\n"
            "package legacy\n\n"
            "// Version is the legacy API version.\n"
            'const Version = "1"\n'
        ),
    },
)

#: The temp file an interrupted download of quote left (after the version).
QUOTE_TMP_SUFFIX = ".zip738594120.tmp"

MODULES: tuple[Module, ...] = (COLOR, GREET, LEGACY, QUOTE, UNITS)

#: go.mod without the replace (the pristine example).
GO_MOD_CLEAN = f"""\
module {APP}

go 1.21

require (
\t{COLOR.path} {COLOR.version}
\t{GREET.path} {GREET.version}
\t{LEGACY.path} {LEGACY.version}
\t{QUOTE.path} {QUOTE.version}
\t{UNITS.path} {UNITS.version}
)
"""

#: go.mod with a replace by a local checkout of legacy.
GO_MOD = (
    GO_MOD_CLEAN
    + f"""
// A local checkout, for debugging.
replace {LEGACY.path} => ../legacy
"""
)

MAIN_GO = """\
package main

import (
\t"fmt"

\t"example.com/color"
\t"example.com/greet"
\t"example.com/legacy"
\t"example.com/quote"
\t"example.com/units"
)

func main() {
\tfmt.Println(color.Green(greet.Hello("gopher")), quote.Go())
\tfmt.Println(units.Metres(10), "metres; legacy API", legacy.Version)
}
"""


def _sum(*mods: Module) -> str:
    return "".join(line + "\n" for m in mods for line in m.sum_lines())


#: go.sum as go would write it for the workspace.
GO_SUM = _sum(*MODULES)


def _broken_go_sum() -> str:
    units_h1, wrong_h1 = UNITS.h1(), UNITS_OTHER.h1()
    return (
        _sum(COLOR)
        + "<<<<<<< HEAD\n"
        + _sum(GREET)
        + "=======\n"
        + _sum(LEGACY)
        + ">>>>>>> legacy-update\n"
        + _sum(QUOTE, UNITS).replace(units_h1, wrong_h1)
    )


#: go.sum after a merge left its conflict markers in, with a wrong line for units.
BROKEN_GO_SUM = _broken_go_sum()


@dataclass(frozen=True)
class Example:
    root: Path
    app: Path
    proxy: Path
    gomodcache: Path
    env: dict[str, str]

    @property
    def gomod(self) -> Path:
        return self.app / "go.mod"

    @property
    def gosum(self) -> Path:
        return self.app / "go.sum"


def demo_env(root: Path, path: str) -> dict[str, str]:
    """The whole environment for go (and the engine), isolated under ``root``.

    ``path`` is the PATH to search for go. Nothing else is inherited.
    """
    home = root / "home"
    gopath = root / "gopath"
    return {
        "PATH": path,
        "HOME": str(home),
        "USERPROFILE": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "TMPDIR": str(root / "tmp"),
        "GOPATH": str(gopath),
        "GOMODCACHE": str(gopath / "pkg" / "mod"),
        "GOCACHE": str(root / "gocache"),
        "GOENV": str(home / ".config" / "go" / "env"),
        "GOTOOLCHAIN": "local",
        "GOPROXY": file_url(root / "proxy"),
        "GOSUMDB": "off",
        "GONOSUMDB": "",
        "GOPRIVATE": "",
        "GONOPROXY": "",
        "GOINSECURE": "",
        "GOFLAGS": "-mod=mod",
        "GOWORK": "off",
        "CGO_ENABLED": "0",
        "LC_ALL": "C",
    }


def build(root: Path, *, path: str = "", broken: bool = True) -> Example:
    """Write the example under ``root`` (an empty directory); see the module notes."""
    root = Path(os.path.realpath(root))
    for d in ("home", "gopath", "gocache", "tmp", "app"):
        (root / d).mkdir(parents=True, exist_ok=True)
    env = demo_env(root, path)
    gomodcache = Path(env["GOMODCACHE"])
    write_proxy(root / "proxy", MODULES)

    app = root / "app"
    (app / "main.go").write_text(MAIN_GO, encoding="utf-8")
    ex = Example(root, app, root / "proxy", gomodcache, env)
    if not broken:
        ex.gomod.write_text(GO_MOD_CLEAN, encoding="utf-8")
        ex.gosum.write_text(GO_SUM, encoding="utf-8")
        for m in MODULES:
            write_cache(gomodcache, m)
        return ex

    ex.gomod.write_text(GO_MOD, encoding="utf-8")
    ex.gosum.write_text(BROKEN_GO_SUM, encoding="utf-8")
    # color: never downloaded. legacy: downloaded once, before the replace.
    for m in (GREET, LEGACY, UNITS):
        write_cache(gomodcache, m)
    # greet: someone made the file writable and edited it in place.
    edited = Path(layout.extracted_dir(gomodcache, GREET.path, GREET.version)) / "greet.go"
    os.chmod(edited, 0o644)
    edited.write_text(GREET_GO_EDITED, encoding="utf-8")
    os.chmod(edited, 0o444)
    # quote: go was killed while downloading the zip: it had fetched the .info and
    # the .mod, and left the zip half-written in its temp file (tempFile's name:
    # the final name, a random number below 1e9, ".tmp").
    files = write_download_files(gomodcache, QUOTE, zip=False)
    data = QUOTE.zip_bytes()
    with open(files.zip.removesuffix(".zip") + QUOTE_TMP_SUFFIX, "wb") as f:
        f.write(data[: len(data) // 2])
    # legacy: ../legacy is gone (never created here).
    return ex
