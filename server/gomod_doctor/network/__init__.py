"""Network checks: GOPROXY health, availability, proxy-copy comparison, privacy.

- ``http``          the httpx client set up as the go command sets up its own
                    (HTTPS_PROXY/NO_PROXY, SSL_CERT_FILE/DIR, .netrc), every request
                    bounded, concurrency bounded
- ``proxy``         classifying answers as go's TryProxies sees them; the TTL cache
                    with backoff; entry probes
- ``availability``  the GOPROXY walk go will do for a missing module version or a
                    toolchain download
- ``compare``       proxy-copy comparison (``gomod-doctor compare-proxies M@V``)
- ``private``       what is never sent where; risky settings; the GOPRIVATE fix
- ``checksums``     the checksum-database part of a gather: needed public module
                    versions looked up and verified (``NetworkFacts.sumdb``)
- ``gather``        :func:`gather_network`, the bounded async entry point
- ``quiet``         :func:`quiet_gather`: the same facts when no request can be sent,
                    without the client or asyncio
- ``entries``       GOPROXY entries as the checks name them, and their notes
- ``sumdb``         the checksum database client

Importing this package is cheap: ``gather_network`` and friends load on first use
(``gather`` imports ``facts``). The plain data the checks read, ``NetworkFacts``, is
:mod:`gomod_doctor.netfacts`, a model beside ``facts``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gomod_doctor.network.lazy import lazy_names

if TYPE_CHECKING:
    from gomod_doctor.network.gather import gather_network, run_bounded
    from gomod_doctor.network.proxy import NetworkCache
    from gomod_doctor.network.quiet import NetworkOptions, quiet_gather

__all__ = [
    "NetworkCache",
    "NetworkOptions",
    "gather_network",
    "quiet_gather",
    "run_bounded",
]

_LAZY = {
    "gather_network": "gomod_doctor.network.gather",
    "run_bounded": "gomod_doctor.network.gather",
    "NetworkOptions": "gomod_doctor.network.quiet",
    "quiet_gather": "gomod_doctor.network.quiet",
    "NetworkCache": "gomod_doctor.network.proxy",
}


__getattr__ = lazy_names(__name__, _LAZY, globals())
