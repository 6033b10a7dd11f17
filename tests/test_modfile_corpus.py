"""Every go.mod, vendor.mod and go.work of the corpus, parsed by us and by the real go.

For each file go's verdict comes from running ``go mod edit -json`` /
``go work edit -json`` on a copy in a temp dir: accepted files must give exactly
go's JSON and no error at all; rejected ones (the x/mod parser fixtures that are
deliberately invalid) must give exactly go's error lines.
"""

from __future__ import annotations

import csv
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CORPUS
from gomod_doctor.modfile.rules import mod_to_json, parse_mod
from gomod_doctor.modfile.syntax import Comment, FileSyntax, Line, LineBlock, Token
from gomod_doctor.modfile.work import parse_work, work_to_json
from gotool import isolated_env, run_go


def _corpus_files() -> list[tuple[str, str]]:
    with (CORPUS / "FILES.tsv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [(r["path"], r["kind"]) for r in rows if r["kind"] in ("mod", "work")]


FILES = _corpus_files()


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
    base = tmp_path_factory.mktemp("corpus")
    env = isolated_env(base / "goenv")

    def one(i: int, rel: str, kind: str) -> tuple[str, GoVerdict]:
        name = "go.work" if kind == "work" else "go.mod"
        d = base / f"f{i}"
        d.mkdir()
        shutil.copyfile(CORPUS / rel, d / name)
        return rel, go_verdict(d, name, env)

    with ThreadPoolExecutor(4) as ex:
        return dict(ex.map(lambda a: one(*a), [(i, r, k) for i, (r, k) in enumerate(FILES)]))


def read(rel: str) -> str:
    return (CORPUS / rel).read_bytes().decode("utf-8", "surrogateescape")


def test_corpus_has_files() -> None:
    kinds = {k for _, k in FILES}
    assert kinds == {"mod", "work"}
    assert len(FILES) > 100
    assert any(r.endswith("vendor.mod") for r, _ in FILES)


@pytest.mark.parametrize(("rel", "kind"), FILES, ids=[r for r, _ in FILES])
def test_corpus_file_matches_go(rel: str, kind: str, verdicts: dict[str, GoVerdict]) -> None:
    text = read(rel)
    v = verdicts[rel]
    if kind == "work":
        wf = parse_work(text, "go.work")
        errors, got = wf.errors, work_to_json(wf)
        go_errors = [e.go_text for e in wf.go_errors]
    else:
        mf = parse_mod(text, "go.mod")
        errors, got = mf.errors, mod_to_json(mf)
        go_errors = [e.go_text for e in mf.go_errors]
    if v.ok:
        assert errors == []
        assert got == v.json
    else:
        assert "\n".join(go_errors).splitlines() == v.errors
        assert errors[0].go_text.splitlines()[0] == v.errors[0]


def test_some_corpus_files_are_rejected(verdicts: dict[str, GoVerdict]) -> None:
    """The x/mod fixtures include files go rejects; make sure we exercised some."""
    rejected = sorted(rel for rel, v in verdicts.items() if not v.ok)
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


@pytest.mark.parametrize(("rel", "kind"), FILES, ids=[r for r, _ in FILES])
def test_corpus_positions(rel: str, kind: str) -> None:
    text = read(rel)
    f = parse_work(text) if kind == "work" else parse_mod(text)
    check_positions(f.syntax)
    # Every statement line of the file is in the tree, at its own line.
    for line in f.syntax.lines():
        assert (
            f.syntax.text.splitlines()[line.start.line - 1].strip().startswith(line.tokens[0].text)
        )


def test_corpus_module_paths_and_deprecations() -> None:
    """Spot checks of meaning on well-known corpus files."""
    protobuf = [r for r, k in FILES if r.startswith("golang__protobuf/") and k == "mod"]
    assert protobuf
    f = parse_mod(read(protobuf[0]))
    assert f.module is not None
    assert f.module.path == "github.com/golang/protobuf"
    assert f.module.deprecated.startswith("Use the")
    non_ascii = [r for r, k in FILES if r.startswith("CuteReimu__YinYangJade/") and k == "mod"]
    assert non_ascii
    f = parse_mod(read(non_ascii[0]))
    assert f.errors == []
    assert f.ignore and f.exclude
