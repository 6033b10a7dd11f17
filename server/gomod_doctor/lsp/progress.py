"""Work-done ``$/progress``: the server's :class:`Progress` component creates,
reports and ends the tokens and runs blocking work under them, each with a
:class:`~gomod_doctor.lsp.reporter.ProgressReporter`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from lsprotocol import types
from pygls.capabilities import get_capability

from gomod_doctor.lsp.reporter import ProgressReporter
from gomod_doctor.lsp.tasks import in_thread

if TYPE_CHECKING:
    from gomod_doctor.lsp.server import GomodDoctorServer

log = logging.getLogger(__name__)

T = TypeVar("T")

CLIENT_TIMEOUT = 10.0  # for our requests to the client


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
