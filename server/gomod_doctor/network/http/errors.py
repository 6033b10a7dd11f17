"""What a request gives back (:class:`Fetched`, :class:`FetchError`), the one
classifier of transport failures (:func:`classify_exception`: an exception to a
kind and its detail) and the one place with go's words for them
(:func:`go_transport_text`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # httpx (tens of ms to import) loads when the first client is made
    pass

import socket
import ssl
import unicodedata
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gomod_doctor.gostrings import GO_SPACE, trim_space
from gomod_doctor.network.http.settings import ErrorKind

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


# --------------------------------------------------------------------------- go's words


def dial_address(url: str) -> str:
    """The ``host:port`` go dials for ``url`` (the scheme's port when it has none),
    as go's ``dial tcp`` errors name it."""
    try:
        netloc = urllib.parse.urlsplit(url).netloc.rsplit("@", 1)[-1]
    except ValueError:
        return ""
    if netloc and ":" not in netloc.rsplit("]", 1)[-1]:
        netloc += ":443" if url.startswith("https:") else ":80"
    return netloc


def go_transport_text(url: str, error: FetchError) -> str:
    """go's words for a GET of ``url`` (as it is to be shown: redacted) that got no
    answer: ``Get "URL": ...``, with net's ``dial tcp`` words for the failures to
    connect (go names the address it dials), else the classifier's detail."""
    detail = error.detail
    addr = dial_address(url)
    if error.kind == "refused":
        detail = f"dial tcp {addr}: connect: connection refused"
    elif error.kind == "dns":
        detail = f"dial tcp: lookup {addr.rsplit(':', 1)[0]}: no such host"
    elif error.kind == "connect-timeout":
        detail = f"dial tcp {addr}: i/o timeout"
    return f'Get "{url}": {detail}'


def transport_error_of(e: BaseException) -> FetchError:
    """The classified failure an exception stands for (a :class:`TransportError`
    carries it already)."""
    for x in _chain(e):
        if isinstance(x, TransportError):
            return x.error
    return classify_exception(e)


def _is_graphic(c: str) -> bool:
    return c.isprintable() or unicodedata.category(c) == "Zs"


def _error_detail(body: bytes) -> str:
    """The server's text as go shows it (``web`` formatErrorDetail): up to the
    first blank line, at most 8 lines and 648 bytes, only printable text."""
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


def _is_plain_text(content_type: str) -> bool:
    """``text/plain`` in UTF-8 or a subset: go reads an error detail only from those."""
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "text/plain":
        return False
    charset = ""
    for p in params.split(";"):
        k, _, v = p.strip().partition("=")
        if k.strip().lower() == "charset":
            charset = v.strip().strip('"').lower()
    return charset in ("us-ascii", "utf-8", "")


def go_http_error_text(url: str, status: str, body: bytes, content_type: str | None) -> str:
    """go's ``web.HTTPError`` text for a non-200 answer: ``reading URL: 404 Not
    Found`` and the server's text. ``url`` as it is to be shown (redacted);
    ``status`` the status line's text; ``content_type`` ``None`` when unknown (the
    body is then read as text)."""
    detail = ""
    if content_type is None or _is_plain_text(content_type):
        detail = _error_detail(body)
    if detail:
        sep = "\n\t" if "\n" in detail else " "
        return f"reading {url}: {status}\n\tserver response:{sep}{detail}"
    return f"reading {url}: {status}"
