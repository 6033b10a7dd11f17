"""The language server's side of the network checks: what they depend on, how earlier
facts are carried into a new analysis, and the ``gomodDoctor/status`` notification.

The server runs :func:`gomod_doctor.network.gather_network` as an async task after
the local diagnostics are out (see :mod:`gomod_doctor.lsp.server`). Until a new
gather finishes, each analysis reuses the view's latest network facts
(:func:`carry_network`) when their :func:`network_scope` is still the current one:
the network findings stay in place on edits instead of blinking out and back.

Everything here is pure and cheap: no I/O, no httpx import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from gomod_doctor.checks.proxyhealth import ProxyStatus, proxy_health
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.lsp.settings import Settings
from gomod_doctor.netfacts import Comparison, NetworkFacts

#: The notification the VS Code extension's status bar listens for (status.ts).
STATUS_METHOD = "gomodDoctor/status"

Scope = tuple[object, ...]


def network_allowed(settings: Settings) -> bool:
    """``network: off`` and ``trusted: false`` mean no request at all."""
    return settings.network != "off" and settings.trusted


def network_scope(settings: Settings, env: GoEnv) -> Scope | None:
    """What network facts depend on; None when the network is not to be used."""
    if not network_allowed(settings):
        return None
    return (
        env.GOPROXY,
        env.GONOPROXY,
        env.GOPRIVATE,
        env.GONOSUMDB,
        env.GOSUMDB,
        env.GOINSECURE,
        env.GOFLAGS,
        env.GOMODCACHE,
        env.GOTOOLCHAIN,
        tuple(sorted(settings.env.items())),
    )


def _wanted_keys(facts: Facts) -> set[tuple[str, str]]:
    return {n.fetch for n in facts.needs.needs.values() if n.fetch is not None}


def carry_network(
    nf: NetworkFacts | None, facts: Facts, comparisons: Iterable[Comparison] = ()
) -> NetworkFacts | None:
    """``nf`` (gathered for an earlier analysis) as it applies to ``facts``: the
    availability of module versions the cache now holds is dropped, and the
    comparisons of module versions still needed are added."""
    wanted = _wanted_keys(facts)
    comps = [c for c in comparisons if (c.module, c.version) in wanted]
    if nf is None:
        if not comps:
            return None
        return NetworkFacts(goproxy=facts.env.GOPROXY, comparisons=comps)
    from gomod_doctor.network.availability import missing_modules

    missing = missing_modules(facts)
    return dataclasses.replace(
        nf,
        availability={k: v for k, v in nf.availability.items() if k in missing},
        comparisons=comps,
    )


def proxy_status(settings: Settings, nf: NetworkFacts | None) -> tuple[ProxyStatus, str]:
    """The module proxies' health for the status bar, and a sentence about it."""
    if not settings.trusted:
        return "off", "untrusted workspace: gomod-doctor sends no request"
    if settings.network == "off":
        return "off", "network: off: gomod-doctor sends no request"
    return proxy_health(nf)


def status_params(
    uri: str,
    facts: Facts | None,
    findings: Iterable[Finding],
    verified: int,
    settings: Settings,
    nf: NetworkFacts | None,
) -> dict[str, Any]:
    """``gomodDoctor/status`` params: ``{uri, modules, verified, problems, proxy,
    proxyDetail}``."""
    proxy, detail = proxy_status(settings, nf)
    return {
        "uri": uri,
        "modules": len(_wanted_keys(facts)) if facts is not None else 0,
        "verified": verified,
        "problems": sum(1 for f in findings if f.severity >= Severity.WARNING),
        "proxy": proxy,
        "proxyDetail": detail,
    }


__all__ = [
    "STATUS_METHOD",
    "ProxyStatus",
    "Scope",
    "carry_network",
    "network_allowed",
    "network_scope",
    "proxy_status",
    "status_params",
]
