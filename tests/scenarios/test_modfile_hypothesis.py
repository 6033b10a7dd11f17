"""Generated and mutated go.mod / go.work text: we never raise, and we agree with go.

Documents are built from directive soup (valid and invalid arguments, blocks,
comments, quoting) and then mutated by random character insertions and
deletions. Each hypothesis example is a *batch* of documents, so the real go
runs on many files per example (in parallel) while the number of examples, and
so the runtime, stays small.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_modfile_corpus import check_positions, parses_alike

from gomod_doctor.modfile.edit import find_commented_replaces
from gomod_doctor.modfile.rules import mod_to_json, parse_mod
from gomod_doctor.modfile.work import parse_work, work_to_json
from gotool import isolated_env, run_go

# --- atoms: mostly valid, some not ---------------------------------------------

PATHS_OK = [
    "example.com/a",
    "example.com/a/v2",
    "golang.org/x/net",
    "gopkg.in/yaml.v3",
    "github.com/Azure/azure-sdk-for-go",
    '"example.com/quoted"',
    '"ex\\x61mple.com/esc"',
    "ü.com/x",
]
PATHS_BAD = ["a/v1", "gopkg.in/yaml", '"bad\\q"', "`raw`", "'s'", "a@v1", '""', "x/v0", "(", ","]
VERSIONS_OK = [
    "v1.2.3",
    "v1.2",
    "v1",
    "v0.0.0-20200101000000-abcdefabcdef",
    "v1.0.0-rc.1",
    "v2.0.0+incompatible",
    '"v1.4.0"',
    "v2.1.0",
]
VERSIONS_BAD = ["1.2.3", "latest", "vX", "`v1`", "v1.2.3.4", "v2", "]"]
DIRS = ["../a", "./b", "/abs/c", ".", "..", '"./sp ace"', "../a/b.v2", "C:\\w", ".\\win", "b"]
GO_OK = ["1.21", "1.21.0", "1.22rc1", "1.23.4", "1.9"]
GO_BAD = ["1.021", "v1.21", "1", "1.22.x", '"1.21"']
TOOLCHAINS = ["go1.22", "go1.22.1", "default", "go1.21rc2", "go2", "1.22", "go1"]
GODEBUGS = ["a=b", "default=go1.21", "k=", "=v", "nokey", "a=1,b=2", '"a=b"']
SUFFIXES = ["", "", "", " // indirect", " // c", " //indirect; why", " // 注释 ☃", "\t// x"]
COMMENTS = ["// comment", "// Deprecated: use other", "//", "  // indented", "// replace a => ../a"]
NOISE = ' \t\n\r"`()[]{},/=>\\*éü日☃\u00a0\u200b\ufeff\x0b\x01v1.-@'


@st.composite
def pick(draw: st.DrawFn, ok: list[str], bad: list[str]) -> str:
    if draw(st.integers(0, 9)) < 8:
        return draw(st.sampled_from(ok))
    return draw(st.sampled_from(bad))


def _path() -> st.SearchStrategy[str]:
    return pick(PATHS_OK, PATHS_BAD)


def _version() -> st.SearchStrategy[str]:
    return pick(VERSIONS_OK, VERSIONS_BAD)


@st.composite
def replace_args(draw: st.DrawFn) -> str:
    old = draw(_path())
    if draw(st.booleans()):
        old += " " + draw(_version())
    if draw(st.booleans()):
        new = draw(st.sampled_from(DIRS))
    else:
        new = draw(_path()) + " " + draw(_version())
    arrow = draw(st.sampled_from(["=>", "=>", "=>", "", "= >", "=> x"]))
    return f"{old} {arrow} {new}"


@st.composite
def entry(draw: st.DrawFn, verb: str) -> str:
    """The arguments of one directive (what follows the verb)."""
    if verb in ("require", "exclude"):
        return draw(_path()) + " " + draw(_version())
    if verb == "replace":
        return draw(replace_args())
    if verb == "retract":
        v = draw(_version())
        if draw(st.booleans()):
            return v
        return f"[{v}, {draw(_version())}]"
    if verb == "go":
        return draw(pick(GO_OK, GO_BAD))
    if verb == "toolchain":
        return draw(st.sampled_from(TOOLCHAINS))
    if verb == "godebug":
        return draw(st.sampled_from(GODEBUGS))
    if verb in ("tool", "ignore", "module"):
        return draw(_path())
    if verb == "use":
        return draw(st.sampled_from(DIRS))
    return " ".join(draw(st.lists(st.sampled_from(["x", "y", "v1"]), max_size=2)))


MOD_VERBS = ["module", "go", "toolchain", "godebug", "require", "require", "exclude", "replace"]
MOD_VERBS += ["replace", "retract", "tool", "ignore", "frob"]
WORK_VERBS = ["go", "toolchain", "godebug", "use", "use", "replace", "replace", "module"]
BLOCK_VERBS = ["require", "replace", "exclude", "retract", "godebug", "tool", "ignore", "use"]


@st.composite
def document(draw: st.DrawFn, work: bool) -> str:
    verbs = WORK_VERBS if work else MOD_VERBS
    lines: list[str] = []
    if not work and draw(st.integers(0, 9)) < 8:
        lines.append("module " + draw(pick(PATHS_OK, PATHS_BAD)))
    for _ in range(draw(st.integers(0, 7))):
        kind = draw(st.integers(0, 9))
        if kind < 2:
            verb = draw(st.sampled_from(BLOCK_VERBS if not work else ["use", "replace", "godebug"]))
            lines.append(f"{verb} ({draw(st.sampled_from(['', ' // c']))}")
            for _ in range(draw(st.integers(0, 3))):
                if draw(st.integers(0, 5)) == 0:
                    lines.append(draw(st.sampled_from(["", "\t// inner", "\t// x => ../x"])))
                indent = draw(st.sampled_from(["\t", "    ", ""]))
                lines.append(indent + draw(entry(verb)) + draw(st.sampled_from(SUFFIXES)))
            lines.append(draw(st.sampled_from([")", ")", ")", " )", ") x", ") // c", ""])))
        elif kind < 3:
            lines.append(draw(st.sampled_from(["", *COMMENTS])))
        else:
            verb = draw(st.sampled_from(verbs))
            lines.append(f"{verb} {draw(entry(verb))}{draw(st.sampled_from(SUFFIXES))}")
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n", "\n\n"]))
    # Mutations: a few random character insertions and deletions.
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):
        i = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:i] + draw(st.sampled_from(NOISE)) + text[i:]
        else:
            text = text[:i] + text[i + 1 :]
    return text


# --- never raises ----------------------------------------------------------------


def _exercise(text: str) -> None:
    for f in (parse_mod(text), parse_mod(text, lax=True), parse_work(text)):
        check_positions(f.syntax)
        assert (not f.errors) == (not f.go_errors)
        assert all(e.range.start <= e.range.end for e in f.errors)
        find_commented_replaces(f)
    mod_to_json(parse_mod(text))
    work_to_json(parse_work(text))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(document(False), document(True), st.text(max_size=300)))
def test_never_raises(text: str) -> None:
    _exercise(text)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from([*NOISE, "require ", "replace ", "a => ../a", "\n(\n"])).map("".join)
)
def test_never_raises_noise(text: str) -> None:
    _exercise(text)


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        document(False),
        document(True),
        st.lists(st.sampled_from([*NOISE, "require (\n", "\ta v1", " // c", "\n)\n"])).map("".join),
    )
)
def test_plain_lines_parse_as_the_lexer_does(text: str) -> None:
    parses_alike(text)


# --- agreement with go ---------------------------------------------------------------

BATCH = 25


GoResult = tuple[bool, str, list[str]]
Runner = Callable[[list[str], bool], list[GoResult]]
STATS = {"accepted": 0, "rejected": 0}


@pytest.fixture(scope="module")
def go_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    base = tmp_path_factory.mktemp("hyp")
    env = isolated_env(base / "goenv")
    counter = iter(range(10**9))
    pool = ThreadPoolExecutor(4)

    def run_one(text: str, work: bool) -> GoResult:
        d = base / f"d{next(counter)}"
        d.mkdir()
        name = "go.work" if work else "go.mod"
        (d / name).write_bytes(text.encode("utf-8", "surrogateescape"))
        r = run_go(["work" if work else "mod", "edit", "-json", name], d, env)
        shutil.rmtree(d, ignore_errors=True)
        if r.returncode == 0:
            return True, r.stdout, []
        lines = r.stderr.splitlines()
        return False, "", lines[2 if work else 1 :]

    def run_batch(texts: list[str], work: bool) -> list[GoResult]:
        return list(pool.map(lambda t: run_one(t, work), texts))

    yield run_batch
    pool.shutdown()


def _agree(texts: list[str], work: bool, results: list[GoResult]) -> None:
    for text, (ok, out, go_errors) in zip(texts, results, strict=True):
        f = parse_work(text) if work else parse_mod(text)
        ours = "\n".join(e.go_text for e in f.go_errors).splitlines()
        STATS["accepted" if ok else "rejected"] += 1
        if ok:
            assert f.errors == [], (text, ours)
            got = work_to_json(f) if work else mod_to_json(f)  # type: ignore[arg-type]
            assert got == json.loads(out), text
        else:
            assert ours, (text, go_errors)
            # Same first error line number, and in fact the same text.
            assert ours[0].split(":")[:2] == go_errors[0].split(":")[:2], (text, ours, go_errors)
            assert ours == go_errors, text


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(document(False), min_size=BATCH, max_size=BATCH))
def test_go_mod_agrees_with_go(go_runner: Runner, texts: list[str]) -> None:
    _agree(texts, False, go_runner(texts, False))


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(document(True), min_size=BATCH, max_size=BATCH))
def test_go_work_agrees_with_go(go_runner: Runner, texts: list[str]) -> None:
    _agree(texts, True, go_runner(texts, True))


def test_generator_covers_both_verdicts() -> None:
    """The generated documents were a real mix of files go accepts and rejects."""
    if STATS["accepted"] + STATS["rejected"] == 0:
        pytest.skip("the agreement tests did not run")
    total = STATS["accepted"] + STATS["rejected"]
    assert STATS["accepted"] >= total // 10, STATS
    assert STATS["rejected"] >= total // 10, STATS
