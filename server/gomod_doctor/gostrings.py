"""Go's ``unicode.IsSpace``, ``strings.Fields`` and ``strings.TrimSpace``, shared by the
parsers (go.mod, go.sum, notes) and the environment code, which all split text as go does."""

from __future__ import annotations

import re

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


# A field: a maximal run of characters that are not Go spaces.
_FIELD = re.compile("[^" + re.escape(GO_SPACE_CHARS) + "]+")


def field_spans(s: str) -> list[tuple[int, int]]:
    """``strings.Fields`` as (start, end) index pairs into ``s``."""
    return [m.span() for m in _FIELD.finditer(s)]


def fields(s: str) -> list[str]:
    """``strings.Fields``."""
    return [s[a:b] for a, b in field_spans(s)]
