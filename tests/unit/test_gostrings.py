"""Go's strings.Fields / TrimSpace, as the parsers split text: checked against a
character-by-character reading of Go's definition on arbitrary text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gomod_doctor.gostrings import GO_SPACE, GO_SPACE_CHARS, field_spans, fields, trim_space


def _fields_by_definition(s: str) -> list[str]:
    """strings.Fields: the maximal runs of characters for which unicode.IsSpace is false."""
    out: list[str] = []
    cur: list[str] = []
    for c in s:
        if c in GO_SPACE:
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(c)
    if cur:
        out.append("".join(cur))
    return out


# Go's spaces, the characters a regular expression could mistake (], ^, \, -), and others.
TEXT = st.text(alphabet=st.sampled_from(list(GO_SPACE_CHARS) + list("ab1/\\-]^[é\x00\u200b")))


@given(TEXT)
def test_fields_as_go(s: str) -> None:
    assert fields(s) == _fields_by_definition(s)
    assert [s[a:b] for a, b in field_spans(s)] == fields(s)


@given(TEXT)
def test_trim_space_as_go(s: str) -> None:
    want = s
    while want and want[0] in GO_SPACE:
        want = want[1:]
    while want and want[-1] in GO_SPACE:
        want = want[:-1]
    assert trim_space(s) == want


def test_known_cases() -> None:
    assert fields("  a \u2028b\u00a0c\u200bd \n") == ["a", "b", "c\u200bd"]  # ZWSP is no space
    assert fields("") == [] and fields(" \t\r\n") == []
