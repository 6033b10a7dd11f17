"""Go's ``unicode.IsSpace``, ``strings.Fields`` and ``strings.TrimSpace``, shared by the
parsers (go.mod, go.sum, notes) and the environment code, which all split text as go does."""

from __future__ import annotations

#: The characters Go's unicode.IsSpace accepts (what strings.TrimSpace trims).
GO_SPACE_CHARS = (
    "\t\n\v\f\r \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
GO_SPACE = frozenset(GO_SPACE_CHARS)


def trim_space(s: str) -> str:
    """``strings.TrimSpace``."""
    return s.strip(GO_SPACE_CHARS)


def field_spans(s: str) -> list[tuple[int, int]]:
    """``strings.Fields`` as (start, end) index pairs into ``s``."""
    out: list[tuple[int, int]] = []
    i = 0
    n = len(s)
    while i < n:
        while i < n and s[i] in GO_SPACE:
            i += 1
        if i >= n:
            break
        j = i
        while j < n and s[j] not in GO_SPACE:
            j += 1
        out.append((i, j))
        i = j
    return out


def fields(s: str) -> list[str]:
    """``strings.Fields``."""
    return [s[a:b] for a, b in field_spans(s)]
