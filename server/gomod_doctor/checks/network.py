"""Network findings: a pure function of :class:`~gomod_doctor.network.model.NetworkFacts`.

Placement follows what goes wrong. A download that will fail gives an error on
each ``require`` (or ``replace``) line of the module version (``proxy-unreachable``,
``proxy-error``, ``proxy-not-found``, ``proxy-config`` for GOPROXY=off). A broken
entry that no pending download trips over gives a warning on the ``module`` line.
Settings (invalid GOPROXY entries, ``insecure-setting``) sit on the ``module``
line. Every message says what the go command will do. Without network facts (the
checks did not run) there are no findings at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from gomod_doctor.checks.locate import Site, need_sites
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.network.model import (
    Attempt,
    Comparison,
    EntryRef,
    ModuleAvailability,
    NetworkFacts,
    Verdict,
)
from gomod_doctor.network.private import goprivate_argv, suggest_private_prefix
from gomod_doctor.position import Position, Range
from gomod_doctor.workspace.needs import Need

_FILE_WORDS = {"info": "version info", "mod": "go.mod", "zip": "source zip", "list": "version list"}


@dataclass(frozen=True)
class _Where:
    sites: list[Site]
    module: str | None = None
    version: str | None = None


def _secs(s: float) -> str:
    return f"{s:g} s" if s >= 1 else f"{s:.1f} s"


def describe(a: Attempt, nf: NetworkFacts | None = None) -> str:
    """The failure in a few words: "connection refused", "HTTP 500 Internal Server Error"."""
    connect = nf.connect_timeout if nf is not None else 3.0
    total = nf.total_timeout if nf is not None else 5.0
    if a.kind == "hang":
        return f"connected, but no answer within {_secs(total)}"
    r = a.reason
    if r == "refused":
        return "connection refused"
    if r == "dns":
        return "DNS lookup failed (no such host)"
    if r == "tls":
        detail = a.go_error.split(": ", 1)[1] if ": " in a.go_error else a.go_error
        return f"TLS failure ({detail})"
    if r == "connect-timeout":
        return f"connection timed out after {_secs(connect)}"
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
    return "direct" if n.kind == "direct" else ("off" if n.kind == "off" else n.name)


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


def _module_sites(facts: Facts) -> list[Site]:
    out: list[Site] = []
    for m in facts.snapshot.modules:
        if m.mod is not None and m.mod.module is not None:
            out.append(Site(str(m.gomod.path), m.mod.module.syntax.range))
    if not out:
        work = facts.snapshot.work_file
        if work is not None:
            zero = Range(Position(1, 1, 0), Position(1, 1, 0))
            out.append(Site(str(work.path), zero))
    return out


def _needs_by_fetch(facts: Facts) -> dict[tuple[str, str], list[Need]]:
    out: dict[tuple[str, str], list[Need]] = {}
    for need in facts.needs.needs.values():
        if need.fetch is not None:
            out.setdefault(need.fetch, []).append(need)
    return out


def _emit(
    where: Iterable[Site],
    code: str,
    sev: Severity,
    message: str,
    *,
    module: str | None = None,
    version: str | None = None,
    fixes: tuple[str, ...] = (),
    data: dict[str, object] | None = None,
) -> list[Finding]:
    payload: dict[str, object] = {}
    if module is not None:
        payload.update(module=module, version=version)
    payload.update(data or {})
    return [
        Finding(
            s.path,
            s.range,
            code,
            sev,
            message,
            module=module,
            version=version,
            fixes=fixes,
            data=dict(payload),
        )
        for s in where
    ]


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def _verdict_findings(
    nf: NetworkFacts, m: ModuleAvailability, v: Verdict, sites: list[Site], subject: str
) -> tuple[list[Finding], set[int]]:
    """Findings for a failing verdict, and the entries they blame."""
    mv = f"{m.module}@{m.version}"
    data: dict[str, object] = {"file": v.file, "goError": v.go_error}
    blamed: set[int] = set()
    if v.kind in ("error", "hang"):
        a = v.cause
        if a is None:
            return [], blamed
        blamed.add(a.entry.index)
        data.update(proxy=a.entry.url, reason=a.reason or a.kind, latency=round(a.latency, 3))
        if v.kind == "error" and a.kind == "error" and a.entry.fallback_on_any_error:
            # every later entry failed too: go reports this one's error
            head = f"{subject}: every GOPROXY entry failed; the download will fail with"
            message = f"{head} go's error from {a.entry.name}: {_first_line(v.go_error)}"
        else:
            message = (
                f"{subject}: {a.entry.name}: {describe(a, nf)}. {consequence(nf, a, pending=True)}"
            )
            if a.kind == "error":
                message += f" (go: {_first_line(v.go_error)})"
        return (
            _emit(
                sites,
                code_for(a),
                Severity.ERROR,
                message,
                module=m.module,
                version=m.version,
                data=data,
            ),
            blamed,
        )
    proxies = [a for a in v.steps if a.entry.kind == "proxy"]
    hosts = ", ".join(a.entry.name for a in proxies)
    if v.kind == "not-found":
        message = (
            f"{subject}: not found on any GOPROXY entry ({hosts} answered 404/410), so the "
            f"download will fail (go: {_first_line(v.go_error) or 'not found'})"
        )
        return (
            _emit(
                sites,
                "proxy-not-found",
                Severity.ERROR,
                message,
                module=m.module,
                version=m.version,
                data=data,
            ),
            blamed,
        )
    if v.kind == "off":
        failed = v.cause if v.cause is not None and v.cause.kind == "error" else None
        if failed is not None:
            blamed.add(failed.entry.index)
            message = (
                f"{subject}: {failed.entry.name}: {describe(failed, nf)}; after '|' the go "
                f"command goes on to off, which stops: the download will fail "
                f"(go: {_first_line(v.go_error)})"
            )
            return (
                _emit(
                    sites,
                    code_for(failed),
                    Severity.ERROR,
                    message,
                    module=m.module,
                    version=m.version,
                    data=data,
                ),
                blamed,
            )
        if proxies:
            message = (
                f"{subject}: not found on {hosts}, and GOPROXY then says off: "
                f"{mv}: module lookup disabled by GOPROXY=off"
            )
            return (
                _emit(
                    sites,
                    "proxy-not-found",
                    Severity.ERROR,
                    message,
                    module=m.module,
                    version=m.version,
                    data=data,
                ),
                blamed,
            )
        message = (
            f"{subject} is not in the module cache and GOPROXY={nf.goproxy.strip()}: "
            f"{mv}: module lookup disabled by GOPROXY=off"
        )
        return (
            _emit(
                sites,
                "proxy-config",
                Severity.ERROR,
                message,
                module=m.module,
                version=m.version,
                data=data,
            ),
            blamed,
        )
    return [], blamed


def _exposed(facts: Facts, nf: NetworkFacts, m: ModuleAvailability) -> bool:
    """Every proxy said "not found" (and the checksum database, when asked), and no
    GOPRIVATE/GONOSUMDB pattern covers the path."""
    env = facts.env
    if m.private or env.is_private(m.module) or env.no_sumdb(m.module):
        return False
    if nf.sumdb_not_found is not None and (m.module, m.version) not in nf.sumdb_not_found:
        return False
    v = m.outcome
    if v is None or v.kind not in ("not-found", "direct", "off"):
        return False
    if any(a.kind != "not-found" for w in m.verdicts for a in w.steps):
        return False  # some proxy has (some of) it, or did not answer
    return any(a.entry.kind == "proxy" for a in v.steps)


def _private_findings(
    facts: Facts, nf: NetworkFacts, m: ModuleAvailability, sites: list[Site]
) -> list[Finding]:
    v = m.outcome
    assert v is not None
    hosts = ", ".join(dict.fromkeys(a.entry.name for a in v.steps if a.entry.kind == "proxy"))
    prefix = suggest_private_prefix(m.module)
    argv = goprivate_argv(facts.env.GOPRIVATE, prefix)
    also = " and the checksum database" if nf.sumdb_not_found is not None else ""
    message = (
        f'{m.module}@{m.version}: {hosts}{also} answer "not found": if this is a private '
        "module, its path is sent to them on every lookup. Add its prefix to GOPRIVATE: "
        + " ".join(argv)
    )
    data: dict[str, object] = {
        "prefix": prefix,
        "argv": argv,
        # go env -w does not override a GOPRIVATE set in the OS environment
        "envOverrides": facts.env.sources.get("GOPRIVATE") == "env",
        "proxies": [a.entry.url for a in v.steps if a.entry.kind == "proxy"],
    }
    return _emit(
        sites,
        "private-path-exposed",
        Severity.WARNING,
        message,
        module=m.module,
        version=m.version,
        fixes=("set-goprivate",),
        data=data,
    )


def comparison_findings(facts: Facts, c: Comparison) -> list[Finding]:
    """``proxy-tampered`` for each proxy whose copy of ``c``'s module differs."""
    needs = _needs_by_fetch(facts).get((c.module, c.version), [])
    sites = [s for n in needs for s in need_sites(n)] or _module_sites(facts)
    out: list[Finding] = []
    for copy in c.tampered:
        parts: list[str] = []
        if "zip" in copy.differs:
            want = c.sumdb_zip or c.gosum_zip
            got = copy.zip_hash if copy.zip_hash != "unreadable" else "an unreadable zip"
            parts.append(f"its zip hashes to {got}, {c.reference} says {want}")
        if "mod" in copy.differs:
            want = c.sumdb_mod or c.gosum_mod
            parts.append(f"its go.mod hashes to {copy.mod_hash}, {c.reference} says {want}")
        message = (
            f"{c.module}@{c.version}: the copy served by {copy.entry.name} differs from "
            f"{c.reference}: " + "; ".join(parts) + ". The go command rejects it with "
            "'checksum mismatch' (or, without a go.sum line and with GOSUMDB=off, "
            "builds with it). Stop using this proxy and report it"
        )
        out += _emit(
            sites,
            "proxy-tampered",
            Severity.ERROR,
            message,
            module=c.module,
            version=c.version,
            fixes=("redownload",),
            data={
                "proxy": copy.entry.url,
                "differs": list(copy.differs),
                "zipHash": copy.zip_hash,
                "modHash": copy.mod_hash,
                "reference": c.reference,
            },
        )
    return out


def check(facts: Facts) -> list[Finding]:
    nf = facts.network
    if nf is None:
        return []
    out: list[Finding] = []
    module_sites = _module_sites(facts)
    value = nf.goproxy
    for err in nf.config_errors:
        out += _emit(
            module_sites,
            "proxy-config",
            Severity.ERROR,
            f"GOPROXY={value}: {err}. Every go command that downloads fails with this error",
            data={"goproxy": value, "goError": err},
        )
    for s in nf.insecure:
        out += _emit(
            module_sites,
            "insecure-setting",
            Severity.INFORMATION,
            f"{s.key}={s.value}: {s.risk}",
            data={"key": s.key, "value": s.value},
        )
    by_fetch = _needs_by_fetch(facts)
    blamed: set[int] = set()
    for key, m in nf.availability.items():
        sites = [s for n in by_fetch.get(key, []) for s in need_sites(n)]
        if not sites:
            continue
        v = m.outcome
        if v is None:
            continue
        subject = f"{m.module}@{m.version}"
        if v.fails:
            found, who = _verdict_findings(nf, m, v, sites, subject)
            out += found
            blamed |= who
        if _exposed(facts, nf, m):
            out += _private_findings(facts, nf, m, sites)
    tc = nf.toolchain
    if tc is not None:
        v = tc.availability.outcome
        if v is not None and v.fails:
            tc_sites = [Site(tc.file, tc.range)] if tc.file and tc.range is not None else []
            sites = tc_sites or module_sites
            mv = f"{tc.availability.module}@{tc.availability.version}"
            subject = f"toolchain {tc.toolchain} ({tc.reason}; module {mv})"
            found, who = _verdict_findings(nf, tc.availability, v, sites, subject)
            if v.kind == "not-found":
                # toolchain.Exec's words when no entry has it
                go_words = f"download {tc.toolchain} for {tc.platform}: toolchain not available"
                found = [replace(f, message=f"{f.message}; go says: {go_words}") for f in found]
            out += found
            blamed |= who
    for index, a in sorted(nf.entry_failures().items()):
        if index in blamed:
            continue
        message = f"{a.entry.name}: {describe(a, nf)}. {consequence(nf, a, pending=False)}"
        if a.kind == "error":
            message += f" (go: {_first_line(a.go_error)})"
        out += _emit(
            module_sites,
            code_for(a),
            Severity.WARNING,
            message,
            data={
                "proxy": a.entry.url,
                "reason": a.reason or a.kind,
                "latency": round(a.latency, 3),
                "goError": a.go_error,
            },
        )
    for c in nf.comparisons:
        out += comparison_findings(facts, c)
    return out


__all__ = ["check", "code_for", "comparison_findings", "consequence", "describe"]
