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

The package: :mod:`.tasks` (the work in worker processes), :mod:`.runner` (the
pool), :mod:`.plan` (one run: what to hash, and the results); this module holds
the public API.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import (
    Executor,
    ProcessPoolExecutor,
)
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

from gomod_doctor.cache import background
from gomod_doctor.cache.memo import (
    RACY_WINDOW_NS,
    Memo,
)
from gomod_doctor.cache.results import (
    Cancel,
    DirDiff,
    ModuleVerification,
    Progress,
    VerifyResult,
    VerifyStats,
)
from gomod_doctor.cache.verify.plan import (
    BATCH_BYTES,
    BATCH_FILES,
    SPLIT_ZIP_AT,
    ZIP_CHUNK,
    _is_cancelled,
    _Plan,
    _Verify,
)
from gomod_doctor.cache.verify.runner import (
    _POLL,
    _Runner,
    background_workers,
    default_context,
    lower_priority,
)

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

INLINE_BYTES = 8 << 20  # less to hash than this (and few files to walk): no pool
INLINE_FILES = 20_000
WALK_IN_WORKERS_FILES = 5_000  # with a pool, walk in it when more files are expected

CANCEL_GRACE = 2.0  # seconds a cancelled background verification has to answer


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

    background.own_group()  # (paused and continued with its workers: cache.background)
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
    # It only ever forks verifications: at their priority, from the start (its own
    # imports included), and so is each verification until it lowers its own.
    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    if isinstance(pid, int):
        lower_priority(pid=pid)


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
    assert proc.pid is not None
    with background.running(proc.pid):
        return _relay(proc, receive, requests, stop, cancelled, progress)


def _relay(
    proc: BaseProcess,
    receive: Connection,
    requests: list[tuple[str, str, bool]],
    stop: Any,
    cancelled: Callable[[], bool],
    progress: Progress | None,
) -> VerifyResult:
    """The caller's side of :func:`verify_in_background`: the progress, the result."""
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
