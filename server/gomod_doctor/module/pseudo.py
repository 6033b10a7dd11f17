"""Pseudo-versions (a port of golang.org/x/mod/module's pseudo.go).

A pseudo-version names an untagged commit and orders it among tagged versions.
Its three shapes, each optionally with ``+incompatible``:

1. ``vX.0.0-yyyymmddhhmmss-abcdef123456``: no earlier tag for major X;
2. ``vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef123456``: after release tag vX.Y.Z;
3. ``vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef123456``: after prerelease tag vX.Y.Z-pre.

The timestamp is the commit time in UTC and the suffix a revision (12 hex
digits of the commit hash, usually).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from gomod_doctor.module import semver
from gomod_doctor.module.goquote import go_quote
from gomod_doctor.module.paths import InvalidVersionError

__all__ = [
    "PSEUDO_VERSION_TIMESTAMP_FORMAT",
    "is_pseudo_version",
    "is_zero_pseudo_version",
    "pseudo_version",
    "pseudo_version_base",
    "pseudo_version_rev",
    "pseudo_version_time",
    "zero_pseudo_version",
]

#: Go's layout for the timestamp part (``yyyymmddhhmmss``, UTC).
PSEUDO_VERSION_TIMESTAMP_FORMAT = "20060102150405"

_PSEUDO_RE = re.compile(
    r"v[0-9]+\.(0\.0-|[0-9]+\.[0-9]+-([^+]*\.)?0\.)[0-9]{14}-[A-Za-z0-9]+"
    r"(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
)


def _format_time(t: datetime) -> str:
    if t.tzinfo is not None:
        t = t.astimezone(timezone.utc)
    return f"{t.year:04d}{t.month:02d}{t.day:02d}{t.hour:02d}{t.minute:02d}{t.second:02d}"


def _inc_decimal(decimal: str) -> str:
    digits = list(decimal)
    i = len(digits) - 1
    while i >= 0 and digits[i] == "9":
        digits[i] = "0"
        i -= 1
    if i >= 0:
        digits[i] = chr(ord(digits[i]) + 1)
    else:
        digits[0] = "1"
        digits.append("0")
    return "".join(digits)


def _dec_decimal(decimal: str) -> str:
    """``decimal`` minus one, or ``""`` if it is all zeros."""
    digits = list(decimal)
    i = len(digits) - 1
    while i >= 0 and digits[i] == "0":
        digits[i] = "9"
        i -= 1
    if i < 0:
        return ""
    if i == 0 and digits[i] == "1" and len(digits) > 1:
        digits = digits[1:]
    else:
        digits[i] = chr(ord(digits[i]) - 1)
    return "".join(digits)


def pseudo_version(major: str, older: str, t: datetime, rev: str) -> str:
    """``module.PseudoVersion``: the pseudo-version for revision ``rev`` at time ``t``.

    ``major`` is like ``"v1"`` (``""`` means v0), ``older`` the latest earlier tag
    (``""``, ``"v1.2.3"`` or ``"v1.2.3-pre"``, with ``+incompatible`` kept). A naive
    ``t`` is taken to be UTC.
    """
    if not major:
        major = "v0"
    segment = f"{_format_time(t)}-{rev}"
    bld = semver.build(older)
    older = semver.canonical(older)
    if not older:
        return f"{major}.0.0-{segment}"
    if semver.prerelease(older):
        return f"{older}.0.{segment}{bld}"
    i = older.rfind(".") + 1
    return f"{older[:i]}{_inc_decimal(older[i:])}-0.{segment}{bld}"


def zero_pseudo_version(major: str) -> str:
    """The placeholder pseudo-version with zero time and revision (``vX.0.0-00010101000000-000000000000``)."""
    return pseudo_version(major, "", datetime(1, 1, 1), "000000000000")


def is_pseudo_version(v: str) -> bool:
    """Whether ``v`` has the form of a pseudo-version."""
    return v.count("-") >= 2 and semver.is_valid(v) and _PSEUDO_RE.fullmatch(v) is not None


def is_zero_pseudo_version(v: str) -> bool:
    """Whether ``v`` is exactly :func:`zero_pseudo_version` of its major version."""
    return v == zero_pseudo_version(semver.major(v))


def _parse(v: str) -> tuple[str, str, str, str]:
    """(base, timestamp, rev, build) of a pseudo-version; raises :class:`InvalidVersionError`."""
    if not is_pseudo_version(v):
        raise InvalidVersionError(v, True, "syntax error")
    bld = semver.build(v)
    rest = v[: len(v) - len(bld)]
    j = rest.rfind("-")
    rest, rev = rest[:j], rest[j + 1 :]
    i = rest.rfind("-")
    j = rest.rfind(".")
    if j > i:
        base, timestamp = rest[:j], rest[j + 1 :]  # "vX.Y.Z-pre.0" or "vX.Y.(Z+1)-0"
    else:
        base, timestamp = rest[:i], rest[i + 1 :]  # "vX.0.0"
    return base, timestamp, rev, bld


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _valid_timestamp(ts: str) -> bool:
    """Whether Go's ``time.Parse("20060102150405", ts)`` accepts 14 digits ``ts``."""
    year, month, day = int(ts[0:4]), int(ts[4:6]), int(ts[6:8])
    hour, minute, second = int(ts[8:10]), int(ts[10:12]), int(ts[12:14])
    return (
        1 <= month <= 12
        and 1 <= day <= _days_in_month(year, month)
        and hour < 24
        and minute < 60
        and second < 60
    )


def pseudo_version_time(v: str) -> str:
    """The ``yyyymmddhhmmss`` UTC timestamp of pseudo-version ``v``.

    Raises :class:`InvalidVersionError` if ``v`` is not a pseudo-version
    (``syntax error``) or the timestamp is not a real time (``malformed time``).
    """
    _, timestamp, _, _ = _parse(v)
    if not _valid_timestamp(timestamp):
        raise InvalidVersionError(v, True, f"malformed time {go_quote(timestamp)}")
    return timestamp


def pseudo_version_rev(v: str) -> str:
    """The revision identifier of pseudo-version ``v`` (raises :class:`InvalidVersionError`)."""
    return _parse(v)[2]


def pseudo_version_base(v: str) -> str:
    """The tagged version that pseudo-version ``v`` follows, or ``""`` for form 1.

    ``v1.2.4-0.2020...-abc`` gives ``v1.2.3``, ``v1.2.3-pre.0.2020...-abc`` gives
    ``v1.2.3-pre``; ``+incompatible`` is kept. Raises :class:`InvalidVersionError`
    for a non-pseudo-version, for form 1 with build metadata, and for a
    ``vX.Y.0-0.`` version (its base would need a negative patch).
    """
    base, _, _, bld = _parse(v)
    pre = semver.prerelease(base)
    if pre == "":
        if bld:
            raise InvalidVersionError(
                v, True, f"lacks base version, but has build metadata {go_quote(bld)}"
            )
        return ""
    if pre == "-0":
        base = base[: -len(pre)]
        i = base.rfind(".")
        patch = _dec_decimal(base[i + 1 :])
        if not patch:
            raise InvalidVersionError(
                v, True, f"version before {base} would have negative patch number"
            )
        return base[: i + 1] + patch + bld
    return base[: -len(".0")] + bld
