"""Safe operations on the module cache: clear, prune, download, redownload.

Every operation follows the same rules:

* Module paths and versions are validated first (``module.check``, canonical
  semver), and anything starting with ``-`` is refused: bad input raises
  :class:`OperationError` (go's wording) before any file is touched or any
  subprocess is started. Subprocesses get argv lists, never a shell.
* Nothing outside GOMODCACHE is ever deleted. GOMODCACHE is resolved once with
  ``os.path.realpath``; everything below it is reached one component at a time
  with ``open(O_DIRECTORY|O_NOFOLLOW, dir_fd=parent)``, so a symbolic link on the
  way (say ``cache/download/example.com`` pointing elsewhere) is detected and the
  item refused, and a symbolic link being removed is unlinked, never followed.
  Every target is also checked to lie inside the cache, component by component.
* go's read-only directories are made writable (``fchmod`` on the opened
  directory, which cannot follow a link) before their contents are removed, as
  ``modfetch.RemoveAll`` does.
* A version is cleared while holding go's own per-version lock
  (``<escaped version>.lock`` in the download directory, ``flock`` exclusive, as
  ``lockedfile.MutexAt`` takes it), so a concurrent go command cannot race us.
  The wait is bounded (``lock_timeout``) and cancellable. Lock files are never
  removed: go never removes them either, and unlinking a lock file another
  process is waiting on would break the mutual exclusion it provides.
* Errors are values: each result lists the problems per item.
* ``progress(message, done, total)`` is called as the work goes.

What "a version" covers in the cache (see :mod:`gomod_doctor.cache.layout`): the
download files ``<v>.info .mod .zip .ziphash .partial`` and go's temp files
``<v>.{zip,info,mod}<digits>.tmp`` in ``cache/download/<path>/@v``, the extracted
directory ``<path>@<v>`` and pre-1.16 extraction dirs ``<path>@<v>.tmp-<digits>``.
``cache/vcs``, ``cache/download/sumdb`` and ``cache/lock`` belong to no version.
When a version is cleared its files go in an order that keeps the cache
consistent for go at every step: the ``.ziphash`` first (go then treats the
extracted directory as incomplete), then the directory, the zip, the go.mod and
info, and the ``.partial`` marker last. The ``@v/list`` file is then rewritten
as go's ``rewriteVersionList`` would (versions with a ``.mod``).

Given an ``index`` scope (:func:`gomod_doctor.cache.modindex.scope`), clearing a
version also drops go's module index entry of its directory from GOCACHE (and no
other entry): go keys that index by the directory's path alone, so without this
a directory downloaded again would still be built with the old file list.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from gomod_doctor.cache import modindex
from gomod_doctor.goenv.env import split_goflags
from gomod_doctor.modfile.rules import parse_mod
from gomod_doctor.module import semver
from gomod_doctor.module.escape import (
    escape_path,
    escape_version,
    unescape_path,
    unescape_version,
)
from gomod_doctor.module.goquote import go_quote
from gomod_doctor.module.paths import ModuleVersion, canonical_version, check, check_path

__all__ = [
    "TOOLCHAIN_MODULE",
    "DownloadReport",
    "DownloadResult",
    "ItemError",
    "Needs",
    "OpResult",
    "OperationError",
    "ProgressFn",
    "RedownloadResult",
    "Removal",
    "cached_versions",
    "clear_all",
    "clear_module",
    "clear_version",
    "download",
    "download_missing",
    "estimate_bytes",
    "expand_needs",
    "is_inside",
    "is_valid_module_version",
    "missing_versions",
    "prune",
    "redownload",
    "validate_module",
    "validate_module_version",
]

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


# --------------------------------------------------------------------------- containment


def _parts(path: str) -> list[str]:
    return [p for p in os.path.normpath(path).split(os.sep) if p]


def is_inside(root: str, path: str) -> bool:
    """``path`` lies strictly inside ``root`` after normalisation, compared
    component by component (``/a/bc`` is not inside ``/a/b``)."""
    if not os.path.isabs(root) or not os.path.isabs(path):
        return False
    r, p = _parts(root), _parts(path)
    return len(p) > len(r) and p[: len(r)] == r


def _check_component(name: str) -> None:
    if name in ("", ".", "..") or "/" in name or "\0" in name or (os.altsep and os.altsep in name):
        raise _Refused(f"refusing unsafe path component {go_quote(name)}")


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


# --------------------------------------------------------------------------- the cache


def _kind(mode: int) -> Literal["file", "dir", "symlink", "other"]:
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISREG(mode):
        return "file"
    return "other"


_DL_FILE = re.compile(r"^(?P<ver>.+)\.(?P<kind>info|mod|zip|ziphash|partial|lock)$")
_DL_TMP = re.compile(r"^(?P<ver>.+)\.(?P<kind>zip|info|mod)[0-9]+\.tmp$")
_EXT_TMP = re.compile(r"^(?P<ver>.+)\.tmp-[0-9]+$")
_ORDER = {"ziphash": 0, "dir": 1, "tmp-dir": 2, "zip": 3, "tmp": 4, "info": 5, "mod": 6}


@dataclass
class _Target:
    """One thing to remove for a version: ``name`` inside the directory at ``parts``."""

    parts: tuple[str, ...]
    name: str
    role: str  # ziphash, dir, tmp-dir, zip, tmp, info, mod, partial


class _Cache:
    def __init__(self, gomodcache: str | os.PathLike[str]) -> None:
        given = os.fspath(gomodcache)
        if not given:
            raise OperationError("GOMODCACHE is not set: there is no module cache")
        if "\0" in given:
            raise OperationError(f"invalid GOMODCACHE {go_quote(given)}")
        if not os.path.isabs(given):
            raise OperationError(
                f"GOMODCACHE entry is relative; must be absolute path: {go_quote(given)}"
            )
        self.given = given
        self.root = os.path.realpath(given)
        if len(_parts(self.root)) == 0:
            raise OperationError(f"refusing to operate on {self.root} as a module cache")

    # ------------------------------------------------------------------ paths
    def display(self, parts: Sequence[str], name: str | None = None) -> str:
        p = os.path.join(self.root, *parts, *([name] if name is not None else []))
        if not is_inside(self.root, p) and p != self.root:
            raise _Refused(f"{p}: outside GOMODCACHE")
        return p

    def exists(self) -> bool:
        try:
            return stat.S_ISDIR(os.lstat(self.root).st_mode)
        except OSError:
            return False

    @contextlib.contextmanager
    def open_dir(self, parts: Sequence[str], *, create: bool = False) -> Iterator[int | None]:
        """A descriptor of ``root/parts``, reached component by component without
        following any symlink; ``None`` if some component does not exist (and
        ``create`` is false). Raises :class:`_Refused` for a symlink or non-directory."""
        fd = self._open_path(parts, create)
        try:
            yield fd
        finally:
            if fd is not None:
                os.close(fd)

    def _open_path(self, parts: Sequence[str], create: bool) -> int | None:
        try:
            fd = os.open(self.root, _DIR_FLAGS)
        except FileNotFoundError:
            if not create:
                return None
            os.makedirs(self.root, 0o777, exist_ok=True)
            fd = os.open(self.root, _DIR_FLAGS)
        done: list[str] = []
        try:
            for part in parts:
                _check_component(part)
                nfd = self._open_child(fd, part, done, create)
                os.close(fd)
                fd = -1
                if nfd is None:
                    return None
                fd = nfd
                done.append(part)
            return fd
        except BaseException:
            if fd >= 0:
                os.close(fd)
            raise

    def _open_child(self, fd: int, part: str, done: list[str], create: bool) -> int | None:
        for _ in range(3):
            try:
                return os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    return None
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=fd)
            except OSError as e:
                if e.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    raise _Refused(self._why_not_dir(fd, done, part)) from None
                raise
        raise _Refused(f"{self.display(done, part)}: cannot create directory")

    def _why_not_dir(self, fd: int, done: Sequence[str], part: str) -> str:
        where = self.display(done, part)
        try:
            st = os.stat(part, dir_fd=fd, follow_symlinks=False)
        except OSError:
            return f"{where}: not a directory"
        if stat.S_ISLNK(st.st_mode):
            return f"{where}: is a symbolic link; refusing to follow it"
        return f"{where}: not a directory"

    # ------------------------------------------------------------------ removal
    def remove(
        self,
        parent_fd: int,
        parts: Sequence[str],
        name: str,
        *,
        dry_run: bool,
        result: OpResult,
        cancel: threading.Event | None,
    ) -> None:
        """Remove ``name`` (a file, a symlink or a whole tree) from the directory
        ``parent_fd`` (which is ``root/parts``), never following symlinks."""
        shown = self.display(parts, name)
        _check_component(name)
        try:
            st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        except OSError as e:
            result.errors.append(ItemError(shown, f"{shown}: {e.strerror or e}"))
            return
        if not stat.S_ISDIR(st.st_mode):
            size = st.st_size if stat.S_ISREG(st.st_mode) else 0
            try:
                if not dry_run:
                    os.unlink(name, dir_fd=parent_fd)
            except FileNotFoundError:
                return
            except OSError as e:
                result.errors.append(ItemError(shown, f"remove {shown}: {e.strerror or e}"))
                return
            result.removed.append(Removal(shown, size, _kind(st.st_mode)))
            return
        errors_before = len(result.errors)
        freed = self._remove_tree(parent_fd, name, st, shown, dry_run, result, cancel)
        if len(result.errors) == errors_before or freed:
            result.removed.append(Removal(shown, freed, "dir"))

    def _open_subdir(self, parent_fd: int, name: str, st: os.stat_result, dry_run: bool) -> int:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
        try:
            fst = os.fstat(fd)
            if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
                raise _Refused("directory changed while being removed")
            if not dry_run and stat.S_IMODE(fst.st_mode) & stat.S_IRWXU != stat.S_IRWXU:
                # go makes module directories read-only (0555): make them writable
                # so their entries can be removed (fchmod cannot follow a link).
                os.fchmod(fd, stat.S_IMODE(fst.st_mode) | stat.S_IRWXU)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _remove_tree(
        self,
        parent_fd: int,
        name: str,
        st: os.stat_result,
        shown: str,
        dry_run: bool,
        result: OpResult,
        cancel: threading.Event | None,
    ) -> int:
        """Post-order removal with an explicit stack of directory descriptors."""
        freed = 0
        try:
            top = self._open_subdir(parent_fd, name, st, dry_run)
        except (OSError, _Refused) as e:
            msg = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            result.errors.append(ItemError(shown, f"remove {shown}: {msg}"))
            return 0
        # frames: (fd, names left, name in parent, display path, failed)
        stack: list[tuple[int, list[str], str, str, list[bool]]] = []
        stack.append((top, _list_names(top), name, shown, [False]))
        try:
            while stack:
                fd, names, fname, fshown, failed = stack[-1]
                if cancel is not None and cancel.is_set():
                    raise _Cancelled
                if names:
                    child = names.pop()
                    cshown = os.path.join(fshown, child)
                    try:
                        cst = os.stat(child, dir_fd=fd, follow_symlinks=False)
                        if stat.S_ISDIR(cst.st_mode):
                            cfd = self._open_subdir(fd, child, cst, dry_run)
                            stack.append((cfd, _list_names(cfd), child, cshown, [False]))
                            continue
                        if not dry_run:
                            os.unlink(child, dir_fd=fd)
                        if stat.S_ISREG(cst.st_mode):
                            freed += cst.st_size
                    except FileNotFoundError:
                        pass
                    except (OSError, _Refused) as e:
                        failed[0] = True
                        msg = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
                        result.errors.append(ItemError(cshown, f"remove {cshown}: {msg}"))
                    continue
                stack.pop()
                os.close(fd)
                pfd = stack[-1][0] if stack else parent_fd
                if failed[0]:
                    if stack:
                        stack[-1][4][0] = True
                    continue
                if not dry_run:
                    try:
                        os.rmdir(fname, dir_fd=pfd)
                    except FileNotFoundError:
                        pass
                    except OSError as e:
                        if stack:
                            stack[-1][4][0] = True
                        result.errors.append(
                            ItemError(fshown, f"remove {fshown}: {e.strerror or e}")
                        )
        finally:
            for fd, *_ in stack:
                os.close(fd)
        return freed


def _list_names(fd: int) -> list[str]:
    with os.scandir(fd) as it:
        return sorted((e.name for e in it), reverse=True)


def _listdir_fd(fd: int | None) -> list[str]:
    if fd is None:
        return []
    try:
        return sorted(os.listdir(fd))
    except OSError:
        return []


# --------------------------------------------------------------------------- locking


class _LockTimeout(Exception):
    pass


@contextlib.contextmanager
def _flock(
    dir_fd: int,
    name: str,
    shown: str,
    *,
    timeout: float,
    cancel: threading.Event | None,
    on_wait: Callable[[str], None] | None,
    create: bool = True,
) -> Iterator[bool]:
    """Hold an exclusive flock on ``name`` in ``dir_fd`` (as go's lockedfile).

    Yields False (holding nothing) if ``create`` is false and the file is absent.
    """
    flags = os.O_RDWR | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    if create:
        flags |= os.O_CREAT
    try:
        fd = os.open(name, flags, 0o666, dir_fd=dir_fd)
    except FileNotFoundError:
        if create:
            raise
        fd = -1
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise _Refused(f"{shown}: is a symbolic link; refusing to use it as a lock") from None
        raise
    if fd < 0:
        yield False
        return
    try:
        deadline = time.monotonic() + max(0.0, timeout)
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            except InterruptedError:
                continue
            if not waited and on_wait is not None:
                on_wait(f"{WAITING_FOR_LOCK}: {shown}")
            waited = True
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            if time.monotonic() >= deadline:
                raise _LockTimeout(f"timed out after {timeout:g}s {WAITING_FOR_LOCK}: {shown}")
            time.sleep(0.02)
        yield True
    finally:
        os.close(fd)  # closing releases the flock


def _rewrite_list(cache: _Cache, dl_fd: int, dl_parts: Sequence[str], lock_timeout: float) -> None:
    """Rewrite ``@v/list`` as go's rewriteVersionList: versions with a ``.mod``.

    Only an existing list is rewritten; go itself (re)creates it when it caches a
    go.mod.
    """
    shown = cache.display(dl_parts, "list")
    with _flock(
        dl_fd, "list", shown, timeout=lock_timeout, cancel=None, on_wait=None, create=False
    ) as held:
        if not held:
            return
        versions = []
        for name in _listdir_fd(dl_fd):
            if name.endswith(".mod"):
                v = name[: -len(".mod")]
                if v and canonical_version(v) == v:
                    versions.append(v)
        text = "".join(f"{v}\n" for v in semver.sort_versions(versions)).encode()
        fd = os.open("list", os.O_RDWR | os.O_NOFOLLOW, dir_fd=dl_fd)
        try:
            old = os.pread(fd, len(text) + 1, 0)
            if old == text:
                return
            os.ftruncate(fd, 0)
            os.ftruncate(fd, len(text))
            os.pwrite(fd, text, 0)
        finally:
            os.close(fd)


# --------------------------------------------------------------------------- versions


@dataclass(frozen=True)
class _Where:
    """Where an escaped module path lives: download dir parts, extracted parent, base."""

    esc_path: str

    @property
    def path_parts(self) -> tuple[str, ...]:
        parts = tuple(self.esc_path.split("/"))
        for p in parts:
            _check_component(p)
        return parts

    @property
    def dl_parts(self) -> tuple[str, ...]:
        return ("cache", "download", *self.path_parts, "@v")

    @property
    def ext_parent(self) -> tuple[str, ...]:
        return self.path_parts[:-1]

    @property
    def base(self) -> str:
        return self.path_parts[-1]


def _version_targets(
    where: _Where,
    esc_ver: str,
    dl_names: Sequence[str],
    ext_names: Sequence[str],
    *,
    keep_mod: bool,
) -> list[_Target]:
    """What to remove for one escaped version, in removal order."""
    out: list[_Target] = []
    dl = where.dl_parts
    for name in dl_names:
        m = _DL_FILE.match(name)
        if m and m["ver"] == esc_ver:
            kind = m["kind"]
            if kind == "lock" or (keep_mod and kind in ("info", "mod")):
                continue
            out.append(_Target(dl, name, kind))
            continue
        m = _DL_TMP.match(name)
        if m and m["ver"] == esc_ver:
            out.append(_Target(dl, name, "tmp"))
    prefix = f"{where.base}@"
    own = f"{prefix}{esc_ver}"
    # a "<base>@<v>.tmp-N" name that is itself a version in the cache is not a temp dir
    known = _cached_versions(dl_names)
    for name in ext_names:
        if name == own:
            out.append(_Target(where.ext_parent, name, "dir"))
        elif (
            name.startswith(own + ".tmp-")
            and _EXT_TMP.match(name)
            and name[len(prefix) :] not in known
        ):
            out.append(_Target(where.ext_parent, name, "tmp-dir"))
    out.sort(key=lambda t: _ORDER.get(t.role, 9))
    return out


def _version_of(esc_ver: str) -> str:
    try:
        return unescape_version(esc_ver)
    except ValueError:
        return esc_ver


def _path_of(esc_path: str) -> str:
    try:
        return unescape_path(esc_path)
    except ValueError:
        return esc_path


def _clear_escaped(
    cache: _Cache,
    where: _Where,
    esc_ver: str,
    *,
    keep_mod: bool,
    dry_run: bool,
    lock_timeout: float,
    cancel: threading.Event | None,
    result: OpResult,
    report: Callable[[str], None],
) -> bool:
    """Clear one version (given escaped). Returns whether anything was (or would be)
    removed. Problems go to ``result.errors``."""
    label = f"{_path_of(where.esc_path)}@{_version_of(esc_ver)}"
    try:
        _check_component(esc_ver)
        with (
            cache.open_dir(where.dl_parts) as dl_fd,
            cache.open_dir(where.ext_parent) as ext_fd,
        ):
            dl_names = _listdir_fd(dl_fd)
            ext_names = [n for n in _listdir_fd(ext_fd) if n.startswith(where.base + "@")]
            targets = _version_targets(where, esc_ver, dl_names, ext_names, keep_mod=keep_mod)
            if not targets:
                return False
            if dry_run:
                for t in targets:
                    fd = dl_fd if t.parts == where.dl_parts else ext_fd
                    assert fd is not None
                    cache.remove(fd, t.parts, t.name, dry_run=True, result=result, cancel=cancel)
                return True
        # For real: take go's lock (creating the download dir if need be), then look
        # again — a go command may have changed things while we waited.
        with cache.open_dir(where.dl_parts, create=True) as dl_fd:
            assert dl_fd is not None
            lock_name = f"{esc_ver}.lock"
            lock_shown = cache.display(where.dl_parts, lock_name)
            with (
                _flock(
                    dl_fd,
                    lock_name,
                    lock_shown,
                    timeout=lock_timeout,
                    cancel=cancel,
                    on_wait=report,
                ),
                cache.open_dir(where.ext_parent) as ext_fd,
            ):
                dl_names = _listdir_fd(dl_fd)
                ext_names = [n for n in _listdir_fd(ext_fd) if n.startswith(where.base + "@")]
                targets = _version_targets(where, esc_ver, dl_names, ext_names, keep_mod=keep_mod)
                for t in targets:
                    if cancel is not None and cancel.is_set():
                        raise _Cancelled
                    fd = dl_fd if t.parts == where.dl_parts else ext_fd
                    assert fd is not None
                    report(f"removing {cache.display(t.parts, t.name)}")
                    cache.remove(fd, t.parts, t.name, dry_run=False, result=result, cancel=cancel)
            if any(t.role == "mod" for t in targets):
                try:
                    _rewrite_list(cache, dl_fd, where.dl_parts, lock_timeout)
                except (OSError, _LockTimeout) as e:
                    result.notes.append(f"{label}: could not rewrite the version list: {e}")
            return bool(targets)
    except _Refused as e:
        result.errors.append(ItemError(label, f"{label}: {e}"))
    except _LockTimeout as e:
        result.errors.append(ItemError(label, f"{label}: {e}"))
    except OSError as e:
        where_ = e.filename if isinstance(e.filename, str) else ""
        result.errors.append(
            ItemError(label, f"{label}: {where_ + ': ' if where_ else ''}{e.strerror or e}")
        )
    return False


# --------------------------------------------------------------------------- enumeration


def _scan(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def _walk_download(root: str, notes: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(escaped module path, names in its @v dir), without following symlinks."""
    base = os.path.join(root, "cache", "download")
    for d in (os.path.join(root, "cache"), base):
        try:
            if not stat.S_ISDIR(os.lstat(d).st_mode):
                notes.append(f"skipped {d}: not a directory")
                return
        except OSError:
            return
    stack: list[tuple[str, str]] = [("", base)]
    while stack:
        rel, full = stack.pop()
        for e in reversed(_scan(full)):
            if not rel and e.name == "sumdb":
                continue
            if e.is_symlink():
                notes.append(f"skipped symbolic link {e.path}")
                continue
            if not e.is_dir(follow_symlinks=False):
                continue
            if e.name == "@v":
                if rel:
                    yield rel, sorted(x.name for x in _scan(e.path))
                continue
            stack.append((f"{rel}/{e.name}" if rel else e.name, e.path))


def _walk_extracted(root: str, notes: list[str]) -> Iterator[tuple[str, str]]:
    """(escaped module path, text after '@') of every ``x@y`` entry outside cache/."""
    stack: list[tuple[str, str]] = [("", root)]
    while stack:
        rel, full = stack.pop()
        for e in reversed(_scan(full)):
            if not rel and e.name == "cache":
                continue
            if "@" in e.name:
                b, _, ver = e.name.partition("@")
                yield (f"{rel}/{b}" if rel else b), ver
            elif e.is_symlink():
                notes.append(f"skipped symbolic link {e.path}")
            elif e.is_dir(follow_symlinks=False):
                stack.append((f"{rel}/{e.name}" if rel else e.name, e.path))


def _escaped_versions(
    dl_names: Iterable[str], ext_rest: Iterable[str], dl_known: set[str]
) -> set[str]:
    found: set[str] = set()
    for name in dl_names:
        m = _DL_FILE.match(name) or _DL_TMP.match(name)
        if m and m["kind"] != "lock":  # a lock file alone is no cached version
            found.add(m["ver"])
    for rest in ext_rest:
        m = _EXT_TMP.match(rest)
        if m and rest not in dl_known:
            found.add(m["ver"])
        else:
            found.add(rest)
    return found


def cached_versions(gomodcache: str | os.PathLike[str]) -> list[ModuleVersion]:
    """Every module version with something in the cache (download files or an
    extracted directory), sorted; names that do not decode are left out."""
    cache = _Cache(gomodcache)
    return [ModuleVersion(p, v) for p, v, *_ in _all_versions(cache, [])]


def _all_versions(cache: _Cache, notes: list[str]) -> list[tuple[str, str, str, str]]:
    """(path, version, escaped path, escaped version), sorted by path and version."""
    by_path: dict[str, tuple[list[str], list[str]]] = {}
    for esc_path, names in _walk_download(cache.root, notes):
        by_path.setdefault(esc_path, ([], []))[0].extend(names)
    for esc_path, rest in _walk_extracted(cache.root, notes):
        by_path.setdefault(esc_path, ([], []))[1].append(rest)
    out: list[tuple[str, str, str, str]] = []
    for esc_path, (dl_names, ext_rest) in by_path.items():
        try:
            path = unescape_path(esc_path)
        except ValueError:
            notes.append(f"skipped {esc_path}: not an escaped module path")
            continue
        known = _cached_versions(dl_names)
        for esc_ver in _escaped_versions(dl_names, ext_rest, known):
            try:
                version = unescape_version(esc_ver)
            except ValueError:
                notes.append(f"skipped {esc_path}@{esc_ver}: not an escaped version")
                continue
            if not semver.is_valid(version) or canonical_version(version) != version:
                notes.append(f"skipped {esc_path}@{esc_ver}: not a canonical version")
                continue
            out.append((path, version, esc_path, esc_ver))
    out.sort(key=lambda t: (t[0], semver.canonical(t[1]), t[1]))
    return out


# --------------------------------------------------------------------------- operations


def _reporter(progress: ProgressFn | None, counter: list[int]) -> Callable[[str], None]:
    def report(message: str) -> None:
        if progress is not None:
            progress(message, counter[0], counter[1])

    return report


def clear_version(
    gomodcache: str | os.PathLike[str],
    path: str,
    version: str,
    *,
    dry_run: bool = False,
    lock_timeout: float = 30.0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    index: modindex.IndexScope | None = None,
) -> OpResult:
    """Remove one module version from the cache: its download files (``.info
    .mod .zip .ziphash .partial`` and temp leftovers; never the ``.lock``) and its
    extracted directory, under go's per-version lock; then go's module index entry
    of the directory (with ``index``), whether or not the cache held the version."""
    validate_module_version(path, version)
    cache = _Cache(gomodcache)
    result = OpResult(dry_run=dry_run)
    counter = [0, 1]
    report = _reporter(progress, counter)
    report(f"clearing {path}@{version}")
    try:
        if _clear_escaped(
            cache,
            _Where(escape_path(path)),
            escape_version(version),
            keep_mod=False,
            dry_run=dry_run,
            lock_timeout=lock_timeout,
            cancel=cancel,
            result=result,
            report=report,
        ):
            result.versions.append(ModuleVersion(path, version))
    except _Cancelled:
        result.cancelled = True
    _drop_index(result, cache, index, [(path, version)])
    counter[0] = 1
    report(f"cleared {path}@{version}")
    return result


def _drop_index(
    result: OpResult,
    cache: _Cache,
    index: modindex.IndexScope | None,
    versions: Iterable[tuple[str, str]],
) -> None:
    """Drop go's module index entries of cleared versions' directories (keyed by
    GOMODCACHE as go spells it, not resolved)."""
    if index is None or result.cancelled:
        return
    result.index.extend(modindex.drop(index, cache.given, versions, dry_run=result.dry_run))


def clear_module(
    gomodcache: str | os.PathLike[str],
    path: str,
    *,
    dry_run: bool = False,
    lock_timeout: float = 30.0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    index: modindex.IndexScope | None = None,
) -> OpResult:
    """Remove every version of module ``path`` (and nothing of ``path/sub`` or
    ``pathx``, which are other modules). Lock files stay, as go leaves them. With
    ``index``, go's module index entries of their directories go too."""
    validate_module(path)
    cache = _Cache(gomodcache)
    result = OpResult(dry_run=dry_run)
    where = _Where(escape_path(path))
    try:
        with cache.open_dir(where.dl_parts) as dl_fd, cache.open_dir(where.ext_parent) as ext_fd:
            dl_names = _listdir_fd(dl_fd)
            prefix = where.base + "@"
            ext_rest = [n[len(prefix) :] for n in _listdir_fd(ext_fd) if n.startswith(prefix)]
    except _Refused as e:
        result.errors.append(ItemError(path, f"module {path}: {e}"))
        return result
    except OSError as e:
        result.errors.append(ItemError(path, f"module {path}: {e.strerror or e}"))
        return result
    known = _cached_versions(dl_names)
    esc_versions = sorted(_escaped_versions(dl_names, ext_rest, known))
    counter = [0, len(esc_versions)]
    report = _reporter(progress, counter)
    try:
        for esc_ver in esc_versions:
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            version = _version_of(esc_ver)
            report(f"clearing {path}@{version}")
            if _clear_escaped(
                cache,
                where,
                esc_ver,
                keep_mod=False,
                dry_run=dry_run,
                lock_timeout=lock_timeout,
                cancel=cancel,
                result=result,
                report=report,
            ):
                result.versions.append(ModuleVersion(path, version))
            counter[0] += 1
    except _Cancelled:
        result.cancelled = True
    _drop_index(result, cache, index, [(v.path, v.version) for v in result.versions])
    report(f"cleared {len(result.versions)} versions of {path}")
    return result


def _cached_versions(dl_names: Iterable[str]) -> set[str]:
    """The escaped versions a download directory holds files of (a lock file alone is
    no cached version)."""
    return {m["ver"] for n in dl_names if (m := _DL_FILE.match(n)) and m["kind"] != "lock"}


def _looks_like_cache(root: str) -> bool:
    names = [e.name for e in _scan(root)]
    return not names or "cache" in names


def clear_all(
    gomodcache: str | os.PathLike[str],
    *,
    dry_run: bool = False,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    index: modindex.IndexScope | None = None,
) -> OpResult:
    """Empty the module cache, as ``go clean -modcache`` does: everything in it,
    and the directory itself (unless GOMODCACHE is a symlink: then the directory
    it points to is emptied and kept, so no dangling link is left). With
    ``index``, go's module index entries of every version's directory go too.

    Refused for a directory that does not look like a module cache (not empty and
    without a ``cache`` subdirectory) or for the home directory.
    """
    cache = _Cache(gomodcache)
    result = OpResult(dry_run=dry_run)
    if not cache.exists():
        return result
    home = os.environ.get("HOME", "")
    if home and os.path.isabs(home) and os.path.realpath(home) == cache.root:
        raise OperationError(f"refusing to empty {cache.root}: it is the home directory")
    if not _looks_like_cache(cache.root):
        raise OperationError(
            f"refusing to empty {cache.root}: it does not look like a module cache "
            "(no cache/ directory in it)"
        )
    held = [(p, v) for p, v, *_ in _all_versions(cache, [])] if index is not None else []
    try:
        with cache.open_dir(()) as root_fd:
            assert root_fd is not None
            names = sorted(os.listdir(root_fd))
            counter = [0, len(names)]
            report = _reporter(progress, counter)
            for name in names:
                if cancel is not None and cancel.is_set():
                    raise _Cancelled
                report(f"removing {os.path.join(cache.root, name)}")
                cache.remove(root_fd, (), name, dry_run=dry_run, result=result, cancel=cancel)
                counter[0] += 1
            report("module cache emptied" if not dry_run else "dry run")
    except _Cancelled:
        result.cancelled = True
        return result
    except _Refused as e:
        result.errors.append(ItemError(cache.root, str(e)))
        return result
    except OSError as e:
        result.errors.append(ItemError(cache.root, f"{cache.root}: {e.strerror or e}"))
        return result
    if not dry_run and not result.errors and not os.path.islink(cache.given):
        try:
            os.rmdir(cache.root)
        except OSError as e:
            result.errors.append(ItemError(cache.root, f"remove {cache.root}: {e.strerror or e}"))
    _drop_index(result, cache, index, held)
    return result


def estimate_bytes(
    gomodcache: str | os.PathLike[str], path: str | None = None, version: str | None = None
) -> int:
    """Bytes a clear would free: of ``path@version``, of every version of ``path``,
    or of the whole cache (no arguments). For confirmation prompts."""
    if path is None:
        return clear_all(gomodcache, dry_run=True).bytes_freed
    if version is None:
        return clear_module(gomodcache, path, dry_run=True).bytes_freed
    return clear_version(gomodcache, path, version, dry_run=True).bytes_freed


def _validated_set(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for p, v in pairs:
        validate_module_version(p, v)
        out.add((p, v))
    return out


def prune(
    gomodcache: str | os.PathLike[str],
    keep: Iterable[tuple[str, str]],
    *,
    keep_mod: Iterable[tuple[str, str]] = (),
    dry_run: bool = True,
    keep_toolchains: bool = True,
    lock_timeout: float = 30.0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    index: modindex.IndexScope | None = None,
) -> OpResult:
    """Remove the versions no workspace needs. Dry run by default.

    ``keep``: versions needed whole. ``keep_mod``: versions of which only the go.mod
    is needed (for the module graph): their ``.mod`` and ``.info`` stay, the zip and
    extracted directory go. Everything else with a canonical version goes whole.
    ``cache/vcs``, ``cache/download/sumdb``, names that do not decode and (unless
    ``keep_toolchains`` is false) go's downloaded toolchains are left alone.
    """
    keep_set = _validated_set(keep)
    mod_set = _validated_set(keep_mod) - keep_set
    cache = _Cache(gomodcache)
    result = OpResult(dry_run=dry_run)
    if not cache.exists():
        return result
    versions = _all_versions(cache, result.notes)
    todo: list[tuple[str, str, str, str, bool]] = []
    for path, version, esc_path, esc_ver in versions:
        if (path, version) in keep_set or (keep_toolchains and path == TOOLCHAIN_MODULE):
            result.kept.append(ModuleVersion(path, version))
            continue
        todo.append((path, version, esc_path, esc_ver, (path, version) in mod_set))
    counter = [0, len(todo)]
    report = _reporter(progress, counter)
    try:
        for path, version, esc_path, esc_ver, only_zip in todo:
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            report(f"{'would prune' if dry_run else 'pruning'} {path}@{version}")
            if _clear_escaped(
                cache,
                _Where(esc_path),
                esc_ver,
                keep_mod=only_zip,
                dry_run=dry_run,
                lock_timeout=lock_timeout,
                cancel=cancel,
                result=result,
                report=report,
            ):
                (result.mod_only if only_zip else result.versions).append(
                    ModuleVersion(path, version)
                )
            elif only_zip:
                result.kept.append(ModuleVersion(path, version))
            counter[0] += 1
    except _Cancelled:
        result.cancelled = True
    pruned = result.versions + result.mod_only
    _drop_index(result, cache, index, [(v.path, v.version) for v in pruned])
    report(f"{'would free' if dry_run else 'freed'} {result.bytes_freed} bytes")
    return result


# --------------------------------------------------------------------------- needs


def _read_cached_mod(cache: _Cache, path: str, version: str) -> str | None:
    where = _Where(escape_path(path))
    name = f"{escape_version(version)}.mod"
    try:
        with cache.open_dir(where.dl_parts) as fd:
            if fd is None:
                return None
            f = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
            try:
                with os.fdopen(f, "rb", closefd=False) as fh:
                    data = fh.read(16 << 20)
            finally:
                os.close(f)
    except (OSError, _Refused):
        return None
    return data.decode("utf-8", errors="replace")


def expand_needs(
    gomodcache: str | os.PathLike[str],
    full: Iterable[tuple[str, str]],
    *,
    mod_only: Iterable[tuple[str, str]] = (),
    replace: Mapping[tuple[str, str], tuple[str, str]] | None = None,
) -> Needs:
    """Complete the needs of a workspace from the cached ``.mod`` files.

    ``full`` are the versions the workspace requires (its go.mod ``require``
    lines). Walking the cached go.mod files from them gives every version go's
    module graph may read (a superset: graph pruning reads less). Of those, a
    version can only be *selected* — and so need its zip — if it is not below a
    version the workspace itself requires of that module (MVS selects the
    maximum); the versions below are needed for their go.mod only. Versions of
    modules the workspace does not require itself (an untidy go.mod) all count
    as ``full``. ``replace`` maps ``(path, version)`` — version "" for all
    versions — to the module replacing it; replacements are needed whole.
    """
    cache = _Cache(gomodcache)
    repl = dict(replace or {})
    want_full = {(p, v) for p, v in full if is_valid_module_version(p, v)}
    for p, v in list(want_full):
        r = repl.get((p, v)) or repl.get((p, ""))
        if r is not None and is_valid_module_version(*r):
            want_full.add(r)
    seen: set[tuple[str, str]] = set()
    todo = sorted(want_full | {(p, v) for p, v in mod_only if is_valid_module_version(p, v)})
    while todo:
        mv = todo.pop()
        if mv in seen:
            continue
        seen.add(mv)
        r = repl.get(mv) or repl.get((mv[0], ""))
        if r is not None and is_valid_module_version(*r) and r not in seen:
            todo.append(r)
        text = _read_cached_mod(cache, *mv)
        if text is None:
            continue
        mf = parse_mod(text, f"{mv[0]}@{mv[1]}/go.mod", lax=True)
        for req in mf.require:
            nxt = (req.mod.path, req.mod.version)
            if nxt not in seen and is_valid_module_version(*nxt):
                todo.append(nxt)
    floor: dict[str, str] = {}
    for p, v in want_full:
        if p not in floor or semver.compare(v, floor[p]) < 0:
            floor[p] = v
    selectable = {(p, v) for p, v in seen if p not in floor or semver.compare(v, floor[p]) >= 0}
    out_full = want_full | selectable
    return Needs(frozenset(out_full), frozenset(seen - out_full))


def is_valid_module_version(path: str, version: str) -> bool:
    """:func:`validate_module_version` as a yes or no."""
    try:
        validate_module_version(path, version)
    except OperationError:
        return False
    return True


def missing_versions(
    gomodcache: str | os.PathLike[str], modules: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The given versions that the cache does not hold completely (go.mod, zip,
    ziphash and a completely extracted directory)."""
    cache = _Cache(gomodcache)
    out: list[tuple[str, str]] = []
    for p, v in modules:
        validate_module_version(p, v)
        if not _complete(cache, p, v):
            out.append((p, v))
    return out


def _complete(cache: _Cache, path: str, version: str) -> bool:
    where = _Where(escape_path(path))
    ev = escape_version(version)
    try:
        with cache.open_dir(where.dl_parts) as dl, cache.open_dir(where.ext_parent) as ext:
            if dl is None or ext is None:
                return False
            names = set(_listdir_fd(dl))
            if not {f"{ev}.mod", f"{ev}.zip", f"{ev}.ziphash"} <= names:
                return False
            if f"{ev}.partial" in names:
                return False
            st = os.stat(f"{where.base}@{ev}", dir_fd=ext, follow_symlinks=False)
            return stat.S_ISDIR(st.st_mode)
    except (OSError, _Refused):
        return False


# --------------------------------------------------------------------------- download


@dataclass
class DownloadResult:
    """One module as ``go mod download -json`` reported it (``error``: go's words)."""

    path: str
    version: str
    error: str = ""
    info: str = ""
    gomod: str = ""
    zip: str = ""
    dir: str = ""
    sum: str = ""
    gomodsum: str = ""
    #: what go reported when it is not what was asked (a replacement)
    reported_path: str = ""
    reported_version: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def to_json(self) -> dict[str, str]:
        d = {
            "Path": self.path,
            "Version": self.version,
            "Error": self.error,
            "Info": self.info,
            "GoMod": self.gomod,
            "Zip": self.zip,
            "Dir": self.dir,
            "Sum": self.sum,
            "GoModSum": self.gomodsum,
        }
        return {k: v for k, v in d.items() if v or k in ("Path", "Version")}


@dataclass
class DownloadReport:
    """What a ``go mod download`` run did, per module, plus anything else go said."""

    modules: list[DownloadResult] = field(default_factory=list)
    #: errors not tied to one module (go's stderr, a timeout, a missing binary)
    errors: list[str] = field(default_factory=list)
    #: modules not downloaded because the cache already held them
    skipped: list[ModuleVersion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)
    returncode: int | None = None
    stderr: str = ""
    timed_out: bool = False
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and all(m.ok for m in self.modules)

    def to_json(self) -> dict[str, Any]:
        return {
            "Modules": [m.to_json() for m in self.modules],
            "Errors": list(self.errors),
            "Skipped": [str(m) for m in self.skipped],
            "Notes": list(self.notes),
            "TimedOut": self.timed_out,
            "Cancelled": self.cancelled,
        }


def _parse_json_stream(text: str) -> tuple[list[dict[str, Any]], str]:
    """The JSON objects go printed, one after another, and any text left over."""
    dec = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out, ""
        try:
            obj, i = dec.raw_decode(text, i)
        except ValueError:
            return out, text[i:]
        if isinstance(obj, dict):
            out.append(obj)


def _outside_goflags(goflags: str) -> tuple[str, list[str]]:
    """GOFLAGS for a go command run outside any module: ``-modfile`` names the main
    module's go.mod and makes go fail there, so it is dropped."""
    flags, err = split_goflags(goflags)
    if err is not None:
        return goflags, []  # let go report it in its own words
    kept: list[str] = []
    dropped: list[str] = []
    for f in flags:
        name = f.lstrip("-").split("=", 1)[0]
        (dropped if name == "modfile" else kept).append(f)
    return " ".join(kept), dropped


def _inside_module(d: str) -> str | None:
    cur = os.path.abspath(d)
    while True:
        if os.path.isfile(os.path.join(cur, "go.mod")):
            return os.path.join(cur, "go.mod")
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()


def _run(
    argv: list[str],
    *,
    cwd: str,
    env: Mapping[str, str],
    timeout: float,
    cancel: threading.Event | None,
    report: DownloadReport,
) -> tuple[str, str] | None:
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as e:
        report.errors.append(f"cannot run {argv[0]}: {e.strerror or e}")
        return None
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                out, err = proc.communicate(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.is_set():
                    report.cancelled = True
                elif time.monotonic() >= deadline:
                    report.timed_out = True
                else:
                    continue
                _kill_group(proc)
                out, err = proc.communicate()
                break
    except BaseException:
        _kill_group(proc)
        with contextlib.suppress(Exception):
            proc.communicate(timeout=5)
        raise
    report.returncode = proc.returncode
    report.stderr = err
    return out, err


def download(
    modules: Sequence[tuple[str, str]],
    *,
    go: str,
    env: Mapping[str, str],
    cwd: str | None = None,
    gomodcache: str | os.PathLike[str] | None = None,
    toolchain: str | None = "local",
    timeout: float = 600.0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> DownloadReport:
    """Download module versions with the real ``go mod download -json M@V ...``.

    Every module is validated first (:class:`OperationError`, nothing started).
    ``env`` is the whole environment for go; ``GOTOOLCHAIN`` is set to
    ``toolchain`` (default ``local``; ``None`` keeps env's) and ``GOMODCACHE`` to
    ``gomodcache`` if given. Without ``cwd`` go runs in a fresh temp directory
    outside any module (with ``GOWORK=off`` and without ``-modfile`` in GOFLAGS),
    so a broken go.mod cannot interfere; with ``cwd`` it runs there (e.g. to have
    go record the sums in that module's go.sum). Errors are go's, per module.
    """
    wanted: list[tuple[str, str]] = []
    for p, v in modules:
        validate_module_version(p, v)
        if (p, v) not in wanted:
            wanted.append((p, v))
    if not isinstance(go, str) or not go or go.startswith("-") or "\0" in go:
        raise OperationError(f"invalid go command {go!r}")
    report = DownloadReport()
    total = len(wanted)
    if not wanted:
        return report
    run_env = dict(env)
    if toolchain is not None:
        run_env["GOTOOLCHAIN"] = toolchain
    if gomodcache is not None:
        run_env["GOMODCACHE"] = os.fspath(gomodcache)
    argv = [go, "mod", "download", "-json", *(f"{p}@{v}" for p, v in wanted)]
    report.argv = argv
    if progress is not None:
        progress(f"downloading {total} module{'s' if total != 1 else ''}", 0, total)
    with contextlib.ExitStack() as stack:
        if cwd is None:
            run_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="gomod-doctor-"))
            run_env["GOWORK"] = "off"
            flags, dropped = _outside_goflags(run_env.get("GOFLAGS", ""))
            if dropped:
                run_env["GOFLAGS"] = flags
                report.notes.append(f"ignored {' '.join(dropped)} from GOFLAGS (no main module)")
            found = _inside_module(run_dir)
            if found is not None:
                report.notes.append(f"the temporary directory is inside the module of {found}")
        else:
            run_dir = cwd
        run_env["PWD"] = run_dir
        ran = _run(argv, cwd=run_dir, env=run_env, timeout=timeout, cancel=cancel, report=report)
    if ran is None:
        report.modules = [DownloadResult(p, v, error=report.errors[-1]) for p, v in wanted]
        return report
    out, err = ran
    objects, rest = _parse_json_stream(out)
    _attach(report, wanted, objects)
    stderr_lines = [ln for ln in err.splitlines() if ln.strip()]
    if report.timed_out:
        report.errors.append(f"go mod download timed out after {timeout:g}s")
    elif report.cancelled:
        report.errors.append("go mod download cancelled")
    elif report.returncode != 0 and all(m.ok for m in report.modules):
        report.errors.append(
            "\n".join(stderr_lines) or f"go exited with status {report.returncode}"
        )
    elif report.returncode != 0 and stderr_lines:
        # e.g. an error matching an argument that go reports after the JSON
        report.notes.extend(stderr_lines)
    if rest.strip():
        report.notes.append(f"unexpected output from go: {rest.strip()[:500]}")
    for i, m in enumerate(report.modules, 1):
        if progress is not None:
            state = f"error: {m.error}" if m.error else "ok"
            progress(f"{m.path}@{m.version}: {state}", i, total)
    return report


def _attach(
    report: DownloadReport, wanted: list[tuple[str, str]], objects: list[dict[str, Any]]
) -> None:
    def text(o: dict[str, Any], k: str) -> str:
        v = o.get(k, "")
        return v if isinstance(v, str) else ""

    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for obj in objects:
        by_key.setdefault((text(obj, "Path"), text(obj, "Version")), obj)
    positional = len(objects) == len(wanted)
    for i, (p, v) in enumerate(wanted):
        o = by_key.get((p, v)) or (objects[i] if positional else None)
        if o is None:
            why = "go reported nothing for this module"
            if report.timed_out:
                why = "not downloaded: go mod download timed out"
            elif report.cancelled:
                why = "not downloaded: cancelled"
            elif report.stderr.strip():
                why = report.stderr.strip().splitlines()[-1]
            report.modules.append(DownloadResult(p, v, error=why))
            continue
        r = DownloadResult(
            p,
            v,
            error=text(o, "Error"),
            info=text(o, "Info"),
            gomod=text(o, "GoMod"),
            zip=text(o, "Zip"),
            dir=text(o, "Dir"),
            sum=text(o, "Sum"),
            gomodsum=text(o, "GoModSum"),
        )
        if (text(o, "Path"), text(o, "Version")) != (p, v):
            r.reported_path, r.reported_version = text(o, "Path"), text(o, "Version")
        report.modules.append(r)


def download_missing(
    gomodcache: str | os.PathLike[str],
    modules: Iterable[tuple[str, str]],
    *,
    go: str,
    env: Mapping[str, str],
    cwd: str | None = None,
    toolchain: str | None = "local",
    timeout: float = 600.0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> DownloadReport:
    """Download those of ``modules`` the cache does not hold completely."""
    mods = list(dict.fromkeys(modules))
    missing = missing_versions(gomodcache, mods)
    report = download(
        missing,
        go=go,
        env=env,
        cwd=cwd,
        gomodcache=gomodcache,
        toolchain=toolchain,
        timeout=timeout,
        cancel=cancel,
        progress=progress,
    )
    report.skipped = [ModuleVersion(p, v) for p, v in mods if (p, v) not in set(missing)]
    return report


@dataclass
class RedownloadResult:
    clear: OpResult
    download: DownloadReport

    @property
    def ok(self) -> bool:
        return self.clear.ok and self.download.ok


def redownload(
    gomodcache: str | os.PathLike[str],
    path: str,
    version: str,
    *,
    go: str,
    env: Mapping[str, str],
    cwd: str | None = None,
    toolchain: str | None = "local",
    timeout: float = 600.0,
    lock_timeout: float = 30.0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    index: modindex.IndexScope | None = None,
) -> RedownloadResult:
    """Clear ``path@version`` from the cache (with ``index``: and go's module index
    entry of its directory), then download it again.

    Refused (nothing cleared) when ``env`` has ``GOPROXY=off``: go could not
    download it again. The download is skipped if the clear failed.
    """
    validate_module_version(path, version)
    if env.get("GOPROXY", "").strip() == "off":
        raise OperationError(
            f"{path}@{version}: GOPROXY=off: go could not download it again; not clearing it"
        )
    cleared = clear_version(
        gomodcache,
        path,
        version,
        lock_timeout=lock_timeout,
        cancel=cancel,
        progress=progress,
        index=index,
    )
    if cleared.errors or cleared.cancelled:  # (an index entry left is said, not fatal)
        return RedownloadResult(cleared, DownloadReport(errors=["not downloaded: clear failed"]))
    got = download(
        [(path, version)],
        go=go,
        env=env,
        cwd=cwd,
        gomodcache=gomodcache,
        toolchain=toolchain,
        timeout=timeout,
        cancel=cancel,
        progress=progress,
    )
    return RedownloadResult(cleared, got)
