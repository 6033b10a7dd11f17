"""The words of the network findings: what a failed request was, what go prints
for it and what follows from it (for :mod:`.network` and :mod:`.sumdb`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gomod_doctor.checks.locate import Site
from gomod_doctor.facts import Facts
from gomod_doctor.netfacts import (
    Attempt,
    EntryRef,
    NetworkFacts,
)
from gomod_doctor.units import seconds
from gomod_doctor.workspace.needs import Need

_FILE_WORDS = {"info": "version info", "mod": "go.mod", "zip": "source zip", "list": "version list"}


@dataclass(frozen=True)
class _Where:
    sites: list[Site]
    module: str | None = None
    version: str | None = None


def describe(a: Attempt, nf: NetworkFacts | None = None) -> str:
    """The failure in a few words: "connection refused", "HTTP 500 Internal Server Error"."""
    connect = nf.connect_timeout if nf is not None else 3.0
    total = nf.total_timeout if nf is not None else 5.0
    if a.kind == "hang":
        return f"connected, but no answer within {seconds(total)}"
    r = a.reason
    if r == "refused":
        return "connection refused"
    if r == "dns":
        return "DNS lookup failed (no such host)"
    if r == "tls":
        detail = a.go_error.split(": ", 1)[1] if ": " in a.go_error else a.go_error
        return f"TLS failure ({detail})"
    if r == "connect-timeout":
        return f"connection timed out after {seconds(connect)}"
    if r == "reset":
        return "connection reset"
    if r == "closed":
        return "connection closed without an answer"
    if r == "http":
        status = a.go_error.split("\n", 1)[0].rsplit(": ", 1)[-1]
        return f"HTTP {status}"
    if r == "truncated":
        return "truncated response (unexpected EOF)"
    if r == "invalid":
        return f"invalid {_FILE_WORDS.get(a.file, a.file)} response"
    if r == "garbage":
        return f"garbage {_FILE_WORDS.get(a.file, a.file)}"
    if r == "too-large":
        return "response too large"
    if r == "insecure-credentials":
        return "credentials in a plain-http URL (go refuses to send them)"
    if r == "redirect":
        return "bad redirect"
    return a.go_error.split("\n", 1)[0] or "request failed"


def code_for(a: Attempt) -> str:
    if a.unreachable:
        return "proxy-unreachable"
    if a.reason == "insecure-credentials":
        return "proxy-config"
    return "proxy-error"


def _next_name(nf: NetworkFacts, e: EntryRef) -> str | None:
    nxt = [x for x in nf.entries if x.index > e.index]
    if not nxt:
        return None
    n = nxt[0]
    return n.url  # "direct", "off", or the proxy's URL (credentials redacted)


def consequence(nf: NetworkFacts, a: Attempt, *, pending: bool) -> str:
    """What go will do after this failure: ``pending`` says a download needs it now."""
    e = a.entry
    subject = "this download" if pending else "the next download that reaches it"
    if a.kind == "hang":
        return (
            f"The go command has no timeout: {subject} will hang (even '|' does not fall "
            "back from a proxy that never answers). Fix the proxy or remove it from GOPROXY"
        )
    if a.kind == "bad-content":
        return (
            f"The go command takes the {_FILE_WORDS.get(a.file, a.file)} from this proxy and "
            f"fails on it, without trying another entry: {subject} will fail. Fix the proxy"
        )
    nxt = _next_name(nf, e)
    if nxt is None:
        return f"It is the last GOPROXY entry, so {subject} will fail. Fix the proxy"
    if e.fallback_on_any_error:
        return f"With '|' the go command falls back to {nxt} on this error"
    return (
        f"With ',' the go command does not fall back to {nxt} on this error, so {subject} "
        "will fail. Fix the proxy or use '|'"
    )


def _needs_by_fetch(facts: Facts) -> dict[tuple[str, str], list[Need]]:
    out: dict[tuple[str, str], list[Need]] = {}
    for need in facts.needs.needs.values():
        if need.fetch is not None:
            out.setdefault(need.fetch, []).append(need)
    return out


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def go_words(a: Attempt, nf: NetworkFacts | None = None) -> str:
    """What the go command prints for this failed request: the first line of its error,
    which names the full URL (credentials redacted), e.g. ``reading
    https://proxy.example/example.com/m/@v/v1.2.0.info: 403 Forbidden``. go has no
    words for a proxy that never answers (it waits): then the URL and what happened."""
    if a.kind == "hang":
        total = nf.total_timeout if nf is not None else 5.0
        return f"{a.url}: connected, but no answer within {seconds(total)}"
    return _first_line(a.go_error) or f"{a.url}: {describe(a, nf)}"


def _urls(attempts: Iterable[Attempt]) -> str:
    return ", ".join(dict.fromkeys(a.url for a in attempts))


__all__ = ["code_for", "consequence", "describe", "go_words"]
