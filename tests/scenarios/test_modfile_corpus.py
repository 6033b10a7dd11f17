"""Every go.mod, vendor.mod and go.work of the corpus, parsed by us and by the real go.

The corpus (tests/gocorpus.py) is the go toolchain's own files (always there) and
../shared/corpus when present. For each file go's verdict comes from running
``go mod edit -json`` / ``go work edit -json`` on a copy in a temp dir: accepted
files must give exactly go's JSON and no error at all; rejected ones (script tests
and x/mod parser fixtures that are deliberately invalid) must give exactly go's
error lines.
"""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from gocorpus import CorpusFile, all_files, file_params, files, needs_shared
from gomod_doctor.modfile import syntax
from gomod_doctor.modfile.rules import mod_to_json, parse_mod
from gomod_doctor.modfile.syntax import Comment, FileSyntax, Line, LineBlock, Token
from gomod_doctor.modfile.work import parse_work, work_to_json
from gotool import isolated_env, run_go

FILES = file_params("mod", "work")


@dataclass
class GoVerdict:
    ok: bool
    json: dict[str, object] | None
    errors: list[str]


def go_verdict(dirpath: Path, name: str, env: dict[str, str]) -> GoVerdict:
    sub = "work" if name == "go.work" else "mod"
    r = run_go([sub, "edit", "-json", name], dirpath, env)
    if r.returncode == 0:
        return GoVerdict(True, json.loads(r.stdout), [])
    lines = r.stderr.splitlines()
    assert lines[0] == f"go: errors parsing {name}:", r.stderr
    if sub == "work":
        assert lines[1] == "errors parsing go.work:", r.stderr
        lines = lines[1:]
    return GoVerdict(False, None, lines[1:])


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GoVerdict]:
    """go's verdict on every file, by id (about a thousand go runs, in parallel)."""
    base = tmp_path_factory.mktemp("corpus")
    env = isolated_env(base / "goenv")

    def one(i: int, f: CorpusFile) -> tuple[str, GoVerdict]:
        d = base / f"f{i}"
        d.mkdir()
        (d / f.go_name).write_bytes(f.data)
        return f.id, go_verdict(d, f.go_name, env)

    with ThreadPoolExecutor(4) as ex:
        return dict(ex.map(lambda a: one(*a), enumerate(all_files("mod", "work"))))


def test_goroot_corpus_has_files() -> None:
    got = files("goroot", "mod", "work")
    ids = [f.id for f in got]
    assert {"goroot/src/go.mod", "goroot/src/cmd/go.mod"} <= set(ids)
    assert sum(i.startswith("goroot/mod/") for i in ids) > 100
    assert sum(i.startswith("goroot/script/") for i in ids) > 500
    assert sum(f.kind == "work" for f in got) > 20


@needs_shared
def test_shared_corpus_has_files() -> None:
    got = files("shared", "mod", "work")
    assert {f.kind for f in got} == {"mod", "work"}
    assert len(got) > 100
    assert any(f.name == "vendor.mod" for f in got)


@pytest.mark.parametrize("f", FILES)
def test_corpus_file_matches_go(f: CorpusFile, verdicts: dict[str, GoVerdict]) -> None:
    v = verdicts[f.id]
    if f.kind == "work":
        wf = parse_work(f.text, "go.work")
        errors, got = wf.errors, work_to_json(wf)
        go_errors = [e.go_text for e in wf.go_errors]
    else:
        mf = parse_mod(f.text, "go.mod")
        errors, got = mf.errors, mod_to_json(mf)
        go_errors = [e.go_text for e in mf.go_errors]
    if v.ok:
        assert errors == []
        assert got == v.json
    else:
        assert "\n".join(go_errors).splitlines() == v.errors
        assert errors[0].go_text.splitlines()[0] == v.errors[0]


def test_some_goroot_files_are_rejected(verdicts: dict[str, GoVerdict]) -> None:
    """go's script tests include go.mod and go.work files go rejects: we exercised some."""
    rejected = {f.kind for f in files("goroot", "mod", "work") if not verdicts[f.id].ok}
    assert rejected == {"mod", "work"}


@needs_shared
def test_some_shared_files_are_rejected(verdicts: dict[str, GoVerdict]) -> None:
    """The x/mod fixtures include files go rejects; make sure we exercised some."""
    rejected = sorted(f.id for f in files("shared", "mod", "work") if not verdicts[f.id].ok)
    assert any("block." in r for r in rejected)
    assert any("comment." in r for r in rejected)


# ---------------------------------------------------------------------------
# Positions: every token and comment range points at its own text.


def _check_token(fs: FileSyntax, tok: Token) -> None:
    start, end = tok.range.start, tok.range.end
    assert fs.text[start.offset : end.offset] == tok.text
    assert fs.position(start.offset) == start
    assert fs.position(end.offset) == end


def _check_comment(fs: FileSyntax, c: Comment) -> None:
    if c.token:
        assert fs.text[c.start.offset :].startswith(c.token)
        assert fs.position(c.start.offset) == c.start


def check_positions(fs: FileSyntax) -> None:
    for c in [*fs.comments.before, *fs.comments.after]:
        _check_comment(fs, c)
    for s in fs.stmts:
        for c in [*s.comments.before, *s.comments.suffix]:
            _check_comment(fs, c)
        lines: list[Line] = []
        if isinstance(s, Line):
            lines = [s]
        elif isinstance(s, LineBlock):
            for t in s.tokens:
                _check_token(fs, t)
            assert fs.text[s.lparen.pos.offset] == "("
            if s.rparen.pos is not None:
                assert fs.text[s.rparen.pos.offset] == ")"
            for c in [*s.lparen.comments.suffix, *s.rparen.comments.before]:
                _check_comment(fs, c)
            lines = s.lines
        for line in lines:
            assert line.start == line.tokens[0].range.start
            assert line.end == line.tokens[-1].range.end
            for t in line.tokens:
                _check_token(fs, t)
            for c in [*line.comments.before, *line.comments.suffix]:
                _check_comment(fs, c)


@pytest.mark.parametrize("f", FILES)
def test_corpus_positions(f: CorpusFile) -> None:
    parsed = parse_work(f.text) if f.kind == "work" else parse_mod(f.text)
    check_positions(parsed.syntax)
    # Every statement line of the file is in the tree, at its own line.
    for line in parsed.syntax.lines():
        assert (
            parsed.syntax.text.splitlines()[line.start.line - 1]
            .strip()
            .startswith(line.tokens[0].text)
        )


def tree(x: object) -> object:
    """A syntax tree as plain values: every field, position and comment (a line's
    block by its start)."""
    if isinstance(x, Line):
        return (
            "Line",
            tree(x.tokens),
            x.start,
            x.end,
            x.in_block,
            tree(x.comments),
            x.block.start if x.block is not None else None,
        )
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return (
            type(x).__name__,
            *(
                tree(getattr(x, f.name))
                for f in dataclasses.fields(x)
                if not f.name.startswith("_")
            ),
        )
    if isinstance(x, list):
        return tuple(tree(y) for y in x)
    return x


def parses_alike(text: str) -> None:
    """The block lines that parse_line takes in one match come out as the lexer
    makes them, token by token."""
    fast = tree(syntax.parse_syntax(text))
    syntax.FAST_LINES = False
    try:
        slow = tree(syntax.parse_syntax(text))
    finally:
        syntax.FAST_LINES = True
    assert fast == slow


@pytest.mark.parametrize("f", FILES)
def test_corpus_plain_lines(f: CorpusFile) -> None:
    parses_alike(f.text)


@pytest.mark.parametrize(
    "text",
    [
        "require (\n\ta v1\n\tb v2 // indirect\n)\n",
        "require (\r\n\ta v1 \r\n\tb v2 // c\r\n)\r\n",
        "require (\n\ta v1// tight\n\tb v2 //\n)",
        "require (\n\ta v1 // at the end",
        "require (\n\ta v1",
        "require (\n\ta v1 \t ",
        "require (\n\ta v1 // c\r",
        'require (\n\ta/*x*/ v1\n\ta v1 /* c */\n\ta "v1" `v2`\n\ta v"1"\n)\n',
        "require (\n\ta v1 x(y)\n\tb v2,\n\tc v3 ü\n\td\tv4\r x\n)\n",
        'require (\n\t"a" v1\n\t`b` v2 // c\n\t"c v1\n)\n',
        "require (\n\ta v1\n\tü v2\n\ta v1\n\tb\u00a0v2\n\ta v1\n\tb/*c*/ v2\n\ta v1\n\tb(c) v2\n)\n",
        "require (\n\ta v1\n\t\r b v2\n\ta v1\n//c\n\ta v1\n\n\ta v1\n)x\n",
        "replace (\n\ta v1 => ../b\n\tc => d v2 // why\n)\nretract (\n\t[v1, v2]\n\tv3 // x\n)\n",
    ],
)
def test_plain_lines_edge_cases(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    parses_alike(text)
    # and the fast path is taken where it should be: an edge case that fell back
    # to the lexer everywhere would prove nothing
    if "\ta v1\n" in text or text.endswith("\ta v1"):
        calls: list[int] = []
        real = syntax._Parser._plain_line
        monkeypatch.setattr(
            syntax._Parser, "_plain_line", lambda self, m: calls.append(1) or real(self, m)
        )
        syntax.parse_syntax(text)
        assert calls


def _one(id_: str) -> CorpusFile:
    [f] = [f for f in all_files("mod", "work") if f.id == id_]
    return f


def test_goroot_module_paths() -> None:
    """Spot checks of meaning on the toolchain's own go.mod files."""
    std = parse_mod(_one("goroot/src/go.mod").text)
    assert std.module is not None and std.module.path == "std"
    cmd = parse_mod(_one("goroot/src/cmd/go.mod").text)
    assert cmd.module is not None and cmd.module.path == "cmd"
    assert "golang.org/x/mod" in {r.path for r in cmd.require}


@needs_shared
def test_shared_module_paths_and_deprecations() -> None:
    """Spot checks of meaning on well-known shared corpus files."""
    shared = files("shared", "mod")
    protobuf = [f for f in shared if f.id.startswith("shared/golang__protobuf/")]
    assert protobuf
    f = parse_mod(protobuf[0].text)
    assert f.module is not None
    assert f.module.path == "github.com/golang/protobuf"
    assert f.module.deprecated.startswith("Use the")
    non_ascii = [f for f in shared if f.id.startswith("shared/CuteReimu__YinYangJade/")]
    assert non_ascii
    f = parse_mod(non_ascii[0].text)
    assert f.errors == []
    assert f.ignore and f.exclude
