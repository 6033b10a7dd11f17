"""go.sum / go.work.sum parsing, faithful to the go command's ``readGoSum``.

The go command splits the file on ``\\n`` only and each line into fields with
``strings.Fields`` (Go's Unicode white space, so a trailing ``\\r`` is just space).
Blank lines are skipped; a line with other than three fields stops the go command
with ``malformed go.sum``; a line whose hash is the hash of an empty go.mod (an
old go bug) is silently dropped. Nothing else is checked when the file is read:
paths, versions and hash syntax are accepted as they are.

This parser never stops: it reports every malformed line, recognises git merge
conflict regions (which go would call malformed) and notes duplicate lines and
conflicting hashes for one module version.

Pass text read without newline translation (``newline=""``) so line numbers match
the go command's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from gomod_doctor.gostrings import field_spans
from gomod_doctor.position import Position, Range

#: Hash of a one-file tree holding an empty go.mod. Lines with it are dropped by go.
EMPTY_GOMOD_HASH = "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY="


_GOMOD_SUFFIX = "/go.mod"

ProblemKind = Literal["malformed", "conflict", "duplicate"]
Side = Literal["ours", "base", "theirs"]
MarkerKind = Literal["start", "base", "separator", "end"]

_MARKERS: list[tuple[MarkerKind, re.Pattern[str]]] = [
    ("start", re.compile(r"<{7}(?:[ \t].*)?")),
    ("base", re.compile(r"\|{7}(?:[ \t].*)?")),
    ("separator", re.compile(r"={7}[ \t]*")),
    ("end", re.compile(r">{7}(?:[ \t].*)?")),
]
_MARKER_FIRST = frozenset("<|=>")


@dataclass(frozen=True)
class SumEntry:
    """One three-field line ``module version[/go.mod] hash``.

    The ranges are worked out when asked for (most lines never are): the entry keeps
    the line's offset and its fields' spans."""

    module: str
    version: str  # without the "/go.mod" suffix
    gomod: bool  # the version field ended in "/go.mod"
    hash: str
    line: int
    #: the offset of the line's first character in the file
    start: int
    #: the fields' (start, end) indexes in the line: module, version, hash; then the
    #: line's length without its line ending
    spans: tuple[int, int, int, int, int, int, int]
    #: go drops lines carrying the empty-go.mod hash (an old go bug) when reading.
    ignored: bool = False
    #: Which side of a merge conflict region the line sits in, if any.
    conflict_side: Side | None = None

    def _span(self, a: int, b: int) -> Range:
        n, s = self.line, self.start
        return Range(Position(n, a + 1, s + a), Position(n, b + 1, s + b))

    @property
    def range(self) -> Range:
        """The whole line (without its line ending)."""
        return self._span(0, self.spans[6])

    @property
    def module_range(self) -> Range:
        return self._span(self.spans[0], self.spans[1])

    @property
    def version_range(self) -> Range:
        """The whole second field, "/go.mod" included."""
        return self._span(self.spans[2], self.spans[3])

    @property
    def hash_range(self) -> Range:
        return self._span(self.spans[4], self.spans[5])

    @property
    def version_field(self) -> str:
        """The second field as written (with ``/go.mod`` when :attr:`gomod`)."""
        return self.version + _GOMOD_SUFFIX if self.gomod else self.version

    @property
    def key(self) -> tuple[str, str, bool]:
        return (self.module, self.version, self.gomod)


@dataclass(frozen=True)
class ConflictRegion:
    """A git merge-conflict region (or a stray marker left over from one).

    Line numbers are 1-based. ``ours``/``base``/``theirs`` are inclusive
    ``(first, last)`` line spans of the content between markers, ``None`` when the
    section is missing or empty.
    """

    start_line: int | None  # the "<<<<<<<" line
    base_line: int | None  # the "|||||||" line (diff3 / zdiff3 style)
    separator_line: int | None  # the "=======" line
    end_line: int | None  # the ">>>>>>>" line
    ours: tuple[int, int] | None
    base: tuple[int, int] | None
    theirs: tuple[int, int] | None
    range: Range  # from the first marker line to the last line of the region
    marker_lines: tuple[int, ...]  # every marker line in the region, in order
    ours_label: str = ""
    theirs_label: str = ""

    @property
    def complete(self) -> bool:
        return (
            self.start_line is not None
            and self.separator_line is not None
            and self.end_line is not None
        )

    @property
    def first_line(self) -> int:
        return self.range.start.line

    @property
    def last_line(self) -> int:
        return self.range.end.line


@dataclass(frozen=True)
class SumProblem:
    kind: ProblemKind
    range: Range
    message: str
    line: int
    #: For duplicates: every entry for the same (module, version, gomod), in file order.
    entries: tuple[SumEntry, ...] = ()
    #: For duplicates: the repeated line this problem is about.
    entry: SumEntry | None = None
    #: For duplicates: the entry go checks against (first with an ``h1:`` hash).
    used: SumEntry | None = None
    #: For duplicates: this line's hash differs from the one go uses.
    hashes_differ: bool = False
    #: For conflicts: the region.
    conflict: ConflictRegion | None = None
    #: The go command's own error for this problem, if go would fail on it.
    go_message: str | None = None


@dataclass
class SumFile:
    filename: str
    entries: list[SumEntry] = field(default_factory=list)
    problems: list[SumProblem] = field(default_factory=list)
    conflicts: list[ConflictRegion] = field(default_factory=list)
    #: What the go command prints (as one line) when it reads this file, or None.
    go_error: str | None = None
    #: The line go stops at, or None.
    go_error_line: int | None = None

    #: (module, version, gomod) -> entries go sees, built on the first lookup
    _index: dict[tuple[str, str, bool], list[SumEntry]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _indexed: int = field(default=-1, init=False, repr=False, compare=False)

    def lookup(self, module: str, version: str, gomod: bool) -> list[SumEntry]:
        """Entries go sees for this module version, in file order (go checks the first)."""
        index = self._index
        if index is None or self._indexed != len(self.entries):
            index = {}
            for e in self.entries:
                if not e.ignored:
                    index.setdefault((e.module, e.version, e.gomod), []).append(e)
            self._index, self._indexed = index, len(self.entries)
        return list(index.get((module, version, gomod), ()))

    def problems_of(self, kind: ProblemKind) -> list[SumProblem]:
        return [p for p in self.problems if p.kind == kind]


# --- line and field splitting -------------------------------------------------


class _Line(NamedTuple):
    number: int
    start: int  # offset of the first character
    text: str  # without the "\n"

    @property
    def stripped(self) -> str:
        """Content without a trailing "\\r" (for marker matching and ranges)."""
        return self.text[:-1] if self.text.endswith("\r") else self.text


def _lines(text: str) -> Iterator[_Line]:
    """Lines split as go does: on "\\n" only; no phantom line after a final newline."""
    pos = 0
    number = 0
    n = len(text)
    while pos < n:
        number += 1
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        yield _Line(number, pos, text[pos:end])
        pos = end + 1


go_fields = field_spans  # kept as this module's public name


def _pos(line: _Line, index: int) -> Position:
    return Position(line.number, index + 1, line.start + index)


def _span(line: _Line, start: int, end: int) -> Range:
    return Range(_pos(line, start), _pos(line, end))


def _line_range(line: _Line) -> Range:
    return _span(line, 0, len(line.stripped))


def _malformed_message(filename: str, line: int, nfields: int) -> str:
    return f"malformed go.sum: {filename}:{line}: wrong number of fields {nfields}"


def _marker(line: _Line) -> MarkerKind | None:
    if line.text[:1] not in _MARKER_FIRST:
        return None
    s = line.stripped
    for kind, pattern in _MARKERS:
        if pattern.fullmatch(s):
            return kind
    return None


# --- conflict regions ---------------------------------------------------------


class _RegionBuilder:
    def __init__(self, first: _Line, kind: MarkerKind) -> None:
        self.first = first
        self.last = first
        self.markers: dict[MarkerKind, int] = {kind: first.number}
        self.marker_lines = [first.number]
        self.phase: Side | None = "ours" if kind == "start" else None
        self.labels: dict[MarkerKind, str] = {kind: first.stripped[7:].strip()}
        self.content: dict[Side, list[int]] = {"ours": [], "base": [], "theirs": []}

    def add_marker(self, line: _Line, kind: MarkerKind) -> None:
        self.markers.setdefault(kind, line.number)
        self.labels.setdefault(kind, line.stripped[7:].strip())
        self.marker_lines.append(line.number)
        self.last = line
        if kind == "base" and self.phase == "ours":
            self.phase = "base"
        elif kind == "separator" and self.phase in ("ours", "base"):
            self.phase = "theirs"

    def add_content(self, line: _Line) -> Side | None:
        self.last = line
        if self.phase is not None:
            self.content[self.phase].append(line.number)
        return self.phase

    def build(self) -> ConflictRegion:
        def span(side: Side) -> tuple[int, int] | None:
            lines = self.content[side]
            return (lines[0], lines[-1]) if lines else None

        return ConflictRegion(
            start_line=self.markers.get("start"),
            base_line=self.markers.get("base"),
            separator_line=self.markers.get("separator"),
            end_line=self.markers.get("end"),
            ours=span("ours"),
            base=span("base"),
            theirs=span("theirs"),
            range=Range(_pos(self.first, 0), _pos(self.last, len(self.last.stripped))),
            marker_lines=tuple(self.marker_lines),
            ours_label=self.labels.get("start", ""),
            theirs_label=self.labels.get("end", ""),
        )


def _conflict_message(region: ConflictRegion) -> str:
    a, b = region.first_line, region.last_line
    where = f"line {a}" if a == b else f"lines {a}-{b}"
    if region.complete:
        return f"unresolved git merge conflict ({where})"
    n = len(region.marker_lines)
    return f"leftover git merge conflict marker{'s' if n > 1 else ''} ({where})"


# --- the parser ----------------------------------------------------------------


def parse_sum(text: str, filename: str = "go.sum") -> SumFile:
    """Parse go.sum (or go.work.sum) text. Never raises on any ``str`` input.

    ``filename`` is used in messages exactly as the go command would use its path.
    """
    result = SumFile(filename=filename)
    try:
        _parse_into(result, text, filename)
    except Exception as exc:  # pragma: no cover - defensive: bad input never raises
        result.problems.append(
            SumProblem(
                kind="malformed",
                range=Range.at(Position()),
                message=f"internal error parsing {filename}: {exc!r}",
                line=1,
            )
        )
    return result


def _parse_into(result: SumFile, text: str, filename: str) -> None:
    region: _RegionBuilder | None = None
    regions: list[_RegionBuilder] = []
    # (line, number of fields) of every line go would reject, in order.
    go_failures: list[tuple[int, int]] = []
    pending: list[SumProblem] = []

    def close() -> None:
        nonlocal region
        if region is not None:
            regions.append(region)
            region = None

    for line in _lines(text):
        fields = go_fields(line.text)
        kind = _marker(line)
        if kind is not None:
            if len(fields) != 3:
                go_failures.append((line.number, len(fields)))
            if kind == "start":
                close()
                region = _RegionBuilder(line, kind)
            elif region is None:
                # A stray marker outside any region: a region of its own.
                region = _RegionBuilder(line, kind)
                region.phase = None
                close()
            else:
                region.add_marker(line, kind)
                if kind == "end":
                    close()
            continue
        side: Side | None = None
        if region is not None:
            side = region.add_content(line)
        if not fields:
            continue
        if len(fields) != 3:
            go_failures.append((line.number, len(fields)))
            message = _malformed_message(filename, line.number, len(fields))
            pending.append(
                SumProblem(
                    kind="malformed",
                    range=_line_range(line),
                    message=message,
                    line=line.number,
                    go_message=message,
                )
            )
            continue
        (m0, m1), (v0, v1), (h0, h1) = fields
        t = line.text
        version_field = t[v0:v1]
        gomod = version_field.endswith(_GOMOD_SUFFIX)
        hash_ = t[h0:h1]
        result.entries.append(
            SumEntry(
                t[m0:m1],
                version_field[: -len(_GOMOD_SUFFIX)] if gomod else version_field,
                gomod,
                hash_,
                line.number,
                line.start,
                (m0, m1, v0, v1, h0, h1, len(t) - 1 if t.endswith("\r") else len(t)),
                hash_ == EMPTY_GOMOD_HASH,
                side,
            )
        )
    close()

    failing = dict(go_failures)
    for builder in regions:
        conflict = builder.build()
        result.conflicts.append(conflict)
        go_message = None
        for n in conflict.marker_lines:
            if n in failing:
                go_message = _malformed_message(filename, n, failing[n])
                break
        pending.append(
            SumProblem(
                kind="conflict",
                range=conflict.range,
                message=_conflict_message(conflict),
                line=conflict.first_line,
                conflict=conflict,
                go_message=go_message,
            )
        )

    pending.extend(_duplicates(result.entries))
    pending.sort(key=lambda p: (p.range.start.offset, p.kind))
    result.problems = pending

    if go_failures:
        n, count = go_failures[0]
        result.go_error = _malformed_message(filename, n, count)
        result.go_error_line = n


def _duplicates(entries: list[SumEntry]) -> list[SumProblem]:
    groups: dict[tuple[str, str, bool], list[SumEntry]] = {}
    for e in entries:
        if not e.ignored:
            groups.setdefault(e.key, []).append(e)
    out: list[SumProblem] = []
    for group in groups.values():
        if len(group) < 2:
            continue
        # go compares against each listed hash in order and fails on the first
        # "h1:" hash that does not match, so the first h1 entry is the one in force.
        used = next((e for e in group if e.hash.startswith("h1:")), None)
        reference = used if used is not None else group[0]
        members = tuple(group)
        for e in group:
            if e is reference:
                continue
            name = f"{e.module}@{e.version_field}"
            differ = e.hash != reference.hash
            if not differ:
                message = f"{name}: line {e.line} repeats line {reference.line}"
            elif used is not None:
                message = (
                    f"{name}: hash {e.hash} on line {e.line} differs from {used.hash} "
                    f"on line {used.line}; go uses line {used.line}"
                )
            else:
                message = f"{name}: listed again on line {e.line} with another hash"
            out.append(
                SumProblem(
                    kind="duplicate",
                    range=e.range,
                    message=message,
                    line=e.line,
                    entries=members,
                    entry=e,
                    used=used,
                    hashes_differ=differ,
                )
            )
    return out


# --- conflict resolution --------------------------------------------------------


def resolve_conflicts(text: str) -> str:
    """Resolve go.sum merge conflicts by keeping both sides.

    Marker lines and diff3 base sections are dropped, then exact duplicate entry
    lines (same three fields) are dropped, keeping the first; order is kept.
    Lines that are not entries (blank or malformed) are kept as they are. The line
    ending style of each kept line is preserved.
    """
    parsed = parse_sum(text)
    drop: set[int] = set()
    for region in parsed.conflicts:
        drop.update(region.marker_lines)
        if region.base is not None:
            drop.update(range(region.base[0], region.base[1] + 1))
    out: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for line in _lines(text):
        if line.number in drop:
            continue
        fields = go_fields(line.text)
        if len(fields) == 3:
            key = tuple(line.text[a:b] for a, b in fields)
            if key in seen:
                continue
            seen.add(key)
        end = line.start + len(line.text)
        has_newline = end < len(text)
        out.append(line.text + ("\n" if has_newline else ""))
    return "".join(out)
