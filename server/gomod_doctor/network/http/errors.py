"""What a request gives back (:class:`Fetched`, :class:`FetchError`), and the one
classifier of transport failures in go's terms (:func:`classify_exception`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # httpx (tens of ms to import) loads when the first client is made
    pass

import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

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
