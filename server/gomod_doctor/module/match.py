"""Glob matching as GOPRIVATE, GONOPROXY, GONOSUMDB and GOINSECURE use it.

:func:`path_match` is Go's ``path.Match`` and :func:`match_prefix_patterns` is
x/mod's ``module.MatchPrefixPatterns``. Go matches byte by byte, decoding UTF-8
only where ``?`` or a ``[...]`` class consumes a character, so a ``*`` may stop
inside a multi-byte character; to give the same answers on every input this
port works on the UTF-8 bytes of its arguments too.
"""

from __future__ import annotations

from gomod_doctor.module.goquote import go_bytes

__all__ = ["BadPatternError", "match_prefix_patterns", "path_match"]

_RUNE_ERROR = 0xFFFD
_SLASH = ord("/")
_STAR = ord("*")
_BACKSLASH = ord("\\")
_LBRACKET = ord("[")
_RBRACKET = ord("]")
_CARET = ord("^")
_DASH = ord("-")
_QUESTION = ord("?")


class BadPatternError(ValueError):
    """``path.ErrBadPattern``: the pattern is malformed."""

    def __init__(self) -> None:
        super().__init__("syntax error in pattern")


def _decode_rune(s: bytes) -> tuple[int, int]:
    """``utf8.DecodeRune``: (rune, size); (U+FFFD, 1) for an invalid byte, (U+FFFD, 0) at end."""
    if not s:
        return _RUNE_ERROR, 0
    b0 = s[0]
    if b0 < 0x80:
        return b0, 1
    if 0xC2 <= b0 <= 0xDF:
        n = 2
    elif 0xE0 <= b0 <= 0xEF:
        n = 3
    elif 0xF0 <= b0 <= 0xF4:
        n = 4
    else:
        return _RUNE_ERROR, 1
    try:
        return ord(s[:n].decode("utf-8")), n
    except UnicodeDecodeError:
        return _RUNE_ERROR, 1


def _scan_chunk(pattern: bytes) -> tuple[bool, bytes, bytes]:
    """Split off a leading run of stars and the star-free chunk after it."""
    star = False
    while pattern and pattern[0] == _STAR:
        pattern = pattern[1:]
        star = True
    in_range = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == _BACKSLASH:
            if i + 1 < len(pattern):
                i += 1
        elif c == _LBRACKET:
            in_range = True
        elif c == _RBRACKET:
            in_range = False
        elif c == _STAR and not in_range:
            return star, pattern[:i], pattern[i:]
        i += 1
    return star, pattern, b""


def _get_esc(chunk: bytes) -> tuple[int, bytes]:
    """One possibly escaped character of a class; raises :class:`BadPatternError`."""
    if not chunk or chunk[0] in (_DASH, _RBRACKET):
        raise BadPatternError()
    if chunk[0] == _BACKSLASH:
        chunk = chunk[1:]
        if not chunk:
            raise BadPatternError()
    r, n = _decode_rune(chunk)
    bad = r == _RUNE_ERROR and n == 1
    rest = chunk[n:]
    if bad or not rest:
        raise BadPatternError()
    return r, rest


def _match_chunk(chunk: bytes, s: bytes) -> tuple[bytes, bool]:
    """Match a star-free chunk against the start of ``s``: (rest of s, matched).

    Once the match has failed the chunk is still walked, so that a malformed
    pattern raises :class:`BadPatternError` whatever the name.
    """
    failed = False
    while chunk:
        failed = failed or not s
        c = chunk[0]
        if c == _LBRACKET:
            r = 0
            if not failed:
                r, n = _decode_rune(s)
                s = s[n:]
            chunk = chunk[1:]
            negated = False
            if chunk and chunk[0] == _CARET:
                negated = True
                chunk = chunk[1:]
            matched = False
            nrange = 0
            while True:
                if chunk and chunk[0] == _RBRACKET and nrange > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk = _get_esc(chunk)
                hi = lo
                if chunk[0] == _DASH:
                    hi, chunk = _get_esc(chunk[1:])
                matched = matched or lo <= r <= hi
                nrange += 1
            failed = failed or matched == negated
        elif c == _QUESTION:
            if not failed:
                failed = s[0] == _SLASH
                _, n = _decode_rune(s)
                s = s[n:]
            chunk = chunk[1:]
        else:
            if c == _BACKSLASH:
                chunk = chunk[1:]
                if not chunk:
                    raise BadPatternError()
            if not failed:
                failed = chunk[0] != s[0]
                s = s[1:]
            chunk = chunk[1:]
    if failed:
        return b"", False
    return s, True


def _try_chunk(chunk: bytes, s: bytes) -> tuple[bytes, bool, bool]:
    """:func:`_match_chunk` with the error as a flag: (rest, matched, bad pattern)."""
    try:
        rest, ok = _match_chunk(chunk, s)
    except BadPatternError:
        return b"", False, True
    return rest, ok, False


def _match_bytes(pattern: bytes, name: bytes) -> bool:
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and not chunk:
            # A trailing star matches the rest of the name unless it holds a slash.
            return _SLASH not in name
        rest, ok, bad = _try_chunk(chunk, name)
        # The last chunk has to use up the whole name.
        if ok and (not rest or pattern):
            name = rest
            continue
        if bad:
            raise BadPatternError()
        advanced = False
        if star:
            i = 0
            while i < len(name) and name[i] != _SLASH:
                rest, ok, bad = _try_chunk(chunk, name[i + 1 :])
                if ok:
                    if not pattern and rest:
                        i += 1
                        continue
                    name = rest
                    advanced = True
                    break
                if bad:
                    raise BadPatternError()
                i += 1
        if advanced:
            continue
        # No match; still report a malformed remainder of the pattern.
        while pattern:
            _, chunk, pattern = _scan_chunk(pattern)
            _match_chunk(chunk, b"")
        return False
    return not name


def path_match(pattern: str, name: str) -> bool:
    """Go's ``path.Match``: whether all of ``name`` matches the shell pattern.

    ``*`` matches any run of non-``/`` characters, ``?`` one non-``/`` character,
    ``[...]``/``[^...]`` a character class with ``lo-hi`` ranges, and ``\\c`` the
    character ``c``. Raises :class:`BadPatternError` for a malformed pattern
    (Go reports that only when it gets far enough in the pattern to see it).
    """
    return _match_bytes(go_bytes(pattern), go_bytes(name))


def match_prefix_patterns(globs: str, target: str) -> bool:
    """Whether some path prefix of ``target`` matches a glob in the comma-separated ``globs``.

    A glob of N path elements is matched (with :func:`path_match`) against the
    first N elements of ``target``. Empty and malformed globs are skipped and
    one trailing slash on a glob is ignored (``go help module-private``).
    """
    while globs:
        glob, sep, after = globs.partition(",")
        globs = after if sep else ""
        if glob.endswith("/"):
            glob = glob[:-1]
        if not glob:
            continue
        n = glob.count("/")
        prefix = target
        for i, c in enumerate(target):
            if c == "/":
                if n == 0:
                    prefix = target[:i]
                    break
                n -= 1
        if n > 0:
            continue  # the target has fewer elements than the glob
        try:
            if path_match(glob, prefix):
                return True
        except BadPatternError:
            pass
    return False
