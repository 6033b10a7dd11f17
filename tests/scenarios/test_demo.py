"""``gomod-doctor demo``: its example is what go itself writes, it finds the six local
problems, fixes them with the real go (offline), and touches nothing but its temp dir."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gomod_doctor import engine
from gomod_doctor.demo import example
from gomod_doctor.demo.modules import make_writable
from gomod_doctor.demo.run import plan_fixes, run_demo
from gomod_doctor.findings import Finding
from gomod_doctor.goenv import env as goenv
from gomod_doctor.workspace.discover import locate
from gotool import GOROOT, run_go

EXE = Path(sys.executable).parent / "gomod-doctor"
GO_PATH = f"{GOROOT / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin"

CODES = (
    "cache-missing",
    "cache-modified",
    "cache-incomplete",
    "sum-mismatch",
    "replace-missing",
    "sum-conflict",
)


@pytest.fixture
def built() -> Iterator[list[Path]]:
    """Roots built in the test; made writable afterwards so pytest can remove them."""
    roots: list[Path] = []
    yield roots
    for r in roots:
        make_writable(r)


def _check(ex: example.Example) -> list[Finding]:
    facts, _ = engine.gather(locate(ex.gomod), goenv.load(ex.env), verify="full", no_memo=True)
    result = engine.run(facts)
    assert result.internal_errors == []
    return result.findings


def _tree(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under ``root``: permission bits and content (None for a directory)."""
    out: dict[str, tuple[int, bytes | None]] = {}
    for cur, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(cur) / name
            st = p.lstat()
            data = None if p.is_dir() else p.read_bytes()
            out[str(p.relative_to(root))] = (st.st_mode & 0o7777, data)
    return out


# --------------------------------------------------------------------------- the example


def test_pristine_cache_is_byte_for_byte_what_go_writes(tmp_path: Path, built: list[Path]) -> None:
    root = tmp_path / "demo"
    root.mkdir()
    built.append(root)
    ex = example.build(root, path=GO_PATH, broken=False)

    # go accepts the cache written in Python, and go.sum as it is.
    verify = run_go(["mod", "verify"], ex.app, ex.env)
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.strip() == "all modules verified"
    listed = run_go(["list", "-mod=readonly", "-deps", "./..."], ex.app, ex.env)
    assert listed.returncode == 0, listed.stderr
    for m in example.MODULES:
        assert m.path in listed.stdout.split()
    assert ex.gosum.read_text() == example.GO_SUM

    # go downloading the same modules from the file:// proxy writes the same tree.
    other = root / "gomodcache-by-go"
    env = {**ex.env, "GOMODCACHE": str(other)}
    got = run_go(["mod", "download", "-json"], ex.app, env)
    assert got.returncode == 0, got.stderr
    built.append(other)
    assert _tree(other) == _tree(ex.gomodcache)
    assert ex.gosum.read_text() == example.GO_SUM

    assert _check(ex) == []


def test_broken_example_has_the_six_problems(tmp_path: Path, built: list[Path]) -> None:
    built.append(tmp_path)
    ex = example.build(tmp_path, path="")  # no go: the check does not need it
    findings = _check(ex)
    by_code: dict[str, set[str]] = {}
    for f in findings:
        by_code.setdefault(f.code, set()).add(f.module or "")
    assert by_code == {
        "cache-missing": {"example.com/color", "example.com/quote"},
        "cache-missing-summary": {""},
        "cache-modified": {"example.com/greet"},
        "cache-incomplete": {"example.com/quote"},
        "sum-mismatch": {"example.com/units"},
        "replace-missing": {"example.com/legacy"},
        "sum-conflict": {""},
    }
    (summary,) = [f for f in findings if f.code == "cache-missing-summary"]
    assert [(m["module"], m["files"]) for m in summary.data["modules"]] == [
        ("example.com/color", ["mod", "zip"]),
        ("example.com/quote", ["zip"]),
    ]
    modified = next(f for f in findings if f.code == "cache-modified")
    assert modified.data["edited"] == ["greet.go"]

    plan = plan_fixes(findings)
    assert plan.redownload == [
        ("example.com/greet", "v1.0.0"),
        ("example.com/quote", "v1.2.0"),
        ("example.com/units", "v1.1.0"),
    ]
    assert plan.download == [("example.com/color", "v0.3.0")]
    assert [(s.module, s.line, s.gomod) for s in plan.sums] == [("example.com/units", 12, False)]
    assert plan.sums[0].cache == example.UNITS.h1()
    assert plan.sums[0].wrong == example.UNITS_OTHER.h1()
    assert plan.conflicts == [str(ex.gosum)]
    assert [(r.module, r.new_path) for r in plan.replaces] == [("example.com/legacy", "../legacy")]
    assert plan.other == []


# --------------------------------------------------------------------------- the command


def _sandbox(tmp_path: Path, path: str) -> tuple[dict[str, str], list[Path]]:
    """An environment whose HOME, XDG dirs, TMPDIR and go settings all point at empty
    directories of ``tmp_path`` (which must stay empty) and whose GOPROXY and GOFLAGS
    would break any go command that used them."""
    dirs = {
        name: tmp_path / "sandbox" / name
        for name in ("home", "config", "cache", "data", "state", "tmp", "gopath", "gocache")
    }
    for d in dirs.values():
        d.mkdir(parents=True)
    env = {
        "PATH": path,
        "HOME": str(dirs["home"]),
        "XDG_CONFIG_HOME": str(dirs["config"]),
        "XDG_CACHE_HOME": str(dirs["cache"]),
        "XDG_DATA_HOME": str(dirs["data"]),
        "XDG_STATE_HOME": str(dirs["state"]),
        "TMPDIR": str(dirs["tmp"]),
        "GOPATH": str(dirs["gopath"]),
        "GOMODCACHE": str(dirs["gopath"] / "pkg" / "mod"),
        "GOCACHE": str(dirs["gocache"]),
        "GOENV": str(dirs["config"] / "go" / "env"),
        # Nobody listens on port 1: a download through the inherited GOPROXY fails.
        "GOPROXY": "http://127.0.0.1:1",
        "GOFLAGS": "-mod=vendor",
        "GOTOOLCHAIN": "go1.999.0",
        "NO_COLOR": "",
    }
    return env, list(dirs.values())


def _run_demo(env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.monotonic()
    out = subprocess.run(
        [str(EXE), "demo"], capture_output=True, text=True, timeout=120, env=env, cwd="/"
    )
    return out, time.monotonic() - t0


def test_demo_fixes_everything_with_go(tmp_path: Path) -> None:
    env, dirs = _sandbox(tmp_path, GO_PATH)
    out, seconds = _run_demo(env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stderr == ""
    text = out.stdout
    assert seconds < 30, seconds
    assert "\x1b[" not in text  # not a terminal: no colour

    # Only the file:// proxy under the demo's own directory is ever used.
    assert "GOPROXY=file://$DEMO/proxy" in text
    assert "127.0.0.1" not in text

    check, rest = text.split("Step 2. Fix them", 1)
    for code in CODES:
        assert re.search(rf"^go\.(mod|sum):\d+:\d+: \w+\[{code}\]", check, re.M), code
    assert "edited greet.go" in check
    assert "5 errors, 1 warning, 1 information, 2 hints" in check

    fix, recheck = rest.split("Step 3. Check again", 1)
    assert (
        "$ gomod-doctor redownload example.com/greet@v1.0.0 example.com/quote@v1.2.0 "
        "example.com/units@v1.1.0"
    ) in fix
    assert "example.com/color@v0.3.0: downloaded, " + example.COLOR.h1() in fix
    for m in (example.GREET, example.QUOTE, example.UNITS):
        assert f"{m.path}@{m.version}: cleared and downloaded again, {m.h1()}" in fix
    assert f"+ example.com/units v1.1.0 {example.UNITS.h1()}" in fix
    assert "deleted marker lines 3, 6, 9" in fix
    assert "+ // replace example.com/legacy => ../legacy" in fix
    assert "$ gomod-doctor check --verify full\nno problems found\n" in recheck
    assert "$ go mod verify\nall modules verified\n" in recheck

    # Nothing was written outside the demo's temporary directory (itself removed).
    for d in dirs:
        assert list(d.iterdir()) == [], d


def test_demo_without_go_explains_the_fixes(tmp_path: Path) -> None:
    no_go = tmp_path / "bin"
    no_go.mkdir()
    env, dirs = _sandbox(tmp_path, str(no_go))
    out, seconds = _run_demo(env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert seconds < 30, seconds
    text = out.stdout
    for code in CODES:
        assert f"[{code}]" in text, code
    assert "there is no go command\non PATH" in text
    how = text.split("Step 2. How to fix them", 1)[1]
    assert (
        "  gomod-doctor redownload example.com/greet@v1.0.0 example.com/quote@v1.2.0 "
        "example.com/units@v1.1.0\n  gomod-doctor download example.com/color@v0.3.0\n"
    ) in how
    assert f"- example.com/units v1.1.0 {example.UNITS_OTHER.h1()}" in how
    assert f"+ example.com/units v1.1.0 {example.UNITS.h1()}" in how
    assert "delete the marker lines 3, 6, 9" in how
    assert "+ // replace example.com/legacy => ../legacy" in how
    assert "Step 3" not in text and "no problems found" not in text
    for d in dirs:
        assert list(d.iterdir()) == [], d


def test_run_demo_in_process_colour_and_cleanup(tmp_path: Path) -> None:
    seen: list[Path] = []
    plain = io.StringIO()
    assert run_demo(plain, environ={"PATH": ""}, keep=seen.append) == 0
    assert "\x1b[" not in plain.getvalue()
    assert seen and not seen[0].exists()

    coloured = io.StringIO()
    assert run_demo(coloured, colour=True, environ={"PATH": ""}) == 0
    assert "\x1b[1;31merror[cache-modified]\x1b[0m" in coloured.getvalue()
