"""Retracted versions and deprecated modules (checks/retract.py, workspace/latest.py)
beside the real go's verdict on the same module cache.

go answers ``go list -m -u`` offline from the module cache when the cache is its proxy
(``GOPROXY=file://$GOMODCACHE/cache/download``): the latest version from ``@v/list``,
its retractions and deprecation from that version's ``.mod``. ``go get M@V`` prints the
same words as warnings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gomod_doctor import engine
from gomod_doctor.checks.retract import short_message
from gomod_doctor.findings import Finding
from gomod_doctor.goenv import env as goenv
from gomod_doctor.workspace.discover import locate
from gomod_doctor.workspace.latest import latest_version
from goproxy import (
    CacheFixture,
    GoProxy,
    ModuleSpec,
    download_every_version,
    parse_json_stream,
)
from gotool import run_go

MakeCache = Callable[..., CacheFixture]


def spec(path: str, version: str, head: str = "", tail: str = "", go: str = "1.21") -> ModuleSpec:
    name = path.rsplit("/", 1)[-1]
    gomod = f"{head}module {path}\n\ngo {go}\n{tail}"
    return ModuleSpec(
        path, version, {"go.mod": gomod.encode(), f"{name}.go": f"package {name}\n".encode()}
    )


RETRACTS = "\nretract (\n\tv1.1.0 // bad one\n\t[v1.3.0, v1.3.5]\n\tv1.4.0 // self\n)\n"
MODULES = [
    spec("example.com/r", "v1.0.0"),
    spec("example.com/r", "v1.1.0"),
    spec("example.com/r", "v1.2.0"),
    spec("example.com/r", "v1.3.1"),
    spec("example.com/r", "v1.4.0", tail=RETRACTS),
    spec("example.com/d", "v1.0.0"),
    spec("example.com/d", "v1.1.0", head="// Deprecated: use example.com/e instead.\n// more\n"),
    # i (indirect through a) is deprecated too: go does not report purely indirect ones
    spec("example.com/a", "v1.0.0", tail="\nrequire example.com/i v1.0.0\n"),
    spec("example.com/i", "v1.0.0"),
    spec("example.com/i", "v1.1.0", head="// Deprecated: gone\n"),
    # a retracted version that only the graph brings in (through b), whose package the
    # workspace imports
    ModuleSpec(
        "example.com/b",
        "v1.0.0",
        {
            "go.mod": b"module example.com/b\n\ngo 1.16\n\nrequire example.com/q v1.0.0\n",
            "b.go": b'package b\n\nimport _ "example.com/q"\n',
        },
    ),
    spec("example.com/q", "v1.0.0", go="1.16"),
    spec("example.com/q", "v1.1.0", tail="\nretract v1.0.0 // q is broken\n", go="1.16"),
]
ROOTS = [("example.com/r", "v1.1.0"), ("example.com/d", "v1.0.0")]


@pytest.fixture
def latest_cache(make_cache: MakeCache) -> CacheFixture:
    """Every version above in the module cache, as go downloads them."""
    return download_every_version(make_cache(MODULES, ROOTS), MODULES)


def write(
    ws: Path, requires: list[str], imports: list[str], extra: str = "", go: str = "1.21"
) -> None:
    body = "".join(f"\t{r}\n" for r in requires)
    (ws / "go.mod").write_text(
        f"module example.com/workspace\n\ngo {go}\n\nrequire (\n{body})\n{extra}"
    )
    (ws / "deps.go").write_text(
        "package workspace\n\nimport (\n" + "".join(f'\t_ "{i}"\n' for i in imports) + ")\n"
    )


def cache_proxy(fx: CacheFixture) -> str:
    return "file://" + str(fx.gomodcache / "cache" / "download")


def go_list_u(fx: CacheFixture, ws: Path) -> dict[str, dict[str, Any]]:
    """``go list -m -u -json all``, the module cache as the proxy."""
    res = run_go(["list", "-m", "-u", "-json", "all"], ws, fx.env_with(GOPROXY=cache_proxy(fx)))
    assert res.returncode == 0, res.stderr
    return {m["Path"]: m for m in parse_json_stream(res.stdout)}


def go_get(fx: CacheFixture, ws: Path, *args: str) -> str:
    """What ``go get`` warns (on a copy of go.mod: the state is left as it was)."""
    before = (ws / "go.mod").read_text(), (ws / "go.sum").read_text()
    res = run_go(["get", *args], ws, fx.env_with(GOPROXY=cache_proxy(fx)))
    (ws / "go.mod").write_text(before[0])
    (ws / "go.sum").write_text(before[1])
    assert res.returncode == 0, res.stderr
    return res.stderr


def doctor(fx: CacheFixture, root: Path) -> list[Finding]:
    genv = goenv.load(fx.env)
    loc = locate(root, gowork=genv.gowork_setting or genv.GOWORK, goroot=genv.GOROOT or None)
    facts, _ = engine.gather(loc, genv, verify="quick", no_memo=True)
    result = engine.run(facts)
    assert result.internal_errors == []
    return result.findings


def sums(fx: CacheFixture, ws: Path) -> None:
    res = run_go(["mod", "tidy"], ws, fx.env_with(GOPROXY="off", GOFLAGS="-mod=mod"))
    assert res.returncode == 0, res.stderr


def by_code(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def test_retracted_and_deprecated_in_gos_words(latest_cache: CacheFixture) -> None:
    fx = latest_cache
    ws = fx.workspace
    write(
        ws,
        ["example.com/r v1.1.0", "example.com/d v1.0.0", "example.com/a v1.0.0"],
        ["example.com/r", "example.com/d", "example.com/a"],
    )
    sums(fx, ws)
    go = go_list_u(fx, ws)
    assert go["example.com/r"]["Retracted"] == ["bad one"]
    assert go["example.com/d"]["Deprecated"] == "use example.com/e instead.\nmore"
    assert go["example.com/i"]["Deprecated"] == "gone"
    warned = go_get(fx, ws, "example.com/r@v1.1.0", "example.com/d@v1.0.0")
    assert "go: warning: example.com/r@v1.1.0: retracted by module author: bad one\n" in warned
    assert "go: module example.com/d is deprecated: use example.com/e instead.\n" in warned
    # go builds regardless
    res = run_go(["build", "./..."], ws, fx.env)
    assert res.returncode == 0, res.stderr

    found = doctor(fx, ws)
    text = (ws / "go.mod").read_text().splitlines()
    [r] = by_code(found, "version-retracted")
    assert r.severity.label == "warning"
    assert text[r.range.start.line - 1].strip() == "example.com/r v1.1.0"
    assert r.message == (
        "example.com/r@v1.1.0: retracted by module author: bad one\n"
        "to switch to the latest unretracted version, run:\n\tgo get example.com/r@latest"
    )
    assert r.data["latest"] == "v1.4.0"
    deprecated = by_code(found, "module-deprecated")
    # i is deprecated too, but only indirect: go get does not report it
    assert [(f.module, f.message, f.severity.label) for f in deprecated] == [
        (
            "example.com/d",
            "module example.com/d is deprecated: use example.com/e instead.",
            "information",
        )
    ]
    assert text[deprecated[0].range.start.line - 1].strip() == "example.com/d v1.0.0"
    assert not [f for f in found if f.severity.label in ("error",)]


@pytest.mark.parametrize(
    ("version", "retracted"),
    [
        ("v1.0.0", None),
        ("v1.2.0", None),
        ("v1.3.1", ["retracted by module author"]),  # no rationale: go's default
        ("v1.4.0", ["self"]),
    ],
)
def test_retraction_intervals_as_go_reads_them(
    latest_cache: CacheFixture, version: str, retracted: list[str] | None
) -> None:
    fx = latest_cache
    ws = fx.workspace
    write(ws, [f"example.com/r {version}"], ["example.com/r"])
    sums(fx, ws)
    assert go_list_u(fx, ws)["example.com/r"].get("Retracted") == retracted
    found = by_code(doctor(fx, ws), "version-retracted")
    if retracted is None:
        assert found == []
        return
    [f] = found
    want = "retracted by module author"
    if retracted[0] != want:
        want += f": {retracted[0]}"
    assert f.message.splitlines()[0] == f"example.com/r@{version}: {want}"


def test_graph_only_retracted_version_on_the_require_it_comes_through(
    latest_cache: CacheFixture,
) -> None:
    """An unpruned main module (go 1.16) lists only b; b's package imports q."""
    fx = latest_cache
    ws = fx.workspace
    write(ws, ["example.com/b v1.0.0"], ["example.com/b"], go="1.16")
    sums(fx, ws)
    assert "example.com/q" not in (ws / "go.mod").read_text()
    res = run_go(["build", "./..."], ws, fx.env_with(GOFLAGS="-mod=readonly"))
    assert res.returncode == 0, res.stderr
    assert go_list_u(fx, ws)["example.com/q"]["Retracted"] == ["q is broken"]
    warned = go_get(fx, ws, "./...")
    assert "go: warning: example.com/q@v1.0.0: retracted by module author: q is broken\n" in warned
    [f] = by_code(doctor(fx, ws), "version-retracted")
    text = (ws / "go.mod").read_text().splitlines()
    assert text[f.range.start.line - 1].endswith("example.com/b v1.0.0")
    assert f.message.startswith(
        "example.com/b@v1.0.0 requires\n\texample.com/q@v1.0.0: retracted by module author: "
        "q is broken\n"
    )


def test_replaced_module_is_not_looked_up(latest_cache: CacheFixture) -> None:
    """Every version replaced: go looks up neither retractions nor deprecation."""
    fx = latest_cache
    ws = fx.workspace
    write(
        ws,
        ["example.com/r v1.1.0", "example.com/d v1.0.0"],
        ["example.com/r", "example.com/d"],
        extra="\nreplace example.com/r => example.com/r v1.2.0\n"
        "replace example.com/d => example.com/d v1.0.0\n",
    )
    sums(fx, ws)
    go = go_list_u(fx, ws)
    assert "Retracted" not in go["example.com/r"]
    assert "Deprecated" not in go["example.com/d"]
    found = doctor(fx, ws)
    assert by_code(found, "version-retracted") == []
    assert by_code(found, "module-deprecated") == []


def test_nothing_cached_beyond_the_version_used_is_quiet_until_go_downloads_more(
    make_cache: MakeCache,
) -> None:
    """Only the required version in the cache, and it retracts nothing: go says nothing.
    Once go downloads the version that retracts it (and rewrites @v/list), both say so."""
    fx = make_cache(MODULES, ROOTS)
    ws = fx.workspace
    go = go_list_u(fx, ws)
    assert "Retracted" not in go["example.com/r"]
    found = doctor(fx, ws)
    assert by_code(found, "version-retracted") == []
    assert by_code(found, "module-deprecated") == []
    with GoProxy(MODULES) as proxy:
        res = run_go(
            ["mod", "download", "example.com/r@v1.4.0"], fx.root, fx.env_with(GOPROXY=proxy.url)
        )
        assert res.returncode == 0, res.stderr
    assert go_list_u(fx, ws)["example.com/r"]["Retracted"] == ["bad one"]
    [f] = by_code(doctor(fx, ws), "version-retracted")
    assert f.message.startswith("example.com/r@v1.1.0: retracted by module author: bad one\n")


def test_deprecation_of_a_replacement_directory_is_read_afresh(
    latest_cache: CacheFixture,
) -> None:
    """The latest version replaced by a directory: go reads the directory's go.mod."""
    fx = latest_cache
    ws = fx.workspace
    lib = ws.parent / "lib-d"
    lib.mkdir()
    (lib / "d.go").write_text("package d\n")
    (lib / "go.mod").write_text("module example.com/d\n\ngo 1.21\n")
    write(
        ws,
        ["example.com/d v1.0.0"],
        ["example.com/d"],
        extra="\nreplace example.com/d v1.1.0 => ../lib-d\n",
    )
    sums(fx, ws)
    assert "Deprecated" not in go_list_u(fx, ws)["example.com/d"]
    assert by_code(doctor(fx, ws), "module-deprecated") == []
    (lib / "go.mod").write_text("// Deprecated: local says so\nmodule example.com/d\n\ngo 1.21\n")
    assert go_list_u(fx, ws)["example.com/d"]["Deprecated"] == "local says so"
    [f] = by_code(doctor(fx, ws), "module-deprecated")
    assert f.message == "module example.com/d is deprecated: local says so"


def test_latest_query() -> None:
    assert latest_version(["v1.0.0", "v1.2.0-pre", "v1.1.0"]) == "v1.1.0"
    assert latest_version(["v1.2.0-pre", "v1.1.0-rc.1"]) == "v1.2.0-pre"
    assert latest_version(["v1.0.0", "v2.0.0+incompatible"]) == "v1.0.0"
    assert latest_version(["v2.0.0+incompatible"]) == "v2.0.0+incompatible"
    assert latest_version(["v1.0.0"], ["v1.5.0"]) == "v1.5.0"
    assert (
        latest_version(["v0.0.0-20240101000000-abcdefabcdef", "v0.0.0-20230101000000-abcdefabcdef"])
        == "v0.0.0-20240101000000-abcdefabcdef"
    )
    assert latest_version([]) == ""


def test_short_message() -> None:
    assert short_message("first\nsecond", "") == "first"
    assert short_message("  ", "dflt") == "dflt"
    assert short_message("a" * 501, "") == "(message omitted: too long)"
    assert short_message("bell\x07", "") == "(message omitted: contains non-printable characters)"
