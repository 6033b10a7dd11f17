"""Running tasks: in a pool of worker processes (at lower priority in the background)
or inline, cancellable between tasks."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import (
    BrokenExecutor,
    Executor,
    Future,
)
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Any

_POLL = 0.05
BACKGROUND_NICE = 10  # the niceness background verification runs at (at least)

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


def lower_priority(niceness: int = BACKGROUND_NICE, *, pid: int = 0) -> None:
    """Run this process (or process ``pid``) at a lower CPU priority (a background
    worker's initializer): in Linux's idle scheduling class (``SCHED_IDLE``: it runs
    when a core has nothing else to run, so an edit's analysis never waits for it),
    and at ``niceness`` unless it runs at a lower priority already (where there is no
    idle class, or should the class be changed back)."""
    with contextlib.suppress(AttributeError, OSError):  # no nice here: still work
        now = os.getpriority(os.PRIO_PROCESS, pid)
        os.setpriority(os.PRIO_PROCESS, pid, max(now, niceness))
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))


#: the longest path a Unix socket may have (``sun_path`` less its final NUL, Linux)
UNIX_PATH_MAX = 107
#: what the fork server's socket path adds to the temp dir: ``/pymp-XXXXXXXX`` (its
#: directory, tempfile.mkdtemp) and ``/listener-XXXXXXXX`` (tempfile.mktemp)
_FORKSERVER_SUFFIX = len("/pymp-12345678/listener-12345678")


def forkserver_fits(tempdir: str | None = None) -> bool:
    """Whether the fork server's socket path fits under ``tempdir`` (default:
    ``tempfile.gettempdir()``, i.e. TMPDIR): a long TMPDIR makes it fail with
    "AF_UNIX path too long"."""
    d = tempdir if tempdir is not None else tempfile.gettempdir()
    return len(os.fsencode(d)) + _FORKSERVER_SUFFIX <= UNIX_PATH_MAX


def default_context() -> BaseContext:
    """``fork`` on Linux when this process has a single thread (cheapest, and
    safe then), else ``forkserver`` where available and its socket path fits,
    else ``spawn``."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods and forkserver_fits():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")
