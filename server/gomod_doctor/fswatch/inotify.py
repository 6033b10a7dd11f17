"""Linux inotify watching without reads: the notified groups of
:class:`~gomod_doctor.fswatch.watcher.FileWatcher` on Linux.

watchfiles (its ``notify`` crate) asks inotify for ``IN_OPEN`` and
``IN_CLOSE_NOWRITE`` too, so the kernel queues two events for every file anyone
reads below a watched root, and queues them in the reader's own system calls. The
background verification reads every file of every needed module's extracted
directory: on the 250-module bench, 180,000 events, which cost the verification a
fifth of its time and overflow the kernel's queue (16,384 events), so that a real
change in the same moment is lost. None of them is a change.

:class:`InotifyGroup` asks only for what changes a directory or a file (create,
delete, move, write, attributes), through libc's ``inotify_*`` calls (ctypes
releases the interpreter lock during each). Recursive roots get a watch on every
directory below them, and a directory created or moved in later gets its own. What
the group delivers matches watchfiles': ``added`` (created, moved in),
``modified`` (written, closed after writing, attributes), ``deleted`` (deleted,
moved out, or the root itself gone), in batches that wait until the changes have
been quiet for ``step_ms`` (at most ``debounce_ms`` after the first). A queue
overflow, which loses events, is delivered as ``modified`` for every root.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

from gomod_doctor.fswatch.group import WatchGroup
from gomod_doctor.fswatch.roots import ChangeKind, FileChange

__all__ = ["MASK", "InotifyGroup", "available"]

IN_MODIFY = 0x2
IN_ATTRIB = 0x4
IN_CLOSE_WRITE = 0x8
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x1000000
IN_DONT_FOLLOW = 0x2000000
IN_ISDIR = 0x40000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = 0o2000000

#: what changes a directory's entries or a file's content or metadata; never a read
MASK = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
)
_ADDED = IN_CREATE | IN_MOVED_TO
_MODIFIED = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE
_DELETED = IN_DELETE | IN_MOVED_FROM
_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len
_READ_SIZE = 64 * 1024


class _Libc:
    def __init__(self) -> None:
        # the process's own symbols (libc's among them): no ctypes.util lookup,
        # which would run ldconfig
        lib = ctypes.CDLL(None, use_errno=True)
        self.init1 = lib.inotify_init1
        self.init1.argtypes = [ctypes.c_int]
        self.init1.restype = ctypes.c_int
        self.add_watch = lib.inotify_add_watch
        self.add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        self.add_watch.restype = ctypes.c_int
        self.rm_watch = lib.inotify_rm_watch
        self.rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
        self.rm_watch.restype = ctypes.c_int


_libc: _Libc | None = None
_libc_error = False


def _lib() -> _Libc | None:
    global _libc, _libc_error
    if _libc is None and not _libc_error:
        try:
            _libc = _Libc()
        except (OSError, AttributeError):
            _libc_error = True
    return _libc


def available() -> bool:
    """Whether this platform has inotify (Linux, with a libc that exposes it)."""
    return sys.platform.startswith("linux") and _lib() is not None


def _error(what: str, path: str | None = None) -> OSError:
    """The failed call's error (OSError picks the subclass: FileNotFoundError, ...)."""
    code = ctypes.get_errno()
    return OSError(code, f"{what}: {os.strerror(code)}", path)


class InotifyGroup(WatchGroup):
    """One inotify instance over a fixed set of directory roots, read in a daemon
    thread."""

    def __init__(
        self,
        roots: frozenset[Path],
        *,
        recursive: bool,
        deliver: Callable[[set[FileChange]], None],
        on_error: Callable[[WatchGroup, BaseException], None],
        debounce_ms: int = 400,
        step_ms: int = 30,
    ) -> None:
        super().__init__(
            roots,
            recursive=recursive,
            polling=False,
            deliver=deliver,
            on_error=on_error,
            name=f"gomod-doctor-inotify-{'r' if recursive else 'f'}",
        )
        self._debounce = debounce_ms / 1000
        self._step = step_ms / 1000
        self._fd = -1
        self._dirs: dict[int, str] = {}  # watch descriptor -> directory
        self._roots_by_wd: dict[int, str] = {}

    @property
    def watches(self) -> int:
        return len(self._dirs)

    def fileno(self) -> int:
        """The inotify descriptor (-1 when not watching)."""
        return self._fd

    # ---------------------------------------------------------------- watches

    def _add(self, path: str, *, root: bool) -> int:
        lib = _lib()
        assert lib is not None
        wd: int = lib.add_watch(self._fd, os.fsencode(path), MASK | IN_ONLYDIR | IN_DONT_FOLLOW)
        if wd < 0:
            raise _error("inotify_add_watch", path)
        self._dirs[wd] = path
        if root:
            self._roots_by_wd[wd] = path
        return wd

    def _add_tree(self, top: str, *, root: bool) -> None:
        """Watch ``top`` and, for a recursive group, every directory below it; a
        directory that vanishes or may not be read meanwhile is passed over."""
        try:
            self._add(top, root=root)
        except (FileNotFoundError, PermissionError, NotADirectoryError):
            if root:
                raise
            return
        if not self.recursive:
            return
        stack = [top]
        while stack:
            d = stack.pop()
            try:
                with os.scandir(d) as it:
                    subdirs = [e.path for e in it if e.is_dir(follow_symlinks=False)]
            except OSError:
                continue
            for sub in subdirs:
                try:
                    self._add(sub, root=False)
                except (FileNotFoundError, PermissionError, NotADirectoryError):
                    continue
                stack.append(sub)

    def _drop_tree(self, top: str) -> None:
        """Stop watching ``top`` and the directories below it (moved away: the
        watches would follow them under their old names)."""
        lib = _lib()
        assert lib is not None
        prefix = top + os.sep
        for wd, d in list(self._dirs.items()):
            if d == top or d.startswith(prefix):
                lib.rm_watch(self._fd, wd)
                del self._dirs[wd]
                self._roots_by_wd.pop(wd, None)

    # ---------------------------------------------------------------- reading

    def _open(self) -> bool:
        lib = _lib()
        if lib is None:
            raise OSError(errno.ENOSYS, "inotify is not available")
        self._fd = lib.init1(IN_NONBLOCK | IN_CLOEXEC)
        if self._fd < 0:
            raise _error("inotify_init1")
        for r in sorted(str(p) for p in self.roots):
            self._add_tree(r, root=True)
        return True

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # drops every watch
            self._fd = -1
        self._dirs.clear()
        self._roots_by_wd.clear()

    def _loop(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        while not self.stop_event.is_set():
            if not poller.poll(400):
                continue
            out: set[FileChange] = set()
            first = last = time.monotonic()
            while True:
                if self._read(out):
                    last = time.monotonic()
                now = time.monotonic()
                wait = min(last + self._step, first + self._debounce) - now
                if wait <= 0 or self.stop_event.is_set():
                    break
                poller.poll(max(1, int(wait * 1000)))
            if out and not self.stop_event.is_set():
                self._deliver(out)

    def _read(self, out: set[FileChange]) -> bool:
        """Read what is queued into ``out``; whether anything was."""
        got = False
        while True:
            try:
                buf = os.read(self._fd, _READ_SIZE)
            except BlockingIOError:
                return got
            except InterruptedError:
                continue
            if not buf:
                return got
            got = True
            self._parse(buf, out)

    def _parse(self, buf: bytes, out: set[FileChange]) -> None:
        off, end = 0, len(buf)
        while off + _HEADER.size <= end:
            wd, mask, _cookie, n = _HEADER.unpack_from(buf, off)
            raw = buf[off + _HEADER.size : off + _HEADER.size + n]
            off += _HEADER.size + n
            if mask & IN_Q_OVERFLOW:
                # events were lost: say every root may have changed
                out.update(("modified", Path(r)) for r in self._roots_by_wd.values())
                continue
            d = self._dirs.get(wd)
            if mask & IN_IGNORED:
                self._dirs.pop(wd, None)
                self._roots_by_wd.pop(wd, None)
                continue
            if d is None:
                continue
            if not n:  # about the watched directory itself
                if mask & (IN_DELETE_SELF | IN_MOVE_SELF) and wd in self._roots_by_wd:
                    out.add(("deleted", Path(d)))
                    if mask & IN_MOVE_SELF:
                        self._drop_tree(d)
                elif mask & IN_ATTRIB:
                    out.add(("modified", Path(d)))
                continue
            path = os.path.join(d, os.fsdecode(raw.rstrip(b"\0")))
            kind: ChangeKind
            if mask & _ADDED:
                kind = "added"
                if mask & IN_ISDIR and self.recursive:
                    self._add_tree(path, root=False)
            elif mask & _DELETED:
                kind = "deleted"
                if mask & IN_MOVED_FROM and mask & IN_ISDIR and self.recursive:
                    self._drop_tree(path)
            elif mask & _MODIFIED:
                kind = "modified"
            else:
                continue
            out.add((kind, Path(path)))
