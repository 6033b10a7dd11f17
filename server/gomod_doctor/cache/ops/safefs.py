"""The module cache reached safely: one component at a time (``O_NOFOLLOW``, relative
to the parent's descriptor), every target checked to lie inside the cache, go's
read-only directories made writable first, go's per-version lock held."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from gomod_doctor.cache.ops.model import (
    WAITING_FOR_LOCK,
    ItemError,
    OperationError,
    OpResult,
    Removal,
    _Cancelled,
    _Refused,
)
from gomod_doctor.module import semver
from gomod_doctor.module.goquote import go_quote
from gomod_doctor.module.paths import canonical_version

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
