"""Full verification of module versions in the module cache: what ``go mod verify``
hashes, in worker processes, memoized.

For each request ``(path, version, need_dir)`` :func:`verify` rehashes the module
zip (``dirhash.HashZip``) and, when ``need_dir`` and the extracted directory
exists, the directory (``dirhash.HashDir``), and reports the ``h1:`` hashes or the
errors (in go's words where go has some: ``zip: not a valid zip file``,
``open <path>: permission denied``). When the directory's hash differs from the
zip's, it names the files that were edited, added or removed, relative to the
module root. It only reports facts: comparing them with ``.ziphash`` and go.sum
is the checks' business, and so is deciding which directories to ask for (this
module hashes an existing directory even where go would skip it, e.g. beside a
``.partial`` marker; see :mod:`gomod_doctor.cache.state`).

How the work is done
--------------------
1. Each zip is ``stat``-ed; the memo (:mod:`gomod_doctor.cache.memo`) answers
   for zips whose identity is unchanged. Zips up to :data:`SPLIT_ZIP_AT` bytes
   are hashed whole by one task; larger ones have their central directory read
   here and their members split into tasks of about :data:`ZIP_CHUNK` compressed
   bytes, so that one huge module does not keep one worker busy alone.
2. Each extracted directory is walked (``os.scandir``, ``lstat`` per file) and
   fingerprinted (the names, sizes, mtimes and inodes of its files). A
   fingerprint equal to the memo's gives the directory's hash at once: the warm
   path costs only the walk. Otherwise the memo's per-file digests (one query
   per directory) are used for the files whose identity is unchanged and the
   others are hashed, in batches of about :data:`BATCH_BYTES` bytes or
   :data:`BATCH_FILES` files taken across directories.
3. Tasks run in a ``ProcessPoolExecutor`` (hashing many small files in Python
   threads would serialize on the GIL), largest first, or in this process when
   there is little to do or ``workers == 1``. The walks themselves are tasks too
   when the memo expects many files, so that the warm path is spread over the
   workers. The tasks are module-level functions (any start method works; the
   default is :func:`default_context`). Should the pool break, the remaining
   tasks run in this process.
4. ``background=True`` (the language server's verification, which runs while the
   user types) changes the pool, not the work: :func:`background_workers`
   processes (every usable core but one, at least one), each lowering its own CPU
   priority when it starts (:func:`lower_priority`: the idle scheduling class, and
   niceness :data:`BACKGROUND_NICE`), and a pool even of one
   worker, so that the hashing never runs in the caller's process (where it would
   compete with the editor's requests for the interpreter lock).
   :func:`verify_in_background` moves the rest (planning, the tasks' results, the
   memo's reads and writes) out of the caller's process too: it runs the
   verification in a process of its own, at the same lower priority, and passes
   back its progress and result.
   In the foreground (the CLI: the user waits for the answer) the pool has a
   worker per core at normal priority.

Files are opened relative to their directory (``dir_fd``) where the platform
allows, which spares the kernel a walk of the whole path per file. Memory stays
bounded: zips and files are read through fixed-size buffers, and what is kept
per file is its name, identity and digest.

Progress and cancellation
-------------------------
``progress(done_bytes, total_bytes, current)`` is called from the calling thread
as tasks finish; ``total_bytes`` (the bytes of the zips plus the files of the
directories, memoized ones included) is final at the first call, once every
directory has been listed, and ``done_bytes`` never decreases. ``cancel`` (a
``threading.Event`` or a callable returning ``True`` to stop) is checked between
tasks and at least every 50 ms while waiting; on cancel no new task starts,
queued ones are dropped, the pool is shut down without waiting, and the result
has ``cancelled`` set and lists the modules left ``unfinished``. Every task is
bounded (a zip part or a batch of files), so workers still busy stop soon after.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import multiprocessing
import os
import queue
import stat
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import (
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
)
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

from gomod_doctor.cache import hashing
from gomod_doctor.cache.layout import module_files
from gomod_doctor.cache.memo import (
    RACY_WINDOW_NS,
    DirMemo,
    DirStore,
    FileColumns,
    FileIdentity,
    Memo,
    ZipStore,
)
from gomod_doctor.cache.results import (
    Cancel,
    DirDiff,
    ModuleVerification,
    Progress,
    VerifyResult,
    VerifyStats,
)
from gomod_doctor.cache.state import go_os_error

__all__ = [
    "BATCH_BYTES",
    "BATCH_FILES",
    "SPLIT_ZIP_AT",
    "ZIP_CHUNK",
    "Cancel",
    "DirDiff",
    "ModuleVerification",
    "PendingVerify",
    "Progress",
    "VerifyResult",
    "VerifyStats",
    "background_workers",
    "default_context",
    "prepare_background",
    "start_verify",
    "verify",
    "verify_in_background",
]

SPLIT_ZIP_AT = 16 << 20  # zips larger than this are split into member ranges
ZIP_CHUNK = 4 << 20  # compressed bytes per zip task (about 12 MB to inflate and hash)
BATCH_BYTES = 8 << 20  # file bytes per directory task
BATCH_FILES = 1000  # files per directory task
INLINE_BYTES = 8 << 20  # less to hash than this (and few files to walk): no pool
INLINE_FILES = 20_000
WALK_IN_WORKERS_FILES = 5_000  # with a pool, walk in it when more files are expected
STORE_BATCH = 20_000  # memo entries written at once
_POLL = 0.05
BACKGROUND_NICE = 10  # the niceness background verification runs at (at least)
CANCEL_GRACE = 2.0  # seconds a cancelled background verification has to answer


NEWLINE_ERROR = "dirhash: filenames with newlines are not supported"


# --------------------------------------------------------------------------- results


# --------------------------------------------------------------------------- tasks
# Module-level functions: they run in worker processes (any start method).

# A walked file: (rel, size, mtime_ns, ino, regular)
WalkedFile = tuple[str, int, int, int, bool]
# A scanned directory: (root, error, fingerprint, nfiles, nbytes, files or None)
ScanOut = tuple[str, str | None, bytes | None, int, int, list[WalkedFile] | None]


_S_IFMT = 0o170000
_S_IFREG = 0o100000
_DIR_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
# Listing through directory descriptors makes each lstat an fstatat relative to
# its directory, sparing the kernel a walk of the whole path per file (a third of
# the cost of the warm path).
_WALK_FDS = (
    os.scandir in os.supports_fd
    and os.stat in os.supports_dir_fd
    and bool(getattr(os, "O_DIRECTORY", 0))
)


def _walk_fd(fd: int, path: str, rel: str, out: list[WalkedFile]) -> None:
    """Append every non-directory under the directory open as ``fd`` (whose path
    is ``path``), named ``rel + name``; directories are descended, symlinks not."""
    subdirs = []
    append = out.append
    try:
        with os.scandir(fd) as it:
            for e in it:
                name = e.name
                if e.is_dir(follow_symlinks=False):
                    subdirs.append(name)
                    continue
                st = e.stat(follow_symlinks=False)
                append(
                    (
                        rel + name,
                        st.st_size,
                        st.st_mtime_ns,
                        st.st_ino,
                        st.st_mode & _S_IFMT == _S_IFREG,
                    )
                )
    except OSError as err:
        name = err.filename if isinstance(err.filename, str) else ""
        where = f"{path}/{name}" if name else path
        raise _WalkError(go_os_error("lstat" if name else "open", where, err)) from None
    for name in subdirs:
        sub_path = f"{path}/{name}"
        try:
            sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
        except OSError as err:
            raise _WalkError(go_os_error("open", sub_path, err)) from None
        try:
            _walk_fd(sub, sub_path, f"{rel}{name}/", out)
        finally:
            os.close(sub)


def _walk(path: str, rel: str, out: list[WalkedFile]) -> None:
    """:func:`_walk_fd` by path, where directory descriptors cannot be listed."""
    subdirs = []
    append = out.append
    try:
        with os.scandir(path) as it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    subdirs.append(e.name)
                else:
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError as err:
                        raise _WalkError(go_os_error("lstat", e.path, err)) from None
                    append(
                        (
                            rel + e.name,
                            st.st_size,
                            st.st_mtime_ns,
                            st.st_ino,
                            st.st_mode & _S_IFMT == _S_IFREG,
                        )
                    )
    except _WalkError:
        raise
    except OSError as err:
        raise _WalkError(go_os_error("open", path, err)) from None
    for name in subdirs:
        _walk(os.path.join(path, name), f"{rel}{name}/", out)


def walk_dir(root: str) -> list[WalkedFile]:
    """``(rel, size, mtime_ns, ino, regular)`` of every file under ``root`` (as
    ``dirhash.DirFiles`` lists them; unsorted). Raises ``_WalkError`` with go's
    words for the first entry that cannot be read."""
    files: list[WalkedFile] = []
    if not _WALK_FDS:
        _walk(root, "", files)
        return files
    try:
        fd = os.open(root, _DIR_FLAGS)
    except OSError as err:
        raise _WalkError(go_os_error("open", root, err)) from None
    try:
        _walk_fd(fd, root, "", files)
    finally:
        os.close(fd)
    return files


class _WalkError(Exception):
    pass


def fingerprint(files: list[WalkedFile]) -> bytes | None:
    """The identity of a walked directory's files; ``None`` unless all are regular."""
    if not all(f[4] for f in files):
        return None
    return hashlib.sha256(marshal.dumps(files, 2)).digest()


def _scan_dir(root: str, expected: bytes | None) -> ScanOut:
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        return (root, None, None, -1, 0, None)  # absent
    except OSError as e:
        return (root, go_os_error("lstat", root, e), None, 0, 0, None)
    if not stat.S_ISDIR(st.st_mode):
        return (root, f"{root}: not a directory", None, 0, 0, None)
    try:
        files = walk_dir(root)
    except _WalkError as e:
        return (root, str(e), None, 0, 0, None)
    except RecursionError:
        return (root, f"{root}: directory tree too deep", None, 0, 0, None)
    fp = fingerprint(files)
    nbytes = sum(f[1] for f in files)
    keep = None if fp is not None and fp == expected else files
    return (root, None, fp, len(files), nbytes, keep)


def _task_scan(items: list[tuple[str, bytes | None]]) -> list[ScanOut]:
    return [_scan_dir(root, expected) for root, expected in items]


def _zip_error(path: str, e: BaseException) -> str:
    if isinstance(e, OSError):
        return go_os_error("open", path, e)
    return str(e) or type(e).__name__


# A file of an extracted directory read while its zip was hashed: (rel, sha256).
PairedFile = tuple[str, bytes]
# (error, members as (name, size), digests, h1, paired files)
ZipOut = tuple[str | None, list[tuple[str, int]], list[bytes], str | None, list[PairedFile]]
# (error, digests, paired files)
ZipPartOut = tuple[str | None, list[bytes], list[PairedFile]]


class _Pairer:
    """Reads the extracted directory's copy of each zip member as the member is
    inflated, and compares the two: equal bytes have the member's sha256, so the
    file needs no hashing of its own (a differing one is hashed from what was
    read). This spares the hashing of every unchanged file of a module whose zip
    and directory are both verified. Files it cannot take (symlinks, unreadable
    ones, large members streamed through the inflater) are left to the
    directory's own file tasks. Like those, it reads a file after the walk took
    its identity (see :func:`_hash_dir_files`)."""

    def __init__(self, root: str, prefix: str) -> None:
        self.root = root
        self.head = (prefix + "/").encode("utf-8", "surrogateescape")
        self.dir_fds: dict[bytes, int] = {}
        self.out: list[PairedFile] = []

    def __call__(self, m: hashing.ZipMember, content: bytes | bytearray, digest: bytes) -> None:
        name = m.raw_name
        head = self.head
        if not name.startswith(head) or name.endswith(b"/"):
            return
        rel = name[len(head) :]
        sub, _, base = rel.rpartition(b"/")
        dfd = self.dir_fds.get(sub)
        if dfd is None:
            root = self.root.encode("utf-8", "surrogateescape")
            try:
                dfd = os.open(root + b"/" + sub if sub else root, _DIR_FLAGS)
            except OSError:
                dfd = -1
            self.dir_fds[sub] = dfd
        if dfd < 0 or not base:
            return
        try:
            fd = os.open(base, _FILE_FLAGS, dir_fd=dfd)
        except OSError:
            return  # absent, a symlink, unreadable: the file tasks say what
        try:
            data = os.read(fd, len(content) + 1)
            if len(data) > len(content):  # longer: the rest too, for its own hash
                parts = [data]
                while chunk := os.read(fd, 1 << 20):
                    parts.append(chunk)
                data = b"".join(parts)
        except OSError:
            return  # a directory, a FIFO...: the file tasks say what
        finally:
            os.close(fd)
        sha = digest if data == content else hashlib.sha256(data).digest()
        self.out.append((rel.decode("utf-8", "surrogateescape"), sha))

    def close(self) -> list[PairedFile]:
        for dfd in self.dir_fds.values():
            if dfd >= 0:
                os.close(dfd)
        self.dir_fds.clear()
        return self.out


def _zip_h1(names: list[str], digests: list[bytes]) -> str:
    """dirhash.HashZip from the members in directory order: one line per member,
    each with the content of the last member of that name."""
    last = dict(zip(names, digests, strict=True))
    return hashing.hash1((n, last[n]) for n in names)


def _task_zip(path: str, pair: tuple[str, str] | None = None) -> ZipOut:
    """A whole zip; with ``pair`` (the extracted directory and its prefix), its
    files are compared with the members (:class:`_Pairer`)."""
    pairer = _Pairer(*pair) if pair is not None else None
    try:
        pairs = hashing._zip_digests(path, None, False, pairer)
        names = [m.name for m, _ in pairs]
        digests = [d for _, d in pairs]
        h1 = _zip_h1(names, digests)
    except (OSError, ValueError, MemoryError, OverflowError) as e:
        return (_zip_error(path, e), [], [], None, pairer.close() if pairer else [])
    paired = pairer.close() if pairer else []
    return (None, [(m.name, m.size) for m, _ in pairs], digests, h1, paired)


def _task_zip_part(
    path: str, members: list[hashing.ZipMember], pair: tuple[str, str] | None = None
) -> ZipPartOut:
    pairer = _Pairer(*pair) if pair is not None else None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as e:
        return (_zip_error(path, e), [], [])
    try:
        win = hashing._Window(fd)
        digests: list[bytes] = [b""] * len(members)
        for i in sorted(range(len(members)), key=lambda i: members[i].header_offset):
            if pairer is None:
                digests[i] = hashing._member_digest(win, members[i], False)
                continue
            digest, content = hashing._member_content(win, members[i], False)
            digests[i] = digest
            if content is not None:
                pairer(members[i], content, digest)
        return (None, digests, pairer.close() if pairer else [])
    except (OSError, ValueError, MemoryError, OverflowError) as e:
        return (_zip_error(path, e), [], pairer.close() if pairer else [])
    finally:
        os.close(fd)


_FILE_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # should a file have become a FIFO: no hang
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)

# A directory's files to hash: (root, rels, regular flags)
FilesIn = tuple[str, list[str], list[bool]]
# Their results: (bytes read, sha256 per file (b"" where failed), {index: error})
FilesOut = tuple[int, list[bytes], dict[int, str]]


def _digest_fd(fd: int, buf: memoryview) -> tuple[int, bytes]:
    h = hashlib.sha256()
    size = 0
    while True:
        n = os.readv(fd, [buf])
        if not n:
            return size, h.digest()
        h.update(buf[:n])
        size += n


def _hash_path(path: str, regular: bool, buf: memoryview) -> tuple[int, bytes] | str:
    """sha256 of the content read through ``path`` (symlinks followed, as Go's
    os.Open), or go's words for the failure."""
    try:
        return hashing._file_digest(path, regular, buf)
    except IsADirectoryError:
        return f"read {path}: is a directory"
    except OSError as e:
        return go_os_error("open", path, e)


def _hash_dir_files(root: str, rels: list[str], regular: list[bool], buf: memoryview) -> FilesOut:
    digests: list[bytes] = []
    errors: dict[int, str] = {}
    total = 0
    dir_fds: dict[str, int] = {}
    try:
        for i, rel in enumerate(rels):
            head, _, name = rel.rpartition("/")
            res: tuple[int, bytes] | str | None = None
            if regular[i] and _WALK_FDS:
                # Opened relative to its directory: no walk of the whole path.
                dfd = dir_fds.get(head)
                if dfd is None:
                    try:
                        dfd = os.open(f"{root}/{head}" if head else root, _DIR_FLAGS)
                    except OSError:
                        dfd = -1
                    dir_fds[head] = dfd
                if dfd >= 0:
                    try:
                        fd = os.open(name, _FILE_FLAGS, dir_fd=dfd)
                    except OSError:
                        pass  # gone, or now a symlink: go's way below, by path
                    else:
                        try:
                            res = _digest_fd(fd, buf)
                        except OSError:
                            res = None
                        finally:
                            os.close(fd)
            if res is None:
                res = _hash_path(f"{root}/{rel}", regular[i], buf)
            if isinstance(res, str):
                errors[i] = res
                digests.append(b"")
            else:
                total += res[0]
                digests.append(res[1])
    finally:
        for dfd in dir_fds.values():
            if dfd >= 0:
                os.close(dfd)
    return total, digests, errors


def _task_files(groups: list[FilesIn]) -> list[FilesOut]:
    buf = memoryview(bytearray(1 << 20))
    return [_hash_dir_files(root, rels, regular, buf) for root, rels, regular in groups]


# --------------------------------------------------------------------------- runners


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    weight: int
    label: str
    done: Callable[[Any], None]
    fail: Callable[[str], None]


class _Runner:
    """Runs jobs inline or in an executor; callbacks run in the calling thread."""

    def __init__(
        self, executor: Executor | None, slots: int, cancelled: Callable[[], bool]
    ) -> None:
        self.executor = executor
        self.slots = slots
        self.cancelled = cancelled
        self.queue: deque[_Job] = deque()
        self.futures: dict[Future[Any], _Job] = {}
        # Finished futures, in the order they finish (waiting on all pending ones
        # at each turn would cost the calling process a lock per future).
        self.finished: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()
        self.tasks = 0
        self.broken = False

    def submit(self, job: _Job) -> None:
        self.tasks += 1
        if self.executor is not None:
            try:
                fut = self.executor.submit(job.fn, *job.args)
                self.futures[fut] = job
                fut.add_done_callback(self.finished.put)
                return
            except Exception:  # a broken or shut-down pool: work here instead
                self.executor = None
        self.queue.append(job)

    def run(self, on_done: Callable[[_Job], None]) -> bool:
        """Run until no job is left; ``False`` if cancelled. Should the pool
        break (a worker killed), its jobs are run here instead."""
        while self.queue or self.futures:
            if self.cancelled():
                self.queue.clear()
                for fut in self.futures:
                    fut.cancel()
                self.futures.clear()
                return False
            if self.queue:
                job = self.queue.popleft()
                try:
                    result = job.fn(*job.args)
                except Exception as e:
                    job.fail(str(e) or type(e).__name__)
                else:
                    job.done(result)
                on_done(job)
                continue
            try:
                done = [self.finished.get(timeout=_POLL)]
            except queue.Empty:
                continue
            while True:
                try:
                    done.append(self.finished.get_nowait())
                except queue.Empty:
                    break
            for fut in done:
                job = self.futures.pop(fut)
                try:
                    result = fut.result()
                except BrokenExecutor:
                    self.executor = None
                    self.broken = True
                    self.queue.append(job)
                    continue
                except Exception as e:
                    job.fail(str(e) or type(e).__name__)
                else:
                    job.done(result)
                on_done(job)
        return not self.cancelled()


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask where known)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def background_workers() -> int:
    """The worker processes of a background verification: every usable core but
    one (left to the editor and the server's event loop), at least one."""
    return max(1, usable_cores() - 1)


def lower_priority(niceness: int = BACKGROUND_NICE) -> None:
    """Run this process at a lower CPU priority (a background worker's initializer):
    in Linux's idle scheduling class (``SCHED_IDLE``: it runs when a core has
    nothing else to run, so an edit's analysis never waits for it), and at
    ``niceness`` unless it runs at a lower priority already (where there is no idle
    class, or should the class be changed back)."""
    with contextlib.suppress(AttributeError, OSError):  # no nice here: still work
        os.nice(max(0, niceness - os.nice(0)))
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def default_context() -> BaseContext:
    """``fork`` on Linux when this process has a single thread (cheapest, and
    safe then), else ``forkserver`` where available, else ``spawn``."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


# --------------------------------------------------------------------------- state


@dataclass
class _ZipWork:
    mod: ModuleVerification
    path: str
    ident: FileIdentity
    parts: int = 0  # outstanding tasks
    members: list[tuple[str, int]] = field(default_factory=list)
    digests: list[bytes] = field(default_factory=list)
    error: str | None = None
    resolved: bool = False
    #: the extracted directory whose files its tasks compare with the members
    pair: _DirWork | None = None
    #: what they read of it: rel -> sha256
    paired: dict[str, bytes] = field(default_factory=dict)
    released: bool = False  # every task is back: the directory may go on


@dataclass
class _Plan:
    zips: list[tuple[tuple[str, str], _ZipWork]] = field(default_factory=list)  # to hash
    dirs: list[_DirWork] = field(default_factory=list)
    work_bytes: int = 0  # bytes likely to be hashed (zips not memoized, unknown dirs)
    expected_files: int = 0  # files likely to be walked


@dataclass
class _DirWork:
    mod: ModuleVerification
    root: str
    prefix: str
    memo: DirMemo | None = None
    expect: int = 0  # files expected
    files: list[WalkedFile] = field(default_factory=list)
    digests: dict[str, bytes] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    hashed: list[str] = field(default_factory=list)  # rels hashed this run
    stale_rows: bool = False  # the memo's files are not those walked
    fp: bytes | None = None
    nbytes: int = 0
    parts: int = 0
    scanned: bool = False
    resolved: bool = False
    error: str | None = None
    #: the zip whose tasks read this directory's files (see _Pairer), until back
    zip: _ZipWork | None = None
    #: files left to hash, held until the zip's tasks are back
    held: list[WalkedFile] | None = None


class _Verify:
    def __init__(
        self,
        gomodcache: str,
        requests: dict[tuple[str, str], bool],
        memo: Memo | None,
        progress: Progress | None,
        cancelled: Callable[[], bool],
        racy_cutoff_ns: int,
    ) -> None:
        self.cache = gomodcache
        self.requests = requests
        self.memo = memo
        self.progress = progress
        self.cancelled = cancelled
        self.racy_cutoff = racy_cutoff_ns
        self.stats = VerifyStats()
        self.mods: dict[tuple[str, str], ModuleVerification] = {}
        self.zips: dict[tuple[str, str], _ZipWork] = {}
        self.dirs: dict[tuple[str, str], _DirWork] = {}
        self.done_bytes = 0
        self.total_bytes = 0
        self.listing = 0  # directories not yet listed (progress waits for them)
        self.last_report = (-1, -1)
        self.current = ""
        self.dir_by_root: dict[str, _DirWork] = {}
        self.pending_files: list[tuple[_DirWork, list[WalkedFile]]] = []
        self.store_zips: list[ZipStore] = []
        self.store_dirs: list[DirStore] = []
        self.store_size = 0
        self.runner: _Runner | None = None

    # ----------------------------------------------------------------- progress
    def credit(self, n: int, label: str) -> None:
        self.done_bytes += n
        self.current = label or self.current
        self.report()

    def report(self, force: bool = False) -> None:
        if self.progress is None or (self.listing and not force):
            return
        now = (min(self.done_bytes, self.total_bytes), self.total_bytes)
        if now != self.last_report:
            self.last_report = now
            self.progress(now[0], now[1], self.current)

    # ----------------------------------------------------------------- planning
    def plan(self) -> _Plan:
        """Module records and memo lookups; the zip jobs and the dirs to walk."""
        zip_idents: dict[str, FileIdentity] = {}
        for (path, version), need_dir in self.requests.items():
            mod = ModuleVerification(path, version)
            self.mods[(path, version)] = mod
            try:
                files = module_files(self.cache, path, version)
            except ValueError as e:
                mod.error = str(e)
                continue
            mod.zip, mod.dir = files.zip, files.extracted_dir
            try:
                st = os.stat(files.zip)
            except FileNotFoundError:
                pass
            except OSError as e:
                mod.zip_present = True
                mod.zip_error = go_os_error("open", files.zip, e)
            else:
                mod.zip_present = True
                if not stat.S_ISREG(st.st_mode):
                    mod.zip_error = f"read {files.zip}: not a regular file"
                else:
                    ident = FileIdentity(st.st_size, st.st_mtime_ns, st.st_ino)
                    self.zips[(path, version)] = _ZipWork(mod, files.zip, ident)
                    zip_idents[files.zip] = ident
            if need_dir:
                self.dirs[(path, version)] = _DirWork(mod, files.extracted_dir, files.prefix)

        memo_zips = self.memo.get_zips(zip_idents) if self.memo else {}
        dir_memos = self.memo.get_dirs(d.root for d in self.dirs.values()) if self.memo else {}

        plan = _Plan()
        for key, zw in list(self.zips.items()):
            self.total_bytes += zw.ident.size
            h1 = memo_zips.get(zw.path)
            if h1 is not None:
                zw.mod.zip_h1, zw.mod.zip_from_memo, zw.resolved = h1, True, True
                self.stats.zips_memo += 1
                self.done_bytes += zw.ident.size
                continue
            plan.work_bytes += zw.ident.size
            plan.zips.append((key, zw))
        for key, dw in self.dirs.items():
            m = dir_memos.get(dw.root)
            if m is not None and m.prefix == dw.prefix:
                dw.memo = m
                dw.expect = m.nfiles
            else:
                # Unknown: guess from the zip (about 3 bytes unzipped per byte,
                # some 4 KB per file, as in typical Go modules).
                zwk = self.zips.get(key)
                zsize = zwk.ident.size if zwk is not None else 0
                dw.expect = 1 + zsize // 1500
                plan.work_bytes += 3 * zsize
            plan.expected_files += dw.expect
        # A module whose zip and directory are both to be hashed, the directory with
        # no memo of its own: the zip's tasks read the directory's files too.
        for key, zw in plan.zips:
            paired = self.dirs.get(key)
            if paired is not None and (paired.memo is None or paired.memo.fingerprint is None):
                zw.pair, paired.zip = paired, zw
        plan.dirs = list(self.dirs.values())
        return plan

    def zip_jobs(self, key: tuple[str, str], zw: _ZipWork) -> list[_Job]:
        label = f"{key[0]}@{key[1]}"
        pair = (zw.pair.root, zw.pair.prefix) if zw.pair is not None else None
        if zw.ident.size <= SPLIT_ZIP_AT:
            zw.parts = 1
            return [
                _Job(
                    _task_zip,
                    (zw.path, pair),
                    zw.ident.size,
                    label,
                    functools.partial(self.zip_whole_done, zw),
                    functools.partial(self.zip_task_failed, zw),
                )
            ]
        try:
            members = hashing.read_zip_members(zw.path)
        except (OSError, ValueError, MemoryError, OverflowError) as e:
            self.zip_failed(zw, _zip_error(zw.path, e))
            self.credit(zw.ident.size, label)
            self.release(zw)
            return []
        if any(b"\n" in m.raw_name for m in members):
            self.zip_failed(zw, NEWLINE_ERROR)
            self.credit(zw.ident.size, label)
            self.release(zw)
            return []
        zw.members = [(m.name, m.size) for m in members]
        zw.digests = [b""] * len(members)
        # Parts of about ZIP_CHUNK compressed bytes, in directory order; the
        # progress weights add up to the zip's size.
        bounds: list[tuple[int, int, int]] = []
        start = acc = 0
        for i, m in enumerate(members):
            acc += m.compressed_size + 30 + len(m.raw_name)
            if acc >= ZIP_CHUNK or i == len(members) - 1:
                bounds.append((start, i + 1, acc))
                start, acc = i + 1, 0
        weights = [w for _, _, w in bounds]
        if weights:
            weights[-1] += zw.ident.size - sum(weights)
        jobs = []
        for (lo, hi, _), w in zip(bounds, weights, strict=True):
            jobs.append(
                _Job(
                    _task_zip_part,
                    (zw.path, members[lo:hi], pair),
                    w,
                    label,
                    functools.partial(self.zip_part_done, zw, lo),
                    functools.partial(self.zip_task_failed, zw),
                )
            )
        zw.parts = len(jobs)
        if not jobs:  # an empty zip
            self.finish_zip(zw)
            self.credit(zw.ident.size, label)
            self.release(zw)
        return jobs

    # ----------------------------------------------------------------- zip results
    def zip_whole_done(self, zw: _ZipWork, out: ZipOut) -> None:
        err, members, digests, h1, paired = out
        zw.parts -= 1
        self.take_paired(zw, paired)
        if err is not None:
            self.zip_failed(zw, err)
        else:
            zw.members, zw.digests = members, digests
            self.stats.bytes_hashed += zw.ident.size
            self.finish_zip(zw, h1)
        self.release(zw)

    def zip_part_done(self, zw: _ZipWork, lo: int, out: ZipPartOut) -> None:
        err, digests, paired = out
        zw.parts -= 1
        self.take_paired(zw, paired)
        if err is not None:
            self.zip_failed(zw, err)
        else:
            zw.digests[lo : lo + len(digests)] = digests
            if zw.parts == 0 and zw.error is None:
                self.stats.bytes_hashed += zw.ident.size
                self.finish_zip(zw)
        self.release(zw)

    def zip_task_failed(self, zw: _ZipWork, err: str) -> None:
        zw.parts -= 1
        self.zip_failed(zw, err)
        self.release(zw)

    def zip_failed(self, zw: _ZipWork, err: str) -> None:
        if zw.error is None and not zw.resolved:
            zw.error = err
            zw.mod.zip_error = err
            zw.resolved = True
            self.stats.zips_hashed += 1

    def take_paired(self, zw: _ZipWork, paired: list[PairedFile]) -> None:
        zw.paired.update(paired)

    def release(self, zw: _ZipWork) -> None:
        """The zip's tasks are all back: its directory's files go on (those read
        and compared already count as hashed, the rest get file tasks)."""
        if zw.released or zw.parts > 0:
            return
        zw.released = True
        dw = zw.pair
        if dw is None or dw.held is None:
            return
        todo, dw.held = dw.held, None
        self.queue_files(dw, todo)
        if self.listing == 0 and self.runner is not None:
            for job in self.file_jobs():
                self.runner.submit(job)

    def finish_zip(self, zw: _ZipWork, h1: str | None = None) -> None:
        if zw.resolved:
            return
        if h1 is None:
            try:
                h1 = _zip_h1([n for n, _ in zw.members], zw.digests)
            except ValueError as e:
                zw.mod.zip_error = str(e)
        zw.mod.zip_h1 = h1
        zw.resolved = True
        self.stats.zips_hashed += 1
        self.remember(self._zip_store(zw))

    # ----------------------------------------------------------------- dirs
    def scanned(self, out: ScanOut) -> list[_Job]:
        """A directory's walk is in: memo fast path, or file jobs."""
        root, err, fp, nfiles, nbytes, files = out
        dw = self.dir_by_root[root]
        dw.scanned = True
        self.listing -= 1
        if nfiles < 0:  # absent
            dw.resolved = True
            return []
        dw.mod.dir_checked = True
        self.stats.files_walked += max(nfiles, 0)
        if err is not None:
            dw.error = dw.mod.dir_error = err
            dw.resolved = True
            return []
        dw.fp, dw.nbytes = fp, nbytes
        self.total_bytes += nbytes
        m = dw.memo
        if files is None and m is not None and fp == m.fingerprint and m.prefix == dw.prefix:
            dw.mod.dir_h1, dw.mod.dir_from_memo, dw.resolved = m.h1, True, True
            self.stats.dirs_memo += 1
            self.stats.files_memo += nfiles
            self.done_bytes += nbytes
            return []
        assert files is not None
        dw.files = files
        rows = self.memo.get_files(root) if self.memo is not None else {}
        todo: list[WalkedFile] = []
        if rows:
            seen = 0
            for f in files:
                rel, size, mtime_ns, ino, regular = f
                row = rows.get(rel)
                if row is not None:
                    seen += 1
                    if regular and row[0] == size and row[1] == mtime_ns and row[2] == ino:
                        dw.digests[rel] = row[3]
                        self.done_bytes += size
                        continue
                todo.append(f)
            dw.stale_rows = seen != len(rows) or seen != len(files)
        else:
            todo = files
            dw.stale_rows = True
        self.stats.files_memo += len(files) - len(todo)
        self.stats.dirs_hashed += 1
        if dw.zip is not None and not dw.zip.released:
            dw.held = todo  # the zip's tasks are reading these files
        else:
            self.queue_files(dw, todo)
        return []

    def queue_files(self, dw: _DirWork, todo: list[WalkedFile]) -> None:
        """Files of ``dw`` to hash, but for those its zip's tasks read already."""
        paired = dw.zip.paired if dw.zip is not None else None
        if paired:
            rest: list[WalkedFile] = []
            digests, hashed = dw.digests, dw.hashed
            nbytes = 0
            for f in todo:
                digest = paired.get(f[0])
                if digest is not None and f[4]:
                    digests[f[0]] = digest
                    hashed.append(f[0])
                    nbytes += f[1]
                else:
                    rest.append(f)
            self.stats.files_hashed += len(todo) - len(rest)
            self.stats.bytes_hashed += nbytes
            self.done_bytes += nbytes
            todo = rest
        if not todo:
            if dw.parts == 0:
                self.finish_dir(dw)
        else:
            self.pending_files.append((dw, todo))

    def file_jobs(self) -> list[_Job]:
        """Batches of the files still to hash, across directories."""
        jobs: list[_Job] = []
        batch: list[tuple[_DirWork, list[WalkedFile]]] = []
        nfiles = nbytes = 0

        def flush() -> None:
            nonlocal batch, nfiles, nbytes
            if not batch:
                return
            parts = batch
            for dw, _ in parts:
                dw.parts += 1
            jobs.append(
                _Job(
                    _task_files,
                    ([(dw.root, [f[0] for f in fs], [f[4] for f in fs]) for dw, fs in parts],),
                    nbytes,
                    f"{parts[0][0].mod.path}@{parts[0][0].mod.version}",
                    functools.partial(self.files_done, parts),
                    functools.partial(self.files_failed, parts),
                )
            )
            batch, nfiles, nbytes = [], 0, 0

        for dw, files in self.pending_files:
            start = 0
            for i, f in enumerate(files):
                if nfiles and (nbytes + f[1] > BATCH_BYTES or nfiles >= BATCH_FILES):
                    if i > start:
                        batch.append((dw, files[start:i]))
                    start = i
                    flush()
                nfiles += 1
                nbytes += f[1]
            if start < len(files):
                batch.append((dw, files[start:]))
        flush()
        self.pending_files = []
        return jobs

    def files_done(
        self, parts: list[tuple[_DirWork, list[WalkedFile]]], out: list[FilesOut]
    ) -> None:
        for (dw, files), (nbytes, digests, errors) in zip(parts, out, strict=True):
            rels = [f[0] for f in files]
            dw.digests.update(zip(rels, digests, strict=True))
            dw.hashed.extend(rels)
            for i, err in errors.items():
                dw.errors[rels[i]] = err
                del dw.digests[rels[i]]
            self.stats.files_hashed += len(files) - len(errors)
            self.stats.bytes_hashed += nbytes
            dw.parts -= 1
            if dw.parts == 0:
                self.finish_dir(dw)

    def files_failed(self, parts: list[tuple[_DirWork, list[WalkedFile]]], err: str) -> None:
        for dw, files in parts:
            for f in files:
                dw.errors.setdefault(f[0], err)
            dw.parts -= 1
            if dw.parts == 0:
                self.finish_dir(dw)

    def finish_dir(self, dw: _DirWork) -> None:
        if dw.resolved:
            return
        dw.resolved = True
        if dw.errors:
            # Go fails on the first file it cannot read, in name order.
            dw.error = dw.mod.dir_error = dw.errors[min(dw.errors)]
        else:
            # Every file walked has its digest now (and no other file has one).
            try:
                dw.mod.dir_h1 = hashing.hash1_under(dw.prefix, dw.digests)
            except ValueError:
                dw.error = dw.mod.dir_error = NEWLINE_ERROR
        self.remember(self._dir_store(dw))

    # ----------------------------------------------------------------- results
    def diff(self, key: tuple[str, str]) -> None:
        mod = self.mods[key]
        if mod.zip_h1 is None or mod.dir_h1 is None or mod.zip_h1 == mod.dir_h1:
            return
        zw, dw = self.zips.get(key), self.dirs.get(key)
        if zw is None or dw is None:
            return
        zip_files: dict[str, bytes] = {}
        if not zw.mod.zip_from_memo:
            zip_files = dict(zip((n for n, _ in zw.members), zw.digests, strict=True))
        elif self.memo is not None:
            entries = self.memo.get_zip_entries(zw.path, zw.ident)
            if entries is None:
                return
            zip_files = {n: d for n, _, d in entries}
        else:
            return
        if not dw.mod.dir_from_memo:
            dir_files = dw.digests
        elif self.memo is not None:
            dir_files = {k: v[3] for k, v in self.memo.get_files(dw.root).items()}
        else:
            return
        head = dw.prefix + "/"
        rel_zip = {(n[len(head) :] if n.startswith(head) else n): d for n, d in zip_files.items()}
        d = DirDiff()
        for name, digest in dir_files.items():
            z = rel_zip.get(name)
            if z is None:
                d.added.append(name)
            elif z != digest:
                d.edited.append(name)
        d.removed = [n for n in rel_zip if n not in dir_files]
        d.edited.sort()
        d.added.sort()
        d.removed.sort()
        mod.diff = d

    # ----------------------------------------------------------------- memo
    # What is learnt is stored as modules finish (while the workers are busy),
    # in batches, and the rest at the end.

    def _zip_store(self, zw: _ZipWork) -> ZipStore | None:
        m = zw.mod
        if m.zip_from_memo or m.zip_h1 is None or zw.ident.mtime_ns >= self.racy_cutoff:
            return None
        members = [(n, s, d) for (n, s), d in zip(zw.members, zw.digests, strict=True)]
        return ZipStore(zw.path, zw.ident, m.zip_h1, members)

    def _dir_store(self, dw: _DirWork) -> DirStore | None:
        if dw.mod.dir_from_memo or not dw.scanned or (dw.error is not None and not dw.files):
            return None
        # What is known of each file, kept even when the run was cancelled; the
        # directory's own memo only when all of it is known.
        complete = dw.resolved and dw.error is None and dw.fp is not None
        cutoff = self.racy_cutoff
        walked, digests = dw.files, dw.digests
        files: list[tuple[str, FileIdentity, bytes]] | FileColumns
        if (
            len(digests) == len(walked)
            and all(f[4] for f in walked)
            and (not walked or max(f[2] for f in walked) < cutoff)
        ):
            # Every file regular, hashed and not racy (the usual case): columns
            # straight from the walk, no object per file.
            files = FileColumns(
                [f[0] for f in walked],
                [f[1] for f in walked],
                [f[2] for f in walked],
                [f[3] for f in walked],
                b"".join([digests[f[0]] for f in walked]),
            )
        else:
            files = []
            for rel, size, mtime_ns, ino, regular in walked:
                digest = digests.get(rel)
                if not regular or digest is None or mtime_ns >= cutoff:
                    complete = False
                    continue
                files.append((rel, FileIdentity(size, mtime_ns, ino), digest))
        h1 = dw.mod.dir_h1 if complete else None
        fp = dw.fp if complete and h1 is not None else None
        old = dw.memo
        if (
            old is not None
            and not dw.hashed
            and not dw.stale_rows
            and (old.fingerprint, old.h1) == (fp, h1)
        ):
            return None  # nothing new
        return DirStore(dw.root, dw.prefix, fp, h1, len(dw.files), dw.nbytes, files)

    def remember(self, item: ZipStore | DirStore | None) -> None:
        if item is None or self.memo is None or not self.memo.usable:
            return
        if isinstance(item, ZipStore):
            self.store_zips.append(item)
            self.store_size += len(item.members)
        else:
            self.store_dirs.append(item)
            self.store_size += len(item.files)
        if self.store_size >= STORE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.memo is not None and (self.store_zips or self.store_dirs):
            self.memo.put(self.store_zips, self.store_dirs)
        self.store_zips, self.store_dirs, self.store_size = [], [], 0

    def store_rest(self) -> None:
        """At the end: what a cancelled run learnt of directories it did not finish."""
        for dw in self.dirs.values():
            if dw.scanned and not dw.resolved:
                self.remember(self._dir_store(dw))
        self.flush()

    # ----------------------------------------------------------------- running
    def run(self, plan: _Plan, runner: _Runner, walk_in_workers: bool) -> bool:
        return self.start(plan, runner, walk_in_workers) and self.finish(runner)

    def _on_done(self, job: _Job) -> None:
        if job.weight:
            self.credit(job.weight, job.label)

    def finish(self, runner: _Runner) -> bool:
        """Run the jobs submitted (and those their results bring) to the end."""
        ok = runner.run(self._on_done)
        self.report(force=True)
        return ok

    def start(self, plan: _Plan, runner: _Runner, walk_in_workers: bool) -> bool:
        """Submit the walks and the zip jobs (with a pool, they start at once);
        ``False`` if cancelled meanwhile."""
        self.runner = runner
        dirs = plan.dirs
        self.dir_by_root = {d.root: d for d in dirs}
        self.listing = len(dirs)

        def scan_done(outs: list[ScanOut]) -> None:
            for out in outs:
                self.scanned(out)
            if self.listing == 0:
                for job in self.file_jobs():
                    runner.submit(job)
                self.report(force=True)

        def scan_failed(items: list[tuple[str, bytes | None]], err: str) -> None:
            scan_done([(root, err, None, 0, 0, None) for root, _ in items])

        if walk_in_workers and dirs:
            for group in _groups(dirs, runner.slots):
                items = [(d.root, d.memo.fingerprint if d.memo else None) for d in group]
                runner.submit(
                    _Job(
                        _task_scan,
                        (items,),
                        0,
                        "",
                        scan_done,
                        functools.partial(scan_failed, items),
                    )
                )
        elif dirs:
            for d in dirs:
                if self.cancelled():
                    return False
                scan_done([_scan_dir(d.root, d.memo.fingerprint if d.memo else None)])
        else:
            self.report(force=True)
        # Whole zips, largest first; then the big ones, whose central directories
        # are read here while the workers are busy, in parts.
        zips = sorted(plan.zips, key=lambda kz: -kz[1].ident.size)
        for key, zw in zips:
            if zw.ident.size <= SPLIT_ZIP_AT:
                for job in self.zip_jobs(key, zw):
                    runner.submit(job)
        for key, zw in zips:
            if zw.ident.size > SPLIT_ZIP_AT:
                if self.cancelled():
                    return False
                for job in self.zip_jobs(key, zw):
                    runner.submit(job)
        return True


def _groups(dirs: list[_DirWork], workers: int) -> list[list[_DirWork]]:
    """Directories in about ``2 * workers`` groups of similar expected size."""
    n = min(len(dirs), 2 * workers)
    groups: list[list[_DirWork]] = [[] for _ in range(n)]
    loads = [0] * n
    for d in sorted(dirs, key=lambda d: -d.expect):
        i = loads.index(min(loads))
        groups[i].append(d)
        loads[i] += d.expect
    return [g for g in groups if g]


def _is_cancelled(cancel: Cancel | None) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return lambda: bool(cancel())


def verify(
    gomodcache: str | os.PathLike[str],
    requests: Iterable[tuple[str, str, bool]],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    memo: Memo | str | os.PathLike[str] | None = None,
    no_memo: bool = False,
    executor: Executor | None = None,
    mp_context: BaseContext | None = None,
    racy_window_ns: int = RACY_WINDOW_NS,
    background: bool = False,
) -> VerifyResult:
    """Rehash the zips (and, where ``need_dir``, the extracted directories) of the
    requested module versions; see the module notes.

    ``memo`` is an open :class:`~gomod_doctor.cache.memo.Memo` or the path of one
    (default: the user cache's); ``no_memo`` neither reads nor writes it.
    ``workers`` defaults to ``os.cpu_count()``, or with ``background`` to
    :func:`background_workers` (whose processes run at lower priority; see the
    module notes); ``executor`` runs the tasks in a pool of the caller's instead of
    one made here (with ``mp_context``, default :func:`default_context`). Never
    raises for a bad cache or memo.
    """
    return start_verify(
        gomodcache,
        requests,
        workers=workers,
        progress=progress,
        cancel=cancel,
        memo=memo,
        no_memo=no_memo,
        executor=executor,
        mp_context=mp_context,
        racy_window_ns=racy_window_ns,
        background=background,
    ).result()


class PendingVerify:
    """A verification under way (:func:`start_verify`): with a pool, its workers are
    already hashing; :meth:`result` runs it to the end (once)."""

    def __init__(
        self,
        v: _Verify,
        memo: Memo | None,
        own_memo: bool,
        runner: _Runner,
        own_pool: ProcessPoolExecutor | None,
        plan: _Plan,
        walk_in_workers: bool,
        t0: float,
    ) -> None:
        self._v = v
        self._memo = memo
        self._own_memo = own_memo
        self._runner = runner
        self._own_pool = own_pool
        self._plan = plan
        self._walk_in_workers = walk_in_workers
        self._t0 = t0
        self._started = False
        self._ok = True
        self._result: VerifyResult | None = None

    def _start(self) -> None:
        self._started = True
        try:
            self._ok = self._v.start(self._plan, self._runner, self._walk_in_workers)
        except BaseException:
            self._close(False)
            raise

    def _close(self, ok: bool) -> None:
        if self._own_pool is not None:
            self._own_pool.shutdown(wait=ok, cancel_futures=not ok)
            self._own_pool = None
        if self._memo is not None:
            self._v.stats.memo_error = self._memo.error
            if self._own_memo:
                self._memo.close()
            self._memo = None

    def result(self) -> VerifyResult:
        if self._result is not None:
            return self._result
        v, runner = self._v, self._runner
        ok = False
        try:
            if not self._started:
                self._start()
            ok = self._ok and v.finish(runner)
            v.stats.tasks = runner.tasks
            v.stats.pool_broken = runner.broken
            result = VerifyResult(v.mods, cancelled=not ok, stats=v.stats)
            for key in v.mods:
                zw, dw = v.zips.get(key), v.dirs.get(key)
                if (zw is not None and not zw.resolved) or (dw is not None and not dw.resolved):
                    result.unfinished.append(key)
                else:
                    v.diff(key)
            for key in result.unfinished:
                del result.modules[key]
            v.store_rest()
        finally:
            self._close(ok)
        v.stats.seconds = time.perf_counter() - self._t0
        self._result = result
        return result


def start_verify(
    gomodcache: str | os.PathLike[str],
    requests: Iterable[tuple[str, str, bool]],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    memo: Memo | str | os.PathLike[str] | None = None,
    no_memo: bool = False,
    executor: Executor | None = None,
    mp_context: BaseContext | None = None,
    racy_window_ns: int = RACY_WINDOW_NS,
    background: bool = False,
) -> PendingVerify:
    """:func:`verify` in two steps: this plans and, when the work is worth a pool,
    starts it (the caller may do other things while the workers hash); the
    handle's ``result()`` finishes it. Progress and the memo are handled in the
    thread that calls ``result()``."""
    t0 = time.perf_counter()
    start_ns = time.time_ns()
    cache = os.path.abspath(os.fspath(gomodcache))
    reqs: dict[tuple[str, str], bool] = {}
    for path, version, need_dir in requests:
        reqs[(path, version)] = reqs.get((path, version), False) or bool(need_dir)
    cancelled = _is_cancelled(cancel)

    own_memo = False
    the_memo: Memo | None = None
    if not no_memo:
        if isinstance(memo, Memo):
            the_memo = memo
        else:
            the_memo, own_memo = Memo(memo), True
    v = _Verify(cache, reqs, the_memo, progress, cancelled, start_ns - racy_window_ns)
    if the_memo is not None:
        v.stats.memo_used = the_memo.usable
        v.stats.memo_rebuilt = the_memo.rebuilt
    own_pool: ProcessPoolExecutor | None = None
    try:
        plan = v.plan()
        if workers is None:
            workers = background_workers() if background else (os.cpu_count() or 1)
        n = max(1, workers)
        pooled = executor is not None or (
            (n > 1 or background)
            and (plan.work_bytes > INLINE_BYTES or plan.expected_files > INLINE_FILES)
        )
        ex: Executor | None = executor
        if pooled and ex is None:
            try:
                own_pool = ProcessPoolExecutor(
                    n,
                    mp_context=mp_context or default_context(),
                    initializer=lower_priority if background else None,
                )
                ex = own_pool
            except (OSError, ValueError, NotImplementedError, ImportError):
                ex = None  # no processes here: work in this one
        if ex is not None and ex is executor:
            n = max(1, int(getattr(executor, "_max_workers", n)))
        runner = _Runner(ex, n if ex is not None else 1, cancelled)
        v.stats.workers = n if ex is not None else 0
        walk_in_workers = ex is not None and plan.expected_files > WALK_IN_WORKERS_FILES
    except BaseException:
        if own_pool is not None:
            own_pool.shutdown(wait=False, cancel_futures=True)
        if own_memo and the_memo is not None:
            the_memo.close()
        raise
    pending = PendingVerify(v, the_memo, own_memo, runner, own_pool, plan, walk_in_workers, t0)
    if ex is not None:
        pending._start()  # the workers begin now
    return pending


# --------------------------------------------------------------------------- apart


def _verify_child(
    gomodcache: str,
    requests: list[tuple[str, str, bool]],
    conn: Connection,
    stop: Any,
) -> None:
    """The process of :func:`verify_in_background`: verify, send progress and the
    result (or the error) back."""

    last = 0.0

    def progress(done: int, total: int, current: str) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= _POLL or done >= total:  # a message per task would be many
            last = now
            conn.send(("progress", done, total, current))

    lower_priority()
    try:
        result = verify(
            gomodcache, requests, progress=progress, cancel=stop.is_set, background=True
        )
    except BaseException as e:  # (the caller reports it)
        conn.send(("error", f"{type(e).__name__}: {e}"))
    else:
        conn.send(("result", result))
    finally:
        conn.close()


def prepare_background() -> None:
    """Start, ahead of the first :func:`verify_in_background`, the process that its
    processes are forked from (where that is a fork server: a process with threads,
    such as the language server), with this module loaded: each verification then
    starts at its low priority at once, instead of importing its code at the
    caller's priority while the user types."""
    ctx = default_context()
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    with contextlib.suppress(OSError, ValueError):
        forkserver.set_forkserver_preload([__name__])
        forkserver.ensure_running()


def verify_in_background(
    gomodcache: str | os.PathLike[str],
    requests: Iterable[tuple[str, str, bool]],
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    mp_context: BaseContext | None = None,
) -> VerifyResult:
    """:func:`verify` with ``background=True`` (the default memo), run in a process of
    its own: this process only relays ``progress`` (called from this thread) and
    ``cancel``, so that its interpreter lock stays free for the editor's requests.
    Cancelled, it returns what that process finished; should that process (at its
    low priority, on a busy machine) not answer within :data:`CANCEL_GRACE` seconds,
    it is terminated, and the result is cancelled with nothing finished (what it
    stored in the memo stays there). Raises :class:`RuntimeError` when that process
    fails or dies."""
    requests = list(requests)
    ctx = mp_context or default_context()
    receive, send = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    cancelled = _is_cancelled(cancel)
    # Not a daemon: daemons may not start the pool's processes.
    proc: BaseProcess = ctx.Process(  # type: ignore[attr-defined]
        target=_verify_child,
        args=(os.fspath(gomodcache), requests, send, stop),
        name="gomod-doctor-verify",
    )
    proc.start()
    send.close()
    stopped_at: float | None = None
    try:
        while True:
            if stopped_at is None and cancelled():
                stop.set()
                stopped_at = time.monotonic()
            if stopped_at is not None and time.monotonic() - stopped_at > CANCEL_GRACE:
                reqs = {(p, v) for p, v, _ in requests}
                return VerifyResult({}, cancelled=True, unfinished=sorted(reqs))
            if receive.poll(_POLL):
                try:
                    msg = receive.recv()
                except EOFError:
                    proc.join(1.0)
                    raise RuntimeError(
                        f"the verification process ended without a result (exit {proc.exitcode})"
                    ) from None
                if msg[0] == "progress":
                    if progress is not None:
                        progress(msg[1], msg[2], msg[3])
                elif msg[0] == "result":
                    result: VerifyResult = msg[1]
                    return result
                else:
                    raise RuntimeError(f"the verification failed: {msg[1]}")
    finally:
        stop.set()
        receive.close()
        proc.join(5.0 if stopped_at is None else 0.5)
        if proc.is_alive():
            proc.terminate()
            proc.join(1.0)
