"""How the client asks: the fetch it is given, URLs, and go's words for HTTP errors
and for requests that got no answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

import http
import socket
import unicodedata
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from gomod_doctor.goenv.neturl import URLError
from gomod_doctor.goenv.neturl import parse as parse_url
from gomod_doctor.gostrings import GO_SPACE, trim_space
from gomod_doctor.network.sumdb.records import FailureKind, RecordProblem, UntrustedReason

#: The most a checksum database answer may hold (tiles are 8 KiB, lookups less).
MAX_BODY = 4 << 20

# --------------------------------------------------------------------------- HTTP


Fetch = Callable[[str], Awaitable["tuple[int, bytes] | tuple[int, bytes, str]"]]
"""``fetch(url) -> (status, body[, content type])``. It may raise: any exception
is a transport error (not a "not found")."""


def join_url(base: str, path: str) -> str:
    """``web.Join``: ``path`` appended to ``base``'s path with one ``/``."""
    if not path:
        return base
    head, sep, query = base.partition("?")
    frag = ""
    if not sep:
        head, _, frag = base.partition("#")
    scheme_end = head.find("://")
    slash = head.find("/", scheme_end + 3 if scheme_end >= 0 else 0)
    root, p = (head, "") if slash < 0 else (head[:slash], head[slash:])
    out = root + p.removesuffix("/") + "/" + path.removeprefix("/")
    if sep:
        out += "?" + query
    elif frag:
        out += "#" + frag
    return out


def _is_graphic(c: str) -> bool:
    return c.isprintable() or unicodedata.category(c) == "Zs"


def _error_detail(body: bytes) -> str:
    """The server's text as go shows it (``web`` errorDetail): up to the first
    blank line, at most 8 lines and 648 bytes, only printable text."""
    try:
        s = body[: 8 * 81 * 2].decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if any(not _is_graphic(c) and c not in GO_SPACE for c in s):
        return ""
    out: list[str] = []
    size = 0
    for i, line in enumerate(s.split("\n")):
        if trim_space(line) == "":
            break
        if i > 0:
            out.append("\n\t")
            size += 2
        if i >= 8:
            out.append("[Truncated: too many lines.]")
            break
        if size + len(line.encode()) > 8 * 81:
            out.append("[Truncated: too long.]")
            break
        out.append(line)
        size += len(line.encode())
    return "".join(out)


def _status_text(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} status code {status}"


def http_error_text(url: str, status: int, body: bytes, content_type: str | None) -> str:
    """go's ``web.HTTPError`` text for a non-200 answer."""
    detail = ""
    if content_type is None or _is_plain_text(content_type):
        detail = _error_detail(body)
    url = redact(url)
    if detail:
        sep = "\n\t" if "\n" in detail else " "
        return f"reading {url}: {_status_text(status)}\n\tserver response:{sep}{detail}"
    return f"reading {url}: {_status_text(status)}"


def _is_plain_text(content_type: str) -> bool:
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "text/plain":
        return False
    charset = ""
    for p in params.split(";"):
        k, _, v = p.strip().partition("=")
        if k.strip().lower() == "charset":
            charset = v.strip().strip('"').lower()
    return charset in ("us-ascii", "utf-8", "")


def redact(url: str) -> str:
    """``url`` with a password replaced by ``xxxxx`` (go's ``URL.Redacted``)."""
    try:
        return parse_url(url).redacted()
    except URLError:
        return url


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and all(cur is not x for x in out):
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _transport_text(url: str, exc: BaseException) -> str:
    """go's words for a request that got no answer, as far as we can tell them."""
    import httpx

    try:
        u = parse_url(url)
        host = u.text_host
    except URLError:
        host = ""
    if host and ":" not in host.rsplit("]", 1)[-1]:
        host += ":443" if url.startswith("https:") else ":80"
    text = str(exc) or type(exc).__name__
    for x in _chain(exc):
        if isinstance(x, ConnectionRefusedError):
            text = f"dial tcp {host}: connect: connection refused"
            break
        if isinstance(x, socket.gaierror):
            text = f"dial tcp: lookup {host.rsplit(':', 1)[0]}: no such host"
            break
        if isinstance(x, ConnectionResetError):
            text = "read: connection reset by peer"
            break
        if isinstance(x, httpx.ConnectTimeout):
            text = f"dial tcp {host}: i/o timeout"
            break
        if isinstance(x, httpx.TimeoutException):
            text = "timeout awaiting response"
            break
    return f'Get "{redact(url)}": {text}'


class _Failure(Exception):
    """A lookup failure on its way out (kind, reason, go's message)."""

    def __init__(
        self,
        kind: FailureKind,
        message: str,
        *,
        reason: UntrustedReason | None = None,
        url: str | None = None,
        status: int | None = None,
        problem: RecordProblem | None = None,
    ) -> None:
        super().__init__(message)
        self.kind: FailureKind = kind
        self.message = message
        self.reason: UntrustedReason | None = reason
        self.url = url
        self.status = status
        self.problem = problem

    def wrap(self, prefix: str) -> _Failure:
        return _Failure(
            self.kind,
            prefix + self.message,
            reason=self.reason,
            url=self.url,
            status=self.status,
            problem=self.problem,
        )


async def _call_fetch(fetch: Fetch, url: str) -> tuple[int, bytes, str | None]:
    got = await fetch(url)
    if len(got) == 3:
        return got[0], got[1], got[2]
    return got[0], got[1], None
