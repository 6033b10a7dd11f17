"""Go's ``%q`` formatting (``strconv.Quote`` / ``strconv.QuoteRune``) for error texts.

The go command's messages quote paths and characters with ``%q``; reproducing
them byte for byte needs Go's escaping rules. Python ``str`` values stand for Go
strings; bytes that are not valid UTF-8 travel as lone surrogates (the
``surrogateescape`` convention: U+DC80..U+DCFF stand for bytes 0x80..0xFF), and
:func:`go_bytes` turns such a string back into the bytes Go would hold.
"""

from __future__ import annotations

_SIMPLE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def go_bytes(s: str) -> bytes:
    """The bytes of the Go string that ``s`` stands for (UTF-8, surrogateescape)."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass")


def is_valid_utf8(s: str) -> bool:
    """Whether the Go string ``s`` stands for is valid UTF-8 (no surrogates)."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_print(c: str) -> bool:
    """Go's ``strconv.IsPrint``: letters, marks, numbers, punctuation, symbols, ASCII space."""
    return c.isprintable()


def _escape(c: str, quote: str) -> str:
    if c == quote or c == "\\":
        return "\\" + c
    if is_print(c):
        return c
    if c in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[c]
    r = ord(c)
    if r < 0x20 or r == 0x7F:
        return f"\\x{r:02x}"
    if r < 0x10000:
        return f"\\u{r:04x}"
    return f"\\U{r:08x}"


def _quote_with(s: str, quote: str) -> str:
    out = [quote]
    for c in s:
        if "\ud800" <= c <= "\udfff":
            # A byte that is not part of valid UTF-8: Go writes it as \xNN.
            out.extend(f"\\x{b:02x}" for b in go_bytes(c))
        else:
            out.append(_escape(c, quote))
    out.append(quote)
    return "".join(out)


def go_quote(s: str) -> str:
    """``strconv.Quote(s)``: a double-quoted Go string literal."""
    return _quote_with(s, '"')


def go_quote_rune(c: str) -> str:
    """``strconv.QuoteRune(c)``: a single-quoted Go character literal for one character."""
    if len(c) != 1:
        raise ValueError(f"go_quote_rune needs one character, got {len(c)}")
    if "\ud800" <= c <= "\udfff":
        return "'\ufffd'"  # not a valid rune: Go substitutes U+FFFD, which prints as itself
    return "'" + _escape(c, "'") + "'"
