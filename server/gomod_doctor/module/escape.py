"""Case-safe escaping of module paths and versions (x/mod's EscapePath and friends).

The module cache and the proxy protocol must work on case-insensitive file
systems, so every upper-case ASCII letter is written as ``!`` plus its lower-case
form: ``github.com/Azure/go-autorest`` is stored under
``github.com/!azure/go-autorest`` and ``v1.0.0-RC1`` as ``v1.0.0-!r!c1``.
Paths and versions never contain ``!`` themselves, so the escaping is reversible.
"""

from __future__ import annotations

import functools

from gomod_doctor.module.goquote import go_quote
from gomod_doctor.module.paths import (
    InvalidVersionError,
    _check_elem,
    _module_path_error,
    check_path,
)

__all__ = ["escape_path", "escape_version", "unescape_path", "unescape_version"]


_ESCAPE = str.maketrans({c: "!" + c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def _escape_string(s: str) -> str:
    if "!" in s or not s.isascii():
        # The callers' checks exclude these; the escaping relies on it.
        raise ValueError("internal error: inconsistency in EscapePath")
    return s.translate(_ESCAPE)


def _unescape_string(escaped: str) -> str | None:
    out: list[str] = []
    bang = False
    for c in escaped:
        if c >= "\x80":
            return None
        if bang:
            bang = False
            if not "a" <= c <= "z":
                return None
            out.append(c.upper())
        elif c == "!":
            bang = True
        elif "A" <= c <= "Z":
            return None
        else:
            out.append(c)
    if bang:
        return None
    return "".join(out)


@functools.lru_cache(maxsize=8192)  # pure; asked for again and again for a build list
def escape_path(path: str) -> str:
    """The escaped form of module path ``path``.

    Raises :class:`~gomod_doctor.module.paths.InvalidPathError` if ``path`` is not
    a valid module path.
    """
    check_path(path)
    return _escape_string(path)


@functools.lru_cache(maxsize=8192)
def escape_version(v: str) -> str:
    """The escaped form of version ``v``, which need not be semver but must be a
    valid file name without ``!``.

    Raises :class:`~gomod_doctor.module.paths.InvalidVersionError`
    (``disallowed version string``) otherwise.
    """
    if _check_elem(v, "file") is not None or "!" in v:
        raise InvalidVersionError(v, False, "disallowed version string")
    return _escape_string(v)


def unescape_path(escaped: str) -> str:
    """The module path that ``escaped`` stands for.

    Raises ``ValueError`` (``invalid escaped module path "..."``) if ``escaped`` is
    not a well-formed escaping or does not name a valid module path.
    """
    path = _unescape_string(escaped)
    if path is None:
        raise ValueError(f"invalid escaped module path {go_quote(escaped)}")
    err = _module_path_error(path)
    if err is not None:
        raise ValueError(
            f"invalid escaped module path {go_quote(escaped)}: "
            f"malformed module path {go_quote(path)}: {err}"
        )
    return path


def unescape_version(escaped: str) -> str:
    """The version that ``escaped`` stands for.

    Raises ``ValueError`` (``invalid escaped version "..."``) if ``escaped`` is not a
    well-formed escaping or does not name a valid file name.
    """
    v = _unescape_string(escaped)
    if v is None:
        raise ValueError(f"invalid escaped version {go_quote(escaped)}")
    err = _check_elem(v, "file")
    if err is not None:
        # Go quotes the unescaped version here, not the escaped input.
        raise ValueError(f"invalid escaped version {go_quote(v)}: {err}")
    return v
