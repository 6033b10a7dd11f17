"""Semantic versions as the go command reads them (a port of golang.org/x/mod/semver).

Accepted form: ``vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]``. The leading ``v``
is required; ``vMAJOR`` and ``vMAJOR.MINOR`` (with nothing after them) stand for
``vMAJOR.0.0`` and ``vMAJOR.MINOR.0``. Numbers have no extra leading zeros,
prerelease and build are dot-separated non-empty ``[0-9A-Za-z-]`` identifiers,
and numeric prerelease identifiers have no leading zeros. Build metadata (which
includes ``+incompatible``) never affects comparison and is dropped by
:func:`canonical`. Invalid strings compare equal to each other and below every
valid version.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from gomod_doctor.module.goquote import go_bytes

__all__ = [
    "build",
    "canonical",
    "compare",
    "is_valid",
    "major",
    "major_minor",
    "max_version",
    "prerelease",
    "sort_versions",
]


@dataclass(frozen=True)
class _Parsed:
    major: str
    minor: str
    patch: str
    short: str
    prerelease: str
    build: str


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def _is_ident_char(c: str) -> bool:
    return "A" <= c <= "Z" or "a" <= c <= "z" or "0" <= c <= "9" or c == "-"


def _parse_int(v: str) -> tuple[str, str] | None:
    if not v or not _is_digit(v[0]):
        return None
    i = 1
    while i < len(v) and _is_digit(v[i]):
        i += 1
    if v[0] == "0" and i != 1:
        return None
    return v[:i], v[i:]


def _is_bad_num(v: str) -> bool:
    """An all-digit identifier with a leading zero (not allowed in a prerelease)."""
    return len(v) > 1 and v[0] == "0" and all(_is_digit(c) for c in v)


def _is_num(v: str) -> bool:
    return all(_is_digit(c) for c in v)


def _parse_prerelease(v: str) -> tuple[str, str] | None:
    if not v or v[0] != "-":
        return None
    i = start = 1
    while i < len(v) and v[i] != "+":
        c = v[i]
        if not _is_ident_char(c) and c != ".":
            return None
        if c == ".":
            if start == i or _is_bad_num(v[start:i]):
                return None
            start = i + 1
        i += 1
    if start == i or _is_bad_num(v[start:i]):
        return None
    return v[:i], v[i:]


def _parse_build(v: str) -> tuple[str, str] | None:
    if not v or v[0] != "+":
        return None
    i = start = 1
    while i < len(v):
        c = v[i]
        if not _is_ident_char(c) and c != ".":
            return None
        if c == ".":
            if start == i:
                return None
            start = i + 1
        i += 1
    if start == i:
        return None
    return v[:i], v[i:]


@functools.lru_cache(maxsize=4096)
def _parse(v: str) -> _Parsed | None:
    if not v or v[0] != "v":
        return None
    got = _parse_int(v[1:])
    if got is None:
        return None
    major_, rest = got
    if not rest:
        return _Parsed(major_, "0", "0", ".0.0", "", "")
    if rest[0] != ".":
        return None
    got = _parse_int(rest[1:])
    if got is None:
        return None
    minor_, rest = got
    if not rest:
        return _Parsed(major_, minor_, "0", ".0", "", "")
    if rest[0] != ".":
        return None
    got = _parse_int(rest[1:])
    if got is None:
        return None
    patch_, rest = got
    pre = ""
    if rest and rest[0] == "-":
        got = _parse_prerelease(rest)
        if got is None:
            return None
        pre, rest = got
    bld = ""
    if rest and rest[0] == "+":
        got = _parse_build(rest)
        if got is None:
            return None
        bld, rest = got
    if rest:
        return None
    return _Parsed(major_, minor_, patch_, "", pre, bld)


def is_valid(v: str) -> bool:
    """Whether ``v`` is a valid semantic version string."""
    return _parse(v) is not None


def canonical(v: str) -> str:
    """``v`` with missing ``.MINOR``/``.PATCH`` filled in and build metadata dropped.

    Two versions compare equal exactly when their canonical forms are the same
    string. Returns ``""`` for an invalid version.
    """
    p = _parse(v)
    if p is None:
        return ""
    if p.build:
        return v[: len(v) - len(p.build)]
    if p.short:
        return v + p.short
    return v


def major(v: str) -> str:
    """The major version prefix (``"v2"`` for ``"v2.1.0"``), or ``""`` if ``v`` is invalid."""
    p = _parse(v)
    if p is None:
        return ""
    return v[: 1 + len(p.major)]


def major_minor(v: str) -> str:
    """The ``vMAJOR.MINOR`` prefix (``"v2.1"`` for ``"v2.1.0"``), or ``""`` if invalid."""
    p = _parse(v)
    if p is None:
        return ""
    i = 1 + len(p.major)
    j = i + 1 + len(p.minor)
    if j <= len(v) and v[i] == "." and v[i + 1 : j] == p.minor:
        return v[:j]
    return v[:i] + "." + p.minor


def prerelease(v: str) -> str:
    """The prerelease suffix (``"-pre"`` for ``"v2.1.0-pre+meta"``), or ``""``."""
    p = _parse(v)
    return p.prerelease if p is not None else ""


def build(v: str) -> str:
    """The build suffix (``"+meta"`` for ``"v2.1.0+meta"``), or ``""``."""
    p = _parse(v)
    return p.build if p is not None else ""


def _compare_int(x: str, y: str) -> int:
    if x == y:
        return 0
    if len(x) != len(y):
        return -1 if len(x) < len(y) else 1
    return -1 if x < y else 1


def _next_ident(x: str) -> tuple[str, str]:
    i = x.find(".")
    if i < 0:
        return x, ""
    return x[:i], x[i:]


def _compare_prerelease(x: str, y: str) -> int:
    if x == y:
        return 0
    if not x:
        return 1
    if not y:
        return -1
    while x and y:
        dx, x = _next_ident(x[1:])  # drop the leading "-" or "."
        dy, y = _next_ident(y[1:])
        if dx != dy:
            nx, ny = _is_num(dx), _is_num(dy)
            if nx != ny:
                return -1 if nx else 1
            if nx and len(dx) != len(dy):
                return -1 if len(dx) < len(dy) else 1
            return -1 if dx < dy else 1
    return -1 if not x else 1


def compare(v: str, w: str) -> int:
    """-1, 0 or +1 as ``v`` is below, equal to or above ``w`` in semver precedence.

    An invalid version is below every valid one; invalid versions are all equal.
    """
    pv, pw = _parse(v), _parse(w)
    if pv is None and pw is None:
        return 0
    if pv is None:
        return -1
    if pw is None:
        return 1
    for a, b in ((pv.major, pw.major), (pv.minor, pw.minor), (pv.patch, pw.patch)):
        c = _compare_int(a, b)
        if c:
            return c
    return _compare_prerelease(pv.prerelease, pw.prerelease)


def max_version(v: str, w: str) -> str:
    """The canonical form of whichever of ``v`` and ``w`` is greater (``semver.Max``)."""
    v, w = canonical(v), canonical(w)
    return v if compare(v, w) > 0 else w


def _compare_for_sort(a: str, b: str) -> int:
    c = compare(a, b)
    if c:
        return c
    ab, bb = go_bytes(a), go_bytes(b)  # strings.Compare: byte order
    return -1 if ab < bb else (1 if ab > bb else 0)


def sort_versions(versions: list[str]) -> list[str]:
    """A sorted copy of ``versions`` (``semver.Sort``): by precedence, ties by plain string order."""
    return sorted(versions, key=functools.cmp_to_key(_compare_for_sort))
