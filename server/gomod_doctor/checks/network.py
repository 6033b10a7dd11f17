"""Network findings: a pure function of :class:`~gomod_doctor.netfacts.NetworkFacts`.

The checksum database's findings (``sumdb-mismatch`` with its triage,
``sumdb-untrusted``, ``sumdb-unreachable``) come from ``NetworkFacts.sumdb``
(:mod:`.sumdb`): a mismatch sits on the require line and on the go.sum line,
linked to each other. The words of a failed request are :mod:`.networds`'; this
module re-exports both modules' public names.

Placement follows what goes wrong. A download that will fail gives an error on
each ``require`` (or ``replace``) line of the module version (``proxy-unreachable``,
``proxy-error``, ``proxy-not-found``, ``proxy-config`` for GOPROXY=off), in place
of the ``cache-missing`` hint (:func:`gomod_doctor.checks.cache.network_blocks`). A broken
entry that no pending download trips over gives a warning on the ``module`` line.
Settings (invalid GOPROXY entries, ``insecure-setting``) sit on the ``module``
line. Every message says what the go command will do. Without network facts (the
checks did not run) there are no findings at all.
"""

from __future__ import annotations

from dataclasses import replace

from gomod_doctor.checks.cache import (
    GOSUM_SECURITY_ERROR,
    goproxy_off_message,
    gosum_mismatch_words,
)
from gomod_doctor.checks.locate import Site, findings_at, need_sites
from gomod_doctor.checks.locate import module_sites as _module_sites
from gomod_doctor.checks.networds import (
    _first_line,
    _needs_by_fetch,
    _urls,
    code_for,
    consequence,
    describe,
    go_words,
)
from gomod_doctor.checks.sumdb import (
    SUMDB_SECURITY_ERROR,
    TRIAGES,
    cache_hashes,
    gomod_mismatch_findings,
    sumdb_findings,
    sumdb_mismatch_words,
    toolchain_sumdb_findings,
)
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv.proxy import PROXY_OFF
from gomod_doctor.netfacts import (
    Comparison,
    ModuleAvailability,
    NetworkFacts,
    Verdict,
)
from gomod_doctor.network.private import goprivate_argv, suggest_private_prefix


def _known_words(nf: NetworkFacts, path: str) -> str:
    """What the proxies know of ``path`` when they lack the wanted version."""
    known = nf.known_paths.get(path)
    if known is None:
        return ""
    if known:
        shown = ", ".join(known[-3:])
        return (
            f". The proxies know {path} (versions: {shown}) but not this version: the "
            "version is wrong. Check it (go list -m -versions " + path + ")"
        )
    return f". The proxies know {path} but not this version: the version is wrong. Check it"


def _verdict_findings(
    nf: NetworkFacts, m: ModuleAvailability, v: Verdict, sites: list[Site], subject: str
) -> tuple[list[Finding], set[int]]:
    """Findings for a failing verdict, and the entries they blame. Each message starts
    with what go prints (``M@V: <go's error>``), then says what go does next."""
    # the files go must fetch (what checks.cache calls missing): this finding says
    # that the version is not in the module cache, and why go cannot fetch it
    data: dict[str, object] = {"file": v.file, "files": list(m.files), "goError": v.go_error}
    blamed: set[int] = set()

    def fail(code: str, message: str) -> tuple[list[Finding], set[int]]:
        found = findings_at(
            sites, code, Severity.ERROR, message, module=m.module, version=m.version, data=data
        )
        return found, blamed

    said = _first_line(v.go_error)
    if v.kind in ("error", "hang"):
        a = v.cause
        if a is None:
            return [], blamed
        blamed.add(a.entry.index)
        data.update(
            proxy=a.entry.url, url=a.url, reason=a.reason or a.kind, latency=round(a.latency, 3)
        )
        if v.kind == "error" and a.kind == "error" and a.entry.fallback_on_any_error:
            # every later entry failed too: go reports this one's error
            message = (
                f"{subject}: {said or go_words(a, nf)}. Every GOPROXY entry failed (after '|' "
                "the go command tries the next one), and go reports this error: the download "
                "will fail"
            )
        else:
            words = said if a.kind == "error" and said else go_words(a, nf)
            message = f"{subject}: {words}. {consequence(nf, a, pending=True)}"
        return fail(code_for(a), message)
    proxies = [a for a in v.steps if a.entry.kind == "proxy"]
    if proxies:
        data["urls"] = list(dict.fromkeys(a.url for a in proxies))
    known = _known_words(nf, m.module)
    if known:
        data["knownVersions"] = list(nf.known_paths.get(m.module, ()))
    if v.kind == "not-found":
        message = (
            f'{subject}: {said or "not found"}. Every GOPROXY entry answers "not found" '
            f"({_urls(proxies)}), so the download will fail{known}"
        )
        return fail("proxy-not-found", message)
    if v.kind == "off":
        failed = v.cause if v.cause is not None and v.cause.kind == "error" else None
        if failed is not None:
            blamed.add(failed.entry.index)
            message = (
                f"{subject}: {said or go_words(failed, nf)}. After '|' the go command goes "
                "on to off, which stops: the download will fail"
            )
            return fail(code_for(failed), message)
        if proxies:
            message = (
                f"{subject}: {said or PROXY_OFF}. The GOPROXY entries before off answer "
                f'"not found" ({_urls(proxies)}), and off stops the lookup{known}'
            )
            return fail("proxy-not-found", message)
        mv = f"{m.module}@{m.version}"
        return fail("proxy-config", goproxy_off_message(mv, subject))
    return [], blamed


def _exposed(facts: Facts, nf: NetworkFacts, m: ModuleAvailability) -> bool:
    """No proxy knows any version of the path (every proxy said "not found", for the
    version and for its ``@v/list``/``@latest``), nor does the checksum database know
    the version, and no GOPRIVATE/GONOSUMDB pattern covers the path. A single unknown
    version of a path a proxy knows is a wrong version (``proxy-not-found``)."""
    env = facts.env
    if m.private or env.is_private(m.module) or env.no_sumdb(m.module):
        return False
    if m.module in nf.known_paths:
        return False  # a proxy knows the path: a wrong version, not a private path
    key = (m.module, m.version)
    if nf.sumdb_not_found is not None and key not in nf.sumdb_not_found:
        rec = nf.sumdb.records.get(key) if nf.sumdb is not None else None
        if rec is None or rec.kind == "ok":
            return False  # the database knows it: a public module
        # the database gave no answer for it: the proxies' answers decide
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
    key = (m.module, m.version)
    also = (
        " and the checksum database"
        if nf.sumdb_not_found is not None and key in nf.sumdb_not_found
        else ""
    )
    what = (
        f"no version of {m.module}" if m.module in nf.unknown_paths else f"{m.module}@{m.version}"
    )
    message = (
        f'{m.module}@{m.version}: {hosts}{also} answer "not found" for {what}: if this is a '
        "private module, its path is sent to them on every lookup. Add its prefix to "
        "GOPRIVATE: " + " ".join(argv)
    )
    data: dict[str, object] = {
        "prefix": prefix,
        "argv": argv,
        # go env -w does not override a GOPRIVATE set in the OS environment
        "envOverrides": facts.env.sources.get("GOPRIVATE") == "env",
        "proxies": [a.entry.url for a in v.steps if a.entry.kind == "proxy"],
    }
    return findings_at(
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
        out += findings_at(
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
        out += findings_at(
            module_sites,
            "proxy-config",
            Severity.ERROR,
            f"GOPROXY={value}: {err}. Every go command that downloads fails with this error",
            data={"goproxy": value, "goError": err},
        )
    for s in nf.insecure:
        out += findings_at(
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
                tc_words = f"download {tc.toolchain} for {tc.platform}: toolchain not available"
                found = [replace(f, message=f"{f.message}; go says: {tc_words}") for f in found]
            out += found
            blamed |= who
    for index, a in sorted(nf.entry_failures().items()):
        if index in blamed:
            continue
        message = (
            f"GOPROXY entry {a.entry.url}: {go_words(a, nf)}. {consequence(nf, a, pending=False)}"
        )
        out += findings_at(
            module_sites,
            code_for(a),
            Severity.WARNING,
            message,
            data={
                "proxy": a.entry.url,
                "url": a.url,
                "reason": a.reason or a.kind,
                "latency": round(a.latency, 3),
                "goError": a.go_error,
            },
        )
    out += sumdb_findings(facts, nf)
    out += gomod_mismatch_findings(facts, nf, out)
    out += toolchain_sumdb_findings(facts, nf)
    for c in nf.comparisons:
        out += comparison_findings(facts, c)
    return out


__all__ = [
    "GOSUM_SECURITY_ERROR",
    "SUMDB_SECURITY_ERROR",
    "TRIAGES",
    "cache_hashes",
    "check",
    "code_for",
    "comparison_findings",
    "consequence",
    "describe",
    "go_words",
    "gomod_mismatch_findings",
    "gosum_mismatch_words",
    "sumdb_findings",
    "sumdb_mismatch_words",
    "toolchain_sumdb_findings",
]
