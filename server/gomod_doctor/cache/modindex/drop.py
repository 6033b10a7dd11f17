"""Dropping the module index entry of a module directory from GOCACHE (the one
entry a fix must drop, never another)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field

from gomod_doctor.cache.modindex.core import (
    IndexScope,
    _entry_name,
    action_id,
    cannot_drop,
    module_root,
)


@dataclass
class DropResult:
    """What :func:`drop` did: the action files removed (or, in a dry run, present),
    problems removing one (errors), and why nothing could be located (notes naming
    ``go clean -cache``)."""

    dropped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def extend(self, other: DropResult) -> None:
        self.dropped += other.dropped
        self.errors += other.errors
        self.notes += [n for n in other.notes if n not in self.notes]

    def to_json(self) -> dict[str, list[str]]:
        return {"Dropped": list(self.dropped), "Errors": list(self.errors), "Notes": self.notes}


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


def _unlink_entry(gocache: str, ident: bytes, dry_run: bool) -> tuple[str | None, str | None]:
    """Remove the action file of ``ident``: (its path if it was there, an error)."""
    sub, name = _entry_name(ident, "a")
    shown = os.path.join(gocache, sub, name)
    try:
        top = os.open(gocache, _DIR_FLAGS)  # GOCACHE itself may be a link, as go allows
    except FileNotFoundError:
        return None, None
    except OSError as e:
        return None, f"open {gocache}: {e.strerror or e}"
    try:
        try:
            fd = os.open(sub, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=top)
        except FileNotFoundError:
            return None, None
        except OSError as e:
            if e.errno in (errno.ELOOP, errno.ENOTDIR):
                return None, f"{os.path.join(gocache, sub)}: not a directory; left alone"
            return None, f"open {os.path.join(gocache, sub)}: {e.strerror or e}"
        try:
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                return None, None
            if not stat.S_ISREG(st.st_mode):
                return None, f"{shown}: not a regular file; left alone"
            if not dry_run:
                try:
                    os.unlink(name, dir_fd=fd)
                except FileNotFoundError:
                    return None, None
            return shown, None
        finally:
            os.close(fd)
    except OSError as e:
        return None, f"remove {shown}: {e.strerror or e}"
    finally:
        os.close(top)


def drop(
    sc: IndexScope,
    gomodcache: str,
    modules: Iterable[tuple[str, str]],
    *,
    dry_run: bool = False,
) -> DropResult:
    """Drop go's module index entry of each ``path@version`` directory: its action
    file, for each go version of ``sc``; never any other file of GOCACHE."""
    result = DropResult()
    mods = list(dict.fromkeys(modules))
    if sc.unused is not None or not mods:
        return result
    if sc.unavailable is not None:
        label = ", ".join(f"{p}@{v}" for p, v in mods[:3]) + (" and more" if len(mods) > 3 else "")
        result.notes.append(cannot_drop(f"go's module index of {label}", sc.unavailable))
        return result
    for path, version in mods:
        try:
            modroot = module_root(gomodcache, path, version)
        except ValueError:
            continue
        for v in sc.go_versions:
            removed, error = _unlink_entry(sc.gocache, action_id(v, modroot), dry_run)
            if removed is not None:
                result.dropped.append(removed)
            if error is not None:
                result.errors.append(
                    cannot_drop(f"{path}@{version}: go's module index entry", error)
                )
    return result
