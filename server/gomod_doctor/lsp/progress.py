"""Work-done ``$/progress``: :class:`ProgressReporter` for one piece of work, and the
server's :class:`Progress` component that creates, reports and ends the tokens and
runs blocking work under them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from lsprotocol import types
from pygls.capabilities import get_capability

from gomod_doctor.lsp.tasks import in_thread

if TYPE_CHECKING:
    from gomod_doctor.lsp.server import GomodDoctorServer

log = logging.getLogger(__name__)

T = TypeVar("T")

PROGRESS_INTERVAL = 0.1  # seconds between $/progress reports
CLIENT_TIMEOUT = 10.0  # for our requests to the client


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


class Progress:
    """The server's progress tokens and the cancel events of the work under them."""

    def __init__(self, server: GomodDoctorServer) -> None:
        self._server = server
        #: set on shutdown: every piece of work in flight stops
        self.cancel_events: set[threading.Event] = set()
        self._client_cancelled: set[str] = set()

    async def run(
        self,
        title: str,
        fn: Callable[[ProgressReporter, threading.Event], T],
        *,
        cancellable: bool = True,
        cancel: threading.Event | None = None,
    ) -> T:
        """Run blocking ``fn(reporter, event)`` in a worker thread under work-done
        ``$/progress``. ``event`` is set when the client cancels the progress, on
        shutdown, or by whoever passed ``cancel``."""
        server = self._server
        loop = asyncio.get_running_loop()
        event = cancel if cancel is not None else threading.Event()
        self.cancel_events.add(event)
        if server.shutting_down:
            event.set()
        token = await self._create(title, cancellable)
        reporter = ProgressReporter(self._report, token, loop)
        if token is not None and cancellable:
            fut = server.work_done_progress.tokens.get(token)
            if fut is not None:

                def on_cancel(f: object, tok: str = token) -> None:
                    self._client_cancelled.add(tok)
                    event.set()

                fut.add_done_callback(on_cancel)
        try:
            return await in_thread(fn, reporter, event)
        finally:
            reporter.close()
            self.cancel_events.discard(event)
            if token is not None:
                message = "Cancelled" if event.is_set() else "Done"
                self._end(token, message)
                server.work_done_progress.tokens.pop(token, None)

    def client_cancelled(self, reporter: ProgressReporter) -> bool:
        return reporter.token is not None and reporter.token in self._client_cancelled

    def forget_cancelled(self, reporter: ProgressReporter) -> None:
        self._client_cancelled.discard(reporter.token or "")

    def cancel_all(self) -> None:
        for ev in list(self.cancel_events):
            ev.set()

    async def _create(self, title: str, cancellable: bool) -> str | None:
        server = self._server
        if server.shutting_down or not get_capability(
            server.client_capabilities, "window.work_done_progress", False
        ):
            return None
        token = f"gomod-doctor-{uuid.uuid4()}"
        try:
            await asyncio.wait_for(
                server.work_done_progress.create_async(token), timeout=CLIENT_TIMEOUT
            )
        except Exception as e:  # the client refused or never answered: no progress UI
            log.info("window/workDoneProgress/create failed: %s", e)
            return None
        if server.shutting_down:
            return None
        server.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(title=title, cancellable=cancellable, percentage=0),
        )
        return token

    def _report(self, token: str, message: str, percentage: int | None) -> None:
        if self._server.shutting_down:
            return
        with contextlib.suppress(Exception):
            self._server.work_done_progress.report(
                token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    def _end(self, token: str, message: str) -> None:
        with contextlib.suppress(Exception):
            self._server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
