"""Progress of one piece of work, reported from any thread: :class:`ProgressReporter`."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable

PROGRESS_INTERVAL = 0.1  # seconds between $/progress reports


class ProgressReporter:
    """Reports ``$/progress`` for one piece of work; callable from any thread.

    Reports are throttled to one per :data:`PROGRESS_INTERVAL`; the latest wins.
    """

    def __init__(
        self,
        send: Callable[[str, str, int | None], None],
        token: str | None,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._send = send
        self._token = token
        self._loop = loop
        self._lock = threading.Lock()
        self._last: tuple[str, int | None] | None = None
        self._pending: tuple[str, int | None] | None = None
        self._scheduled = False
        self._last_sent = 0.0
        self._closed = False

    @property
    def token(self) -> str | None:
        return self._token

    def report(self, message: str, percentage: int | None = None) -> None:
        if percentage is not None:
            percentage = max(0, min(100, int(percentage)))
        with self._lock:
            if self._closed or self._token is None:
                return
            if (message, percentage) == self._last:
                self._pending = None
                return
            self._pending = (message, percentage)
            if self._scheduled:
                return
            self._scheduled = True
            delay = max(0.0, self._last_sent + PROGRESS_INTERVAL - time.monotonic())
        with contextlib.suppress(RuntimeError):  # a closed loop: exiting
            self._loop.call_soon_threadsafe(self._later, delay)

    def _later(self, delay: float) -> None:
        self._loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        with self._lock:
            self._scheduled = False
            if self._closed or self._pending is None or self._token is None:
                return
            message, pct = self._pending
            self._pending = None
            self._last = (message, pct)
            self._last_sent = time.monotonic()
            token = self._token
        self._send(token, message, pct)

    def close(self) -> None:
        with self._lock:
            self._closed = True
