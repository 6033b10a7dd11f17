"""Between the engine's model and LSP's: positions, ranges, diagnostics, URIs.

Our :class:`~gomod_doctor.position.Position` counts characters (1-based line and
column, 0-based offset into the ``str``); LSP counts 0-based lines and characters
in the negotiated encoding: UTF-16 code units (the default), UTF-8 bytes or
UTF-32 code points. The offset is authoritative; the line and column are derived
from it and the text, so ranges stay exact after non-ASCII text on the line.

Lines end at ``\\n`` (a ``\\r`` before it belongs to the line ending), as in go's
own position counting.
"""

from __future__ import annotations

import bisect
import functools
import os
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from pathlib import Path, PurePath
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from gomod_doctor.findings import Finding, RelatedInfo, Severity
from gomod_doctor.position import Position, Range, line_starts

SOURCE = "gomod-doctor"

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"


# --------------------------------------------------------------------------- lines


@functools.lru_cache(maxsize=64)
def _line_starts(text: str) -> tuple[int, ...]:
    return tuple(line_starts(text))


def _units(s: str, encoding: str) -> int:
    """The length of ``s`` in the encoding's code units."""
    if encoding == UTF8:
        if s.isascii():
            return len(s)
        try:
            return len(s.encode("utf-8", "surrogateescape"))
        except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
            return len(s.encode("utf-8", "surrogatepass"))
    if encoding == UTF32:
        return len(s)
    if s.isascii():
        return len(s)
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def _char_len(c: str, encoding: str) -> int:
    return _units(c, encoding)


def _line_end(text: str, starts: Sequence[int], line: int) -> int:
    """The offset of the end of 0-based ``line``, before its ``\\r\\n`` or ``\\n``."""
    end = starts[line + 1] - 1 if line + 1 < len(starts) else len(text)
    if end > starts[line] and end <= len(text) and text[end - 1 : end] == "\r":
        end -= 1
    return end


def offset_to_lsp(text: str, offset: int, encoding: str) -> types.Position:
    """The LSP position of character ``offset`` of ``text`` (clamped into it)."""
    offset = max(0, min(offset, len(text)))
    starts = _line_starts(text)
    line = bisect.bisect_right(starts, offset) - 1
    start = starts[line]
    return types.Position(line=line, character=_units(text[start:offset], encoding))


def to_lsp_position(text: str, pos: Position, encoding: str) -> types.Position:
    return offset_to_lsp(text, pos.offset, encoding)


def to_lsp_range(text: str, rng: Range, encoding: str) -> types.Range:
    start = to_lsp_position(text, rng.start, encoding)
    end = to_lsp_position(text, rng.end, encoding)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start=start, end=end)


def lsp_to_offset(text: str, pos: types.Position, encoding: str) -> int:
    """The character offset of an LSP position. A line past the end gives the end
    of the text; a character past the line's end gives the line's end; a position
    inside a character (between the units of a surrogate pair or of a UTF-8
    sequence) gives that character's start."""
    starts = _line_starts(text)
    line = pos.line
    if line < 0:
        return 0
    if line >= len(starts):
        return len(text)
    start = starts[line]
    end = _line_end(text, starts, line)
    want = max(0, pos.character)
    segment = text[start:end]
    if segment.isascii() or encoding == UTF32:
        return start + min(want, len(segment))
    units = 0
    for i, c in enumerate(segment):
        n = _char_len(c, encoding)
        if units + n > want:
            return start + i
        units += n
    return end


def from_lsp_position(text: str, lsp_pos: types.Position, encoding: str) -> Position:
    offset = lsp_to_offset(text, lsp_pos, encoding)
    starts = _line_starts(text)
    line = bisect.bisect_right(starts, offset) - 1
    return Position(line + 1, offset - starts[line] + 1, offset)


def from_lsp_range(text: str, rng: types.Range, encoding: str) -> Range:
    start = from_lsp_position(text, rng.start, encoding)
    end = from_lsp_position(text, rng.end, encoding)
    if end.offset < start.offset:
        end = start
    return Range(start, end)


def normalize_encoding(encoding: object) -> str:
    """``PositionEncodingKind`` or a string -> ``utf-8``/``utf-16``/``utf-32``."""
    value = encoding.value if isinstance(encoding, Enum) else encoding
    if value in (UTF8, UTF32):
        return str(value)
    return UTF16


# --------------------------------------------------------------------------- URIs


def path_to_uri(p: str | os.PathLike[str]) -> str:
    uri = from_fs_path(os.fspath(p))
    return uri if uri is not None else "file://" + os.fspath(p)


def uri_to_path(uri: str) -> Path | None:
    """The file path of a ``file:`` URI (``None`` for other schemes or bad URIs)."""
    try:
        fs = to_fs_path(uri)
    except Exception:  # a malformed URI from the client must not crash anything
        return None
    if not fs:
        return None
    return Path(os.path.normpath(fs))


# --------------------------------------------------------------------------- diagnostics


def lsp_severity(sev: Severity) -> types.DiagnosticSeverity:
    return {
        Severity.ERROR: types.DiagnosticSeverity.Error,
        Severity.WARNING: types.DiagnosticSeverity.Warning,
        Severity.INFORMATION: types.DiagnosticSeverity.Information,
        Severity.HINT: types.DiagnosticSeverity.Hint,
    }[sev]


def json_safe(value: Any, _depth: int = 0) -> Any:
    """``value`` as plain JSON (dicts with string keys, lists, str, numbers, bools)."""
    if _depth > 20:
        return str(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, Enum):
        return json_safe(value.value, _depth + 1)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [json_safe(v, _depth + 1) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (Position, Range)):  # (named tuples: before the tuples)
        return repr(value)
    if isinstance(value, (list, tuple)):
        return [json_safe(v, _depth + 1) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def diagnostic_data(f: Finding) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": f.code,
        "module": f.module,
        "version": f.version,
        "fixes": list(f.fixes),
    }
    for k, v in f.data.items():
        data[str(k)] = json_safe(v)
    # the finding's own identity wins over anything in its data
    data["code"] = f.code
    data["fixes"] = list(f.fixes)
    return data


def _related(
    r: RelatedInfo,
    own_path: str,
    own_text: str,
    encoding: str,
    related_text: Callable[[str], str | None] | None,
) -> types.DiagnosticRelatedInformation:
    text: str | None = own_text if r.path == own_path else None
    if text is None and related_text is not None:
        try:
            text = related_text(r.path)
        except Exception:
            text = None
    if text is not None:
        rng = to_lsp_range(text, r.range, encoding)
    else:  # no text: character columns, exact for ASCII lines
        rng = types.Range(
            start=types.Position(max(0, r.range.start.line - 1), max(0, r.range.start.col - 1)),
            end=types.Position(max(0, r.range.end.line - 1), max(0, r.range.end.col - 1)),
        )
    return types.DiagnosticRelatedInformation(
        location=types.Location(uri=path_to_uri(r.path), range=rng), message=r.message
    )


def finding_to_diagnostic(
    f: Finding,
    text: str,
    encoding: str,
    *,
    related_text: Callable[[str], str | None] | None = None,
) -> types.Diagnostic:
    """The diagnostic for ``f``; ``text`` is the text of ``f.path`` the finding was
    computed from. ``related_text(path)`` gives the text of other files named by
    ``f.related`` (without it their columns count characters)."""
    tags: list[types.DiagnosticTag] | None = None
    if f.code == "replace-unused":
        tags = [types.DiagnosticTag.Unnecessary]
    related = [_related(r, f.path, text, encoding, related_text) for r in f.related]
    return types.Diagnostic(
        range=to_lsp_range(text, f.range, encoding),
        message=f.message,
        severity=lsp_severity(f.severity),
        code=f.code,
        source=SOURCE,
        tags=tags,
        related_information=related or None,
        data=diagnostic_data(f),
    )
