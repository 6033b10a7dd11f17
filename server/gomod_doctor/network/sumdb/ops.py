"""The client's I/O, behind an interface as x/mod's ``sumdb.ClientOps``.

:class:`SumDBClient <gomod_doctor.network.sumdb.client.SumDBClient>` verifies;
everything it reads or writes goes through a :class:`ClientOps` it is given:

- ``read_remote(path)``: a GET of ``path`` (``/lookup/M@V``, ``/tile/...``) from
  the database; the body of a 200, or a :class:`_Failure` in go's words;
- ``read_config(file)`` / ``write_config(file, old, new)``: the latest signed tree
  head (``<name>/latest``); the write is a compare-and-swap, as go's ``WriteConfig``
  (``False``: the file changed since ``old`` was read);
- ``read_cache(file)`` / ``write_cache(file, data)`` / ``remove_cache(file)``:
  verified lookups and tiles (``<name>/lookup/...``, ``<name>/tile/...``);
- ``read_go_config(file)`` / ``read_go_cache(file)``: the go command's own state,
  read, never written;
- ``log(msg)`` and ``security_error(msg)``: told when a cached entry is dropped,
  and when the log is seen forked.

:class:`HTTPOps` is the real one: HTTP through the caller's client or fetch, the
route chosen as go chooses it, files under the cache directories.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gomod_doctor.network.sumdb.records import FailureKind
from gomod_doctor.network.sumdb.routes import SumDBRoute, select_route
from gomod_doctor.network.sumdb.transport import (
    MAX_BODY,
    Fetch,
    _call_fetch,
    _Failure,
    _transport_text,
    http_error_text,
    join_url,
    redact,
)
from gomod_doctor.userdirs import write_atomic

if TYPE_CHECKING:
    import httpx

    from gomod_doctor.goenv.proxy import ProxyList
    from gomod_doctor.network.sumdb.gosumdb import GoSumDB

_log = logging.getLogger(__name__)


class ClientOps(Protocol):
    """What the client reads and writes (x/mod's ``sumdb.ClientOps``)."""

    async def read_remote(self, path: str) -> bytes: ...

    def read_config(self, file: str) -> bytes | None: ...

    def write_config(self, file: str, old: bytes, new: bytes) -> bool: ...

    def read_cache(self, file: str) -> bytes | None: ...

    def write_cache(self, file: str, data: bytes) -> None: ...

    def remove_cache(self, file: str) -> None: ...

    def read_go_config(self, file: str) -> bytes | None: ...

    def read_go_cache(self, file: str) -> bytes | None: ...

    def log(self, msg: str) -> None: ...

    def security_error(self, msg: str) -> None: ...


# --------------------------------------------------------------------------- files


def default_cache_dir(environ: dict[str, str] | None = None) -> str:
    """``$XDG_CACHE_HOME/gomod-doctor/sumdb`` (``~/.cache`` without it)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    if not base or not os.path.isabs(base):
        home = env.get("HOME", "") or os.path.expanduser("~")
        base = os.path.join(home, ".cache")
    return os.path.join(base, "gomod-doctor", "sumdb")


class _Store:
    """Files under ``root`` (``None``: keep nothing). Never raises."""

    def __init__(self, root: str | os.PathLike[str] | None) -> None:
        self.root = Path(root) if root is not None else None

    def _path(self, file: str) -> Path | None:
        if self.root is None:
            return None
        parts = file.split("/")
        if any(p in ("", ".", "..") for p in parts):
            return None
        return self.root.joinpath(*parts)

    def read(self, file: str) -> bytes | None:
        p = self._path(file)
        if p is None:
            return None
        try:
            data = p.read_bytes()
        except OSError:
            return None
        return data or None

    def write(self, file: str, data: bytes) -> None:
        p = self._path(file)
        if p is None:
            return
        with contextlib.suppress(OSError):
            write_atomic(str(p), data)

    def remove(self, file: str) -> None:
        p = self._path(file)
        if p is not None:
            with contextlib.suppress(OSError):
                p.unlink()


# --------------------------------------------------------------------------- HTTP


@dataclass
class _Stats:
    """Requests sent (for callers and tests)."""

    lookups: list[str] = field(default_factory=list)
    tiles: list[str] = field(default_factory=list)


class HTTPOps:
    """The real ops: the database over HTTP, verified data in ``cache_dir``.

    ``http`` is the caller's ``httpx.AsyncClient`` (timeouts, proxies and TLS are
    the caller's); it may be ``None`` when ``fetch`` is given, through which every
    request then goes. Without a URL in ``db``, the route is chosen from
    ``goproxy``/``gonoproxy`` with :func:`select_route` on the first request (and
    again after a failed choice)."""

    def __init__(
        self,
        http: httpx.AsyncClient | None,
        db: GoSumDB,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        goproxy: str | ProxyList = "https://proxy.golang.org,direct",
        gonoproxy: str = "",
        fetch: Fetch | None = None,
        go_config_dir: str | os.PathLike[str] | None = None,
        go_cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if http is None and fetch is None:
            raise ValueError("SumDBClient needs an http client or a fetch function")
        self.db = db
        self._http = http
        self._goproxy = goproxy
        self._gonoproxy = gonoproxy
        self._fetch = fetch
        self._store = _Store(cache_dir)
        # The go command's own state, read only: its signed tree head (GOPATH/pkg/sumdb)
        # and its cached lookups and tiles (GOMODCACHE/cache/download/sumdb).
        self._go_config = _Store(go_config_dir)
        self._go_cache = _Store(go_cache_dir)
        self.stats = _Stats()
        self.route: SumDBRoute | None = None
        self._route_lock = asyncio.Lock()

    # ------------------------------------------------------------------ files

    def read_config(self, file: str) -> bytes | None:
        return self._store.read(file)

    def write_config(self, file: str, old: bytes, new: bytes) -> bool:
        if (self._store.read(file) or b"") != old:
            return False
        self._store.write(file, new)
        return True

    def read_cache(self, file: str) -> bytes | None:
        return self._store.read(file)

    def write_cache(self, file: str, data: bytes) -> None:
        self._store.write(file, data)

    def remove_cache(self, file: str) -> None:
        self._store.remove(file)

    def read_go_config(self, file: str) -> bytes | None:
        return self._go_config.read(file)

    def read_go_cache(self, file: str) -> bytes | None:
        return self._go_cache.read(file)

    def log(self, msg: str) -> None:
        _log.debug("%s: %s", self.db.name, msg)

    def security_error(self, msg: str) -> None:
        _log.debug("%s: %s", self.db.name, msg)

    # ------------------------------------------------------------------ remote

    async def _base(self) -> str:
        if self.route is not None and self.route.base is not None:
            return self.route.base
        async with self._route_lock:
            if self.route is not None and self.route.base is not None:
                return self.route.base
            route = await select_route(
                self.db, self._goproxy, self._fetch or self._plain_fetch, gonoproxy=self._gonoproxy
            )
            self.route = route
            if route.base is None:
                kind: FailureKind = "unreachable" if route.transport else "server-error"
                raise _Failure(kind if route.steps else "invalid", route.error or "")
            return route.base

    async def _plain_fetch(self, url: str) -> tuple[int, bytes, str]:
        assert self._http is not None  # checked in __init__
        async with self._http.stream("GET", url, follow_redirects=True) as resp:
            body = bytearray()
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > MAX_BODY:
                    break  # read_remote refuses it; no need to read the rest
            return resp.status_code, bytes(body), resp.headers.get("content-type", "")

    async def read_remote(self, path: str) -> bytes:
        """GET ``path`` from the database; the body of a 200, else a :class:`_Failure`
        (a lookup's 404 or 410 is ``not-found``)."""
        lookup = path.startswith("/lookup/")
        base = await self._base()
        url = join_url(base, path)
        (self.stats.lookups if lookup else self.stats.tiles).append(path)
        try:
            status, body, ctype = await _call_fetch(self._fetch or self._plain_fetch, url)
        except Exception as exc:
            raise _Failure("unreachable", _transport_text(url, exc), url=redact(url)) from None
        if status != 200:
            kind: FailureKind = "not-found" if lookup and status in (404, 410) else "server-error"
            raise _Failure(
                kind, http_error_text(url, status, body, ctype), url=redact(url), status=status
            )
        if len(body) > MAX_BODY:
            raise _Failure(
                "server-error", f"reading {redact(url)}: response too large", url=redact(url)
            )
        return body


__all__ = ["ClientOps", "HTTPOps", "default_cache_dir"]
