"""The clients: httpx (async), one per proxy setting, bounded per request and in
concurrency (:class:`HttpPool`); ``file://`` URLs read from disk."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # httpx (tens of ms to import) loads when the first client is made
    import httpx

import asyncio
import base64
import contextlib
import errno
import importlib
import logging
import ssl
import sys
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gomod_doctor.network.http.errors import (
    BodyMode,
    Fetched,
    FetchError,
    TransportError,
    classify_exception,
)
from gomod_doctor.network.http.settings import (
    MAX_REDIRECTS,
    MAX_SMALL_BODY,
    PEEK_WHOLE,
    USER_AGENT,
    HttpSettings,
    Timeouts,
    _split_userinfo,
    safe_url,
)
from gomod_doctor.network.http.tls import ssl_context
from gomod_doctor.units import seconds

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- the pool


def make_client(
    settings: HttpSettings,
    *,
    proxy: str | None = None,
    verify: bool = True,
    timeouts: Timeouts | None = None,
    context: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """An httpx client for one (proxy, verification) pair: no environment lookups of
    its own (``trust_env=False``: everything comes from ``settings``), no automatic
    redirects (:class:`HttpPool` follows them with go's rules), bounded timeouts."""
    import httpx

    t = timeouts or Timeouts()
    return httpx.AsyncClient(
        proxy=proxy,
        verify=context if context is not None else ssl_context(settings, verify=verify),
        timeout=httpx.Timeout(t.total, connect=t.connect),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
    )


class HttpPool:
    """Shared clients with bounded concurrency; use ``async with HttpPool(...)``.

    ``request_log`` (if given) receives each request's redacted URL: it is what
    tests read to prove what was (not) sent.
    """

    def __init__(
        self,
        settings: HttpSettings,
        *,
        timeouts: Timeouts | None = None,
        concurrency: int = 8,
        deadline: float | None = None,
    ) -> None:
        self.settings = settings
        self.timeouts = timeouts or Timeouts()
        self._sem = asyncio.Semaphore(max(1, concurrency))
        self._clients: dict[tuple[str | None, bool], httpx.AsyncClient] = {}
        self._contexts: dict[bool, ssl.SSLContext] = {}
        self._lock = asyncio.Lock()
        #: monotonic time after which nothing more is asked (None: no deadline)
        self.deadline = deadline
        self.sent: list[str] = []

    async def __aenter__(self) -> HttpPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        clients = list(self._clients.values())
        self._clients.clear()
        for c in clients:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(c.aclose(), 1.0)

    def as_fetch(self) -> Callable[[str], Awaitable[tuple[int, bytes, str]]]:
        """This pool as a ``fetch(url) -> (status, body, content type)`` function that
        raises :class:`TransportError` when no answer came (the checksum database
        client's ``Fetch``)."""

        async def fetch(url: str) -> tuple[int, bytes, str]:
            got = await self.get(url)
            if got.error is not None:
                raise TransportError(got.error)
            return got.status or 0, got.body, got.content_type

        return fetch

    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - time.monotonic()

    async def _client(self, url: str, insecure: bool) -> httpx.AsyncClient:
        proxy = self.settings.proxy_for(url)
        key = (proxy, insecure)
        async with self._lock:
            client = self._clients.get(key)
            if client is None:
                ctx = self._contexts.get(insecure)
                if ctx is None:
                    # loading the trust store (and httpx's first-use imports) takes tens
                    # of milliseconds: not on the event loop
                    ctx = await asyncio.to_thread(_prepare, self.settings, not insecure)
                    self._contexts[insecure] = ctx
                client = make_client(
                    self.settings, proxy=proxy, timeouts=self.timeouts, context=ctx
                )
                self._clients[key] = client
        return client

    async def get(
        self,
        url: str,
        *,
        mode: BodyMode = "bytes",
        max_bytes: int = MAX_SMALL_BODY,
        dest: Path | None = None,
        total: float | None = None,
        insecure: bool = False,
    ) -> Fetched:
        """GET ``url``. Never raises (except on cancellation): failures are in
        ``Fetched.error``. ``mode``: "bytes" reads the body (at most ``max_bytes``),
        "peek" reads only its first bytes (to tell a zip from garbage) and closes,
        "file" streams it to ``dest``."""
        shown = safe_url(url)
        started = time.monotonic()
        budget = total if total is not None else self.timeouts.total
        left = self.remaining()
        cut_by_deadline = False
        if left is not None and left < budget:
            budget, cut_by_deadline = left, True
        if budget <= 0:
            return Fetched(shown, error=FetchError("deadline", "the network deadline ran out"))
        result = Fetched(shown)
        state = _State()
        try:
            async with self._sem:
                state.started = time.monotonic()
                left = self.remaining()
                if left is not None and left < budget:  # waited for a slot
                    budget, cut_by_deadline = left, True
                if budget <= 0:
                    result.error = FetchError("deadline", "the network deadline ran out")
                    return result
                await asyncio.wait_for(
                    self._get(url, result, state, mode, max_bytes, dest, insecure, budget),
                    budget + 0.05,
                )
        except asyncio.CancelledError:
            raise
        except asyncio.TimeoutError:
            if cut_by_deadline and (self.remaining() or 0.0) <= 0.05:
                result.error = FetchError("deadline", "the network deadline ran out")
            elif state.headers:
                result.error = FetchError(
                    "timeout",
                    f"the body stalled: no complete answer within {seconds(budget, fraction='.2g')}",
                    after_headers=True,
                )
            else:
                result.error = FetchError(
                    "timeout", f"no answer within {seconds(budget, fraction='.2g')}"
                )
        except Exception as e:  # a URL httpx cannot use, or a bug: never raised
            result.error = FetchError("other", f"{type(e).__name__}: {e}", state.headers)
        finally:
            result.elapsed = time.monotonic() - (state.started or started)
        return result

    async def _get(
        self,
        url: str,
        result: Fetched,
        state: _State,
        mode: BodyMode,
        max_bytes: int,
        dest: Path | None,
        insecure: bool,
        budget: float,
    ) -> None:
        if url.startswith("file:"):
            _read_file(url, result, mode, max_bytes, dest)
            return
        import httpx

        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            clean, userinfo = _split_userinfo(current)
            scheme = urllib.parse.urlsplit(clean).scheme
            headers: dict[str, str] = {}
            creds = self.settings.credentials_for(clean)
            if creds is None and userinfo is not None:
                if scheme != "https" and not insecure:
                    result.error = FetchError(
                        "insecure-credentials",
                        f"refusing to pass credentials to insecure URL: {safe_url(current)}",
                    )
                    return
                creds = userinfo
            if creds is not None:
                token = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
                headers["Authorization"] = "Basic " + token
            self.sent.append(safe_url(clean))
            client = await self._client(clean, insecure)
            timeout = httpx.Timeout(budget, connect=min(self.timeouts.connect, budget))
            try:
                async with client.stream("GET", clean, headers=headers, timeout=timeout) as resp:
                    state.headers = True
                    if resp.status_code in (301, 302, 303, 307, 308) and "location" in resp.headers:
                        target = urllib.parse.urljoin(clean, resp.headers["location"])
                        if scheme == "https" and not target.startswith("https:"):
                            result.error = FetchError(
                                "redirect",
                                f"redirected from secure URL {safe_url(clean)} to insecure "
                                f"URL {safe_url(target)}",
                            )
                            return
                        current = target  # its credentials are looked up afresh
                        state.headers = False
                        continue
                    result.url = safe_url(str(resp.url))
                    result.status = resp.status_code
                    result.reason = resp.reason_phrase
                    result.content_type = resp.headers.get("content-type", "")
                    await _read_body(resp, result, mode, max_bytes, dest)
                    return
            except httpx.HTTPError as e:
                result.error = classify_exception(e, after_headers=state.headers)
                return
            except OSError as e:  # writing dest
                result.error = FetchError("other", str(e.strerror or e), state.headers)
                return
        result.error = FetchError("redirect", f"stopped after {MAX_REDIRECTS} redirects")


def _prepare(settings: HttpSettings, verify: bool) -> ssl.SSLContext:
    """The TLS context, and the modules httpx imports on its first request."""
    with contextlib.suppress(ImportError):
        importlib.import_module("anyio._backends._asyncio")
        importlib.import_module("anyio.streams.tls")
    return ssl_context(settings, verify=verify)


@dataclass
class _State:
    started: float = 0.0
    headers: bool = False


async def _read_body(
    resp: httpx.Response, result: Fetched, mode: BodyMode, max_bytes: int, dest: Path | None
) -> None:
    if mode == "peek":
        # A small body is read whole (so that a truncated one is seen, as go sees it);
        # of a large one only the start (to tell a zip from garbage).
        try:
            length = int(resp.headers.get("content-length", ""))
        except ValueError:
            length = -1
        whole = 0 <= length <= PEEK_WHOLE
        got = 0
        async for chunk in resp.aiter_bytes():
            if got == 0:
                result.body = chunk[:512]
            got += len(chunk)
            if not whole or got > PEEK_WHOLE:
                break
        result.size = got
        return
    if mode == "file" and resp.status_code == 200:
        assert dest is not None
        size = 0
        with open(dest, "wb") as f:
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    result.error = FetchError("too-large", "downloaded file too large", True)
                    return
                f.write(chunk)
        result.file = dest
        result.size = size
        return
    buf = bytearray()
    async for chunk in resp.aiter_bytes():
        buf += chunk
        if len(buf) > max_bytes:
            result.error = FetchError("too-large", "response too large", True)
            break
    result.body = bytes(buf[:max_bytes])
    result.size = len(buf)


def _read_file(
    url: str, result: Fetched, mode: BodyMode, max_bytes: int, dest: Path | None
) -> None:
    """go's web.getFile."""
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.unquote(parts.path)
    if sys.platform.startswith("win") and path.startswith("/") and path[2:3] == ":":
        path = path[1:]
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        result.status, result.reason = 404, "Not Found"
        return
    except PermissionError:
        result.status, result.reason = 403, "Forbidden"
        return
    except IsADirectoryError as e:
        result.error = FetchError("other", f"read {path}: {e.strerror or 'is a directory'}")
        return
    except OSError as e:
        if e.errno == errno.ENOENT or e.errno == errno.ENOTDIR:
            result.status, result.reason = 404, "Not Found"
        else:
            result.error = FetchError("other", f"open {path}: {e.strerror or e}")
        return
    result.status, result.reason = 200, "OK"
    if len(data) > max_bytes:
        result.error = FetchError("too-large", "file too large", True)
        return
    result.size = len(data)
    if mode == "file" and dest is not None:
        try:
            dest.write_bytes(data)
        except OSError as e:
            result.error = FetchError("other", f"write: {e.strerror or e}", True)
            return
        result.file = dest
    elif mode == "peek":
        result.body = data[:512]
    else:
        result.body = data
