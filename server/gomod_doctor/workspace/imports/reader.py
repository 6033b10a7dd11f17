"""The import declarations at the top of one Go file, read exactly as the go command's
import reader does (``cmd/go/internal/imports/read.go``, a copy of ``go/build/read.go``)."""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from gomod_doctor.modfile.rules import go_unquote
from gomod_doctor.module.goquote import go_bytes

# --- reading one file's imports ------------------------------------------------------

_BOM = b"\xef\xbb\xbf"
# Spaces, semicolons (the reader treats them as spaces) and complete comments.
_SKIP = re.compile(rb"(?:[ \t\r\n\f;]+|//[^\n]*|/\*.*?\*/)*", re.S)
# read.go's isIdent: ASCII letters, digits, '_' and every byte >= 0x80.
_IDENT = re.compile(rb"[A-Za-z0-9_\x80-\xff]+")
# The body of an interpreted string: a backslash escapes any byte, even a newline.
_INTERPRETED = re.compile(rb'"(?:[^"\\\n]|\\.)*', re.S)
# A complete, well-formed import spec: spaces and comments, an optional name, spaces
# and comments, a string literal. ``(?=(x))\1`` makes x atomic (no backtracking into
# a comment could then read its text as a name or a path).
_FAST_SPEC = re.compile(
    rb"(?=(?P<s1>(?:[ \t\r\n\f;]+|//[^\n]*|/\*.*?\*/)*))(?P=s1)"
    rb"(?:(?P<name>\.|(?=(?P<id>[A-Za-z0-9_\x80-\xff]+))(?P=id)))?"
    rb"(?=(?P<s2>(?:[ \t\r\n\f;]+|//[^\n]*|/\*.*?\*/)*))(?P=s2)"
    rb'(?P<lit>"(?:[^"\\\n]|\\.)*"|`[^`]*`)',
    re.S,
)
_NAME = _FAST_SPEC.groupindex["name"]
_LIT = _FAST_SPEC.groupindex["lit"]


class ImportSpec(NamedTuple):
    """One import spec of a Go file.

    ``line`` and ``column`` (both 1-based, the column counting bytes as Go's
    ``token.Position`` does) are those of the path's string literal. ``name`` is
    the import's name as written (``"."``, ``"_"``, an identifier) or ``None``.
    """

    path: str
    line: int
    column: int = 1
    name: str | None = None


def _is_ident_byte(c: int) -> bool:
    return c >= 0x80 or c == 0x5F or 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _unquote(lit: bytes) -> str | None:
    """``strconv.Unquote`` of a literal the reader accepted (so no raw newline in an
    interpreted string); invalid UTF-8 of a raw string stays as lone surrogates."""
    body = lit[1:-1]
    if lit[0] == 0x60:
        return body.replace(b"\r", b"").decode("utf-8", "surrogateescape")
    if b"\\" not in body:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return go_unquote(lit.decode("utf-8", "surrogateescape"))


class _Reader:
    """read.go's importReader over an in-memory buffer.

    ``hit_end`` records whether the reader looked at (or past) the end of the
    buffer, i.e. whether more input could have changed the result.
    """

    __slots__ = ("data", "hit_end", "line", "line_pos", "n", "specs")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.n = len(data)
        self.hit_end = False
        self.line = 1
        self.line_pos = 0
        self.specs: list[ImportSpec] = []

    def skip(self, pos: int) -> int | None:
        """peekByte(true): the position of the next significant byte, or None at the
        end of the input or on a syntax error (a stray ``/`` or an open comment)."""
        m = _SKIP.match(self.data, pos)
        assert m is not None  # the pattern matches the empty string
        pos = m.end()
        if pos >= self.n:
            self.hit_end = True
            return None
        if self.data[pos] == 0x2F:  # '/' not starting a complete comment
            if pos + 1 >= self.n or self.data[pos + 1] == 0x2A:  # unterminated /*
                self.hit_end = True
            return None
        return pos

    def keyword(self, pos: int, kw: bytes) -> int | None:
        """readKeyword at an already skipped position: the position after it, or None."""
        end = pos + len(kw)
        if self.data[pos:end] != kw:
            if end > self.n and kw.startswith(self.data[pos:]):
                self.hit_end = True
            return None
        if end >= self.n:
            self.hit_end = True
            return end
        if _is_ident_byte(self.data[end]):
            return None
        return end

    def ident(self, pos: int) -> int | None:
        """readIdent at an already skipped position: the position after it, or None."""
        m = _IDENT.match(self.data, pos)
        if m is None:
            return None
        if m.end() >= self.n:
            self.hit_end = True
        return m.end()

    def record(self, pos: int, end: int, name: str | None) -> None:
        """Record the literal ``data[pos:end]`` (scan.go skips what Unquote rejects)."""
        path = _unquote(self.data[pos:end])
        if path is None:
            return
        data = self.data
        self.line += data.count(b"\n", self.line_pos, pos)
        self.line_pos = pos
        column = pos - data.rfind(b"\n", 0, pos)
        self.specs.append(ImportSpec(path, self.line, column, name))

    def string(self, pos: int, name: str | None) -> int | None:
        """readString: record the spec, return the position after the literal or None."""
        data = self.data
        q = data[pos]
        if q == 0x60:  # `raw`
            end = data.find(b"`", pos + 1)
            if end < 0:
                self.hit_end = True
                return None
            end += 1
        elif q == 0x22:  # "interpreted"
            m = _INTERPRETED.match(data, pos)
            assert m is not None
            end = m.end()
            if end >= self.n or data[end] != 0x22:
                if end >= self.n or data[end] != 0x0A:
                    self.hit_end = True  # ends in the middle of the literal
                return None
            end += 1
        else:
            return None
        self.record(pos, end, name)
        return end

    def import_spec(self, pos: int) -> int | None:
        """readImport: ``[name] "path"`` from ``pos`` (spaces and comments first)."""
        m = _FAST_SPEC.match(self.data, pos)
        if m is not None:  # the common, well-formed case in one step
            name_bytes = m.group("name")
            name = None if name_bytes is None else name_bytes.decode("utf-8", "replace")
            self.record(m.start("lit"), m.end(), name)
            return m.end()
        p = self.skip(pos)
        if p is None:
            return None
        return self.slow_import_spec(p)

    def slow_import_spec(self, pos: int) -> int | None:
        """readImport at an already skipped position, noting errors and the input's end."""
        data = self.data
        name: str | None = None
        if data[pos] == 0x2E:  # '.'
            name = "."
            pos += 1
        elif _is_ident_byte(data[pos]):
            end = self.ident(pos)
            assert end is not None
            name = data[pos:end].decode("utf-8", "replace")
            pos = end
        p = self.skip(pos)
        if p is None:
            return None
        return self.string(p, name)

    def read(self) -> None:
        """readGoInfo / ReadImports: the package clause, then import declarations."""
        data = self.data
        fast = _FAST_SPEC.match
        pos = self.skip(0)
        if pos is None:
            return
        pos = self.keyword(pos, b"package")
        if pos is None:
            return
        p = self.skip(pos)
        if p is None:
            return
        pos = self.ident(p)
        if pos is None:
            return
        while True:
            p = self.skip(pos)
            if p is None or data[p] != 0x69:  # 'i'
                return
            pos = self.keyword(p, b"import")
            if pos is None:
                return
            p = self.skip(pos)
            if p is None:
                return
            if data[p] == 0x28:  # '('
                pos = p + 1
                specs = self.specs
                while True:
                    m = fast(data, pos)
                    if m is not None:  # import_spec and record inlined: the hot loop
                        lit_pos = m.start(_LIT)
                        pos = m.end()
                        if data[lit_pos] == 0x22 and 0x5C not in data[lit_pos:pos]:
                            try:
                                path: str | None = data[lit_pos + 1 : pos - 1].decode()
                            except UnicodeDecodeError:
                                path = _unquote(data[lit_pos:pos])
                        else:
                            path = _unquote(data[lit_pos:pos])
                        if path is not None:
                            self.line += data.count(b"\n", self.line_pos, lit_pos)
                            self.line_pos = lit_pos
                            name_bytes = m.group(_NAME)
                            specs.append(
                                ImportSpec(
                                    path,
                                    self.line,
                                    lit_pos - data.rfind(b"\n", 0, lit_pos),
                                    None
                                    if name_bytes is None
                                    else name_bytes.decode("utf-8", "replace"),
                                )
                            )
                        continue
                    p = self.skip(pos)
                    if p is None:
                        return
                    if data[p] == 0x29:  # ')'
                        pos = p + 1
                        break
                    q = self.slow_import_spec(p)
                    if q is None:
                        return
                    pos = q
            else:
                pos = self.import_spec(p)
                if pos is None:
                    return


def _read(data: bytes) -> _Reader:
    if data.startswith(_BOM):  # as newImportReader does
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:  # the reader stops with "unexpected NUL in input"
        data = data[:nul]
    r = _Reader(data)
    r.read()
    return r


def read_imports(src: bytes | str) -> list[ImportSpec]:
    """The import specs of a Go source file, in order (``import "C"`` included).

    Reads like the go command: only the package clause and the import declarations
    after it; a syntax error ends the reading, keeping what was read before it.
    A ``str`` stands for the file's bytes (lone surrogates for non-UTF-8 bytes,
    see :mod:`gomod_doctor.module.goquote`). Never raises.
    """
    data = go_bytes(src) if isinstance(src, str) else src
    return _read(data).specs


_CHUNK = 4096


def _read_fd(fd: int, size: int) -> bytes:
    parts: list[bytes] = []
    while size > 0:
        b = os.read(fd, size)
        if not b:
            break
        parts.append(b)
        size -= len(b)
    return b"".join(parts)


def _read_head(path: str | os.PathLike[str]) -> tuple[bytes, list[ImportSpec]]:
    """The bytes read of a file (its head, or all of it when the import section may go
    on past the head) and their import specs. Raises ``OSError``."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        data = _read_fd(fd, _CHUNK)
        if len(data) < _CHUNK:
            return data, _read(data).specs
        r = _read(data)
        if not r.hit_end:
            return data, r.specs
        # The import section may go on past the chunk: read the whole file.
        rest = [data]
        while True:
            b = os.read(fd, 1 << 16)
            if not b:
                break
            rest.append(b)
        data = b"".join(rest)
        return data, _read(data).specs
    finally:
        os.close(fd)


def read_imports_file(path: str | os.PathLike[str]) -> list[ImportSpec]:
    """:func:`read_imports` of a file, reading only its head when that suffices.

    Raises ``OSError`` if the file cannot be read.
    """
    return _read_head(path)[1]
