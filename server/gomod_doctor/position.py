"""Source positions shared by every layer.

A :class:`Position` follows golang.org/x/mod/modfile's ``Position``: ``line`` is
1-based, ``col`` is the 1-based column counted in characters (Go's ``LineRune``),
and ``offset`` is the 0-based index of the character in the Python ``str`` text.
Columns count characters, never bytes or UTF-16 units, so non-ASCII text earlier
on a line never shifts a range; the LSP layer converts to the client's encoding.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple


class Position(NamedTuple):
    """Immutable and ordered by (line, col, offset). A named tuple: parsers make one
    for every token edge, and a tuple is made several times faster than a frozen
    dataclass."""

    line: int = 1
    col: int = 1
    offset: int = 0


class Range(NamedTuple):
    """A half-open range ``[start, end)``."""

    start: Position
    end: Position

    @staticmethod
    def at(pos: Position) -> Range:
        return Range(pos, pos)

    def contains(self, pos: Position) -> bool:
        return self.start.offset <= pos.offset < self.end.offset


def line_starts(text: str) -> list[int]:
    """The offset at which each line of ``text`` starts."""
    starts = [0]
    find = text.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def position_at(text: str, offset: int, starts: Sequence[int] | None = None) -> Position:
    """The position of character ``offset`` (clamped to ``text``); ``starts``, the
    :func:`line_starts` of ``text``, when known."""
    offset = max(0, min(offset, len(text)))
    if starts is None:
        line_start = text.rfind("\n", 0, offset) + 1
        return Position(text.count("\n", 0, offset) + 1, offset - line_start + 1, offset)
    idx = bisect.bisect_right(starts, offset) - 1
    return Position(idx + 1, offset - starts[idx] + 1, offset)


def line_range(text: str, line: int) -> Range:
    """The range of line ``line`` (1-based) of ``text``, without its newline."""
    start = 0
    for _ in range(line - 1):
        nl = text.find("\n", start)
        if nl < 0:
            start = len(text)
            break
        start = nl + 1
    end = text.find("\n", start)
    if end < 0:
        end = len(text)
    if end > start and text[end - 1] == "\r":
        end -= 1
    return Range(Position(line, 1, start), Position(line, end - start + 1, end))


@dataclass(frozen=True)
class TextEdit:
    """Replace the text in ``range`` with ``new_text`` (LSP's TextEdit, in characters)."""

    range: Range
    new_text: str


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits (by character offset) to ``text``."""
    out = text
    for e in sorted(edits, key=lambda e: (e.range.start.offset, e.range.end.offset), reverse=True):
        out = out[: e.range.start.offset] + e.new_text + out[e.range.end.offset :]
    return out
