"""One group of watched roots, watched in a daemon thread: what the watchfiles
groups and the inotify groups of :class:`~gomod_doctor.fswatch.watcher.FileWatcher`
share (starting, stopping, and handing failures to the owner)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from gomod_doctor.fswatch.roots import FileChange

__all__ = ["WatchGroup"]


class WatchGroup:
    """A fixed set of roots; subclasses set the watches up (:meth:`_open`), deliver
    what changes (:meth:`_loop`) and let go (:meth:`_close`).

    A failure to set up (a vanished root, the watch limit) or to go on is handed to
    ``on_error`` unless the group was stopped; ``started`` is set once the watches are
    in place or setting them up failed (``error``)."""

    def __init__(
        self,
        roots: frozenset[Path],
        *,
        recursive: bool,
        polling: bool,
        deliver: Callable[[set[FileChange]], None],
        on_error: Callable[[WatchGroup, BaseException], None],
        name: str,
    ) -> None:
        self.roots = roots
        self.recursive = recursive
        self.polling = polling
        self._deliver = deliver
        self._on_error = on_error
        self.stop_event = threading.Event()
        self.started = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()

    def _open(self) -> bool:
        """Set the watches up; False: there is nothing to watch."""
        raise NotImplementedError

    def _loop(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        try:
            watching = self._open()
        except BaseException as e:  # the owner decides
            self.error = e
            self._close()
            self.started.set()
            if not self.stop_event.is_set():
                self._on_error(self, e)
            return
        self.started.set()
        if not watching:
            return
        try:
            self._loop()
        except BaseException as e:
            if not self.stop_event.is_set():
                self._on_error(self, e)
        finally:
            self._close()
