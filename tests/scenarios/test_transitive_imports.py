"""The transitive import graph: modules that dependencies' packages import need their zip.

The workspace imports ``example.com/a``, whose package imports ``example.com/b``, whose
package imports ``example.com/c/pkg``. What the go command loads for ``go build ./...``
and ``go test ./...`` is the oracle: a's test file importing ``example.com/d``, a's
package nobody imports (``example.com/a/unused``, importing ``example.com/e``) and a's
``//go:build ignore`` file (importing ``example.com/f``) make nothing needed; b's and
c's go.sum lines and cached zips are needed, and go's errors name the importer.

The go command runs only in the fixtures' isolated environments (GOPROXY=off, or a
127.0.0.1 proxy).
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gomod_doctor import engine
from gomod_doctor.cache.layout import module_files
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv import env as goenv
from gomod_doctor.workspace import imports as imports_mod
from gomod_doctor.workspace.discover import locate
from gomod_doctor.workspace.imports import (
    BuildModule,
    ImportSite,
    never_built,
    transitive_imports,
)
from gomod_doctor.workspace.imports import transitive as imports_transitive
from goproxy import CacheFixture, GoProxy, ModuleSpec, make_writable_and_remove
from gotool import run_go

V = "v1.0.0"


def modules() -> list[ModuleSpec]:
    return [
        ModuleSpec(
            "example.com/a",
            V,
            {
                "go.mod": (
                    b"module example.com/a\n\ngo 1.21\n\nrequire (\n\texample.com/b v1.0.0\n"
                    b"\texample.com/d v1.0.0\n\texample.com/e v1.0.0\n\texample.com/f v1.0.0\n)\n"
                ),
                "a.go": b'package a\n\nimport _ "example.com/b"\n',
                "a_test.go": b'package a\n\nimport _ "example.com/d"\n',
                "gen.go": b'//go:build ignore\n\npackage main\n\nimport _ "example.com/f"\n',
                "unused/unused.go": b'package unused\n\nimport _ "example.com/e"\n',
            },
        ),
        ModuleSpec(
            "example.com/b",
            V,
            {
                "go.mod": b"module example.com/b\n\ngo 1.21\n\nrequire example.com/c v1.0.0\n",
                # (no standard library import: go build would compile it, seconds)
                "b.go": b'package b\n\nimport (\n\t_ "example.com/c/pkg"\n)\n',
            },
        ),
        ModuleSpec("example.com/c", V, {"pkg/pkg.go": b"package pkg\n"}),
        ModuleSpec("example.com/d", V, {"d.go": b"package d\n"}),
        ModuleSpec("example.com/e", V, {"e.go": b"package e\n"}),
        ModuleSpec("example.com/f", V, {"f.go": b"package f\n"}),
    ]


# As go mod tidy writes it, plus d, e and f (in the module graph through a's go.mod) so
# that they are in our build list too: only the imports decide whether their zip counts.
GO_MOD = """module example.com/workspace

go 1.21

require example.com/a v1.0.0

require (
\texample.com/b v1.0.0 // indirect
\texample.com/c v1.0.0 // indirect
\texample.com/d v1.0.0 // indirect
\texample.com/e v1.0.0 // indirect
\texample.com/f v1.0.0 // indirect
)
"""
LINE = {"example.com/b": 8, "example.com/c": 9}


@dataclass
class Tx:
    fx: CacheFixture

    @property
    def ws(self) -> Path:
        return self.fx.workspace

    def extracted(self, path: str) -> Path:
        return Path(module_files(self.fx.gomodcache, path, V).extracted_dir)

    def gather(self, verify: engine.VerifyLevel = "quick", **env: str) -> Facts:
        # the go command's mode as :meth:`go` runs it unless a test says otherwise
        genv = goenv.load(self.fx.env_with(**{"GOFLAGS": "-mod=readonly", **env}))
        loc = locate(self.ws, gowork=genv.gowork_setting or genv.GOWORK, goroot=genv.GOROOT)
        facts, _ = engine.gather(loc, genv, verify=verify, no_memo=True)
        return facts

    def doctor(self, verify: engine.VerifyLevel = "quick", **env: str) -> list[Finding]:
        result = engine.run(self.gather(verify, **env))
        assert result.internal_errors == []
        return result.findings

    def go(self, *args: str, mod: str = "readonly", **env: str) -> tuple[int, str]:
        e = self.fx.env_with(**env)
        e["GOFLAGS"] = f"-mod={mod}"
        res = run_go(list(args), self.ws, e)
        return res.returncode, res.stdout + res.stderr

    def drop_sum(self, prefix: str) -> None:
        p = self.ws / "go.sum"
        lines = p.read_text().splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith(prefix)]
        assert len(kept) == len(lines) - 1
        p.write_text("".join(kept))

    def uncache(self, path: str) -> None:
        """Remove the zip, its .ziphash and the extracted dir (the .mod stays)."""
        f = module_files(self.fx.gomodcache, path, V)
        os.unlink(f.zip)
        os.unlink(f.ziphash)
        make_writable_and_remove(f.extracted_dir)

    def shown(self, file: Path) -> str:
        """A file as go build prints it from the workspace (base.ShortPath)."""
        rel = os.path.relpath(file, self.ws)
        return rel if len(rel) < len(str(file)) else str(file)


@pytest.fixture
def tx(make_cache: Callable[..., CacheFixture]) -> Tx:
    mods = modules()
    fx = make_cache(mods, [(m.path, m.version) for m in mods])
    (fx.workspace / "go.mod").write_text(GO_MOD)
    (fx.workspace / "deps.go").write_text('package workspace\n\nimport _ "example.com/a"\n')
    return Tx(fx)


def where(f: Finding) -> tuple[str, int, Severity, str]:
    return (f.code, f.range.start.line, f.severity, f.module or "")


# --------------------------------------------------------------------------- with go


def test_intact_graph_needs_the_zips_of_a_b_c_only(tx: Tx) -> None:
    facts = tx.gather("full")
    zips = sorted(n.path for n in facts.needs.needs.values() if n.needs_zip)
    assert zips == ["example.com/a", "example.com/b", "example.com/c"]
    assert engine.run(facts).findings == []

    (b,) = [n for n in facts.needs.needs.values() if n.path == "example.com/b"]
    assert b.import_sites == [
        ImportSite(
            tx.extracted("example.com/a") / "a.go", 3, 10, "example.com/b", "example.com/a", V
        )
    ]
    assert b.import_sites[0].transitive and not b.import_sites[0].test
    (c,) = [n for n in facts.needs.needs.values() if n.path == "example.com/c"]
    assert [(s.file.name, s.line, s.column, s.package, s.importer) for s in c.import_sites] == [
        ("b.go", 4, 4, "example.com/c/pkg", "example.com/b")
    ]
    # Sites are at the path literal; go's messages point at the import spec (3:8, 4:2).
    # The workspace's own import stays a plain ImportSite.
    (a,) = [n for n in facts.needs.needs.values() if n.path == "example.com/a"]
    assert a.import_sites == [ImportSite(tx.ws / "deps.go", 3, 10)]

    graph = facts.needs.transitive
    assert graph is not None
    assert graph.packages == ["example.com/a", "example.com/b", "example.com/c/pkg"]
    assert graph.chain("example.com/c/pkg") == [
        "example.com/a",
        "example.com/b",
        "example.com/c/pkg",
    ]
    assert graph.unread == {} and graph.errors == []

    assert tx.go("build", "./...") == (0, "")
    # With verify off nothing of the module cache is read: only direct imports count.
    off = tx.gather("off")
    assert off.needs.transitive is None
    assert sorted(n.path for n in off.needs.needs.values() if n.needs_zip) == ["example.com/a"]


def test_full_verification_reports_only_the_dirs_the_build_needs(tx: Tx) -> None:
    """Full verification hashes every extracted dir of the build list, as go mod
    verify does, but a modified dir is a finding only where the build uses it: b's
    (imported through a), not d's (in the build list, imported by a test of a only)."""
    for path in ("example.com/b", "example.com/d"):
        d = tx.extracted(path)
        os.chmod(d, 0o755)
        (d / "extra.go").write_text("package x\n")
    facts = tx.gather("full")
    assert facts.full is not None
    full_b, full_d = facts.full[("example.com/b", V)], facts.full[("example.com/d", V)]
    assert full_b.dir_checked and full_b.diff is not None and full_b.diff.added == ["extra.go"]
    assert not full_d.dir_checked and full_d.dir_h1 is None and full_d.diff is None
    assert full_d.zip_h1 is not None  # its zip is still verified
    modified = [f for f in engine.run(facts).findings if f.code == "cache-modified"]
    assert [f.module for f in modified] == ["example.com/b"]
    # go mod verify checks every dir present; go build uses b's modified copy silently
    code, out = tx.go("mod", "verify")
    assert code == 1 and "example.com/b v1.0.0: dir has been modified" in out
    assert "example.com/d v1.0.0: dir has been modified" in out


@pytest.mark.parametrize(
    ("path", "package", "importer", "file", "pos"),
    [
        ("example.com/b", "example.com/b", "example.com/a", "a.go", "3:8"),
        ("example.com/c", "example.com/c/pkg", "example.com/b", "b.go", "4:2"),
    ],
    ids=["b", "c"],
)
def test_sum_missing_for_a_transitive_provider_in_gos_words(
    tx: Tx, path: str, package: str, importer: str, file: str, pos: str
) -> None:
    tx.drop_sum(f"{path} {V} ")
    findings = tx.doctor()
    assert [where(f) for f in findings] == [("sum-missing", LINE[path], Severity.ERROR, path)]
    f = findings[0]
    go_text = (
        f"missing go.sum entry for module providing package {package} (imported by "
        f"{importer}); to add:\n\tgo get {importer}@{V}"
    )
    assert f.message == go_text
    assert f.data["lines"] == [{"kind": "zip", "line": f"{path} {V}", "package": package}]
    assert f.fixes == ("download",)

    rc, out = tx.go("build", "./...")
    assert rc == 1
    importer_file = tx.extracted(importer) / file
    assert out == f"{tx.shown(importer_file)}:{pos}: {go_text}\n"
    # go's own fix, offline, puts the line back; then neither of us complains.
    assert tx.go("get", f"{importer}@{V}", mod="mod") == (0, "")
    assert tx.doctor() == []
    assert tx.go("build", "./...") == (0, "")


def test_cache_missing_for_a_transitive_provider(tx: Tx) -> None:
    tx.uncache("example.com/c")
    findings = tx.doctor()
    # GOPROXY=off: go cannot fetch it, and the setting's finding says so, in go's words
    assert [where(f) for f in findings] == [
        ("proxy-config", LINE["example.com/c"], Severity.ERROR, "example.com/c")
    ]
    assert findings[0].message.endswith(
        ": example.com/c@v1.0.0: module lookup disabled by GOPROXY=off"
    )
    rc, out = tx.go("build", "./...")
    assert rc == 1
    b_go = tx.shown(tx.extracted("example.com/b") / "b.go")
    assert out.endswith(f"{b_go}:4:2: module lookup disabled by GOPROXY=off\n")

    with GoProxy(modules()) as proxy:
        summary, f = tx.doctor(GOPROXY=proxy.url)  # the module line first
        assert (f.code, f.severity) == ("cache-missing", Severity.HINT)
        assert (summary.code, summary.severity) == ("cache-missing-summary", Severity.INFORMATION)
        assert f.message == (
            "example.com/c@v1.0.0 is not in the module cache: the next build will download "
            f"its source zip from {proxy.url}"
        )
        assert tx.go("build", "./...", GOPROXY=proxy.url)[0] == 0
    assert tx.doctor() == []


def test_walk_stops_at_a_module_not_on_disk(tx: Tx) -> None:
    tx.uncache("example.com/b")
    tx.uncache("example.com/c")
    facts = tx.gather()
    # b's files are gone: what its package imports is unknown (go downloads b first).
    assert [where(f) for f in engine.run(facts).findings] == [
        ("proxy-config", LINE["example.com/b"], Severity.ERROR, "example.com/b")
    ]
    assert facts.needs.transitive is not None
    assert facts.needs.transitive.unread == {"example.com/b": ["example.com/b"]}
    rc, out = tx.go("build", "./...")
    assert rc == 1
    a_go = tx.shown(tx.extracted("example.com/a") / "a.go")
    assert out.endswith(f"{a_go}:3:8: module lookup disabled by GOPROXY=off\n")


@pytest.mark.parametrize(
    "path",
    ["example.com/d", "example.com/e", "example.com/f"],
    ids=["dependency-test-file", "package-nobody-imports", "go-build-ignore"],
)
def test_imports_go_never_loads_need_nothing(tx: Tx, path: str) -> None:
    tx.uncache(path)
    tx.drop_sum(f"{path} {V} ")
    facts = tx.gather("full")
    assert not any(n.needs_zip for n in facts.needs.needs.values() if n.path == path)
    assert engine.run(facts).findings == []
    # go agrees, offline, even allowed to fix go.mod and go.sum, for build and test.
    for mod in ("mod", "readonly"):
        assert tx.go("build", "./...", mod=mod) == (0, "")
        rc, out = tx.go("test", "./...", mod=mod)
        assert (rc, out) == (0, "?   \texample.com/workspace\t[no test files]\n")
    assert not tx.extracted(path).exists()


def test_directory_replacement_is_walked_and_named_at_its_version(tx: Tx) -> None:
    local = tx.fx.root / "localb"
    shutil.copytree(tx.extracted("example.com/b"), local)
    for p in (local, *local.iterdir()):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    (tx.ws / "go.mod").write_text(GO_MOD + "\nreplace example.com/b v1.0.0 => ../localb\n")
    tx.drop_sum(f"example.com/c {V} ")
    (f,) = tx.doctor()
    go_text = (
        "missing go.sum entry for module providing package example.com/c/pkg (imported by "
        "example.com/b); to add:\n\tgo get example.com/b@v1.0.0"
    )
    assert (f.code, f.range.start.line, f.message) == ("sum-missing", 9, go_text)
    assert tx.go("build", "./...") == (1, f"../localb/b.go:4:2: {go_text}\n")


SPLIT_GO_MOD = """module example.com/workspace

go 1.21

require (
\texample.com/g v1.0.0
\texample.com/x v1.0.0
\texample.com/x/sub v1.0.0
)
"""


@pytest.mark.parametrize(
    ("imported", "importer", "at", "shown"),
    [
        ("example.com/g", "example.com/g", "@v1.0.0", "g.go"),
        ("example.com/x/sub/p", "example.com/workspace", "", "deps.go"),
    ],
    ids=["transitive", "direct"],
)
def test_sum_missing_for_a_module_that_does_not_provide_the_package(
    make_cache: Callable[..., CacheFixture], imported: str, importer: str, at: str, shown: str
) -> None:
    """A split module: example.com/x/sub/p is in example.com/x/sub, but go must look
    inside example.com/x too; without x's zip line it says so in other words."""
    mods = [
        ModuleSpec("example.com/x", V, {"x.go": b"package x\n"}),
        ModuleSpec("example.com/x/sub", V, {"p/p.go": b"package p\n"}),
        ModuleSpec(
            "example.com/g",
            V,
            {
                "go.mod": b"module example.com/g\n\ngo 1.21\n\nrequire example.com/x/sub v1.0.0\n",
                "g.go": b'package g\n\nimport _ "example.com/x/sub/p"\n',
            },
        ),
    ]
    t = Tx(make_cache(mods, [(m.path, m.version) for m in mods]))
    (t.ws / "go.mod").write_text(SPLIT_GO_MOD)
    (t.ws / "deps.go").write_text(f'package workspace\n\nimport _ "{imported}"\n')
    assert t.doctor() == []
    t.drop_sum(f"example.com/x {V} ")
    findings = t.doctor()
    assert [where(f) for f in findings] == [("sum-missing", 7, Severity.ERROR, "example.com/x")]
    go_text = (
        "missing go.sum entry needed to verify package example.com/x/sub/p (imported by "
        f"{importer}) is provided by exactly one module; to add:\n\tgo get {importer}{at}"
    )
    assert findings[0].message == go_text
    rc, out = t.go("build", "./...")
    file = t.ws / shown if shown == "deps.go" else t.extracted("example.com/g") / shown
    assert (rc, out) == (1, f"{t.shown(file)}:3:8: {go_text}\n")


# --------------------------------------------------------------------------- unit


def _write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def _imports(*paths: str) -> str:
    return "package p\n\nimport (\n" + "".join(f'\t"{p}"\n' for p in paths) + ")\n"


def test_transitive_imports_walk(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    a, b, c = cache / "a", cache / "b", cache / "c"
    _write(a, "a.go", _imports("fmt", "x.org/b/sub", "x.org/a/inner"))
    _write(a, "inner/i.go", _imports("x.org/c"))
    _write(a, "a_test.go", _imports("x.org/testonly"))
    _write(a, "_skip.go", _imports("x.org/underscore"))
    _write(a, ".hidden.go", _imports("x.org/dot"))
    _write(a, "unused/u.go", _imports("x.org/unused"))
    _write(b, "sub/s.go", _imports("x.org/a", "x.org/gone/pkg", "example.com/ws/lib"))
    _write(c, "c.go", "//go:build linux && !ignore\n\n" + _imports("x.org/b/sub"))
    _write(c, "c_windows.go", _imports("x.org/tagged"))
    _write(c, "gen.go", '// +build ignore\n\npackage main\n\nimport _ "x.org/ignored"\n')
    build = {
        "x.org/a": BuildModule("v1.0.0", a),
        "x.org/b": BuildModule("v1.1.0", b),
        "x.org/c": BuildModule("v1.2.0", c),
        "x.org/gone": BuildModule("v1.0.0", cache / "absent"),
        "x.org/none": BuildModule("v1.0.0", None),
        **{p: BuildModule("v1.0.0", cache / p) for p in ("x.org/testonly", "x.org/unused")},
        **{p: BuildModule("v1.0.0", cache / p) for p in ("x.org/underscore", "x.org/dot")},
        **{p: BuildModule("v1.0.0", cache / p) for p in ("x.org/ignored", "x.org/tagged")},
        "example.com/ws": BuildModule("", tmp_path / "ws"),
    }
    g = transitive_imports(
        ["x.org/a", "fmt", "example.com/ws"], build, main_modules=["example.com/ws"]
    )
    assert g.packages == ["x.org/a", "x.org/b/sub", "x.org/a/inner", "x.org/c"]
    assert g.importers == {
        "x.org/a": None,
        "x.org/b/sub": "x.org/a",
        "x.org/a/inner": "x.org/a",
        "x.org/c": "x.org/a/inner",
    }
    assert g.chain("x.org/c") == ["x.org/a", "x.org/a/inner", "x.org/c"]
    # Build constraints other than "ignore" are not evaluated: c_windows.go counts.
    assert sorted(g.needed) == ["x.org/a", "x.org/b", "x.org/c", "x.org/gone", "x.org/tagged"]
    assert [
        (s.file.name, s.line, s.package, s.importer, s.importer_version)
        for s in g.needed["x.org/a"]
    ] == [
        ("a.go", 6, "x.org/a/inner", "x.org/a", "v1.0.0"),
        ("s.go", 4, "x.org/a", "x.org/b/sub", "v1.1.0"),
    ]
    assert g.unread == {"x.org/gone": ["x.org/gone/pkg"], "x.org/tagged": ["x.org/tagged"]}
    assert g.providers == {
        "x.org/a": "x.org/a",
        "x.org/b/sub": "x.org/b",
        "x.org/a/inner": "x.org/a",
        "x.org/c": "x.org/c",
    }
    assert g.errors == []


def test_transitive_imports_local_tree_and_longest_module(tmp_path: Path) -> None:
    local = tmp_path / "local"
    _write(local, "l.go", _imports("x.org/l/nested", "x.org/l/plain", "x.org/l/v2/p"))
    _write(local, "nested/go.mod", "module x.org/l/nested\n")
    _write(local, "nested/n.go", _imports("x.org/never"))
    _write(local, "plain/p.go", _imports("x.org/n2"))
    v2 = tmp_path / "v2"
    _write(v2, "p/p.go", "package p\n")
    _write(local, "v2/p/p.go", _imports("x.org/shadowed"))  # also in x.org/l: ambiguous
    build = {
        "x.org/l": BuildModule("v0.1.0", local, local=True),
        "x.org/l/v2": BuildModule("v2.0.0", v2),
        **{p: BuildModule("v1.0.0", None) for p in ("x.org/never", "x.org/n2", "x.org/shadowed")},
    }
    g = transitive_imports(["x.org/l"], build)
    # The nested module's package is not x.org/l's; the longest module wins.
    assert g.providers == {
        "x.org/l": "x.org/l",
        "x.org/l/plain": "x.org/l",
        "x.org/l/v2/p": "x.org/l/v2",
    }
    assert sorted(g.needed) == ["x.org/l", "x.org/l/v2", "x.org/n2"]
    assert g.unread == {"x.org/n2": ["x.org/n2"]}


@pytest.mark.parametrize(
    ("src", "never"),
    [
        ("package p\n", False),
        ("//go:build ignore\n\npackage main\n", True),
        ("//go:build ignore\npackage main\n", True),  # no blank line needed for //go:build
        ("// Copyright\n\n//go:build ignore\n\n// Doc.\npackage main\n", True),
        ("//go:build !ignore\n\npackage p\n", False),
        ("//go:build linux && !windows\n\npackage p\n", False),
        ("//go:build ignore || linux\n\npackage p\n", False),
        ("//go:build ignore && linux\n\npackage p\n", True),
        ("//go:build !(linux || !ignore)\n\npackage p\n", True),
        ("//go:build !linux\n\npackage p\n", False),  # every tag may be true or false
        ("//go:build linux &&\n\npackage p\n", True),  # malformed: never built
        ("//go:build\n\npackage p\n", True),
        ("//go:build linux\n//go:build darwin\n\npackage p\n", True),  # two lines
        ("//go:buildignore\n\npackage p\n", False),  # not a constraint
        ("/* x */ //go:build ignore\n\npackage p\n", False),
        ("/*\n//go:build ignore\n*/\n\npackage p\n", False),
        ("// +build ignore\n\npackage main\n", True),
        ("// +build ignore\npackage main\n", False),  # +build needs the blank line
        ("// +build linux ignore\n\npackage p\n", False),
        ("// +build linux,ignore\n\npackage p\n", True),
        ("// +build !ignore\n\npackage p\n", False),
        ("// +build\n\npackage p\n", True),
        ("// +build !!x\n\npackage p\n", True),
        ("//go:build linux\n// +build ignore\n\npackage p\n", False),  # //go:build wins
        ("\ufeff//go:build ignore\n\npackage main\n", True),
        ("package p // +build ignore\n", False),
    ],
)
def test_never_built(src: str, never: bool) -> None:
    assert never_built(src.encode()) is never


def test_scale_reads_only_what_is_imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """250 modules of 24 packages (6000 packages, 18000 files): the walk from the
    workspace's imports reads the ~1200 packages reached only, each once (how fast is
    make bench's business, never a timed assertion)."""
    rng = random.Random(7)
    n_mods, n_pkgs = 250, 24
    build: dict[str, BuildModule] = {"example.com/testonly": BuildModule("v1.0.0", tmp_path)}
    edges: dict[str, list[str]] = {}
    header = "// Copyright 2024 The Authors.\n// License: BSD.\n\n"
    for m in range(n_mods):
        path = f"example.com/m{m}"
        root = tmp_path / f"m{m}@v1.0.0"
        build[path] = BuildModule("v1.0.0", root)
        for k in range(n_pkgs):
            # A layered graph: imports of later modules' packages p0..p7 (p8.. are
            # imported by nobody).
            deps = [
                f"example.com/m{rng.randrange(m + 1, n_mods)}/p{rng.randrange(8)}"
                for _ in range(4 if m < n_mods - 1 else 0)
            ]
            edges[f"{path}/p{k}"] = deps
            d = root / f"p{k}"
            d.mkdir(parents=True)
            (d / "a.go").write_text(header + _imports("fmt", "strings", "os", "sort", *deps[:2]))
            (d / "b.go").write_text(header + _imports("sync", *deps[2:]) + "var X = 1\n" * 40)
            (d / "a_test.go").write_text(_imports("testing", "example.com/testonly"))
    direct = ["fmt", *(f"example.com/m{m}/p{k}" for m in range(8) for k in range(4))]
    want: set[str] = set()
    todo = [p for p in direct if p in edges]
    while todo:
        p = todo.pop()
        if p not in want:
            want.add(p)
            todo.extend(edges[p])
    assert len(want) > 1000

    g = transitive_imports(direct, build)
    assert set(g.packages) == want
    assert "example.com/testonly" not in g.needed

    opened: list[str] = []
    real = imports_transitive._read_head

    def counting(path: str | os.PathLike[str]) -> tuple[bytes, list[imports_mod.ImportSpec]]:
        opened.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(imports_transitive, "_read_head", counting)
    assert transitive_imports(direct, build) == g
    assert len(opened) == len(set(opened)) == 2 * len(want)  # a.go and b.go of each
