"""Go toolchain versions as cmd/go/internal/gover compares them.

``1.21`` (a language version) < ``1.21rc1`` < ``1.21.0`` < ``1.21.1``; a ``go``
prefix is accepted (``go1.21.3``).
"""

from __future__ import annotations

import re
from functools import lru_cache

_VERSION = re.compile(r"^(?:go)?(\d+)(?:\.(\d+))?(?:\.(\d+)|(rc|beta|alpha)(\d+))?$")
_KIND_RANK = {"": 0, "alpha": 1, "beta": 2, "rc": 3, "release": 4}


@lru_cache(maxsize=4096)  # asked for the same few versions on every pass
def parse(v: str) -> tuple[int, int, int, int, int] | None:
    """A sortable key for ``v``, or None when it is not a Go version."""
    m = _VERSION.match(v.strip())
    if m is None:
        return None
    major, minor, patch, kind, n = m.groups()
    if patch is not None:
        return (int(major), int(minor or 0), _KIND_RANK["release"], int(patch), 0)
    if kind is not None:
        return (int(major), int(minor or 0), _KIND_RANK[kind], int(n), 0)
    # "1.21" is the language version, below every release and prerelease of 1.21;
    # "1" alone is below everything of major 1.
    return (int(major), int(minor) if minor is not None else -1, 0, 0, 0)


def compare(x: str, y: str) -> int:
    """-1, 0 or 1; an invalid version sorts below every valid one, as in gover."""
    px, py = parse(x), parse(y)
    if px == py:
        return 0
    if px is None:
        return -1
    if py is None:
        return 1
    return -1 if px < py else 1


def toolchain_switching(gotoolchain: str) -> str:
    """What the go command does on a too-new ``go`` line under ``gotoolchain``:
    ``"forbidden"`` (local, or a pinned version), ``"download"`` (auto) or ``"path"``."""
    value = gotoolchain.strip()
    if value in ("", "auto") or value.endswith("+auto"):
        return "download"
    if value == "path" or value.endswith("+path"):
        return "path"
    return "forbidden"


_LANG = re.compile(r"\d+(\.\d+)?")


def toolchain_name(go_version: str) -> str:
    """The toolchain the go command picks for a ``go`` line: from Go 1.21 on, a language
    version (``1.22``) means its first release (``go1.22.0``)."""
    name = "go" + go_version
    if _LANG.fullmatch(go_version) and compare(go_version, "1.21") >= 0:
        name += ".0"
    return name


def from_toolchain(name: str) -> str | None:
    """gover.FromToolchain: ``go1.21.3`` and ``go1.21.3-custom`` -> ``1.21.3``."""
    if name.startswith("go"):
        v = name[2:]
    elif "-go" in name:
        v = name.split("-go", 1)[1]
    else:
        return None
    v = re.split(r"[-+]", v, maxsplit=1)[0]
    return v if parse(v) is not None else None
