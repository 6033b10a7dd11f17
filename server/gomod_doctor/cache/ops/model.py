"""What the cache operations take and give: results, errors, needs, and the
validation of module paths and versions (go's words) before anything is touched."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from gomod_doctor.cache import modindex
from gomod_doctor.module.escape import (
    escape_path,
    escape_version,
)
from gomod_doctor.module.goquote import go_quote
from gomod_doctor.module.paths import ModuleVersion, canonical_version, check, check_path

#: ``progress(message, done, total)``.
ProgressFn = Callable[[str, int, int], None]

#: Toolchains go downloads for GOTOOLCHAIN switching; prune leaves them alone.
TOOLCHAIN_MODULE = "golang.org/toolchain"

WAITING_FOR_LOCK = "waiting for lock held by another go command"


class OperationError(Exception):
    """An operation refused before it started (bad input, unusable GOMODCACHE)."""


class _Refused(Exception):
    """A path inside the cache that must not be used (a symlink on the way...)."""


class _Cancelled(Exception):
    pass


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ItemError:
    """A problem with one item: ``item`` is ``path@version`` or a file in the cache."""

    item: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Removal:
    """One file, symlink or directory tree removed (or, in a dry run, to remove)."""

    path: str
    bytes: int
    kind: Literal["file", "dir", "symlink", "other"]


@dataclass
class OpResult:
    """What a clear or prune did (``dry_run``: would do)."""

    dry_run: bool = False
    removed: list[Removal] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)
    #: The module versions cleared (prune: pruned) — whole or in part.
    versions: list[ModuleVersion] = field(default_factory=list)
    #: prune only: versions left in place because they are needed.
    kept: list[ModuleVersion] = field(default_factory=list)
    #: prune only: versions whose .mod/.info were kept (only their go.mod is needed).
    mod_only: list[ModuleVersion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cancelled: bool = False
    #: go's module index entries dropped from GOCACHE (see the module notes).
    index: modindex.DropResult = field(default_factory=modindex.DropResult)

    @property
    def bytes_freed(self) -> int:
        return sum(r.bytes for r in self.removed)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.cancelled and not self.index.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "DryRun": self.dry_run,
            "BytesFreed": self.bytes_freed,
            "Removed": [{"Path": r.path, "Bytes": r.bytes, "Kind": r.kind} for r in self.removed],
            "Versions": [str(v) for v in self.versions],
            "Kept": [str(v) for v in self.kept],
            "ModOnly": [str(v) for v in self.mod_only],
            "Errors": [{"Item": e.item, "Error": e.message} for e in self.errors],
            "Notes": list(self.notes),
            "Cancelled": self.cancelled,
            "ModuleIndex": self.index.to_json(),
        }


@dataclass(frozen=True)
class Needs:
    """The module versions some workspaces need from the cache.

    ``full``: the whole version (zip and extracted directory). ``mod_only``: only
    its go.mod (and .info), read while building the module graph.
    """

    full: frozenset[tuple[str, str]] = frozenset()
    mod_only: frozenset[tuple[str, str]] = frozenset()


# --------------------------------------------------------------------------- validation


def _show(s: str) -> str:
    """``s`` for a message: as is when printable (as go prints it), else Go-quoted."""
    return s if s.isprintable() else go_quote(s)


def _refuse_dash(s: str, what: str) -> None:
    if s.startswith("-"):
        raise OperationError(f"invalid {what} {go_quote(s)}: must not start with '-'")


def validate_module(path: str) -> None:
    """Raise :class:`OperationError` unless ``path`` is a valid module path."""
    if not isinstance(path, str):
        raise OperationError(f"invalid module path {path!r}")
    _refuse_dash(path, "module path")
    try:
        check_path(path)
    except ValueError as e:
        raise OperationError(str(e)) from None


def validate_module_version(path: str, version: str) -> None:
    """Raise :class:`OperationError` (go's wording) unless ``path@version`` names a
    module version with a place in the cache: a valid module path and a canonical
    semantic version matching its major version suffix."""
    if not isinstance(path, str) or not isinstance(version, str):
        raise OperationError(f"invalid module version {path!r}@{version!r}")
    _refuse_dash(path, "module path")
    _refuse_dash(version, "version")
    shown = f"{_show(path)}@{_show(version)}"
    try:
        check(path, version)
    except ValueError as e:
        text, raw = str(e), f"{path}@{version}"
        # ModuleError starts with path@version (shown quoted if unprintable here);
        # InvalidPathError does not name the version: go prefixes path@version.
        text = text[len(raw) :] if text.startswith(raw) else f": {text}"
        raise OperationError(f"{shown}{text}") from None
    if canonical_version(version) != version:
        raise OperationError(f"{shown}: non-canonical module version {go_quote(version)}")
    try:
        escape_path(path)
        escape_version(version)
    except ValueError as e:
        raise OperationError(f"{shown}: {e}") from None
