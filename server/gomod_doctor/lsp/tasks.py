"""Running work off the event loop: daemon threads, background tasks, calls back in.

Blocking work never runs on the loop. :func:`in_thread` runs it in a new daemon
thread (never holding up the exit); :class:`Background` keeps the loop's own
fire-and-forget tasks referenced until they end, and cancels them at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def in_thread(fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    """Run ``fn(*args)`` in a new daemon thread (never holds up the exit)."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[T] = loop.create_future()

    def ok(value: T) -> None:
        if not fut.done():
            fut.set_result(value)

    def failed(e: BaseException) -> None:
        if not fut.done():
            fut.set_exception(e)

    def runner() -> None:
        try:
            value = fn(*args)
        except Exception as e:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(failed, e)
        except BaseException as e:  # never let SystemExit & co. escape a thread
            err = RuntimeError(f"{type(e).__name__}: {e}")
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(failed, err)
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(ok, value)

    threading.Thread(target=runner, name="gomod-doctor-work", daemon=True).start()
    return fut


def retrieved(fut: asyncio.Future[Any]) -> None:
    """A done callback that marks the future's exception as seen (no warning)."""
    if not fut.cancelled():
        fut.exception()


class Background:
    """The loop's fire-and-forget tasks, and the loop itself once it runs."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.loop: asyncio.AbstractEventLoop | None = None

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` on the event loop (from any thread)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(fn, *args)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
