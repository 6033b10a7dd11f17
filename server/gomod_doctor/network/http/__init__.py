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

The package: :mod:`.settings` (limits, URLs, netrc, what the environment asks
for), :mod:`.tls`, :mod:`.errors` (the results, and the one classifier of transport
failures, and the one place with go's words for them) and :mod:`.pool` (the clients); it re-exports their API, each name loaded on first
use (the settings need no httpx, ssl or asyncio).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gomod_doctor.network.lazy import lazy_names

if TYPE_CHECKING:
    from gomod_doctor.network.http.errors import (
        Fetched,
        FetchError,
        TransportError,
        classify_exception,
        dial_address,
        go_transport_text,
        transport_error_of,
    )
    from gomod_doctor.network.http.pool import HttpPool, make_client
    from gomod_doctor.network.http.settings import (
        MAX_SMALL_BODY,
        MAX_ZIP,
        ErrorKind,
        HttpSettings,
        NetrcLine,
        Timeouts,
        host_port,
        netrc_path,
        parse_netrc,
        redact_goproxy,
        safe_url,
    )
    from gomod_doctor.network.http.tls import ssl_context

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
    "dial_address",
    "go_transport_text",
    "host_port",
    "make_client",
    "netrc_path",
    "parse_netrc",
    "redact_goproxy",
    "safe_url",
    "ssl_context",
    "transport_error_of",
]

_LAZY = {
    "Fetched": "gomod_doctor.network.http.errors",
    "FetchError": "gomod_doctor.network.http.errors",
    "TransportError": "gomod_doctor.network.http.errors",
    "classify_exception": "gomod_doctor.network.http.errors",
    "dial_address": "gomod_doctor.network.http.errors",
    "go_transport_text": "gomod_doctor.network.http.errors",
    "transport_error_of": "gomod_doctor.network.http.errors",
    "HttpPool": "gomod_doctor.network.http.pool",
    "make_client": "gomod_doctor.network.http.pool",
    "MAX_SMALL_BODY": "gomod_doctor.network.http.settings",
    "MAX_ZIP": "gomod_doctor.network.http.settings",
    "ErrorKind": "gomod_doctor.network.http.settings",
    "HttpSettings": "gomod_doctor.network.http.settings",
    "NetrcLine": "gomod_doctor.network.http.settings",
    "Timeouts": "gomod_doctor.network.http.settings",
    "host_port": "gomod_doctor.network.http.settings",
    "netrc_path": "gomod_doctor.network.http.settings",
    "parse_netrc": "gomod_doctor.network.http.settings",
    "redact_goproxy": "gomod_doctor.network.http.settings",
    "safe_url": "gomod_doctor.network.http.settings",
    "ssl_context": "gomod_doctor.network.http.tls",
}


__getattr__ = lazy_names(__name__, _LAZY, globals())
