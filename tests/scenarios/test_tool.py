"""go.mod ``tool`` directives: a tool's package and its imports are needs like imports
(workspace/needs.py tool_sites), beside the real go's verdict (``go build tool``,
``go tool foo``; ``go build ./...`` does not load tools)."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from gomod_doctor import engine
from gomod_doctor.findings import Finding
from gomod_doctor.goenv import env as goenv
from gomod_doctor.workspace.discover import locate
from goproxy import CacheFixture, ModuleSpec, make_writable_and_remove
from gotool import run_go

MakeCache = Callable[..., CacheFixture]

MODULES = [
    ModuleSpec(
        "example.com/t",
        "v1.0.0",
        {
            "go.mod": b"module example.com/t\n\ngo 1.21\n\nrequire example.com/u v1.0.0\n",
            "cmd/foo/main.go": b'package main\n\nimport _ "example.com/u"\n\nfunc main() {}\n',
        },
    ),
    ModuleSpec(
        "example.com/u",
        "v1.0.0",
        {"go.mod": b"module example.com/u\n\ngo 1.21\n", "u.go": b"package u\n"},
    ),
]
ROOTS = [("example.com/t", "v1.0.0"), ("example.com/u", "v1.0.0")]
GOMOD = (
    "module example.com/workspace\n\ngo 1.24\n\n{tool}"
    "require (\n\texample.com/t v1.0.0 // indirect\n\texample.com/u v1.0.0 // indirect\n)\n"
)


@pytest.fixture
def tool_ws(make_cache: MakeCache) -> CacheFixture:
    fx = make_cache(MODULES, ROOTS)
    ws = fx.workspace
    (ws / "go.mod").write_text(GOMOD.format(tool="tool example.com/t/cmd/foo\n\n"))
    (ws / "deps.go").write_text("package workspace\n")
    res = run_go(["mod", "tidy"], ws, fx.env)  # GOPROXY=off -mod=mod: from the cache
    assert res.returncode == 0, res.stderr
    assert (ws / "go.mod").read_text() == GOMOD.format(tool="tool example.com/t/cmd/foo\n\n")
    return fx


def go_tool(fx: CacheFixture) -> tuple[int, str]:
    """``go build tool`` in go's default mode (-mod=readonly): what ``go tool foo`` says."""
    res = run_go(["build", "tool"], fx.workspace, fx.env_with(GOFLAGS=""))
    return res.returncode, res.stderr


def doctor(fx: CacheFixture) -> list[Finding]:
    genv = goenv.load(fx.env_with(GOFLAGS=""))
    loc = locate(
        fx.workspace, gowork=genv.gowork_setting or genv.GOWORK, goroot=genv.GOROOT or None
    )
    facts, _ = engine.gather(loc, genv, verify="quick", no_memo=True)
    result = engine.run(facts)
    assert result.internal_errors == []
    return result.findings


def drop_sum(fx: CacheFixture, prefix: str) -> None:
    lines = fx.go_sum.read_text().splitlines()
    kept = [ln for ln in lines if not ln.startswith(prefix)]
    assert len(kept) == len(lines) - 1
    fx.go_sum.write_text("".join(ln + "\n" for ln in kept))


def line_of(fx: CacheFixture, f: Finding) -> str:
    return (fx.workspace / "go.mod").read_text().splitlines()[f.range.start.line - 1].strip()


def loud(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity.label in ("error", "warning")]


def test_tool_state_go_builds_is_quiet(tool_ws: CacheFixture) -> None:
    assert go_tool(tool_ws) == (0, "")
    assert loud(doctor(tool_ws)) == []


@pytest.mark.parametrize(
    ("module", "want"),
    [
        (
            "example.com/t",
            "missing go.sum entry for module providing package example.com/t/cmd/foo; to add:\n"
            "\tgo mod download example.com/t",
        ),
        (  # the tool package's own import needs its zip too
            "example.com/u",
            "missing go.sum entry for module providing package example.com/u (imported by "
            "example.com/t/cmd/foo); to add:\n\tgo get example.com/t/cmd/foo@v1.0.0",
        ),
    ],
)
def test_tool_zip_sum_missing(tool_ws: CacheFixture, module: str, want: str) -> None:
    drop_sum(tool_ws, f"{module} v1.0.0 h1:")
    code, err = go_tool(tool_ws)
    assert code == 1 and want in err
    # go build ./... does not load the tool
    res = run_go(["build", "./..."], tool_ws.workspace, tool_ws.env_with(GOFLAGS=""))
    assert res.returncode == 0, res.stderr
    [f] = loud(doctor(tool_ws))
    assert (f.code, f.severity.label, f.module) == ("sum-missing", "error", module)
    assert want in f.message
    assert line_of(tool_ws, f) == f"{module} v1.0.0 // indirect"


def test_without_the_tool_line_the_zip_is_not_needed(tool_ws: CacheFixture) -> None:
    (tool_ws.workspace / "go.mod").write_text(GOMOD.format(tool=""))
    drop_sum(tool_ws, "example.com/t v1.0.0 h1:")
    res = run_go(["build", "./..."], tool_ws.workspace, tool_ws.env_with(GOFLAGS=""))
    assert res.returncode == 0, res.stderr
    assert loud(doctor(tool_ws)) == []


def test_tool_module_not_in_cache(tool_ws: CacheFixture) -> None:
    fx = tool_ws
    dl = fx.gomodcache / "cache" / "download" / "example.com" / "t" / "@v"
    for name in ("v1.0.0.zip", "v1.0.0.ziphash"):
        (dl / name).unlink()
    make_writable_and_remove(fx.gomodcache / "example.com" / "t@v1.0.0")
    shutil.rmtree(fx.root / "goenv" / "gocache", ignore_errors=True)
    code, err = go_tool(fx)
    assert code == 1 and "module lookup disabled by GOPROXY=off" in err
    found = [f for f in doctor(fx) if f.module == "example.com/t"]
    assert found, "the tool's module is needed"
    assert {f.code for f in found} & {"cache-missing", "proxy-config"}
    assert all(line_of(fx, f) == "example.com/t v1.0.0 // indirect" for f in found)


def test_tool_of_the_main_module(tool_ws: CacheFixture) -> None:
    """A tool in the workspace's own module: its imports are needs (u's zip here)."""
    ws = tool_ws.workspace
    (ws / "go.mod").write_text(
        GOMOD.format(tool="tool example.com/workspace/cmd/gen\n\n").replace(
            "\texample.com/t v1.0.0 // indirect\n", ""
        )
    )
    (ws / "cmd" / "gen").mkdir(parents=True)
    (ws / "cmd" / "gen" / "main.go").write_text(
        'package main\n\nimport _ "example.com/u"\n\nfunc main() {}\n'
    )
    assert go_tool(tool_ws) == (0, "")
    assert loud(doctor(tool_ws)) == []
    drop_sum(tool_ws, "example.com/u v1.0.0 h1:")
    code, err = go_tool(tool_ws)
    assert code == 1 and "missing go.sum entry for module providing package example.com/u" in err
    [f] = loud(doctor(tool_ws))
    assert (f.code, f.module) == ("sum-missing", "example.com/u")


def test_tool_no_module_provides(tool_ws: CacheFixture) -> None:
    ws = tool_ws.workspace
    (ws / "go.mod").write_text(GOMOD.format(tool="tool example.com/zzz/cmd/x\n\n"))
    code, err = go_tool(tool_ws)
    want = "no required module provides package example.com/zzz/cmd/x; to add it:\n\tgo get example.com/zzz/cmd/x"
    assert code == 1 and want in err
    [f] = loud(doctor(tool_ws))
    assert (f.code, f.severity.label, f.message) == ("import-missing", "error", want)
    line = (ws / "go.mod").read_text().splitlines()[f.range.start.line - 1]
    assert line[f.range.start.col - 1 : f.range.end.col - 1] == "example.com/zzz/cmd/x"
