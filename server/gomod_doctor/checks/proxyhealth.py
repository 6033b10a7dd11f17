"""The module proxies' health: the verdict the status bar shows, from the network facts.

``ok``, ``degraded`` (a proxy failing while another answers, one slower than
:data:`SLOW_PROXY`, or the checksum database unreachable), ``unreachable`` (every
proxy probed failed), ``off`` (nothing is asked: offline, ``GOPROXY=off``) or
``unknown`` (nothing was asked yet), with a sentence saying why.
"""

from __future__ import annotations

from typing import Literal

from gomod_doctor.checks.network import describe
from gomod_doctor.netfacts import NetworkFacts

__all__ = ["SLOW_PROXY", "ProxyStatus", "proxy_health"]

ProxyStatus = Literal["ok", "degraded", "unreachable", "off", "unknown"]

#: A proxy answering slower than this (seconds) makes the status "degraded".
SLOW_PROXY = 2.0


def _describe(nf: NetworkFacts, index: int) -> str:
    for p in nf.probes:
        if p.entry.index == index and p.attempt is not None:
            return f"{p.entry.name}: {describe(p.attempt, nf)}"
    return ""


def proxy_health(nf: NetworkFacts | None) -> tuple[ProxyStatus, str]:
    """The proxies' health as the network facts ``nf`` show it, and a sentence about it."""
    if nf is None:
        return "unknown", "the proxies have not been checked yet"
    if nf.offline:
        return "off", "offline: gomod-doctor sends no request"
    if nf.config_errors:
        return "unreachable", f"GOPROXY={nf.goproxy}: {nf.config_errors[0]}"
    proxies = [e for e in nf.entries if e.kind == "proxy"]
    if not proxies:
        if any(e.kind == "off" for e in nf.entries) and not any(
            e.kind == "direct" for e in nf.entries
        ):
            return "off", "GOPROXY=off: the go command downloads nothing"
        return "unknown", "GOPROXY names no proxy: modules come from their repositories"
    probed = [p for p in nf.probes if p.entry.kind == "proxy" and p.healthy is not None]
    if not probed:
        why = (
            "the network checks ran out of time"
            if nf.deadline_hit
            else "no needed public module to ask the proxies about"
        )
        return "unknown", why
    bad = [p for p in probed if not p.healthy]
    parts: list[str] = []
    for p in probed:
        a = p.attempt
        assert a is not None
        if p.healthy:
            parts.append(f"{p.entry.name}: ok ({a.latency * 1000:.0f} ms)")
        else:
            parts.append(_describe(nf, p.entry.index))
    status: ProxyStatus = "ok"
    if bad and len(bad) == len(probed):
        status = "unreachable"
    elif bad or any(p.attempt is not None and p.attempt.latency > SLOW_PROXY for p in probed):
        status = "degraded"
    sf = nf.sumdb
    if sf is not None:
        down = sf.failures("unreachable", "server-error", "untrusted")
        if sf.config_error:
            parts.append(f"checksum database: {sf.config_error}")
        elif down:
            parts.append(
                f"checksum database {sf.name}: "
                + ("answers fail verification" if down[0].kind == "untrusted" else "unreachable")
            )
        if (sf.config_error or down) and status == "ok":
            status = "degraded"
    return status, "; ".join(x for x in parts if x)
