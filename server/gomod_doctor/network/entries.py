"""GOPROXY entries as the network checks name them, and what they say without a request.

Light on purpose (no client, no asyncio): the network part that cannot send a single
request (:mod:`gomod_doctor.network.quiet`) uses these, and so does the one that
can (:mod:`gomod_doctor.network.proxy`, :mod:`gomod_doctor.network.gather`).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from dataclasses import replace

from gomod_doctor.goenv.proxy import ProxyEntry, ProxyList
from gomod_doctor.netfacts import Attempt, EntryRef, FileKind, ProbeResult
from gomod_doctor.network.http.settings import safe_url


def entry_refs(proxies: ProxyList) -> list[EntryRef]:
    out: list[EntryRef] = []
    for i, e in enumerate(proxies.entries):
        if e.kind == "proxy":
            url = safe_url(e.url)
            host = _host_of(e.url) if e.scheme in ("http", "https") else url
            out.append(EntryRef(i, "proxy", url, e.fallback_on_any_error, host))
        else:
            out.append(EntryRef(i, e.kind, e.kind, e.fallback_on_any_error, e.kind))
    return out


def _host_of(url: str) -> str:
    try:
        netloc = urllib.parse.urlsplit(url).netloc
    except ValueError:
        return safe_url(url)
    return netloc.rsplit("@", 1)[-1]


def raw_urls(entries: Sequence[ProxyEntry]) -> dict[int, str]:
    return {i: e.url for i, e in enumerate(entries) if e.kind == "proxy"}


def unsent(entry: EntryRef, file: FileKind, *, private: bool) -> Attempt:
    """The answer to a request that is never sent: a GOPRIVATE/GONOPROXY path, or no
    client at all (offline, an invalid GOPROXY)."""
    skipped = Attempt(entry, entry.url, file, "skipped")
    if private:
        return replace(skipped, reason="private", go_error="not sent: GOPRIVATE/GONOPROXY")
    return replace(skipped, reason="offline")


def probe_note(entry: EntryRef, target: tuple[str, str] | None) -> ProbeResult | None:
    """The probe of ``entry`` when it takes no request (None: it asks ``target``)."""
    if entry.kind == "direct":
        return ProbeResult(
            entry, note="direct: the go command asks the version control repository (not probed)"
        )
    if entry.kind == "off":
        return ProbeResult(entry, note="off: the go command stops here")
    if target is None:
        return ProbeResult(entry, note="not probed: no needed public module to ask about")
    return None


def unprobed(entries: Sequence[EntryRef], *, offline: bool) -> list[ProbeResult]:
    """The probes when there is no client: offline, or GOPROXY is invalid."""
    why = "offline: nothing is sent" if offline else "GOPROXY is invalid"
    return [ProbeResult(e, note=why) for e in entries]


__all__ = ["entry_refs", "probe_note", "raw_urls", "unprobed", "unsent"]
