"""The module graph (workspace/modgraph.py) beside the real go's on the same files.

Real module caches are written by go from a local proxy. For each state, ``go list -m
all`` gives go's build list, and go's own go.sum additions (from an empty go.sum, with
``-mod=mod``) tell which go.mod files it read: one ``/go.mod`` line each.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import gocorpus
from gomod_doctor import engine
from gomod_doctor.findings import Finding
from gomod_doctor.goenv import env as goenv
from gomod_doctor.modfile.rules import parse_mod
from gomod_doctor.modfile.work import parse_work
from gomod_doctor.workspace import gomods, modgraph
from gomod_doctor.workspace.discover import locate
from gomod_doctor.workspace.modgraph import Missing, ModuleVersion, Summary, Unreadable
from goproxy import (
    CacheFixture,
    ModuleSpec,
    download_every_version,
    make_writable_and_remove,
)
from gotool import run_go

MakeCache = Callable[..., CacheFixture]


def gomod(path: str, go: str | None, *requires: str, extra: str = "") -> bytes:
    text = f"module {path}\n\n"
    if go:
        text += f"go {go}\n\n"
    for r in requires:
        text += f"require {r}\n"
    return (text + extra).encode()


def spec(path: str, version: str, go: str | None, *requires: str) -> ModuleSpec:
    name = path.rsplit("/", 1)[-1]
    return ModuleSpec(
        path,
        version,
        {"go.mod": gomod(path, go, *requires), f"{name}.go": f"package {name}\n".encode()},
    )


# (go 1.17: pruned, but below 1.21, so that a go 1.16 main module may require them)
# a (pruned) requires c v1.1.0 and d; b (go 1.16: unpruned) requires c v1.2.0 and e;
# e (pruned) requires f; f requires g, which a pruned main module never reads.
MODULES = [
    spec("example.com/a", "v1.0.0", "1.17", "example.com/c v1.1.0", "example.com/d v1.0.0"),
    spec("example.com/b", "v1.0.0", "1.16", "example.com/c v1.2.0", "example.com/e v1.0.0"),
    spec("example.com/c", "v1.1.0", "1.17"),
    spec("example.com/c", "v1.2.0", "1.17"),
    spec("example.com/c", "v1.3.0", "1.17"),
    spec("example.com/d", "v1.0.0", "1.17", "example.com/g v1.0.0"),
    spec("example.com/e", "v1.0.0", "1.17", "example.com/f v1.0.0"),
    spec("example.com/f", "v1.0.0", "1.17", "example.com/g v1.0.0"),
    spec("example.com/g", "v1.0.0", "1.17"),
    spec("example.com/h", "v1.0.0", None, "example.com/c v1.3.0"),
    # a go.mod that declares another path; i requires it
    ModuleSpec(
        "example.com/x",
        "v1.0.0",
        {"go.mod": gomod("example.com/other", "1.17"), "x.go": b"package x\n"},
    ),
    spec("example.com/i", "v1.0.0", "1.17", "example.com/x v1.0.0"),
]
ROOTS = [("example.com/a", "v1.0.0"), ("example.com/b", "v1.0.0")]


@pytest.fixture
def graph_cache(make_cache: MakeCache) -> CacheFixture:
    """Every version above in the cache (.info, .mod and zip), as go downloads them."""
    return download_every_version(make_cache(MODULES, ROOTS), MODULES)


Edges = dict[tuple[str, str], set[tuple[str, str]]]


def _mv(text: str) -> tuple[str, str]:
    path, _, version = text.partition("@")
    return path, version


def go_view(fx: CacheFixture, ws: Path, **env: str) -> tuple[list[tuple[str, str]], Edges]:
    """go's build list (``go list -m all``) and the requirements of every go.mod its
    graph reads (``go mod graph``; a go.mod without requirements shows no edge)."""
    e = fx.env_with(**{"GOFLAGS": "-mod=mod", **env})
    before = (ws / "go.mod").read_text() if (ws / "go.mod").exists() else None
    res = run_go(["mod", "graph"], ws, e)
    assert res.returncode == 0, res.stderr
    edges: Edges = {}
    for line in res.stdout.splitlines():
        left, right = (_mv(x) for x in line.split())
        if right[0] in ("go", "toolchain"):
            continue
        edges.setdefault(left, set()).add(right)
    res = run_go(["list", "-m", "all"], ws, e)
    assert res.returncode == 0, res.stderr
    if before is not None:
        assert (ws / "go.mod").read_text() == before  # go judged the files as written
    build = []
    for line in res.stdout.splitlines():
        parts = line.split()
        build.append((parts[0], parts[1] if len(parts) > 1 and parts[1] != "=>" else ""))
    return build, edges


def our_edges(g: modgraph.ModuleGraph) -> Edges:
    out: Edges = {}
    for m, reqs in g.requires.items():
        if reqs:
            out[(m.path, m.version)] = {(r.path, r.version) for r in reqs}
    for mm in g.main if not g.workspace else ():
        if mm.require:
            out[(mm.path, "")] = {(r.path, r.version) for r in mm.require if r not in mm.exclude}
    return out


def our_view(
    fx: CacheFixture, ws: Path
) -> tuple[list[tuple[str, str]], Edges, modgraph.ModuleGraph]:
    f = parse_mod((ws / "go.mod").read_text(), str(ws / "go.mod"))
    assert f.module is not None
    main = modgraph.main_module(f.module.path, ws, f, ws / "go.mod")
    g = modgraph.load([main], gomods.reader(str(fx.gomodcache), cwd=ws))
    return [(m.path, m.version) for m in g.build_list()], our_edges(g), g


def write_main(ws: Path, go: str | None, *requires: str, extra: str = "") -> None:
    """The workspace's go.mod; its package imports nothing (the graph alone counts)."""
    (ws / "go.mod").write_bytes(gomod("example.com/workspace", go, *requires, extra=extra))
    (ws / "deps.go").write_text("package workspace\n")


def test_pruned_main_module(graph_cache: CacheFixture) -> None:
    ws = graph_cache.workspace
    write_main(ws, "1.21", "example.com/a v1.0.0", "example.com/b v1.0.0")
    go_build, go_edges = go_view(graph_cache, ws)
    build, edges, g = our_view(graph_cache, ws)
    assert build == go_build
    assert edges == go_edges
    # a's requirements are in the graph but not followed; b (unpruned) is followed
    assert ("example.com/c", "v1.2.0") in build
    assert ("example.com/g", "v1.0.0") in build  # through e (read: b is unpruned) -> f
    assert ("example.com/d", "v1.0.0") not in edges  # a is pruned: d's go.mod is not read
    assert g.chain(ModuleVersion("example.com/f", "v1.0.0"))[0] == ModuleVersion(
        "example.com/b", "v1.0.0"
    )


def test_unpruned_main_module(graph_cache: CacheFixture) -> None:
    ws = graph_cache.workspace
    write_main(ws, "1.16", "example.com/a v1.0.0", "example.com/h v1.0.0")
    go_build, go_edges = go_view(graph_cache, ws)
    build, edges, _ = our_view(graph_cache, ws)
    assert build == go_build
    assert edges == go_edges
    assert ("example.com/c", "v1.3.0") in build  # h (no go line) is unpruned


def test_exclude_and_replace(graph_cache: CacheFixture) -> None:
    ws = graph_cache.workspace
    lib = ws.parent / "lib-g"
    lib.mkdir()
    (lib / "go.mod").write_bytes(gomod("example.com/g", "1.21", "example.com/c v1.3.0"))
    (lib / "g.go").write_text("package g\n")
    write_main(
        ws,
        "1.21",
        "example.com/b v1.0.0",
        extra="exclude example.com/c v1.2.0\n"
        "replace example.com/e v1.0.0 => example.com/a v1.0.0\n"
        "replace example.com/g => ../lib-g\n",
    )
    go_build, go_edges = go_view(graph_cache, ws)
    build, edges, g = our_view(graph_cache, ws)
    assert build == go_build
    assert edges == go_edges
    assert g.replacement(ModuleVersion("example.com/e", "v1.0.0")) == ModuleVersion(
        "example.com/a", "v1.0.0"
    )


def test_workspace(graph_cache: CacheFixture) -> None:
    root = graph_cache.workspace.parent / "ws"
    for name, reqs in (("one", ["example.com/a v1.0.0"]), ("two", ["example.com/b v1.0.0"])):
        d = root / name
        d.mkdir(parents=True)
        (d / "go.mod").write_bytes(gomod(f"example.com/{name}", "1.21", *reqs))
        (d / f"{name}.go").write_text(f"package {name}\n")
    (root / "go.work").write_text("go 1.21\n\nuse (\n\t./one\n\t./two\n)\n")
    go_build, go_edges = go_view(graph_cache, root, GOFLAGS="")

    work = parse_work((root / "go.work").read_text(), str(root / "go.work"))
    mains = []
    for use in work.use:
        d = root / use.path
        f = parse_mod((d / "go.mod").read_text(), str(d / "go.mod"))
        assert f.module is not None
        mains.append(modgraph.main_module(f.module.path, d, f, d / "go.mod"))
    g = modgraph.load(
        mains, gomods.reader(str(graph_cache.gomodcache), cwd=root), workspace=True, work_go="1.21"
    )
    assert [(m.path, m.version) for m in g.build_list()] == go_build
    assert our_edges(g) == go_edges


def test_missing_go_mod_stops_the_graph_and_says_where() -> None:
    main = modgraph.MainModule(
        "example.com/m", Path("/m"), "1.21", (ModuleVersion("example.com/x", "v1.0.0"),)
    )

    def read(m: ModuleVersion) -> modgraph.ReadResult:
        return Missing("not in the cache")

    g = modgraph.load([main], read)
    assert g.missing == {ModuleVersion("example.com/x", "v1.0.0"): Missing("not in the cache")}
    assert g.build_list() == [
        ModuleVersion("example.com/m"),
        ModuleVersion("example.com/x", "v1.0.0"),
    ]
    assert g.errors == []


def test_fetched_go_mod_files_take_the_graph_past_the_cache() -> None:
    """What the network part fetched (as data) is read where the cache has nothing;
    the graph loaded again over it keeps the reader of the files on disk."""
    main = modgraph.MainModule(
        "example.com/m", Path("/m"), "1.16", (ModuleVersion("example.com/x", "v1.0.0"),)
    )

    def read(m: ModuleVersion) -> modgraph.ReadResult:
        return Missing("not in the cache")

    g = modgraph.load([main], read)
    fetched = {
        ("example.com/x", "v1.0.0"): gomod("example.com/x", "1.16", "example.com/y v1.2.0"),
    }
    g2 = modgraph.reload(g, gomods.with_fetched(read, fetched))
    assert g2.read is read
    assert list(g2.missing) == [ModuleVersion("example.com/y", "v1.2.0")]
    assert g2.build_list()[1:] == [
        ModuleVersion("example.com/x", "v1.0.0"),
        ModuleVersion("example.com/y", "v1.2.0"),
    ]
    # a fetched go.mod that declares another path is go's error, as from the cache
    bad = {("example.com/x", "v1.0.0"): gomod("example.com/other", "1.16")}
    g3 = modgraph.reload(g, gomods.with_fetched(read, bad))
    assert [e.kind for e in g3.errors] == ["path-mismatch"]


def test_path_mismatch_in_gos_words() -> None:
    main = modgraph.MainModule(
        "example.com/m",
        Path("/m"),
        "1.21",
        (ModuleVersion("example.com/x", "v1.0.0"), ModuleVersion("example.com/y", "v1.0.0")),
    )

    def read(m: ModuleVersion) -> modgraph.ReadResult:
        if m.path == "example.com/x":
            return Summary("example.com/other", "1.21")
        return Unreadable("parsing go.mod: go.mod:3: unknown block type: frob")

    g = modgraph.load([main], read)
    assert [(e.kind, e.message) for e in g.errors] == [
        (
            "path-mismatch",
            "example.com/x@v1.0.0: parsing go.mod:\n"
            "\tmodule declares its path as: example.com/other\n"
            "\t        but was required as: example.com/x",
        ),
        ("parse", "example.com/y@v1.0.0: parsing go.mod: go.mod:3: unknown block type: frob"),
    ]


# --------------------------------------------------------------------------- imports


def doctor(fx: CacheFixture, root: Path, **env: str) -> list[Finding]:
    genv = goenv.load(fx.env_with(**env))
    loc = locate(root, gowork=genv.gowork_setting or genv.GOWORK, goroot=genv.GOROOT or None)
    facts, _ = engine.gather(loc, genv, verify="quick", no_memo=True)
    result = engine.run(facts)
    assert result.internal_errors == []
    return result.findings


def go_build(fx: CacheFixture, root: Path, **env: str) -> tuple[int, str]:
    res = run_go(["build", "./..."], root, fx.env_with(**env))
    return res.returncode, res.stdout + res.stderr


@pytest.mark.parametrize(
    ("flags", "sev", "text"),
    [
        (
            "",
            "error",
            "no required module provides package example.com/e; to add it:\n\tgo get example.com/e",
        ),
        (
            "-mod=readonly",
            "error",
            "cannot find module providing package example.com/e: import lookup disabled by "
            "-mod=readonly",
        ),
        (
            "-mod=mod",
            "error",
            "cannot find module providing package example.com/e: module lookup disabled by "
            "GOPROXY=off",
        ),
    ],
)
def test_import_no_module_provides(
    graph_cache: CacheFixture, flags: str, sev: str, text: str
) -> None:
    ws = graph_cache.workspace
    write_main(ws, "1.21", "example.com/a v1.0.0")
    (ws / "deps.go").write_text(
        'package workspace\n\nimport (\n\t_ "example.com/c"\n\t_ "example.com/e"\n)\n'
    )
    run_go(
        ["mod", "download", "example.com/c@v1.1.0"], ws, graph_cache.env_with(GOFLAGS="-mod=mod")
    )
    code, out = go_build(graph_cache, ws, GOFLAGS=flags)
    assert code != 0
    assert f"deps.go:5:2: {text}" in out or f"deps.go:5:4: {text}" in out, out
    found = [f for f in doctor(graph_cache, ws, GOFLAGS=flags) if f.code == "import-missing"]
    assert [
        (Path(f.path).name, f.range.start.line, f.severity.label, f.message) for f in found
    ] == [("deps.go", 5, sev, text)]
    # example.com/c is in the module graph (a requires it): go finds it, and so do we


def test_import_replaced_but_not_required(graph_cache: CacheFixture) -> None:
    ws = graph_cache.workspace
    lib = ws.parent / "lib-e"
    lib.mkdir()
    (lib / "go.mod").write_text("module example.com/e\n\ngo 1.21\n")
    (lib / "e.go").write_text("package e\n")
    write_main(ws, "1.21", "example.com/a v1.0.0", extra="replace example.com/e => ../lib-e\n")
    (ws / "deps.go").write_text('package workspace\n\nimport _ "example.com/e"\n')
    code, out = go_build(graph_cache, ws, GOFLAGS="")
    text = (
        "module example.com/e provides package example.com/e and is replaced but not "
        "required; to add it:\n\tgo get example.com/e"
    )
    assert code != 0 and text in out, out
    found = doctor(graph_cache, ws, GOFLAGS="")
    assert [
        (f.code, Path(f.path).name, f.range.start.line, f.message)
        for f in found
        if f.severity.label != "information"
    ] == [("import-missing", "deps.go", 3, text)]  # and no advice to remove the replace
    # go get adds the requirement as go says; then go builds, and we are quiet
    (ws / "go.mod").write_text(
        (ws / "go.mod").read_text() + "require example.com/e v0.0.0-00010101000000-000000000000\n"
    )
    assert go_build(graph_cache, ws, GOFLAGS="")[0] == 0
    assert [
        f for f in doctor(graph_cache, ws, GOFLAGS="") if f.severity.label in ("error", "warning")
    ] == []


def test_replace_overridden_by_go_work(graph_cache: CacheFixture) -> None:
    root = graph_cache.workspace.parent / "wsr"
    one = root / "one"
    one.mkdir(parents=True)
    (one / "go.mod").write_text(
        "module example.com/one\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n\n"
        "replace example.com/a => example.com/b v1.0.0\n"
    )
    (one / "one.go").write_text('package one\n\nimport _ "example.com/a"\n')
    (root / "go.work").write_text(
        "go 1.21\n\nuse ./one\n\nreplace example.com/a v1.0.0 => example.com/a v1.0.0\n"
    )
    findings = doctor(graph_cache, root, GOFLAGS="")
    unused = [f for f in findings if f.code == "replace-unused"]
    assert [(Path(f.path).name, f.range.start.line, f.message) for f in unused] == [
        ("go.mod", 7, "example.com/a: overridden by go.work's replace")
    ]


# --------------------------------------------------------------------------- graph errors


@pytest.mark.parametrize("direct", [True, False])
def test_dependency_declares_another_path(graph_cache: CacheFixture, direct: bool) -> None:
    ws = graph_cache.workspace
    if direct:
        write_main(ws, "1.21", "example.com/x v1.0.0")
        (ws / "deps.go").write_text('package workspace\n\nimport _ "example.com/x"\n')
    else:
        write_main(ws, "1.16", "example.com/i v1.0.0")
    res = run_go(["build", "./..."], ws, graph_cache.env_with(GOFLAGS="-mod=mod"))
    assert res.returncode != 0
    found = [
        f for f in doctor(graph_cache, ws, GOFLAGS="-mod=mod") if f.code == "module-path-mismatch"
    ]
    assert len(found) == 1
    f = found[0]
    assert f.range.start.line == 5
    assert f.message in res.stderr.removeprefix("go: ")


def test_module_replacement_declares_another_path(graph_cache: CacheFixture) -> None:
    ws = graph_cache.workspace
    write_main(
        ws,
        "1.21",
        "example.com/e v1.0.0",
        extra="replace example.com/e v1.0.0 => example.com/x v1.0.0\n",
    )
    (ws / "deps.go").write_text('package workspace\n\nimport _ "example.com/e"\n')
    res = run_go(["build", "./..."], ws, graph_cache.env_with(GOFLAGS="-mod=mod"))
    assert res.returncode != 0
    text = (
        "example.com/x@v1.0.0: parsing go.mod:\n"
        "\tmodule declares its path as: example.com/other\n"
        "\t        but was required as: example.com/e"
    )
    assert text in res.stderr
    found = [
        f for f in doctor(graph_cache, ws, GOFLAGS="-mod=mod") if f.code == "module-path-mismatch"
    ]
    # on the replace line (line 6), which names what go read
    assert [(f.range.start.line, f.message) for f in found] == [(6, text)]


def test_sum_lines_of_another_algorithm_do_not_count(graph_cache: CacheFixture) -> None:
    ws = graph_cache.workspace
    write_main(ws, "1.21", "example.com/a v1.0.0")
    (ws / "deps.go").write_text('package workspace\n\nimport _ "example.com/a"\n')
    env = graph_cache.env_with(GOFLAGS="-mod=mod")
    (ws / "go.sum").unlink(missing_ok=True)
    assert run_go(["build", "./..."], ws, env).returncode == 0  # go writes go.sum
    assert [f for f in doctor(graph_cache, ws, GOFLAGS="") if f.code == "sum-missing"] == []
    text = (ws / "go.sum").read_text()
    zip_line = next(line for line in text.splitlines() if "/go.mod" not in line)
    (ws / "go.sum").write_text(text.replace(zip_line, zip_line.replace(" h1:", " h2:")))
    res = run_go(["build", "./..."], ws, graph_cache.env_with(GOFLAGS=""))
    assert res.returncode != 0
    assert "missing go.sum entry for module providing package example.com/a" in res.stderr
    found = [f for f in doctor(graph_cache, ws, GOFLAGS="") if f.code == "sum-missing"]
    assert len(found) == 1
    assert "missing go.sum entry for module providing package example.com/a" in found[0].message


@pytest.mark.parametrize("mode", ["-mod=mod", "workspace"])
def test_missing_sums_that_go_adds_itself_are_information(
    graph_cache: CacheFixture, mode: str
) -> None:
    ws = graph_cache.workspace
    write_main(ws, "1.21", "example.com/a v1.0.0")
    (ws / "deps.go").write_text('package workspace\n\nimport _ "example.com/a"\n')
    (ws / "go.sum").unlink(missing_ok=True)
    root, flags, fills = ws, "-mod=mod", "go.sum"
    if mode == "workspace":
        root, flags, fills = ws.parent, "", "go.work.sum"
        (root / "go.work").write_text(f"go 1.21\n\nuse ./{ws.name}\n")
    found = [f for f in doctor(graph_cache, root, GOFLAGS=flags) if f.code == "sum-missing"]
    assert [(f.severity.label, f.data["fills"]) for f in found] == [("information", fills)]
    assert found[0].message.endswith(f"(the next go command adds them to {fills} itself)")
    assert [
        f for f in doctor(graph_cache, root, GOFLAGS=flags) if f.severity.label == "error"
    ] == []
    # go agrees: it builds, writing the lines; then we are quiet
    res = run_go(["build", "./..."], ws, graph_cache.env_with(GOFLAGS=flags))
    assert res.returncode == 0, res.stderr
    assert (root / fills).exists()
    assert [f for f in doctor(graph_cache, root, GOFLAGS=flags) if f.code == "sum-missing"] == []
    # without either, a missing line stops go: an error
    if mode == "-mod=mod":
        (ws / "go.sum").unlink()
        assert run_go(["build", "./..."], ws, graph_cache.env_with(GOFLAGS="")).returncode != 0
        found = [f for f in doctor(graph_cache, ws, GOFLAGS="") if f.code == "sum-missing"]
        assert [f.severity.label for f in found] == ["error"]


# --------------------------------------------------------------------------- vendoring


def test_vendor_mode_reads_no_cache_and_checks_modules_txt(graph_cache: CacheFixture) -> None:
    ws = graph_cache.workspace
    write_main(ws, "1.21", "example.com/a v1.0.0")
    (ws / "deps.go").write_text('package workspace\n\nimport _ "example.com/a"\n')
    env = graph_cache.env_with(GOFLAGS="-mod=mod")
    (ws / "go.sum").unlink(missing_ok=True)
    assert run_go(["mod", "tidy"], ws, env).returncode == 0
    assert run_go(["mod", "vendor"], ws, env).returncode == 0
    # the default mode is now vendor (go 1.21, a vendor directory): the module cache is
    # not read, so even without it go builds, and there is nothing to say
    make_writable_and_remove(graph_cache.gomodcache)
    res = run_go(["build", "./..."], ws, graph_cache.env_with(GOFLAGS=""))
    assert res.returncode == 0, res.stderr
    assert [
        f for f in doctor(graph_cache, ws, GOFLAGS="") if f.severity.label != "information"
    ] == []

    # go.mod changed, vendor/modules.txt not: go's inconsistent vendoring, line by line
    write_main(
        ws,
        "1.21",
        "example.com/a v1.0.0",
        "example.com/b v1.0.0",
        extra="replace example.com/c v1.1.0 => example.com/c v1.2.0\n",
    )
    (ws / "deps.go").write_text('package workspace\n\nimport _ "example.com/a"\n')
    res = run_go(["build", "./..."], ws, graph_cache.env_with(GOFLAGS=""))
    assert res.returncode != 0
    found = [f for f in doctor(graph_cache, ws, GOFLAGS="") if f.severity.label == "error"]
    assert [(f.code, f.range.start.line, f.data["detail"]) for f in found] == [
        (
            "vendor-inconsistent",
            6,
            "is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt",
        ),
        (
            "vendor-inconsistent",
            7,
            "is replaced in go.mod, but not marked as replaced in vendor/modules.txt",
        ),
    ]
    for f in found:
        assert f"\n\t{f.module}@{f.version}: {f.data['detail']}" in res.stderr
        assert f.message.startswith(f"inconsistent vendoring in {ws}:")
        assert f.message.endswith("To sync the vendor directory, run:\n\t\tgo mod vendor")
    assert f"go: inconsistent vendoring in {ws}:" in res.stderr
    # -mod=readonly sets vendoring aside: no vendor findings then
    assert [
        f
        for f in doctor(graph_cache, ws, GOFLAGS="-mod=readonly")
        if f.code == "vendor-inconsistent"
    ] == []


# --------------------------------------------------------------------------- go.mod reading


@pytest.mark.parametrize("source", gocorpus.source_params())
def test_fast_summary_agrees_with_the_parser(source: str) -> None:
    """The plain-go.mod fast path gives what the full lax parser gives, or steps aside."""
    fast = 0
    for f in gocorpus.files(source, "mod"):
        got = gomods._fast_summary(f.text)
        if got is None:
            continue
        fast += 1
        parsed = parse_mod(f.text, "go.mod", lax=True)
        assert not parsed.go_errors, f.id
        assert got == Summary.of(parsed), f.id
    assert fast > 20  # plain go.mod files take the fast path


def test_fast_summary_steps_aside() -> None:
    for text in (
        "// Deprecated: use v2\nmodule m\n",
        'module "m"\n',
        "module m\nrequire x v1.2\n",
        "module m\nrequire (\nx v1.0.0\n",
        "module m\nreplace x => ../x\n",
        "module m\ngo 1.21 extra\n",
    ):
        assert gomods._fast_summary(text) is None, text
    assert gomods._fast_summary(
        "module m // comment\n\ngo 1.21\n\nrequire (\n\tx v1.0.0 // indirect\n)\nrequire y v0.1.0\n"
    ) == Summary("m", "1.21", (ModuleVersion("x", "v1.0.0"), ModuleVersion("y", "v0.1.0")))
