"""The background verifications this process runs, and pausing them while an
interactive analysis runs.

A language server verifies the module cache in a process of its own, whose workers
run at the lowest CPU priority (:func:`gomod_doctor.cache.verify.verify_in_background`).
A low priority is not enough where the cores share caches or are threads of one
physical core, as virtual machines' often are: an edit's analysis measured at about
twice its CPU time while the workers inflated zips beside it. So for the few
milliseconds an analysis runs, :func:`paused` stops every background verification
(its process group, workers included: ``SIGSTOP``) and continues it afterwards.

A verification process puts itself in a process group of its own
(:func:`own_group`) and is registered here (:func:`running`) while the caller waits
for it. Should the caller die while a group is stopped, the group is orphaned, and
the kernel sends it ``SIGHUP`` and ``SIGCONT``: it ends, as it would anyway.
Where there are no process groups or signals (Windows), nothing is paused.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

__all__ = ["own_group", "paused", "running"]

_lock = threading.Lock()
_groups: set[int] = set()
_depth = 0


def own_group() -> None:
    """Called first in a verification process: a process group of its own (its
    worker processes, started later, join it)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpgid(0, 0)


def _signal_all(sig: int) -> None:
    for pgid in list(_groups):
        with contextlib.suppress(OSError):  # ended meanwhile (or not ours yet)
            os.killpg(pgid, sig)


@contextlib.contextmanager
def running(pid: int) -> Iterator[None]:
    """Register the verification process ``pid`` (the leader of its own group) while
    the body waits for it; it is never left stopped when the body ends."""
    with _lock:
        _groups.add(pid)
    try:
        yield
    finally:
        with _lock:
            _groups.discard(pid)
            if _depth and hasattr(signal, "SIGCONT"):
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGCONT)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Stop the background verifications while the body runs (nested and concurrent
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
            _signal_all(stop)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _signal_all(cont)
