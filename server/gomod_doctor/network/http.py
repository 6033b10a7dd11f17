"""The HTTP client: httpx (async), set up the way the go command sets up its own.

What go honours, we honour (cmd/go/internal/web, cmd/go/internal/auth):

* **Proxies.** ``HTTPS_PROXY``/``https_proxy`` for https URLs, ``HTTP_PROXY``/
  ``http_proxy`` for http URLs, ``NO_PROXY``/``no_proxy`` exceptions, with
  golang.org/x/net/http/httpproxy's rules: ``localhost`` and loopback addresses are
  never proxied, ``*`` turns proxies off, ``foo.com`` matches ``foo.com`` and its
  subdomains, ``.foo.com`` and ``*.foo.com`` only the subdomains, IPs and CIDRs match
  addresses, a ``:port`` restricts an entry to that port. A proxy without a scheme
  gets ``http://``. ``HTTP_PROXY`` is ignored under CGI (``REQUEST_METHOD`` set).
* **Certificates.** ``SSL_CERT_FILE`` replaces the system's CA bundle,
  ``SSL_CERT_DIR`` (``:``-separated) its certificate directories.
* **Credentials.** ``.netrc`` (or ``$NETRC``), read as go reads it, for https URLs
  only and only for the matching host; ``GOAUTH=off`` turns it off. A URL's own
  ``user:password@`` is used when the netrc has nothing for the host; go refuses to
  send it over plain http ("refusing to pass credentials to insecure URL"), and so
  do we. Credentials are never logged and never part of a message: every URL we
  print has its userinfo replaced by ``xxxxx``.
* **Security.** https is verified; plain http only when the URL says so (go's
  ``DefaultSecurity``, what module proxies get). ``insecure=True`` (GOINSECURE,
  direct fetches only) skips certificate verification, as go's insecure client does.
  A redirect from https to http is refused, as go refuses it; at most 10 redirects.

Unlike go, every request is bounded: ``connect`` seconds to connect (TLS included)
and ``total`` seconds for the whole request; and at most ``concurrency`` requests
run at once (:class:`HttpPool`). ``file://`` URLs are read from disk, as go does
(a missing file is a 404, an unreadable one a 403).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import hashlib
import importlib
import ipaddress
import logging
import os
import re
import socket
import ssl
import sys
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # httpx (tens of ms to import) loads when the first client is made
    import httpx

from gomod_doctor import __version__

log = logging.getLogger(__name__)

USER_AGENT = f"gomod-doctor/{__version__} (a go command companion)"
MAX_REDIRECTS = 10
#: Default cap on a small response body (.info, .mod, @v/list): 16 MiB.
MAX_SMALL_BODY = 16 << 20
#: A "peek" reads a body whole up to this announced length (4 MiB).
PEEK_WHOLE = 4 << 20
#: go's codehost.MaxZipFile: 500 MiB.
MAX_ZIP = 500 << 20

ErrorKind = Literal[
    "refused",  # connection refused
    "dns",  # the host name does not resolve
    "tls",  # certificate or handshake failure
    "connect-timeout",  # no connection within the connect timeout
    "timeout",  # connected, but no (complete) answer within the total timeout
    "reset",  # connection reset by the peer
    "closed",  # the peer closed the connection without an answer
    "truncated",  # the body ended before its announced length
    "too-large",  # the body is larger than allowed
    "redirect",  # a refused or endless redirect
    "insecure-credentials",  # userinfo on a plain http URL
    "deadline",  # the overall deadline ran out (nothing is known)
    "other",  # anything else (the detail says what)
]


@dataclass(frozen=True)
class Timeouts:
    """Bounds on network work: ``connect`` and ``total`` per request, ``deadline`` for a
    whole gather (None: ``total`` + 1 s, so that a request timing out on its own is
    told apart from one cut by the deadline)."""

    connect: float = 3.0
    total: float = 5.0
    deadline: float | None = None

    @property
    def overall(self) -> float:
        return self.deadline if self.deadline is not None else self.total + 1.0


# --------------------------------------------------------------------------- URLs


def redact_goproxy(value: str) -> str:
    """A GOPROXY value with the userinfo of every URL replaced by ``xxxxx``."""
    return re.sub(
        r"[^,|]+", lambda m: safe_url(m.group(0)) if "@" in m.group(0) else m.group(0), value
    )


def safe_url(url: str) -> str:
    """``url`` with any userinfo replaced by ``xxxxx`` (for messages and logs)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc="xxxxx@" + host))


def _split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """``url`` without userinfo, and the (user, password) it carried."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    clean = urllib.parse.urlunsplit(parts._replace(netloc=host))
    return clean, (urllib.parse.unquote(user), urllib.parse.unquote(password))


def host_port(url: str) -> tuple[str, str]:
    """The lowercase host (no brackets) and the port (default for the scheme)."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return host, str(port)


# --------------------------------------------------------------------------- netrc


@dataclass(frozen=True)
class NetrcLine:
    machine: str
    login: str
    password: str = field(repr=False)


def parse_netrc(data: str) -> list[NetrcLine]:
    """cmd/go/internal/auth.parseNetrc: machine/login/password triples; ``default``
    ends the file; ``macdef`` bodies (up to a blank line) are skipped."""
    out: list[NetrcLine] = []
    machine = login = password = ""
    in_macro = False
    for line in data.split("\n"):
        if in_macro:
            if line == "":
                in_macro = False
            continue
        f = line.split()
        i = 0
        while i < len(f) - 1:
            key, value = f[i], f[i + 1]
            if key == "machine":
                machine, login, password = value, "", ""
            elif key == "login":
                login = value
            elif key == "password":
                password = value
            elif key == "macdef":
                in_macro = True
            if machine and login and password:
                out.append(NetrcLine(machine, login, password))
                machine = login = password = ""
            i += 2
        if i < len(f) and f[i] == "default":
            break
    return out


def netrc_path(environ: Mapping[str, str]) -> str | None:
    """Where go reads the netrc: ``$NETRC``, else ``~/.netrc`` (``_netrc`` on Windows
    when it exists)."""
    if environ.get("NETRC"):
        return environ["NETRC"]
    home = environ.get("USERPROFILE" if sys.platform.startswith("win") else "HOME", "")
    if not home:
        return None
    if sys.platform.startswith("win"):
        legacy = os.path.join(home, "_netrc")
        if os.path.exists(legacy):
            return legacy
    return os.path.join(home, ".netrc")


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class HttpSettings:
    """Everything from the environment that changes how requests are made."""

    https_proxy: str = ""
    http_proxy: str = ""
    no_proxy: str = ""
    ssl_cert_file: str = ""
    ssl_cert_dir: str = ""
    goauth: str = "netrc"
    netrc: tuple[NetrcLine, ...] = field(default=(), repr=False)
    netrc_file: str = ""
    netrc_error: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> HttpSettings:
        def first(*keys: str) -> str:
            for k in keys:
                v = environ.get(k, "")
                if v:
                    return v
            return ""

        http_proxy = first("HTTP_PROXY", "http_proxy")
        if environ.get("REQUEST_METHOD"):
            http_proxy = ""  # httpproxy ignores HTTP_PROXY under CGI
        goauth = environ.get("GOAUTH", "") or "netrc"
        lines: tuple[NetrcLine, ...] = ()
        netrc_file = ""
        netrc_error = ""
        if "netrc" in [w.strip() for w in goauth.split(";")]:
            path = netrc_path(environ)
            if path:
                netrc_file = path
                try:
                    with open(path, encoding="utf-8", errors="replace") as f:
                        lines = tuple(parse_netrc(f.read(1 << 20)))
                except FileNotFoundError:
                    pass
                except OSError as e:
                    netrc_error = f"GOAUTH=netrc: {e.strerror or e}"
        return cls(
            https_proxy=first("HTTPS_PROXY", "https_proxy"),
            http_proxy=http_proxy,
            no_proxy=first("NO_PROXY", "no_proxy"),
            ssl_cert_file=environ.get("SSL_CERT_FILE", ""),
            ssl_cert_dir=environ.get("SSL_CERT_DIR", ""),
            goauth=goauth,
            netrc=lines,
            netrc_file=netrc_file,
            netrc_error=netrc_error,
        )

    def fingerprint(self) -> str:
        """A digest of every setting (credentials included, never stored in clear)."""
        h = hashlib.sha256()
        for part in (
            self.https_proxy,
            self.http_proxy,
            self.no_proxy,
            self.ssl_cert_file,
            self.ssl_cert_dir,
            self.goauth,
            self.netrc_file,
            self.netrc_error,
        ):
            h.update(part.encode("utf-8", "surrogateescape") + b"\0")
        for line in self.netrc:
            h.update(f"{line.machine}\0{line.login}\0{line.password}\0".encode())
        return h.hexdigest()[:32]

    # --- proxies -------------------------------------------------------------------

    def proxy_for(self, url: str) -> str | None:
        """The HTTP proxy go's http.ProxyFromEnvironment picks for ``url``, or None."""
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme == "https":
            proxy = self.https_proxy
        elif scheme == "http":
            proxy = self.http_proxy
        else:
            return None
        if not proxy:
            return None
        host, port = host_port(url)
        if not _use_proxy(host, port, self.no_proxy):
            return None
        if "://" not in proxy:
            proxy = "http://" + proxy
        return proxy

    # --- credentials ------------------------------------------------------------------

    def credentials_for(self, url: str) -> tuple[str, str] | None:
        """The netrc login for an https ``url``: go's credential cache lookup, which
        matches the longest ``host[:port][/path]`` prefix that has a ``machine``."""
        if not url.startswith("https://") or not self.netrc:
            return None
        stored: dict[str, tuple[str, str]] = {}
        for line in reversed(self.netrc):  # go stores them last first: the first wins
            stored[line.machine.removeprefix("https://").rstrip("/")] = (line.login, line.password)
        clean, _ = _split_userinfo(url)
        prefix = clean.removeprefix("https://").rstrip("/")
        prefix = prefix.split("?", 1)[0].split("#", 1)[0]
        while True:
            if prefix in stored:
                return stored[prefix]
            cut = prefix.rfind("/")
            if cut < 0:
                return None
            prefix = prefix[:cut]


def _use_proxy(host: str, port: str, no_proxy: str) -> bool:
    """httpproxy's useProxy for ``host:port`` with ``NO_PROXY``."""
    if host == "localhost":
        return False
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None and ip.is_loopback:
        return False
    for raw in no_proxy.split(","):
        p = raw.strip().lower()
        if not p:
            continue
        if p == "*":
            return False
        try:
            net = ipaddress.ip_network(p, strict=False) if "/" in p else None
        except ValueError:
            net = None
        if net is not None:
            if ip is not None and ip in net:
                return False
            continue
        phost, pport = p, ""
        if p.startswith("["):
            end = p.find("]")
            if end > 0:
                phost, pport = p[1:end], p[end + 2 :] if p[end + 1 : end + 2] == ":" else ""
        elif p.count(":") == 1:
            phost, pport = p.split(":")
            if not phost:
                continue
        try:
            pip = ipaddress.ip_address(phost)
        except ValueError:
            pip = None
        if pip is not None:
            if ip is not None and ip == pip and (not pport or pport == port):
                return False
            continue
        if not phost:
            continue
        if phost.startswith("*."):
            phost = phost[1:]
        match_host = not phost.startswith(".")
        if match_host:
            phost = "." + phost
        if (host.endswith(phost) or (match_host and host == phost[1:])) and (
            not pport or pport == port
        ):
            return False
    return True


# --------------------------------------------------------------------------- TLS

#: Where go looks for certificate directories on Linux (crypto/x509 root_linux.go).
_DEFAULT_CERT_DIRS = ("/etc/ssl/certs", "/etc/pki/tls/certs")


def ssl_context(settings: HttpSettings, *, verify: bool = True) -> ssl.SSLContext:
    """The TLS configuration go would use: the system's roots, or ``SSL_CERT_FILE``
    and ``SSL_CERT_DIR`` instead of the system's file and directories."""
    if not verify:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if not settings.ssl_cert_file and not settings.ssl_cert_dir:
        return ssl.create_default_context()
    # An empty trust store makes every https request fail, as it does in go.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cafile = settings.ssl_cert_file or ssl.get_default_verify_paths().cafile
    if cafile:
        with contextlib.suppress(OSError, ssl.SSLError, ValueError):
            ctx.load_verify_locations(cafile=cafile)
    if settings.ssl_cert_dir:
        for d in settings.ssl_cert_dir.split(":"):
            if d:
                _load_cert_dir(ctx, d)
    else:
        for d in _DEFAULT_CERT_DIRS:
            if os.path.isdir(d):  # hashed names, looked up when needed
                with contextlib.suppress(OSError, ssl.SSLError, ValueError):
                    ctx.load_verify_locations(capath=d)
    return ctx


def _load_cert_dir(ctx: ssl.SSLContext, directory: str, limit: int = 2000) -> None:
    """Every PEM file in ``directory`` (go reads them all, not only hashed names)."""
    try:
        names = sorted(os.listdir(directory))[:limit]
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name)
        try:
            if not os.path.isfile(path) or os.path.getsize(path) > (1 << 20):
                continue
            with open(path, encoding="ascii", errors="replace") as f:
                data = f.read()
            if "-----BEGIN CERTIFICATE-----" not in data:
                continue
            ctx.load_verify_locations(cadata=data)
        except (OSError, ssl.SSLError, ValueError):
            continue


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FetchError:
    kind: ErrorKind
    #: What went wrong, in words close to go's (no URL, no credentials).
    detail: str
    #: The failure came after the response headers (while reading the body).
    after_headers: bool = False


class TransportError(OSError):
    """A request that got no (complete) answer; ``str()`` is go-like, URL-free."""

    def __init__(self, error: FetchError) -> None:
        super().__init__(error.detail)
        self.error = error


@dataclass
class Fetched:
    """One GET: the status and body, or what stopped it."""

    url: str  # with userinfo redacted
    status: int | None = None
    reason: str = ""
    content_type: str = ""
    body: bytes = b""
    #: The body went to this file (``dest``) instead of ``body``.
    file: Path | None = None
    size: int = 0
    error: FetchError | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200

    @property
    def status_text(self) -> str:
        """``200 OK``, as go's Response.Status prints it."""
        if self.status is None:
            return ""
        return f"{self.status} {self.reason}".strip()


BodyMode = Literal["bytes", "peek", "file"]


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
                    f"the body stalled: no complete answer within {_secs(budget)}",
                    after_headers=True,
                )
            else:
                result.error = FetchError("timeout", f"no answer within {_secs(budget)}")
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


def _secs(s: float) -> str:
    return f"{s:g} s" if s >= 1 else f"{s:.2g} s"


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


# --------------------------------------------------------------------------- errors


def _chain(e: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def classify_exception(e: BaseException, *, after_headers: bool = False) -> FetchError:
    """What an httpx failure means, in go's terms (no URLs, no credentials)."""
    import httpx

    chain = _chain(e)
    for x in chain:
        if isinstance(x, ssl.SSLCertVerificationError):
            reason = x.verify_message or "certificate verify failed"
            if (
                "self-signed" in reason
                or "self signed" in reason
                or "unable to get local issuer" in reason
            ):
                text = "x509: certificate signed by unknown authority"
            elif "Hostname mismatch" in reason or "IP address mismatch" in reason:
                text = "x509: certificate is valid for another name"
            elif "expired" in reason:
                text = "x509: certificate has expired or is not yet valid"
            else:
                text = f"x509: {reason}"
            return FetchError("tls", f"tls: failed to verify certificate: {text}")
        if isinstance(x, ssl.SSLError):
            return FetchError("tls", f"tls: {x.reason or x}".replace("_", " ").lower())
        if isinstance(x, socket.gaierror):
            return FetchError("dns", "no such host")
        if isinstance(x, ConnectionRefusedError):
            return FetchError("refused", "connect: connection refused")
        if isinstance(x, ConnectionResetError):
            return FetchError("reset", "read: connection reset by peer", after_headers)
    text = " ".join(str(x) for x in chain).lower()
    if isinstance(e, httpx.ConnectTimeout):
        return FetchError("connect-timeout", "connection timed out")
    if isinstance(e, (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout)):
        return FetchError("timeout", "no answer", after_headers)
    if isinstance(e, httpx.ConnectError):
        if "name or service not known" in text or "nodename nor servname" in text:
            return FetchError("dns", "no such host")
        if "refused" in text or "connect call failed" in text:
            return FetchError("refused", "connect: connection refused")
        if "ssl" in text or "tls" in text or "certificate" in text:
            return FetchError("tls", "tls: handshake failure")
        return FetchError("other", "connect: " + (str(e) or type(e).__name__))
    if isinstance(e, httpx.RemoteProtocolError):
        if "without sending complete message body" in text or "incomplete chunked" in text:
            return FetchError("truncated", "unexpected EOF", True)
        if "disconnected without sending a response" in text:
            return FetchError("closed", "EOF", after_headers)
        return FetchError("other", f"malformed HTTP response: {e}", after_headers)
    if isinstance(e, httpx.ReadError):
        if after_headers:
            return FetchError("truncated", "unexpected EOF", True)
        return FetchError("closed", "EOF")
    if isinstance(e, httpx.UnsupportedProtocol):
        return FetchError("other", f"unsupported protocol: {e}")
    if isinstance(e, httpx.ProxyError):
        return FetchError("other", f"proxy: {e}")
    return FetchError("other", str(e) or type(e).__name__, after_headers)


__all__ = [
    "MAX_SMALL_BODY",
    "MAX_ZIP",
    "ErrorKind",
    "FetchError",
    "Fetched",
    "HttpPool",
    "HttpSettings",
    "NetrcLine",
    "Timeouts",
    "TransportError",
    "classify_exception",
    "host_port",
    "make_client",
    "netrc_path",
    "parse_netrc",
    "redact_goproxy",
    "safe_url",
    "ssl_context",
]
