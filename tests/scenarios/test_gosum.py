"""go.sum / go.work.sum parsing, checked against the corpus and the real go command.

The corpus (tests/gocorpus.py) is the go toolchain's own go.sum files (always there)
and ../shared/corpus when present; go's verdict on each comes from the real go.
"""

from __future__ import annotations

import base64
import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gocorpus import CorpusFile, all_files, file_params, files, needs_shared
from gomod_doctor.gosum.parser import (
    EMPTY_GOMOD_HASH,
    go_fields,
    parse_sum,
    resolve_conflicts,
)
from gomod_doctor.position import Position
from gotool import isolated_env, run_go

# --- helpers -----------------------------------------------------------------------


def gomod_hash(content: str) -> str:
    """The h1: hash of a go.mod file as go.sum records it (dirhash.Hash1 over one file)."""
    data = content.encode()
    summary = f"{hashlib.sha256(data).hexdigest()}  go.mod\n".encode()
    return "h1:" + base64.b64encode(hashlib.sha256(summary).digest()).decode()


def go_one_line(stderr: str) -> str:
    """go's multi-line malformed go.sum message as one line."""
    return stderr.rstrip("\n").replace("malformed go.sum:\n", "malformed go.sum: ", 1)


class SumOracle:
    """A module whose go.sum the real go command reads offline (`go list -m all`).

    It requires example.com/a and example.com/b, served by a file:// proxy that has
    only their .info and .mod files: enough for `go list -m all`.
    """

    MODS: ClassVar[dict[str, str]] = {
        "example.com/a": "module example.com/a\n",
        "example.com/b": "module example.com/b\n\ngo 1.21\n",
    }

    def __init__(self, base: Path) -> None:
        self.base = base
        self.proxy = base / "proxy"
        for path, gomod in self.MODS.items():
            d = self.proxy / path / "@v"
            d.mkdir(parents=True, exist_ok=True)
            (d / "list").write_text("v1.0.0\n")
            (d / "v1.0.0.info").write_text('{"Version":"v1.0.0","Time":"2020-01-01T00:00:00Z"}')
            (d / "v1.0.0.mod").write_text(gomod)
        self.mod = base / "m"
        self.mod.mkdir(parents=True, exist_ok=True)
        (self.mod / "go.mod").write_text(
            "module example.com/m\n\ngo 1.21\n\n"
            "require (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0\n)\n"
        )
        self.env = isolated_env(
            base / "env",
            GOPROXY=f"file://{self.proxy}",
            GOSUMDB="off",
            GOFLAGS="-mod=readonly",
        )
        self.count = 0

    @property
    def good_lines(self) -> list[str]:
        return [f"{p} v1.0.0/go.mod {gomod_hash(m)}" for p, m in self.MODS.items()]

    def run(self, text: str) -> tuple[int, str]:
        path = self.mod / "go.sum"
        path.write_bytes(text.encode("utf-8"))
        r = run_go(["list", "-m", "all"], self.mod, self.env)
        self.count += 1
        return r.returncode, r.stderr

    @property
    def sum_path(self) -> str:
        return str(self.mod / "go.sum")


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> SumOracle:
    return SumOracle(tmp_path_factory.mktemp("sumoracle"))


# --- the corpus ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sum_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str | None]]:
    """By file id: the path go read the file at, and go's malformed go.sum message (None
    when go accepts the file). Each file is the go.sum of its own :class:`SumOracle`."""
    base = tmp_path_factory.mktemp("sumcorpus")

    def one(i: int, f: CorpusFile) -> tuple[str, tuple[str, str | None]]:
        oracle = SumOracle(base / f"o{i}")
        _, stderr = oracle.run(f.text)
        if "malformed go.sum" in stderr:
            return f.id, (oracle.sum_path, go_one_line(stderr))
        # go read the whole file and went on to look up example.com/a in it.
        assert "missing go.sum entry" in stderr, stderr
        return f.id, (oracle.sum_path, None)

    with ThreadPoolExecutor(4) as ex:
        return dict(ex.map(lambda a: one(*a), enumerate(all_files("sum"))))


def test_goroot_corpus_has_sum_files(sum_verdicts: dict[str, tuple[str, str | None]]) -> None:
    got = files("goroot", "sum")
    assert {"goroot/src/go.sum", "goroot/src/cmd/go.sum"} <= {f.id for f in got}
    assert len(got) > 20
    # go's script tests include go.sum files go rejects: we exercised some.
    assert any(sum_verdicts[f.id][1] for f in got)


@needs_shared
def test_shared_corpus_has_sum_files() -> None:
    got = files("shared", "sum")
    assert {"go.sum", "go.work.sum", "vendor.sum"} <= {f.name for f in got}
    assert len(got) > 20


@pytest.mark.parametrize("f", file_params("sum"))
def test_corpus_sum_file_matches_go(
    f: CorpusFile, sum_verdicts: dict[str, tuple[str, str | None]]
) -> None:
    path, go_error = sum_verdicts[f.id]
    text = f.text
    parsed = parse_sum(text, path)
    assert parsed.go_error == go_error
    if go_error is not None:
        return
    # Accepted by go: no malformed line and no conflict; a duplicate (which go
    # accepts, and go mod tidy drops) repeats an earlier line's module and version.
    assert [p for p in parsed.problems if p.kind != "duplicate"] == []
    assert parsed.conflicts == []
    for dup in parsed.problems_of("duplicate"):
        first, *rest = dup.entries
        assert rest and all(
            (e.module, e.version, e.gomod) == (first.module, first.version, first.gomod)
            for e in rest
        )
    nonblank = [line for line in text.split("\n") if line.strip()]
    assert len(parsed.entries) == len(nonblank)
    for e in parsed.entries:
        # Every field range slices back to its text.
        assert text[e.module_range.start.offset : e.module_range.end.offset] == e.module
        assert text[e.version_range.start.offset : e.version_range.end.offset] == e.version_field
        assert text[e.hash_range.start.offset : e.hash_range.end.offset] == e.hash


# --- entries ---------------------------------------------------------------------------


def test_entry_fields_and_ranges() -> None:
    text = "golang.org/x/text v0.3.0 h1:g61=\r\nrsc.io/q  v1.5.2/go.mod\th1:w1=\n\n  é.io/x v1.0.0 h1:z=\n"
    parsed = parse_sum(text)
    assert parsed.problems == []
    a, b, c = parsed.entries
    assert (a.module, a.version, a.gomod, a.hash, a.line) == (
        "golang.org/x/text",
        "v0.3.0",
        False,
        "h1:g61=",
        1,
    )
    # The CR is white space to go and is not part of the line's range.
    assert a.range.end == Position(1, 33, 32)
    assert (b.module, b.version, b.gomod, b.version_field) == (
        "rsc.io/q",
        "v1.5.2",
        True,
        "v1.5.2/go.mod",
    )
    assert b.version_range.start.col == 11
    assert c.line == 4
    assert c.module_range.start == Position(4, 3, text.index("é"))
    # Columns count characters: "é" is one column.
    assert c.version_range.start.col == 10
    assert parsed.lookup("rsc.io/q", "v1.5.2", True) == [b]
    assert parsed.lookup("rsc.io/q", "v1.5.2", False) == []


def test_go_fields_uses_gos_white_space() -> None:
    # U+0085, U+00A0 and U+2028 are space to Go; U+001C and U+200B are not.
    assert len(go_fields("a\x85b\xa0c\u2028d")) == 4
    assert len(go_fields("a\x1cb\u200bc")) == 1


def test_empty_gomod_hash_is_ignored_like_go() -> None:
    parsed = parse_sum(f"x.io/m v1.0.0/go.mod {EMPTY_GOMOD_HASH}\nx.io/m v1.0.0/go.mod h1:real=\n")
    assert parsed.entries[0].ignored
    assert parsed.problems == []
    assert [e.hash for e in parsed.lookup("x.io/m", "v1.0.0", True)] == ["h1:real="]


# --- malformed lines -------------------------------------------------------------------


def test_malformed_collects_every_line() -> None:
    text = "a v1 h1:x\nonly two\n\nfour fields are here\na v2 h1:y\none\n"
    parsed = parse_sum(text, "/w/go.sum")
    malformed = parsed.problems_of("malformed")
    assert [(p.line, p.message) for p in malformed] == [
        (2, "malformed go.sum: /w/go.sum:2: wrong number of fields 2"),
        (4, "malformed go.sum: /w/go.sum:4: wrong number of fields 4"),
        (6, "malformed go.sum: /w/go.sum:6: wrong number of fields 1"),
    ]
    assert malformed[0].range.start == Position(2, 1, 10)
    assert malformed[0].range.end == Position(2, 9, 18)
    assert parsed.go_error == malformed[0].message
    assert len(parsed.entries) == 2


def test_go_work_sum_message_names_the_file() -> None:
    parsed = parse_sum("x y\n", "go.work.sum")
    assert parsed.go_error == "malformed go.sum: go.work.sum:1: wrong number of fields 2"


DIFFERENTIAL = [
    "",
    "\n\n",
    "a v1 h1:x\n",
    "example.com/a v1.0.0\n",
    "x\n",
    "a b c d\n",
    "a b c\nx y\n",
    "   \t \n  a   b   c  \n",
    "a\u2028b c\n",
    "a\x1cb c d\n",
    "a\x85b\xa0c\n",
    "a b c\r\nd e\r\n",
    "a b c\rd e f\n",
    "a b c",
    "a b",
    "\ufeffa b c\n",
    "<<<<<<< HEAD\na b c\n=======\na b d\n>>>>>>> feature\n",
    "a b c\n<<<<<<< HEAD with label\n",
    "a b c\n=======\n",
    "a b c\n||||||| merged common ancestors\n",
]


def test_differential_malformed_against_go(oracle: SumOracle) -> None:
    good = "\n".join(oracle.good_lines) + "\n"
    for text in DIFFERENTIAL:
        for full in (text, good + text):
            parsed = parse_sum(full, oracle.sum_path)
            code, stderr = oracle.run(full)
            if parsed.go_error is None:
                assert "malformed go.sum" not in stderr, (full, stderr)
            else:
                assert code != 0
                assert go_one_line(stderr) == parsed.go_error, (full, stderr)


def test_good_sum_is_accepted_by_go(oracle: SumOracle) -> None:
    code, stderr = oracle.run("\n".join(oracle.good_lines) + "\n")
    assert code == 0, stderr


_VOCAB = st.sampled_from(
    [
        "a b c",
        "x.io/m v1.0.0/go.mod h1:abc=",
        "only two",
        "",
        "   ",
        "one",
        "f1 f2 f3 f4",
        "a\u2028b c",
        "a\x1cb c",
        "<<<<<<< HEAD",
        "=======",
        ">>>>>>> branch",
        "||||||| base",
        "a b c\r",
        "\t a \t b \t c \t",
    ]
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_VOCAB, max_size=8), st.booleans())
def test_random_lines_against_go(oracle: SumOracle, lines: list[str], final_newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if final_newline and lines else "")
    parsed = parse_sum(text, oracle.sum_path)
    _, stderr = oracle.run("\n".join(oracle.good_lines) + "\n" + text)
    full = parse_sum("\n".join(oracle.good_lines) + "\n" + text, oracle.sum_path)
    if full.go_error is None:
        assert "malformed go.sum" not in stderr
    else:
        assert go_one_line(stderr) == full.go_error
    assert len(parsed.entries) + len(parsed.problems_of("malformed")) <= len(lines)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises(text: str) -> None:
    parsed = parse_sum(text)
    for p in parsed.problems:
        assert p.range.start.offset <= p.range.end.offset <= len(text)
    for e in parsed.entries:
        assert text[e.hash_range.start.offset : e.hash_range.end.offset] == e.hash
    resolve_conflicts(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["a b c", "a b d", "<<<<<<< x", "=======", ">>>>>>> y", "||||||| z", "", "bad", "e f g"]
        ),
        max_size=12,
    )
)
def test_resolve_is_idempotent_and_conflict_free(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    once = resolve_conflicts(text)
    assert resolve_conflicts(once) == once
    assert parse_sum(once).conflicts == []
    # Exact repeats are gone; different hashes for one version stay for a human.
    assert all(p.hashes_differ for p in parse_sum(once).problems_of("duplicate"))


# --- conflicts ---------------------------------------------------------------------------


CONFLICT = """\
a.io/x v1.0.0 h1:aaa=
<<<<<<< HEAD
b.io/y v1.1.0 h1:ours=
b.io/y v1.1.0/go.mod h1:ours-mod=
||||||| 1a2b3c4 (base commit)
b.io/y v1.0.0 h1:base=
=======
b.io/y v1.2.0 h1:theirs=
b.io/y v1.1.0/go.mod h1:ours-mod=
>>>>>>> feature/upgrade
c.io/z v0.1.0 h1:ccc=
"""


def test_conflict_region_is_recorded() -> None:
    parsed = parse_sum(CONFLICT)
    (region,) = parsed.conflicts
    assert region.complete
    assert (region.start_line, region.base_line, region.separator_line, region.end_line) == (
        2,
        5,
        7,
        10,
    )
    assert (region.ours, region.base, region.theirs) == ((3, 4), (6, 6), (8, 9))
    assert region.marker_lines == (2, 5, 7, 10)
    assert (region.ours_label, region.theirs_label) == ("HEAD", "feature/upgrade")
    assert region.range.start == Position(2, 1, CONFLICT.index("<<<<<<<"))
    assert region.range.end.line == 10
    (conflict,) = parsed.problems_of("conflict")
    assert conflict.conflict == region
    assert conflict.message == "unresolved git merge conflict (lines 2-10)"
    # To go the first marker is just a malformed line.
    assert conflict.go_message == "malformed go.sum: go.sum:2: wrong number of fields 2"
    assert parsed.problems_of("malformed") == []
    sides = {e.line: e.conflict_side for e in parsed.entries}
    assert sides == {1: None, 3: "ours", 4: "ours", 6: "base", 8: "theirs", 9: "theirs", 11: None}


def test_stray_markers_are_conflicts_not_malformed() -> None:
    parsed = parse_sum("a b c\n=======\nd e f\n>>>>>>> x\n")
    assert [c.marker_lines for c in parsed.conflicts] == [(2,), (4,)]
    assert all(not c.complete for c in parsed.conflicts)
    assert parsed.problems_of("malformed") == []
    assert [p.message for p in parsed.problems_of("conflict")] == [
        "leftover git merge conflict marker (line 2)",
        "leftover git merge conflict marker (line 4)",
    ]
    assert len(parsed.entries) == 2


def test_unterminated_conflict() -> None:
    parsed = parse_sum("<<<<<<< HEAD\na b c\n=======\nd e f\n")
    (region,) = parsed.conflicts
    assert not region.complete
    assert (region.ours, region.theirs, region.end_line) == ((2, 2), (4, 4), None)


def test_resolve_conflicts_keeps_both_sides() -> None:
    assert resolve_conflicts(CONFLICT) == (
        "a.io/x v1.0.0 h1:aaa=\n"
        "b.io/y v1.1.0 h1:ours=\n"
        "b.io/y v1.1.0/go.mod h1:ours-mod=\n"
        "b.io/y v1.2.0 h1:theirs=\n"
        "c.io/z v0.1.0 h1:ccc=\n"
    )


def test_resolve_keeps_line_endings_and_missing_final_newline() -> None:
    text = "<<<<<<< a\r\nx y z\r\n=======\r\nx y z\r\n>>>>>>> b\r\nlast l l"
    assert resolve_conflicts(text) == "x y z\r\nlast l l"


def test_resolved_conflict_is_accepted_by_go(oracle: SumOracle) -> None:
    a, b = oracle.good_lines
    conflicted = f"<<<<<<< HEAD\n{a}\n=======\n{a}\n{b}\n>>>>>>> other\n"
    code, stderr = oracle.run(conflicted)
    assert code != 0 and go_one_line(stderr) == parse_sum(conflicted, oracle.sum_path).go_error
    resolved = resolve_conflicts(conflicted)
    assert resolved == f"{a}\n{b}\n"
    code, stderr = oracle.run(resolved)
    assert code == 0, stderr


# --- duplicates -------------------------------------------------------------------------


def test_identical_duplicate() -> None:
    parsed = parse_sum("a v1 h1:x\nb v1 h1:y\na v1 h1:x\n")
    (dup,) = parsed.problems_of("duplicate")
    assert dup.line == 3
    assert not dup.hashes_differ
    assert dup.used is parsed.entries[0]
    assert dup.entry is parsed.entries[2]
    assert dup.entries == (parsed.entries[0], parsed.entries[2])
    assert dup.message == "a@v1: line 3 repeats line 1"


def test_different_hashes() -> None:
    parsed = parse_sum("a v1/go.mod h1:x\na v1/go.mod h1:y\na v1 h1:z\n")
    (dup,) = parsed.problems_of("duplicate")
    assert dup.hashes_differ
    assert dup.line == 2
    assert dup.used is not None and dup.used.line == 1
    assert "go uses line 1" in dup.message


def test_non_h1_hash_is_skipped_by_go() -> None:
    parsed = parse_sum("a v1 h2:future\na v1 h1:x\n")
    (dup,) = parsed.problems_of("duplicate")
    assert dup.used is not None and dup.used.line == 2
    assert dup.line == 1


def test_go_uses_the_first_hash(oracle: SumOracle) -> None:
    a, b = oracle.good_lines
    wrong = a.rsplit(" ", 1)[0] + " h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    # Right hash first: go is satisfied although a wrong one follows.
    text = f"{a}\n{wrong}\n{b}\n"
    (dup,) = parse_sum(text).problems_of("duplicate")
    assert dup.hashes_differ and dup.used is not None and dup.used.line == 1
    code, stderr = oracle.run(text)
    assert code == 0, stderr
    # Wrong hash first: go reports a mismatch against it.
    text = f"{wrong}\n{a}\n{b}\n"
    (dup,) = parse_sum(text).problems_of("duplicate")
    assert dup.used is not None and dup.used.line == 1
    code, stderr = oracle.run(text)
    assert code != 0
    assert "checksum mismatch" in stderr
    assert dup.used.hash in stderr
