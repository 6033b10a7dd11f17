"""gomod_doctor.workspace.imports: reading imports, walking a module, needed modules.

Three oracles besides the tables written here:

- the go command's own import reader (``cmd/go/internal/imports/read.go``, copied
  from GOROOT into a tiny program, built with the shared test build cache), fed the
  table inputs and random token soup;
- ``go list`` on a module tree: ``./...`` for the walk (which directories and files
  count), and ``go list <files of one directory>`` for the imports, since naming
  files makes go use every file whatever its build constraints (``UseAllFiles``),
  which is the "every .go file counts" rule; unresolvable imports' ``DepsErrors``
  give positions to check lines and columns against;
- ``go list`` on a workspace with overlapping modules, showing that every module
  whose path prefixes an import is needed (ambiguous import, missing replacement).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gomod_doctor.workspace import imports as imports_mod
from gomod_doctor.workspace.imports import (
    ImportSite,
    ImportSpec,
    ModuleImports,
    modules_for_import,
    needed_modules,
    read_imports,
    read_imports_file,
    scan_module_imports,
)
from gomod_doctor.workspace.imports import reader as imports_reader
from gomod_doctor.workspace.imports import scan as imports_scan
from gotool import GOROOT, isolated_env, run_go
from xmod_oracle import _gocache

# --- read_imports: tables ------------------------------------------------------------

# (id, source, [(path, line, column, name)])
CASES: list[tuple[str, bytes, list[tuple[str, int, int, str | None]]]] = [
    ("single", b'package p\nimport "fmt"\n', [("fmt", 2, 8, None)]),
    ("no imports", b"package p\n\nfunc f() {}\n", []),
    ("empty", b"", []),
    ("only comments", b"// a\n/* b */\n", []),
    (
        "names",
        b'package p\nimport x "a.b/x"\nimport . "a.b/dot"\nimport _ "a.b/blank"\n',
        [("a.b/x", 2, 10, "x"), ("a.b/dot", 3, 10, "."), ("a.b/blank", 4, 10, "_")],
    ),
    (
        "group",
        b'package p\n\nimport (\n\t"fmt"\n\n\tf "a.b/f" // trailing\n\t// own line\n'
        b'\t. "a.b/d"\n\t_ "a.b/u"\n)\n\nfunc main() {}\n',
        [("fmt", 4, 2, None), ("a.b/f", 6, 4, "f"), ("a.b/d", 8, 4, "."), ("a.b/u", 9, 4, "_")],
    ),
    ("empty group", b'package p\nimport ()\nimport "x.y/z"\n', [("x.y/z", 3, 8, None)]),
    (
        "several decls",
        b'package p\nimport "a"\nimport ("b"; "c")\nimport "d"\nvar x = 1\n',
        [("a", 2, 8, None), ("b", 3, 9, None), ("c", 3, 14, None), ("d", 4, 8, None)],
    ),
    (
        "block comments between every token",
        b'/*a*/package/*b*/p/*c*/import/*d*/(/*e*/x/*f*/"a.b/x"/*g*/;/*h*/./*i*/"y"/*j*/)',
        [("a.b/x", 1, 47, "x"), ("y", 1, 71, ".")],
    ),
    (
        "multi-line block comments",
        b'package p /* one\n two */ import /*\n*/ (\n/* "not/an/import" */ "a"\n)\n',
        [("a", 4, 23, None)],
    ),
    ("star slash lookalikes", b'package p\n/* a * / b **/ import "a" /***/', [("a", 2, 23, None)]),
    (
        "line comments",
        b'// Package p.\npackage p // p\n// import "no"\nimport ( // (\n"a" // "b"\n)\n',
        [("a", 5, 1, None)],
    ),
    ("comment at EOF", b'package p\nimport "a" // end', [("a", 2, 8, None)]),
    ("semicolons", b'package p;import "a";import "b";', [("a", 1, 18, None), ("b", 1, 29, None)]),
    (
        "raw strings",
        b"package p\nimport (\n\t`a.b/raw`\n\tr `a.b/r`\n)\n",
        [("a.b/raw", 3, 2, None), ("a.b/r", 4, 4, "r")],
    ),
    ("raw string with CR", b"package p\nimport `a.b/\rc`\n", [("a.b/c", 2, 8, None)]),
    (
        "escapes",
        b'package p\nimport (\n"a.b/\\x63"\n"a.b/\\u00e9"\n"a.b/\\143"\n"a\\"q"\n)\n',
        [
            ("a.b/c", 3, 1, None),
            ("a.b/\u00e9", 4, 1, None),
            ("a.b/c", 5, 1, None),
            ('a"q', 6, 1, None),
        ],
    ),
    (
        "invalid escape is skipped, reading goes on",
        b'package p\nimport (\n"a\\q"\n"b"\n)\n',
        [("b", 4, 1, None)],
    ),
    (
        "cgo preamble",
        b'package p\n\n/*\n#include <stdio.h>\n#cgo LDFLAGS: -lm\n*/\nimport "C"\n'
        b'\nimport "a.b/c"\n\nfunc f() { C.puts(nil) }\n',
        [("C", 7, 8, None), ("a.b/c", 9, 8, None)],
    ),
    ("BOM", b'\xef\xbb\xbfpackage p\nimport "a"\n', [("a", 2, 8, None)]),
    ("BOM only at start", b'package p\n\xef\xbb\xbfimport "a"\n', []),
    (
        "CRLF",
        b'package p\r\nimport (\r\n\t"a"\r\n\t"b"\r\n)\r\n',
        [("a", 3, 2, None), ("b", 4, 2, None)],
    ),
    (
        "stops at first other declaration",
        b'package p\nimport "a"\nfunc init() {}\nimport "b"\n',
        [("a", 2, 8, None)],
    ),
    ("stops at const", b'package p\nimport "a"\nconst c = "x"\n', [("a", 2, 8, None)]),
    ("identifier starting with i", b'package p\nimport "a"\nimportant := 1\n', [("a", 2, 8, None)]),
    (
        "unicode identifiers",
        b'package \xc3\xa9\nimport \xc3\xb1 "a.b/n"\n',
        [("a.b/n", 2, 11, "\xf1")],
    ),
    # non-UTF-8: bytes >= 0x80 are identifier bytes; in a path they become U+FFFD (Unquote)
    ("non-UTF-8 package name", b'package \xff\xfe\nimport "a"\n', [("a", 2, 8, None)]),
    ("non-UTF-8 comment", b'package p // \xff\nimport "a" /* \xfe */\n', [("a", 2, 8, None)]),
    ("non-UTF-8 path", b'package p\nimport "a.b/\xff"\n', [("a.b/\ufffd", 2, 8, None)]),
    ("non-UTF-8 escape", b'package p\nimport "a.b/\\xff"\n', [("a.b/\udcff", 2, 8, None)]),
    ("non-UTF-8 raw", b"package p\nimport `a.b/\xff`\n", [("a.b/\udcff", 2, 8, None)]),
    # syntax errors: what was read before the error is kept
    ("no package clause", b'import "a"\n', []),
    ("packagex", b'packagex p\nimport "a"\n', []),
    ("package without name", b'package\nimport "a"\n', []),
    ("package name is a string", b'package "p"\nimport "a"\n', []),
    ("truncated package", b"pack", []),
    ("import without spec", b'package p\nimport "a"\nimport', [("a", 2, 8, None)]),
    ("importx", b'package p\nimport "a"\nimportx "b"\n', [("a", 2, 8, None)]),
    ("two names", b'package p\nimport "a"\nimport x y "b"\nimport "c"', [("a", 2, 8, None)]),
    ("double dot", b'package p\nimport .. "a"\n', []),
    ("stray slash", b'package p\nimport "a"\nimport / "b"\n', [("a", 2, 8, None)]),
    ("newline in string", b'package p\nimport (\n"a"\n"b\n"\n"c"\n)\n', [("a", 3, 1, None)]),
    ("unterminated string", b'package p\nimport ("a"; "b', [("a", 2, 9, None)]),
    ("unterminated raw string", b'package p\nimport ("a"; `b\n', [("a", 2, 9, None)]),
    (
        "unterminated group",
        b'package p\nimport (\n"a"\n"b"\n',
        [("a", 3, 1, None), ("b", 4, 1, None)],
    ),
    ("unterminated comment", b'package p\nimport "a"\n/* import "b"', [("a", 2, 8, None)]),
    ("unterminated comment in group", b'package p\nimport ("a" /* "b" )', [("a", 2, 9, None)]),
    ("group junk", b'package p\nimport ("a"; 1 + 2; "b")\n', [("a", 2, 9, None)]),
    ("number as name", b'package p\nimport 1 "a"\n', [("a", 2, 10, "1")]),
    ("NUL stops reading", b'package p\nimport "a"\n\x00import "b"\n', [("a", 2, 8, None)]),
    ("NUL in string", b'package p\nimport ("a"; "b\x00c"; "d")\n', [("a", 2, 9, None)]),
    ("backslash newline in string", b'package p\nimport ("a\\\n"; "b")\n', [("b", 3, 4, None)]),
    ("garbage", b"\x89PNG\r\n\x1a\n\x00\x00", []),
    ("not go at all", b"<?xml version='1.0'?>\n<import/>", []),
]


@pytest.mark.parametrize(("src", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_read_imports(src: bytes, want: list[tuple[str, int, int, str | None]]) -> None:
    got = read_imports(src)
    assert [(s.path, s.line, s.column, s.name) for s in got] == want
    assert all(isinstance(s, ImportSpec) for s in got)


def test_read_imports_str() -> None:
    # A str stands for the file's bytes; lone surrogates for undecodable ones.
    src = b'package p\nimport (\n"a.b/\xc3\xa9"\n"a.b/\\xff" // \xff\n)\n'
    text = src.decode("utf-8", "surrogateescape")
    assert read_imports(text) == read_imports(src)
    assert [s.path for s in read_imports(text)] == ["a.b/\u00e9", "a.b/\udcff"]


def test_read_imports_column_after_multibyte() -> None:
    # Columns count bytes, as Go's token.Position does.
    (spec,) = read_imports('package p\nimport /* é */ "a"\n')
    assert (spec.line, spec.column) == (2, 17)


def _slow_only(src: bytes) -> list[ImportSpec]:
    """read_imports with the one-step fast path disabled (the byte-by-byte path only)."""
    saved = imports_reader._FAST_SPEC
    imports_reader._FAST_SPEC = re.compile(rb"(?!)")
    try:
        return read_imports(src)
    finally:
        imports_reader._FAST_SPEC = saved


@pytest.mark.parametrize("src", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_fast_path_agrees_with_slow_path(src: bytes) -> None:
    assert _slow_only(src) == read_imports(src)


# --- random token soup ----------------------------------------------------------------

_TOKENS = [
    b"package",
    b"import",
    b"p",
    b"x",
    b"_",
    b".",
    b"(",
    b")",
    b";",
    b" ",
    b"\n",
    b"\t",
    b"\r\n",
    b'"a.b/c"',
    b'"fmt"',
    b"`raw/x`",
    b'"esc\\x41"',
    b'"bad\\q"',
    b'"',
    b"`",
    b"\\",
    b"//",
    b"// c\n",
    b"/*",
    b"*/",
    b"/* c */",
    b"/",
    b"*",
    b"func",
    b"importx",
    b"\xff",
    b"\xc3\xa9",
    b"\xef\xbb\xbf",
    b"\x00",
    b"1",
]


def _soup(rng: random.Random) -> bytes:
    head = rng.choice([b"package p\nimport (\n", b"package p\n", b"", b"package p; import "])
    return head + b"".join(rng.choice(_TOKENS) for _ in range(rng.randrange(0, 40)))


@given(st.lists(st.sampled_from(_TOKENS), max_size=40), st.sampled_from([b"", b"package p\n"]))
@settings(max_examples=300, deadline=None)
def test_token_soup_never_raises_and_paths_agree(tokens: list[bytes], head: bytes) -> None:
    src = head + b"".join(tokens)
    got = read_imports(src)
    assert got == _slow_only(src)
    assert read_imports(src.decode("utf-8", "surrogateescape")) == got


@given(st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_random_bytes_never_raise(src: bytes) -> None:
    assert read_imports(src) == _slow_only(src)


# --- the go command's own reader as an oracle ----------------------------------------

_READER_MAIN = r"""
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"strconv"
)

// One request per stdin line: the hex of a Go file's bytes. One answer line each:
// "R", then the hex of every import path ReadImports saved that strconv.Unquote accepts.
func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		src, err := hex.DecodeString(in.Text())
		if err != nil {
			panic(err)
		}
		var list []string
		ReadImports(bytes.NewReader(src), false, &list)
		out.WriteString("R")
		for _, q := range list {
			p, err := strconv.Unquote(q)
			if err != nil {
				continue
			}
			out.WriteString(" " + hex.EncodeToString([]byte(p)))
		}
		out.WriteString("\n")
	}
}
"""


class GoReader:
    """cmd/go/internal/imports.ReadImports, as a subprocess answering batches."""

    def __init__(self, exe: Path) -> None:
        self.exe = exe
        self.lock = threading.Lock()

    def paths(self, sources: list[bytes]) -> list[list[str]]:
        req = "".join(s.hex() + "\n" for s in sources)
        with self.lock:
            r = subprocess.run([str(self.exe)], input=req, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert len(lines) == len(sources)
        return [
            [bytes.fromhex(h).decode("utf-8", "surrogateescape") for h in line[1:].split(" ")[1:]]
            for line in lines
        ]


@pytest.fixture(scope="module")
def go_reader(tmp_path_factory: pytest.TempPathFactory) -> GoReader:
    work = tmp_path_factory.mktemp("goreader")
    prog = work / "prog"
    prog.mkdir()
    read_go = (GOROOT / "src" / "cmd" / "go" / "internal" / "imports" / "read.go").read_text()
    (prog / "read.go").write_text(read_go.replace("\npackage imports\n", "\npackage main\n", 1))
    (prog / "main.go").write_text(_READER_MAIN)
    (prog / "go.mod").write_text("module example.com/goreader\n\ngo 1.22\n")
    env = isolated_env(work / "env", GOCACHE=str(_gocache()))
    exe = work / "goreader"
    r = run_go(["build", "-o", str(exe), "."], prog, env, timeout=300)
    assert r.returncode == 0, r.stderr
    return GoReader(exe)


def test_reader_matches_go_on_tables(go_reader: GoReader) -> None:
    sources = [c[1] for c in CASES]
    want = go_reader.paths(sources)
    for (name, src, _), paths in zip(CASES, want, strict=True):
        assert [s.path for s in read_imports(src)] == paths, name


def test_reader_matches_go_on_token_soup(go_reader: GoReader) -> None:
    rng = random.Random(20240601)
    sources = [_soup(rng) for _ in range(3000)]
    want = go_reader.paths(sources)
    for src, paths in zip(sources, want, strict=True):
        assert [s.path for s in read_imports(src)] == paths, src


# --- reading files: the head only, unless the imports go on ----------------------------


def _long_header(n: int) -> bytes:
    return b"".join(
        b"// license line %05d ............................................\n" % i for i in range(n)
    )


@pytest.mark.parametrize(
    "src",
    [
        b'package p\nimport "a"\n' + b"// filler\n" * 2000,
        _long_header(100) + b'package p\nimport (\n"a.b/x"\n"a.b/y"\n)\n',
        b"package p\nimport (\n" + b"".join(b'\t"a.b/p%04d"\n' % i for i in range(600)) + b")\n",
        b"package p\n/*" + b"x" * 5000 + b'*/\nimport "late"\n',
        b'package p\nimport "a"\n' + b" " * 5000 + b'import "b"\n',
        b"package p\nimport `" + b"x" * 5000 + b"`\n",
        b'package p\nimport "a"\n' + b"\n" * 4079 + b'import "b"',  # across the chunk edge
    ],
    ids=[
        "short imports",
        "long header",
        "many imports",
        "long comment",
        "spaces",
        "long raw",
        "edge",
    ],
)
def test_read_imports_file_reads_on_when_needed(tmp_path: Path, src: bytes) -> None:
    f = tmp_path / "x.go"
    f.write_bytes(src)
    assert read_imports_file(f) == read_imports(src)
    assert read_imports(src)  # every case has imports


@given(st.integers(min_value=4000, max_value=4200), st.sampled_from([b'"a.b/c"', b"`a.b/c`"]))
@settings(max_examples=60, deadline=None)
def test_chunk_edge(tmp_path_factory: pytest.TempPathFactory, pad: int, lit: bytes) -> None:
    src = b"package p\nimport (\n" + b"/" + b"*" * pad + b"*/" + lit + b"\n" + lit + b")\n"
    f = tmp_path_factory.mktemp("edge") / "x.go"
    f.write_bytes(src)
    assert read_imports_file(f) == read_imports(src)
    assert len(read_imports(src)) == 2


# --- walking a module ------------------------------------------------------------------


def _write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def _rel_files(mi: ModuleImports) -> list[str]:
    return sorted(p.relative_to(mi.root).as_posix() for p in mi.files)


def test_walk_skipping_rules(tmp_path: Path) -> None:
    root = tmp_path / "m"
    _write(root, "go.mod", "module example.com/m\n")
    _write(root, "a.go", 'package m\nimport "example.com/root"\n')
    _write(root, "a_test.go", 'package m\nimport "example.com/roottest"\n')
    _write(root, "_a.go", 'package m\nimport "example.com/underscorefile"\n')
    _write(root, ".a.go", 'package m\nimport "example.com/dotfile"\n')
    _write(root, "a.go.txt", 'package m\nimport "example.com/notgo"\n')
    _write(root, "sub/b.go", '//go:build ignore\n\npackage sub\nimport "example.com/ignoretag"\n')
    _write(root, "sub/deep/c_windows.go", 'package deep\nimport "example.com/windows"\n')
    _write(root, "vendor/v.go", 'package vendor\nimport "example.com/vendorpkg"\n')
    _write(root, "vendor/example.com/dep/d.go", 'package dep\nimport "example.com/vendored"\n')
    _write(root, "sub/vendor/v.go", 'package vendor\nimport "example.com/subvendor"\n')
    _write(root, "sub/vendor/x/y.go", 'package x\nimport "example.com/subvendored"\n')
    _write(root, "testdata/t.go", 'package t\nimport "example.com/testdata"\n')
    _write(root, "sub/testdata/t.go", 'package t\nimport "example.com/subtestdata"\n')
    _write(root, ".hidden/h.go", 'package h\nimport "example.com/hidden"\n')
    _write(root, "_under/u.go", 'package u\nimport "example.com/under"\n')
    _write(root, "nested/go.mod", "module example.com/nested\n")
    _write(root, "nested/n.go", 'package nested\nimport "example.com/nested/dep"\n')
    _write(root, "nested/inner/i.go", 'package inner\nimport "example.com/nestedinner"\n')
    _write(root, "gomoddir/go.mod/x.go", 'package x\nimport "example.com/gomoddir"\n')
    _write(root, "gomoddir/g.go", 'package gomoddir\nimport "example.com/gomoddirpkg"\n')
    _write(root, "empty/README", "no go here\n")
    _write(tmp_path, "outside/o.go", 'package outside\nimport "example.com/outside"\n')
    _write(tmp_path, "outside/f.go", 'package m\nimport "example.com/linkedfile"\n')
    (root / "linkdir").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "sub" / "link_in").symlink_to(root / "sub", target_is_directory=True)
    (root / "linked.go").symlink_to(tmp_path / "outside" / "f.go")
    (root / "broken.go").symlink_to(tmp_path / "missing.go")
    (root / "dir.go").mkdir()
    _write(root, "dir.go/z.go", 'package z\nimport "example.com/dirnamedgo"\n')

    mi = scan_module_imports(root)
    assert mi.errors == []
    assert _rel_files(mi) == sorted(
        [
            "a.go",
            "a_test.go",
            "linked.go",
            "sub/b.go",
            "sub/deep/c_windows.go",
            "vendor/v.go",
            "sub/vendor/v.go",
            "gomoddir/g.go",
            "gomoddir/go.mod/x.go",
            "dir.go/z.go",
        ]
    )
    assert sorted(mi.imports) == sorted(
        [
            "example.com/root",
            "example.com/roottest",
            "example.com/linkedfile",
            "example.com/ignoretag",
            "example.com/windows",
            "example.com/vendorpkg",
            "example.com/subvendor",
            "example.com/gomoddir",
            "example.com/gomoddirpkg",
            "example.com/dirnamedgo",
        ]
    )
    assert sorted(mi.package_dirs) == sorted(
        ["", "sub", "sub/deep", "vendor", "sub/vendor", "gomoddir", "gomoddir/go.mod", "dir.go"]
    )
    assert "example.com/m/sub/deep" in mi.package_paths("example.com/m")
    assert "example.com/m" in mi.package_paths("example.com/m")
    (site,) = mi.imports["example.com/roottest"]
    assert site == ImportSite(root / "a_test.go", 2, 8)
    assert site.test
    assert not mi.imports["example.com/root"][0].test


def test_walk_root_symlink_is_followed(tmp_path: Path) -> None:
    real = tmp_path / "real"
    _write(real, "go.mod", "module example.com/m\n")
    _write(real, "a/a.go", 'package a\nimport "example.com/x"\n')
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    mi = scan_module_imports(tmp_path / "link")
    assert list(mi.imports) == ["example.com/x"]
    assert mi.files == [tmp_path / "link" / "a" / "a.go"]


def test_walk_std_imports_kept_apart(tmp_path: Path) -> None:
    _write(
        tmp_path, "a.go", 'package a\nimport (\n"fmt"\n"C"\n"example/local"\n"a.b/c"\n"./rel"\n)\n'
    )
    mi = scan_module_imports(tmp_path)
    assert sorted(mi.std_imports) == ["C", "example/local", "fmt"]
    assert sorted(mi.imports) == ["./rel", "a.b/c"]
    assert sorted(mi.all_imports()) == ["./rel", "C", "a.b/c", "example/local", "fmt"]


def test_walk_ignore_directives(tmp_path: Path) -> None:
    for d in ["a", "a/x", "x", "b/x/y", "b/xx", "c/x", "rootonly", "deep/rootonly"]:
        name = d.replace("/", "_")
        _write(tmp_path, f"{d}/f.go", f'package p\nimport "example.com/{name}"\n')
    mi = scan_module_imports(tmp_path, ignore=["x", "./rootonly"])
    assert sorted(mi.package_dirs) == ["a", "b/xx", "deep/rootonly"]


def test_walk_errors_are_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = scan_module_imports(tmp_path / "nope")
    assert len(missing.errors) == 1 and "nope" in missing.errors[0]
    _write(tmp_path, "a.go", 'package a\nimport "example.com/a"\n')
    _write(tmp_path, "b.go", 'package a\nimport "example.com/b"\n')
    real = imports_mod.read_imports_file

    def flaky(path: str | os.PathLike[str]) -> list[ImportSpec]:
        if str(path).endswith("a.go"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(imports_scan, "read_imports_file", flaky)
    mi = scan_module_imports(tmp_path)
    assert mi.errors == [f"{tmp_path / 'a.go'}: Permission denied"]
    assert list(mi.imports) == ["example.com/b"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_walk_unreadable_dir(tmp_path: Path) -> None:
    _write(tmp_path, "ok/a.go", 'package a\nimport "example.com/a"\n')
    _write(tmp_path, "locked/b.go", 'package b\nimport "example.com/b"\n')
    (tmp_path / "locked").chmod(0)
    try:
        mi = scan_module_imports(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert list(mi.imports) == ["example.com/a"]
    assert len(mi.errors) == 1 and "locked" in mi.errors[0]


def test_walk_reads_a_large_tree(tmp_path: Path) -> None:
    """Every file and import of a 2000-file tree (its speed is make bench's business)."""
    header = b"// Copyright 2024 The Authors. All rights reserved.\n// Use of this source code.\n\n"
    body = b"\nfunc F() {}\n" + b"// body\n" * 40
    for d in range(40):
        dd = tmp_path / f"pkg{d}"
        dd.mkdir()
        for i in range(50):
            imps = b"".join(b'\t"example.com/dep%d/x"\n' % ((d + i + k) % 97) for k in range(5))
            (dd / f"f{i}.go").write_bytes(
                header + b'package p\n\nimport (\n\t"fmt"\n' + imps + b")\n" + body
            )
    mi = scan_module_imports(tmp_path)
    assert len(mi.files) == 2000 and not mi.errors
    assert sum(len(s) for s in mi.imports.values()) == 10000


# --- the walk and the imports against go list -----------------------------------------


def _tree(root: Path, outside: Path) -> None:
    """A module exercising every import form, file kind and skipping rule."""
    _write(
        root,
        "go.mod",
        "module example.com/m\n\ngo 1.25\n\nignore (\n\t./skipme\n\tanywhere\n)\n",
    )
    _write(
        root,
        "m.go",
        '// Package m.\npackage m\n\nimport (\n\t"fmt"\n\tf "example.com/alias"\n'
        '\t. "example.com/dot" // dot\n\t_ "example.com/blank"\n\t/* c */ `example.com/raw`\n'
        '\t"example.com/esc\\x61ped"\n)\n\nimport "example.com/single"\n\nfunc F() { fmt.Println(f.X) }\n',
    )
    _write(root, "m_test.go", 'package m\n\nimport (\n\t"testing"\n\t"example.com/testonly"\n)\n')
    _write(
        root,
        "m_x_test.go",
        'package m_test\n\nimport (\n\t"example.com/m"\n\t"example.com/xtest"\n)\n',
    )
    _write(root, "ignored.go", '//go:build ignore\n\npackage m\n\nimport "example.com/ignoretag"\n')
    _write(root, "win.go", '//go:build windows\n\npackage m\n\nimport "example.com/windows"\n')
    _write(root, "m_plan9.go", 'package m\n\nimport "example.com/plan9"\n')
    _write(root, "old.go", '// +build never\n\npackage m\n\nimport "example.com/plusbuild"\n')
    _write(
        root,
        "cgo.go",
        'package m\n\n/*\n#include <stdio.h>\n*/\nimport "C"\n\nimport "example.com/cgoimp"\n',
    )
    _write(
        root,
        "bom.go",
        '\ufeff// bom\npackage m; import ("example.com/bom1"; "example.com/bom2")\n',
    )
    license = "".join(
        f"// license line {i:04d} .......................................\n" for i in range(120)
    )
    _write(root, "long.go", f'{license}package m\n\nimport "example.com/afterlonghead"\n')
    _write(root, "_skip.go", 'package m\nimport "example.com/underscorefile"\n')
    _write(root, ".skip.go", 'package m\nimport "example.com/dotfile"\n')
    _write(
        root,
        "sub/a.go",
        'package sub\n\nimport (\n\t"os"\n\t"example.com/m"\n\t"example.com/suba"\n)\n',
    )
    _write(
        root, "sub/deeper/b.go", 'package deeper;import "example.com/subdeeper";import "strings"'
    )
    _write(root, "vendor/v.go", 'package vendor\n\nimport "example.com/vendorpkg"\n')
    _write(root, "vendor/example.com/dep/d.go", 'package dep\nimport "example.com/vendored"\n')
    _write(root, "testdata/t.go", 'package t\nimport "example.com/testdata"\n')
    _write(root, ".hidden/h.go", 'package h\nimport "example.com/hidden"\n')
    _write(root, "_under/u.go", 'package u\nimport "example.com/under"\n')
    _write(root, "skipme/s.go", 'package skipme\nimport "example.com/skipme"\n')
    _write(root, "x/anywhere/s.go", 'package anywhere\nimport "example.com/anywhere"\n')
    _write(root, "x/keep.go", 'package x\nimport "example.com/keepx"\n')
    _write(root, "nested/go.mod", "module example.com/nested\n")
    _write(root, "nested/n.go", 'package nested\nimport "example.com/nesteddep"\n')
    _write(outside, "o.go", 'package o\nimport "example.com/outside"\n')
    _write(outside, "linked.go", 'package m\n\nimport "example.com/linkedfile"\n')
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    (root / "linked.go").symlink_to(outside / "linked.go")
    for d in range(3):  # many files
        for i in range(8):
            _write(
                root,
                f"gen/g{d}/f{i}.go",
                f'package g{d}\n\nimport (\n\t"sort"\n\t"example.com/gen/d{d}f{i}"\n)\n',
            )
        _write(root, f"gen/g{d}/f_test.go", f'package g{d}\n\nimport "example.com/gentest{d}"\n')


def _go_list(args: list[str], cwd: Path, env: dict[str, str]) -> list[dict[str, object]]:
    r = run_go(["list", "-e", "-json", *args], cwd, env)
    assert r.returncode == 0, r.stderr
    dec = json.JSONDecoder()
    out: list[dict[str, object]] = []
    text = r.stdout
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


def _strs(pkg: dict[str, object], key: str) -> list[str]:
    v = pkg.get(key) or []
    assert isinstance(v, list)
    return [str(x) for x in v]


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "m"
    _tree(root, tmp_path / "outside")
    yield root


def test_walk_matches_go_list(tree: Path, go_env: dict[str, str]) -> None:
    env = {**go_env, "CGO_ENABLED": "1"}
    pkgs = _go_list(["./..."], tree, env)
    mi = scan_module_imports(tree, ignore=["./skipme", "anywhere"])
    assert mi.errors == []

    # The packages go matches are the directories we read.
    assert {str(p["ImportPath"]) for p in pkgs} == mi.package_paths("example.com/m")
    assert "example.com/m/vendor" in mi.package_paths("example.com/m")

    # Every file go considers (built or not) is a file we read, and no other.
    kinds = ["GoFiles", "CgoFiles", "TestGoFiles", "XTestGoFiles", "IgnoredGoFiles"]
    go_files = {Path(str(p["Dir"])) / f for p in pkgs for k in kinds for f in _strs(p, k)}
    assert go_files == set(mi.files)
    assert tree / "ignored.go" in go_files and tree / "linked.go" in go_files

    # Per directory, go list naming the files uses every file (UseAllFiles): the
    # imports must be ours exactly, "C" included.
    ours: dict[Path, set[str]] = {}
    for path, sites in mi.all_imports().items():
        for site in sites:
            ours.setdefault(site.file.parent, set()).add(path)
    positions: dict[tuple[str, Path], tuple[int, int]] = {}
    for p in pkgs:
        d = Path(str(p["Dir"]))
        files = sorted(f for k in kinds for f in _strs(p, k))
        listed = _go_list(["-test", *[f"./{f}" for f in files]], d, env)
        one = listed[0]
        assert one["ImportPath"] == "command-line-arguments"
        got = set(_strs(one, "Imports")) | set(_strs(one, "TestImports"))
        got |= set(_strs(one, "XTestImports"))
        assert got == ours.get(d, set()), d
        for q in listed:
            errs = q.get("DepsErrors") or []
            assert isinstance(errs, list)
            for err in errs:
                m = re.search(r"providing package (\S+): ", str(err.get("Err", "")))
                if m and err.get("Pos"):
                    file, line, col = str(err["Pos"]).rsplit(":", 2)
                    positions[(m.group(1), d / file)] = (int(line), int(col))

    # Where go reports an unresolvable import it gives its position: the same line as
    # ours, and the same column unless the import has a name (go points at the name,
    # we at the path).
    checked = 0
    for path, sites in mi.imports.items():
        for site in sites:
            pos = positions.get((path, site.file))
            if pos is None:
                continue
            assert site.line == pos[0], (path, site, pos)
            if path not in {"example.com/alias", "example.com/dot", "example.com/blank"}:
                assert site.column == pos[1], (path, site, pos)
            checked += 1
    assert checked >= 20, positions


# --- which modules are needed ----------------------------------------------------------

BUILD_LIST = [
    "example.com/main",
    "example.com/a",
    "example.com/a/b",
    "example.com/a/b/c",
    "example.com/ab",
    "golang.org/x/tools",
    "golang.org/x/tools/gopls",
    "go",
    "toolchain",
    "local",
]


@pytest.mark.parametrize(
    ("import_path", "want"),
    [
        ("example.com/a/b/c/d", ["example.com/a/b/c", "example.com/a/b", "example.com/a"]),
        ("example.com/a/b/c", ["example.com/a/b/c", "example.com/a/b", "example.com/a"]),
        ("example.com/a/bc", ["example.com/a"]),
        ("example.com/ab/x", ["example.com/ab"]),
        ("example.com/abc", []),
        ("example.com", []),
        ("golang.org/x/tools/gopls/internal", ["golang.org/x/tools/gopls", "golang.org/x/tools"]),
        ("golang.org/x/toolsy", []),
        ("go/ast", []),  # the synthetic go module provides nothing
        ("toolchain", []),
        ("local/pkg", ["local"]),  # a dotless module path (replaced) still counts
        ("C", []),
        ("fmt", []),
        ("./example.com/a", []),
        ("example.com/a@v1.0.0", []),
        ("/example.com/a", []),
        ("example.com/a//b", []),  # malformed: go rejects it before looking
        ("all", []),
    ],
)
def test_modules_for_import(import_path: str, want: list[str]) -> None:
    assert modules_for_import(import_path, BUILD_LIST) == want
    assert modules_for_import(import_path, iter(BUILD_LIST)) == want
    assert modules_for_import(import_path, set(BUILD_LIST)) == want


def test_needed_modules() -> None:
    s1 = ImportSite(Path("/w/x.go"), 3, 2)
    s2 = ImportSite(Path("/w/y.go"), 4, 2)
    s3 = ImportSite(Path("/w/z.go"), 5, 2)
    imports = {
        "example.com/a/b/c/d": [s1],
        "example.com/ab/x": [s2, s3],
        "example.com/main/internal/p": [s3],  # the workspace's own: not a dependency
        "example.com/main/sub/p": [s1],
        "fmt": [s2],
        "unknown.org/x": [s1],
    }
    got = needed_modules(imports, BUILD_LIST, main_modules=["example.com/main"])
    assert got == {
        "example.com/a/b/c": [s1],
        "example.com/a/b": [s1],
        "example.com/a": [s1],
        "example.com/ab": [s2, s3],
    }
    # A module nested in a main module's path is needed even for the main module's imports.
    got = needed_modules(
        imports, [*BUILD_LIST, "example.com/main/sub"], main_modules=["example.com/main"]
    )
    assert got["example.com/main/sub"] == [s1]
    assert "example.com/main" not in got
    # Without main_modules, a main module in the build list is a candidate like any other.
    assert needed_modules({"example.com/main/x": [s1]}, BUILD_LIST) == {"example.com/main": [s1]}
    assert needed_modules(imports, []) == {}


def test_every_candidate_module_is_needed(tmp_path: Path, go_env: dict[str, str]) -> None:
    """The go command looks inside every module prefixing an import: two that have
    the package is an ambiguous import, and one it cannot fetch fails the import
    even though the other has the package."""
    main = tmp_path / "main"
    _write(
        main,
        "go.mod",
        "module example.com/main\n\ngo 1.21\n\nrequire (\n\texample.com/a v0.0.0\n"
        "\texample.com/a/b v0.0.0\n)\n\nreplace example.com/a => ../a\n\n"
        "replace example.com/a/b => ../ab\n",
    )
    _write(main, "main.go", 'package main\n\nimport _ "example.com/a/b/c"\n\nfunc main() {}\n')
    _write(tmp_path, "a/go.mod", "module example.com/a\n")
    _write(tmp_path, "a/b/c/c.go", "package c\n")
    _write(tmp_path, "ab/go.mod", "module example.com/a/b\n")
    _write(tmp_path, "ab/c/c.go", "package c\n")

    mi = scan_module_imports(main)
    build_list = ["example.com/main", "example.com/a", "example.com/a/b"]
    need = needed_modules(mi.imports, build_list, main_modules=["example.com/main"])
    assert list(need) == ["example.com/a/b", "example.com/a"]

    def err() -> str:
        r = run_go(["list", "-e", "-f", "{{.Error}}", "example.com/a/b/c"], main, go_env)
        return r.stdout + r.stderr

    assert "ambiguous import" in err()
    shutil.rmtree(tmp_path / "a" / "b")
    assert err().strip() == "<nil>"
    (tmp_path / "a").rename(tmp_path / "a.gone")
    assert "replacement directory ../a does not exist" in err()
