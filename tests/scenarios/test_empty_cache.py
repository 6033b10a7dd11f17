"""A freshly cloned project with an empty module cache is quiet where go is fine (issue 10, part 3).

With an empty module cache, every module version the project requires is missing,
and the next go command simply downloads them. ``gomod-doctor check`` then prints
one ``information[cache-missing-summary]`` line, no warning and no error; each
require line has a ``cache-missing`` hint (in JSON, not in the text output). Only
what really stands in go's way is an error: one finding on its line, saying why.
Each case is checked against the real go, on real-shaped and real go.mod files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gocorpus import SHARED, SHARED_ABSENT
from goproxy import GoProxy, ModuleSpec, Response, make_writable_and_remove
from gotool import GOROOT, isolated_env, run_go
from sumdb_server import SumDBServer, module_hashes

EXE = Path(sys.executable).parent / "gomod-doctor"

#: How many modules the generated go.mod requires, and how many of them deps.go imports.
REQUIRES = 300
IMPORTED = 12


def _module(i: int) -> ModuleSpec:
    # a mix of the paths real go.mod files hold
    path = f"github.com/acme{i % 7}/lib{i:03d}" if i % 3 else f"example.com/dep{i:03d}"
    name = path.rsplit("/", 1)[-1]
    return ModuleSpec(
        path,
        f"v1.{i % 5}.{i % 3}",
        {f"{name}.go": f"package {name}\n\nconst N = {i}\n".encode()},
    )


MODULES = [_module(i) for i in range(REQUIRES)]


def _write_project(ws: Path) -> None:
    """A go.mod shaped as real ones are (a direct block, then an ``// indirect`` one,
    a toolchain line), its complete go.sum, and a package importing the direct ones."""
    ws.mkdir(parents=True)
    direct, indirect = MODULES[:IMPORTED], MODULES[IMPORTED:]
    lines = ["module example.com/cloned", "", "go 1.22.0", "", "toolchain go1.22.5", ""]
    lines += ["require (", *(f"\t{m.path} {m.version}" for m in direct), ")", ""]
    lines += ["require (", *(f"\t{m.path} {m.version} // indirect" for m in indirect), ")", ""]
    (ws / "go.mod").write_text("\n".join(lines))
    sums: list[str] = []
    for m in sorted(MODULES, key=lambda m: (m.path, m.version)):
        h1, gomod_h1 = module_hashes(m)
        sums += [f"{m.path} {m.version} {h1}", f"{m.path} {m.version}/go.mod {gomod_h1}"]
    (ws / "go.sum").write_text("\n".join(sums) + "\n")
    imports = "".join(f'\t_ "{m.path}"\n' for m in direct)
    (ws / "cloned.go").write_text(f"package cloned\n\nimport (\n{imports})\n")


@dataclass
class Clone:
    ws: Path
    env: dict[str, str]
    proxy: GoProxy
    db: SumDBServer

    def check(self, *args: str) -> tuple[int, str, str]:
        out = subprocess.run(
            [str(EXE), "check", *args],
            cwd=self.ws,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return out.returncode, out.stdout, out.stderr

    def check_json(self) -> tuple[int, dict[str, Any]]:
        rc, out, err = self.check("--format", "json")
        assert rc in (0, 1), err
        doc: dict[str, Any] = json.loads(out)
        return rc, doc

    def go(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_go(list(args), self.ws, self.env, timeout=600)


@pytest.fixture
def clone(tmp_path: Path) -> Iterator[Clone]:
    """The project, an empty module cache, and the proxy and checksum database the
    user's go reaches (both on 127.0.0.1)."""
    ws = tmp_path / "cloned"
    _write_project(ws)
    with GoProxy(MODULES) as proxy, SumDBServer() as db:
        for m in MODULES:
            db.add_module(m)
        env = isolated_env(
            tmp_path / "env",
            GOPROXY=proxy.url,
            GOSUMDB=db.gosumdb,
            GOFLAGS="-mod=readonly",
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{GOROOT / 'bin'}{os.pathsep}/usr/bin:/bin",
        )
        yield Clone(ws, env, proxy, db)
        gomodcache = Path(env["GOMODCACHE"])
        if gomodcache.exists():
            make_writable_and_remove(gomodcache)


def _summary_line(n: int, source: str, *, graph_stops: bool = True) -> str:
    """The summary; with an empty cache the module graph stops at the go.mod files the
    cache lacks, and the summary says so."""
    line = (
        f"go.mod:1:1: information[cache-missing-summary]: {n} needed module versions are not "
        f"in the module cache yet: the next build downloads them from {source}"
    )
    if graph_stops:
        line += (
            " (the module graph is read up to their go.mod files: what they require is "
            "known once they are downloaded)"
        )
    return line


def test_fresh_clone_with_300_requires_prints_one_information_line(clone: Clone) -> None:
    assert not Path(clone.env["GOMODCACHE"]).exists()
    rc, out, err = clone.check()
    assert rc == 0, out + err
    # online, the go.mod files the cache lacks are fetched (and verified against
    # go.sum): the module graph does not stop at them
    assert out.splitlines() == [
        _summary_line(REQUIRES, clone.proxy.url, graph_stops=False),
        f"1 information, {REQUIRES} hints not shown (--hints shows them)",
    ]
    # The network checks asked the proxy and the checksum database what go will,
    # and wrote nothing into the module cache.
    assert clone.proxy.requests and clone.db.requests
    assert not Path(clone.env["GOMODCACHE"]).exists()
    # --hints prints the hints too: one per require line.
    rc, out, _ = clone.check("--hints", "--offline")
    lines = out.splitlines()
    assert (rc, lines[0], lines[-1]) == (
        0,
        _summary_line(REQUIRES, clone.proxy.url),
        f"1 information, {REQUIRES} hints",
    )
    assert len([x for x in lines if ": hint[cache-missing]: " in x]) == REQUIRES == len(lines) - 2

    # JSON keeps every fact: a hint on each require line, the summary listing them all.
    rc, doc = clone.check_json()
    assert rc == 0
    assert doc["summary"] == {"error": 0, "warning": 0, "information": 1, "hint": REQUIRES}
    hints = [f for f in doc["findings"] if f["severity"] == "hint"]
    assert {f["code"] for f in hints} == {"cache-missing"}
    assert sorted((f["module"], f["version"]) for f in hints) == sorted(
        (m.path, m.version) for m in MODULES
    )
    by_module = {f["module"]: f for f in hints}
    assert by_module[MODULES[0].path]["data"]["files"] == ["mod", "zip"]  # imported
    assert by_module[MODULES[-1].path]["data"]["files"] == ["mod"]  # only in the graph
    assert all(f["data"]["from"] == clone.proxy.url for f in hints)
    (summary,) = [f for f in doc["findings"] if f["severity"] != "hint"]
    assert (summary["code"], summary["line"], summary["fixes"]) == (
        "cache-missing-summary",
        1,
        ["download-missing"],
    )
    assert summary["data"]["count"] == REQUIRES
    assert len(summary["data"]["modules"]) == REQUIRES

    # go agrees: nothing stands in its way. The build downloads what it imports (with
    # a pruned module graph, go build reads no other go.mod), and passes; once the
    # imported modules' files are there, what the build needs is known, and it is all
    # in the cache: the other requirements' go.mod files are never read by a build.
    build = clone.go("build", "./...")
    assert build.returncode == 0, build.stderr
    rc, out, err = clone.check()
    assert (rc, out) == (0, "no problems found\n"), err
    # ... and go mod download fetches the rest; then nothing is left to say.
    download = clone.go("mod", "download")
    assert download.returncode == 0, download.stderr
    rc, out, err = clone.check()
    assert (rc, out) == (0, "no problems found\n"), err


def test_what_really_stands_in_gos_way_is_one_error_on_its_line(clone: Clone) -> None:
    """One version the proxy does not have: go fails on it; that require line gets one
    error (``proxy-not-found``, not a hint beside it), and the summary counts the rest."""
    gone = MODULES[5]  # imported: go build needs its go.mod and its zip
    clone.proxy.override(lambda p: p.startswith(f"/{gone.path}/@v/"), Response(404, b"not found"))
    rc, doc = clone.check_json()
    assert rc == 1
    assert doc["summary"] == {"error": 1, "warning": 0, "information": 1, "hint": REQUIRES - 1}
    (error,) = [f for f in doc["findings"] if f["severity"] == "error"]
    assert (error["code"], error["module"], error["version"]) == (
        "proxy-not-found",
        gone.path,
        gone.version,
    )
    assert error["data"]["files"] == ["mod", "zip"]
    on_its_line = [f for f in doc["findings"] if f["line"] == error["line"]]
    assert on_its_line == [error]
    (summary,) = [f for f in doc["findings"] if f["code"] == "cache-missing-summary"]
    assert summary["data"]["count"] == REQUIRES - 1

    build = clone.go("build", "./...")
    assert build.returncode == 1
    assert f"{gone.path}@{gone.version}" in build.stderr and "404" in build.stderr


def test_goproxy_off_is_one_proxy_config_error_per_line(clone: Clone) -> None:
    clone.env["GOPROXY"] = "off"
    rc, out, err = clone.check()
    assert rc == 1, err
    lines = out.splitlines()
    assert lines[-1] == f"{REQUIRES} errors"
    findings = lines[:-1]
    assert len(findings) == REQUIRES
    assert all("error[proxy-config]" in x for x in findings)
    assert len({x.split(": ", 1)[0] for x in findings}) == REQUIRES  # one per line
    m = MODULES[0]
    mv = f"{m.path}@{m.version}"
    assert (
        f"{mv} is not in the module cache and GOPROXY=off: {mv}: module lookup disabled by GOPROXY=off"
        in out
    )

    build = clone.go("build", "./...")
    assert build.returncode == 1
    assert "module lookup disabled by GOPROXY=off" in build.stderr


# --------------------------------------------------------------------------- real go.mod files


def _real_projects() -> list[pytest.ParameterSet]:
    """go.mod files of real projects with their go.sum: the go command's own, and the
    largest of ../shared/corpus when it is there."""
    out = [
        pytest.param(GOROOT / "src" / "cmd" / "go.mod", id="GOROOT-src-cmd"),
        pytest.param(GOROOT / "src" / "go.mod", id="GOROOT-src"),
    ]
    if SHARED.is_dir():
        candidates = []
        for gomod in sorted(SHARED.glob("*/go.mod")):
            if not (gomod.parent / "go.sum").is_file():
                continue
            text = gomod.read_text(encoding="utf-8", errors="replace")
            if "=> ./" in text or "=> ../" in text:
                continue  # a directory replacement: not in the clone's copy
            candidates.append((text.count("\n\t"), gomod))
        for _, gomod in sorted(candidates, reverse=True)[:3]:
            out.append(pytest.param(gomod, id=f"shared-{gomod.parent.name}"))
    else:
        out.append(pytest.param(SHARED, marks=pytest.mark.skip(reason=SHARED_ABSENT), id="shared"))
    return out


@pytest.mark.parametrize("gomod", _real_projects())
def test_real_go_mod_with_an_empty_cache_prints_one_information_line(
    tmp_path: Path, gomod: Path
) -> None:
    """The go.mod and go.sum of a real project, freshly cloned (no vendor directory),
    checked offline with go's default GOPROXY and GOSUMDB."""
    ws = tmp_path / "clone"
    ws.mkdir()
    shutil.copyfile(gomod, ws / "go.mod")
    shutil.copyfile(gomod.parent / "go.sum", ws / "go.sum")
    env = isolated_env(tmp_path / "env")
    for key in ("GOPROXY", "GOSUMDB", "GOFLAGS"):
        del env[key]  # go's defaults: https://proxy.golang.org,direct and sum.golang.org
    env["GOTOOLCHAIN"] = "auto"  # as a user has it: a newer go line is no error
    out = subprocess.run(
        [str(EXE), "check", "--offline", "--format", "json"],
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    doc = json.loads(out.stdout)
    shown = [f for f in doc["findings"] if f["severity"] != "hint"]
    assert [(f["code"], f["severity"]) for f in shown] == [
        ("cache-missing-summary", "information")
    ], shown
    hinted = {(f["module"], f["version"]) for f in doc["findings"] if f["code"] == "cache-missing"}
    assert shown[0]["data"]["count"] == len(hinted) > 0
    assert "the next build downloads them from https://proxy.golang.org" in shown[0]["message"]
    assert shown[0]["data"]["graphStops"]  # offline: the graph stops at what is missing
    assert out.returncode == 0
    # go, offline, accepts the project as it is (no cache needed to get started)
    listed = run_go(["list", "-m"], ws, {**env, "GOPROXY": "off"}, timeout=60)
    assert listed.returncode == 0, listed.stderr
