"""How the client asks: the fetch it is given, URLs, and go's words for HTTP errors
and for requests that got no answer (those from :mod:`gomod_doctor.network.http.errors`,
the one classifier and mapping the proxy probes use too)."""

from __future__ import annotations

import http
from collections.abc import Awaitable, Callable

from gomod_doctor.goenv.neturl import URLError
from gomod_doctor.goenv.neturl import parse as parse_url
from gomod_doctor.netfacts import RecordProblem
from gomod_doctor.network.http.errors import (
    go_http_error_text,
    go_transport_text,
    transport_error_of,
)
from gomod_doctor.network.sumdb.records import FailureKind, UntrustedReason

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


def _status_text(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} status code {status}"


def http_error_text(url: str, status: int, body: bytes, content_type: str | None) -> str:
    """go's ``web.HTTPError`` text for a non-200 answer (``url`` redacted here;
    the status text is the standard one, the fetch gives no reason phrase)."""
    return go_http_error_text(redact(url), _status_text(status), body, content_type)


def redact(url: str) -> str:
    """``url`` with a password replaced by ``xxxxx`` (go's ``URL.Redacted``)."""
    try:
        return parse_url(url).redacted()
    except URLError:
        return url


def _transport_text(url: str, exc: BaseException) -> str:
    """go's words for a request that got no answer, as far as we can tell them: the
    one classifier and the one mapping to go's words (:mod:`..http.errors`)."""
    return go_transport_text(redact(url), transport_error_of(exc))


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
