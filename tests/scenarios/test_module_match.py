"""gomod_doctor.module.match: Go's path.Match and module.MatchPrefixPatterns (GOPRIVATE)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gomod_doctor.module import BadPatternError, match_prefix_patterns, path_match
from gomod_doctor.module.paths import match_prefix_patterns as reexported
from xmod_oracle import Oracle, oracle


@pytest.fixture(scope="module")
def xmod() -> Oracle:
    return oracle()


BAD = None  # the pattern is malformed: BadPatternError

# (pattern, name, matched or BAD)
MATCH: list[tuple[str, str, bool | None]] = [
    ("abc", "abc", True),
    ("*", "abc", True),
    ("*c", "abc", True),
    ("a*", "a", True),
    ("a*", "abc", True),
    ("a*", "ab/c", False),
    ("a*/b", "abc/b", True),
    ("a*/b", "a/c/b", False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True),
    ("a*b?c*x", "abxbbxdbxebxczzy", False),
    ("ab[c]", "abc", True),
    ("ab[b-d]", "abc", True),
    ("ab[e-g]", "abc", False),
    ("ab[^c]", "abc", False),
    ("ab[^b-d]", "abc", False),
    ("ab[^e-g]", "abc", True),
    ("a\\*b", "a*b", True),
    ("a\\*b", "ab", False),
    ("a?b", "a☺b", True),
    ("a[^a]b", "a☺b", True),
    ("a???b", "a☺b", False),
    ("a[^a][^a][^a]b", "a☺b", False),
    ("[a-ζ]*", "α", True),
    ("*[a-ζ]", "A", False),
    ("a?b", "a/b", False),
    ("a*b", "a/b", False),
    ("[\\]a]", "]", True),
    ("[\\-]", "-", True),
    ("[x\\-]", "x", True),
    ("[x\\-]", "-", True),
    ("[x\\-]", "z", False),
    ("[\\-x]", "x", True),
    ("[\\-x]", "-", True),
    ("[\\-x]", "a", False),
    ("[]a]", "]", BAD),
    ("[-]", "-", BAD),
    ("[x-]", "x", BAD),
    ("[x-]", "-", BAD),
    ("[x-]", "z", BAD),
    ("[-x]", "x", BAD),
    ("[-x]", "-", BAD),
    ("[-x]", "a", BAD),
    ("\\", "a", BAD),
    ("[a-b-c]", "a", BAD),
    ("[", "a", BAD),
    ("[^", "a", BAD),
    ("[^bc", "a", BAD),
    ("a[", "a", BAD),
    ("a[", "ab", BAD),
    ("a[", "x", BAD),
    ("a/b[", "x", BAD),
    ("*x", "xxx", True),
    ("", "", True),
    ("", "a", False),
    ("*", "", True),
    ("a*??", "a€", True),  # Go's star may stop inside a multi-byte character
    ("[\u00e9]", "\u00e9", True),
    ("x\\", "y", BAD),  # malformed after the point of mismatch: still reported
    ("x[", "y", BAD),
]


@pytest.mark.parametrize(("pattern", "name", "want"), MATCH)
def test_path_match(pattern: str, name: str, want: bool | None) -> None:
    if want is BAD:
        with pytest.raises(BadPatternError, match=r"^syntax error in pattern$"):
            path_match(pattern, name)
    else:
        assert path_match(pattern, name) is want


# (globs, target, matched)
PREFIX: list[tuple[str, str, bool]] = [
    ("*.corp.example.com", "git.corp.example.com/x/y", True),
    ("*.corp.example.com", "corp.example.com/x", False),
    ("rsc.io/private", "rsc.io/private", True),
    ("rsc.io/private", "rsc.io/private/quux", True),
    ("rsc.io/private", "rsc.io/privatex", False),
    ("rsc.io/private", "rsc.io", False),
    ("rsc.io/private/", "rsc.io/private/x", True),
    ("rsc.io/private//", "rsc.io/private/x", False),
    ("*.corp.example.com,rsc.io/private", "rsc.io/private/x", True),
    ("", "x", False),
    (",,", "x", False),
    ("a,,b", "b/c", True),
    ("/", "x", False),
    ("[", "x", False),
    ("[,x", "x", True),
    ("*", "anything/else", True),
    ("*/*", "a", False),
    ("*/*", "a/b/c", True),
    ("example.com", "example.com.evil/x", False),
    ("github.com/Org", "github.com/org/x", False),
    ("*.example.com/*", "a.example.com/b/c", True),
    ("?", "a/b", True),
    ("github.com/*/private-*", "github.com/acme/private-tools/cmd", True),
    ("github.com/*/private-*", "github.com/acme/public/private-x", False),
]


@pytest.mark.parametrize(("globs", "target", "want"), PREFIX)
def test_match_prefix_patterns(globs: str, target: str, want: bool) -> None:
    assert match_prefix_patterns(globs, target) is want


def test_reexported_from_paths() -> None:
    assert reexported is match_prefix_patterns


# --- differential tests against Go ---------------------------------------------------


def _ours(pattern: str, name: str) -> list[str]:
    try:
        return ["1" if path_match(pattern, name) else "0", ""]
    except BadPatternError as e:
        return ["0", "E" + str(e)]


def test_tables_against_go(xmod: Oracle) -> None:
    for pattern, name, _ in MATCH:
        assert _ours(pattern, name) == xmod.ask("match", pattern, name), (pattern, name)
    for globs, target, want in PREFIX:
        assert xmod.ask("prefix", globs, target) == ["1" if want else "0"], (globs, target)


_PATTERN_CHARS = [
    "a",
    "b",
    "*",
    "*",
    "?",
    "[",
    "]",
    "^",
    "-",
    "\\",
    "/",
    ",",
    "é",
    "€",
    "☺",
    "\udcff",
]
_NAME_CHARS = ["a", "b", "/", "-", "]", "é", "€", "☺", "\udcff", "*"]
patterns = st.lists(st.sampled_from(_PATTERN_CHARS), max_size=8).map("".join)
names = st.lists(st.sampled_from(_NAME_CHARS), max_size=8).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(patterns, names), max_size=20))
def test_path_match_matches_go(xmod: Oracle, pairs: list[tuple[str, str]]) -> None:
    for pattern, name in pairs:
        assert _ours(pattern, name) == xmod.ask("match", pattern, name), (pattern, name)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(patterns, names), max_size=20))
def test_match_prefix_patterns_matches_xmod(xmod: Oracle, pairs: list[tuple[str, str]]) -> None:
    for globs, target in pairs:
        want = xmod.ask("prefix", globs, target) == ["1"]
        assert match_prefix_patterns(globs, target) is want, (globs, target)


@given(st.text(max_size=12), st.text(max_size=12))
def test_only_bad_pattern_errors(pattern: str, name: str) -> None:
    with contextlib.suppress(BadPatternError):
        path_match(pattern, name)
    match_prefix_patterns(pattern, name)


@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="*?[]\\"), max_size=12))
def test_literal_patterns_match_themselves(s: str) -> None:
    assert path_match(s, s)
    assert path_match(s + "*", s + "x")
    if "/" not in s:
        assert path_match("*", s)
        assert path_match("?" * len(s), s)  # one ? per character
        assert not path_match("?" * (len(s) + 1), s)
