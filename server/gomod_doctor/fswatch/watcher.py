"""File watching (the language server and ``gomod-doctor watch``): narrow roots,
debounced.

What to watch is decided elsewhere (:mod:`gomod_doctor.watchset`): the
directories of the workspace files and of the ``.go`` packages, the replacement
directories, the GOENV file's directory, and for each needed module version its
download directory (flat) and its extracted directory (recursive) — one root per
module directory, never the whole GOMODCACHE.

:class:`FileWatcher` keeps those roots watched. It spends at most a budget of
inotify watches (a share of ``/proc/sys/fs/inotify/max_user_watches``; a recursive
root costs one watch per directory in it, which is counted before it is added)
and polls the roots beyond it. Each group of roots (recursive or flat, notified or
polled) is watched in a daemon thread and restarted when its roots change; daemon
threads never hold up the server's exit. On Linux a notified group is an
:class:`~gomod_doctor.fswatch.inotify.InotifyGroup`, which asks the kernel for
changes only (watchfiles also asks for every open and close, which the background
verification's reads turn into hundreds of thousands of events); elsewhere, and for
polling, it is a watchfiles ``RustNotify``.

:func:`~gomod_doctor.fswatch.roots.is_ignored` drops editor temp files and the go
command's in-progress download files; :class:`Debouncer` groups what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from watchfiles._rust_notify import RustNotify

from gomod_doctor.fswatch import inotify
from gomod_doctor.fswatch.group import WatchGroup
from gomod_doctor.fswatch.roots import (
    ChangeKind,
    FileChange,
    Root,
    is_ignored,
    normalize_roots,
)

__all__ = [
    "ChangeKind",
    "Debouncer",
    "FileChange",
    "FileWatcher",
    "Root",
    "WatchSummary",
    "inotify_budget",
    "is_ignored",
    "normalize_roots",
]

log = logging.getLogger(__name__)

_KINDS: dict[int, ChangeKind] = {1: "added", 2: "modified", 3: "deleted"}

#: Share of the inotify watch limit this process may use, and bounds.
BUDGET_SHARE = 4
MIN_BUDGET = 128
MAX_BUDGET = 65_536
DEFAULT_LIMIT = 8192
POLL_DELAY_MS = 300
STEP_MS = 30  # a group delivers changes after this long without more
RETIRE_AFTER = 0.25  # seconds a replaced group keeps delivering


def inotify_limit() -> int | None:
    try:
        with open("/proc/sys/fs/inotify/max_user_watches", encoding="ascii") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def inotify_budget(limit: int | None = None) -> int:
    """How many inotify watches this server may add."""
    if limit is None:
        limit = inotify_limit()
    if limit is None:
        limit = DEFAULT_LIMIT
    return max(MIN_BUDGET, min(MAX_BUDGET, limit // BUDGET_SHARE))


def count_dirs(root: Path, limit: int) -> int:
    """The directories of ``root`` (itself included), counting up to ``limit + 1``."""
    n = 0
    stack = [str(root)]
    while stack:
        d = stack.pop()
        n += 1
        if n > limit:
            return n
        try:
            with os.scandir(d) as it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(e.path)
                    except OSError:
                        continue
        except OSError:
            continue
    return n


@dataclass(frozen=True)
class WatchSummary:
    roots: int
    polled: int
    watches: int
    budget: int

    def __str__(self) -> str:
        return (
            f"watching {self.roots} root(s): {self.polled} polled, "
            f"{self.watches} of {self.budget} inotify watches"
        )


class _Group(WatchGroup):
    """One watchfiles ``RustNotify`` over a fixed set of roots (polling, or where
    there is no inotify)."""

    def __init__(
        self,
        roots: frozenset[Path],
        *,
        recursive: bool,
        polling: bool,
        deliver: Callable[[set[FileChange]], None],
        on_error: Callable[[WatchGroup, BaseException], None],
        poll_delay_ms: int,
    ) -> None:
        super().__init__(
            roots,
            recursive=recursive,
            polling=polling,
            deliver=deliver,
            on_error=on_error,
            name=f"gomod-doctor-watch-{'r' if recursive else 'f'}{'p' if polling else 'n'}",
        )
        self._poll_delay_ms = poll_delay_ms
        self._notify: RustNotify | None = None

    def _open(self) -> bool:
        paths = sorted(str(p) for p in self.roots if p.exists())
        if not paths:
            return False
        # RustNotify adds every watch before its constructor returns.
        self._notify = RustNotify(
            paths, False, self.polling, self._poll_delay_ms, self.recursive, True
        )
        return True

    def _loop(self) -> None:
        assert self._notify is not None
        while not self.stop_event.is_set():
            raw = self._notify.watch(400, STEP_MS, 1000, self.stop_event)
            if isinstance(raw, str):
                if raw == "stop":
                    break
                continue  # timeout, or a signal (never delivered to this thread)
            out: set[FileChange] = set()
            for kind, p in raw:
                k = _KINDS.get(int(kind))
                if k is not None:
                    out.add((k, Path(p)))
            if out and not self.stop_event.is_set():
                self._deliver(out)

    def _close(self) -> None:
        if self._notify is not None:
            self._notify.close()
            self._notify = None


class FileWatcher:
    """Watch roots (inotify on Linux, watchfiles elsewhere or when polling);
    ``on_changes`` runs in a watcher thread. ``native``: whether notified groups use
    inotify (default: where it is available)."""

    def __init__(
        self,
        on_changes: Callable[[set[FileChange]], None],
        *,
        budget: int | None = None,
        poll_delay_ms: int = POLL_DELAY_MS,
        on_log: Callable[[str], None] | None = None,
        on_ready: Callable[[WatchSummary], None] | None = None,
        native: bool | None = None,
    ) -> None:
        self._on_changes = on_changes
        self._native = inotify.available() if native is None else native
        self._on_ready = on_ready
        self._budget = inotify_budget() if budget is None else budget
        self._poll_delay_ms = poll_delay_ms
        self._on_log = on_log or (lambda m: log.info("%s", m))
        self._lock = threading.Lock()
        self._groups: dict[tuple[bool, bool], WatchGroup] = {}
        self._counts: dict[Root, int] = {}
        self._polled: set[Root] = set()
        self._forced_polling: set[Root] = set()
        self._churned: set[Path] = set()  # roots deleted or made again: watch afresh
        self._wanted: set[Root] = set()
        self._closed = False
        self._updater: threading.Thread | None = None
        self._pending: set[Root] | None = None

    # ---------------------------------------------------------------- public

    @property
    def budget(self) -> int:
        return self._budget

    def roots(self) -> set[Root]:
        with self._lock:
            return set(self._wanted)

    def polled_roots(self) -> set[Root]:
        with self._lock:
            return set(self._polled)

    def watches_used(self) -> int:
        with self._lock:
            return sum(
                self._counts.get(r, 1) for r in self._wanted - self._polled if r.path.exists()
            )

    def set_roots(self, roots: Iterable[Root]) -> None:
        """Watch exactly ``roots`` (those that exist); the work happens in a thread."""
        wanted = normalize_roots(roots)
        with self._lock:
            if self._closed:
                return
            if wanted == self._wanted and self._pending is None:
                return
            self._pending = wanted
            start = self._updater_locked()
        if start is not None:
            start.start()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until the latest roots are being watched (for tests and startup)."""
        with self._lock:
            updater = self._updater
        if updater is not None:
            updater.join(timeout)
            if updater.is_alive():
                return False
        with self._lock:
            groups = list(self._groups.values())
        return all(g.started.wait(timeout) for g in groups)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            groups = list(self._groups.values())
            self._groups.clear()
        for g in groups:
            g.stop()

    # ---------------------------------------------------------------- internals

    def _update_loop(self) -> None:
        while True:
            with self._lock:
                wanted = self._pending
                self._pending = None
                if wanted is None or self._closed:
                    self._updater = None  # (under the lock: a later request starts one)
                    return
            try:
                self._apply(wanted)
            except Exception as e:  # never let watching take the server down
                self._on_log(f"file watching: {type(e).__name__}: {e}")

    def _assign(self, wanted: set[Root]) -> set[Root]:
        """Which roots are polled: those beyond the inotify budget."""
        existing = {r for r in wanted if r.path.exists()}
        used = 0
        polled: set[Root] = set(r for r in existing if r in self._forced_polling)
        # Flat roots first (one watch each), then recursive roots smallest first; a
        # root that was notified before keeps its place when it still fits.
        flat = sorted(r for r in existing if not r.recursive and r not in polled)
        rec = [r for r in existing if r.recursive and r not in polled]
        for r in rec:
            if r not in self._counts:
                self._counts[r] = count_dirs(r.path, self._budget)
        rec.sort(key=lambda r: (self._counts[r], r.path))
        for r in flat:
            if used + 1 <= self._budget:
                used += 1
            else:
                polled.add(r)
        for r in rec:
            n = self._counts[r]
            if used + n <= self._budget:
                used += n
            else:
                polled.add(r)
        return polled

    def _apply(self, wanted: set[Root]) -> None:
        with self._lock:
            churned, self._churned = self._churned, set()
        for r in list(self._counts):
            if r not in wanted or r.path in churned:
                del self._counts[r]
        self._forced_polling &= wanted
        polled = self._assign(wanted)
        newly_polled = polled - self._polled
        if newly_polled:
            self._on_log(
                f"file watching: {len(newly_polled)} root(s) beyond the inotify budget "
                f"({self._budget} watches) are polled every {self._poll_delay_ms} ms"
            )
        groups: dict[tuple[bool, bool], frozenset[Path]] = {}
        for recursive in (True, False):
            for polling in (True, False):
                groups[(recursive, polling)] = frozenset(
                    r.path
                    for r in wanted
                    if r.recursive == recursive and (r in polled) == polling and r.path.exists()
                )
        # New groups start (and have their watches) before the old ones stop, so
        # that a root in both is never unwatched for a moment.
        with self._lock:
            if self._closed:
                return
            self._wanted = wanted
            self._polled = polled
            started: list[WatchGroup] = []
            retired: list[WatchGroup] = []
            for key, paths in groups.items():
                old = self._groups.get(key)
                if old is not None and old.roots == paths and not paths & churned:
                    continue
                if old is not None:
                    retired.append(old)
                    del self._groups[key]
                if paths:
                    g: WatchGroup
                    if self._native and not key[1]:
                        g = inotify.InotifyGroup(
                            paths,
                            recursive=key[0],
                            deliver=self._deliver,
                            on_error=self._group_failed,
                            step_ms=STEP_MS,
                        )
                    else:
                        g = _Group(
                            paths,
                            recursive=key[0],
                            polling=key[1],
                            deliver=self._deliver,
                            on_error=self._group_failed,
                            poll_delay_ms=self._poll_delay_ms,
                        )
                    self._groups[key] = g
                    g.start()
                    started.append(g)
        for g in started:
            g.started.wait(30)
        for g in retired:
            # Stopping drops what the group has seen but not yet delivered: let it
            # deliver first (the new group covers from here on).
            timer = threading.Timer(RETIRE_AFTER, g.stop)
            timer.daemon = True
            timer.start()
        if self._on_ready is not None:
            summary = WatchSummary(
                roots=len(wanted),
                polled=len(polled),
                watches=sum(self._counts.get(r, 1) for r in wanted - polled if r.path.exists()),
                budget=self._budget,
            )
            try:
                self._on_ready(summary)
            except Exception as e:
                self._on_log(f"file watching: {type(e).__name__}: {e}")

    def _deliver(self, changes: set[FileChange]) -> None:
        self._follow_roots(changes)
        kept = {(k, p) for k, p in changes if not is_ignored(p, k)}
        if kept:
            try:
                self._on_changes(kept)
            except Exception as e:
                self._on_log(f"file watching: {type(e).__name__}: {e}")

    def _follow_roots(self, changes: set[FileChange]) -> None:
        """A root that was deleted, or made (again), is watched afresh: a watch does
        not outlive its directory, and a root that did not exist was not watched
        (its parent, which the watch set includes, tells of it). E.g. a module
        version's extracted directory that a redownload replaced."""
        paths = {p for k, p in changes if k != "modified"}
        if not paths:
            return
        with self._lock:
            churned = {r.path for r in self._wanted if r.path in paths}
            if not churned or self._closed:
                return
            self._churned |= churned
            start = self._rebuild_locked()
        if start is not None:
            start.start()

    def _rebuild_locked(self) -> threading.Thread | None:
        """Apply the wanted roots again (with the lock held); the updater thread to
        start, if none runs."""
        if self._pending is None:
            self._pending = set(self._wanted)
        self._wanted = set()  # force a rebuild
        return self._updater_locked()

    def _updater_locked(self) -> threading.Thread | None:
        """The updater thread to start for the pending roots (with the lock held), or
        None when one runs: it takes them before it ends."""
        if self._updater is not None:
            return None
        self._updater = threading.Thread(
            target=self._update_loop, name="gomod-doctor-watch-update", daemon=True
        )
        return self._updater

    def _group_failed(self, group: WatchGroup, error: BaseException) -> None:
        """A root vanished (re-watch the others) or notification failed (poll)."""
        with self._lock:
            if self._closed or self._groups.get((group.recursive, group.polling)) is not group:
                return
            del self._groups[(group.recursive, group.polling)]
            if not isinstance(error, FileNotFoundError) and not group.polling:
                self._forced_polling.update(
                    r
                    for r in self._wanted
                    if r.path in group.roots and r.recursive == group.recursive
                )
                message = (
                    f"file watching: {type(error).__name__}: {error}; polling "
                    f"{len(group.roots)} root(s) instead"
                )
            else:
                message = ""
            start = self._rebuild_locked()
        if message:
            self._on_log(message)
        if start is not None:
            start.start()


class Debouncer:
    """Collect changes; call ``fire`` once they have been quiet for ``delay_ms``, and
    at the latest ``max_delay_ms`` after the first (so steady churn cannot starve
    re-diagnosis). Runs on the event loop; :meth:`add_threadsafe` is for threads."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        fire: Callable[[set[FileChange]], None],
        *,
        delay_ms: int = 200,
        max_delay_ms: int = 800,
    ) -> None:
        self._loop = loop
        self._fire = fire
        self.delay_ms = delay_ms
        self.max_delay_ms = max_delay_ms
        self._pending: set[FileChange] = set()
        self._first: float | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._closed = False

    def add_threadsafe(self, changes: set[FileChange]) -> None:
        if self._closed:
            return
        with contextlib.suppress(RuntimeError):  # a closed loop: the server is exiting
            self._loop.call_soon_threadsafe(self.add, changes)

    def add(self, changes: set[FileChange]) -> None:
        if self._closed or not changes:
            return
        now = self._loop.time()
        self._pending |= changes
        if self._first is None:
            self._first = now
        if self._handle is not None:
            self._handle.cancel()
        delay = self.delay_ms / 1000
        latest = self._first + max(self.delay_ms, self.max_delay_ms) / 1000
        when = min(now + delay, latest)
        self._handle = self._loop.call_at(max(when, now), self._flush)

    def _flush(self) -> None:
        self._handle = None
        self._first = None
        changes, self._pending = self._pending, set()
        if changes and not self._closed:
            self._fire(changes)

    def close(self) -> None:
        self._closed = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._pending.clear()
