"""The background processes this process runs, and pausing them while an
interactive analysis runs.

A language server verifies the module cache in a process of its own, whose workers
run at the lowest CPU priority (:func:`gomod_doctor.cache.verify.verify_in_background`),
and watches files in a child process at a lower priority
(:class:`gomod_doctor.fswatch.process.WatchProcess`), which the kernel keeps busy
while the verification opens files under its roots. A low priority is not enough
where the cores share caches or are threads of one physical core, as virtual
machines' often are: an edit's analysis measured at about twice its CPU time while
the workers inflated zips beside it. So for the few milliseconds an analysis runs
and its results are published, :func:`paused` stops them all (``SIGSTOP``: a verification's process group, its
workers included; the watcher, whose events wait in the kernel meanwhile) and
continues them afterwards (``SIGCONT``).

A verification process puts itself in a process group of its own
(:func:`own_group`); it and the watcher are registered (:func:`add`) while they
run, and taken off (:func:`discard`) before they are reaped, so that a pid used
again is never signalled. Should the caller die
while a group is stopped, the group is orphaned, and the kernel sends it ``SIGHUP``
and ``SIGCONT``: it ends, as it would anyway. Where there are no signals to stop a
process with (Windows), nothing is paused.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

__all__ = ["add", "discard", "own_group", "paused"]

_lock = threading.Lock()
#: pid -> whether it leads a process group of its own (signalled as a group)
_procs: dict[int, bool] = {}
_depth = 0


def own_group() -> None:
    """Called first in a verification process (and in the watcher process): a
    process group of its own, in the caller's session (a verification's worker
    processes, started later, join it)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpgid(0, 0)


def _signal(pid: int, group: bool, sig: int) -> None:
    with contextlib.suppress(OSError):  # ended meanwhile (or not a group yet)
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def add(pid: int, *, group: bool) -> None:
    """Pause process ``pid`` (with its process group when ``group``) during analyses."""
    with _lock:
        _procs[pid] = group


def discard(pid: int) -> None:
    """No longer pause ``pid``; never left stopped."""
    with _lock:
        group = _procs.pop(pid, None)
        cont = getattr(signal, "SIGCONT", None)
        if group is not None and _depth and cont is not None:
            _signal(pid, group, cont)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Stop the registered background processes while the body runs (nested and concurrent
    uses count: they continue when the last one ends)."""
    global _depth
    stop = getattr(signal, "SIGSTOP", None)
    cont = getattr(signal, "SIGCONT", None)
    if stop is None or cont is None:
        yield
        return
    with _lock:
        _depth += 1
        if _depth == 1:
            for pid, group in _procs.items():
                _signal(pid, group, stop)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for pid, group in _procs.items():
                    _signal(pid, group, cont)
