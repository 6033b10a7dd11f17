"""The checksum database's findings (``sumdb-mismatch`` with its triage,
``sumdb-untrusted``, ``sumdb-unreachable``, the toolchain's and the go.mod copies'
mismatches): pure functions of ``NetworkFacts.sumdb``. A mismatch sits on the
require line and on the go.sum line, linked to each other.
(:func:`gomod_doctor.checks.network.check` runs them.)"""

from __future__ import annotations

from collections.abc import Iterable

from gomod_doctor.checks.cache import (
    GOSUM_SECURITY_ERROR,
    gosum_mismatch_words,
    lacks_sum_line,
)
from gomod_doctor.checks.locate import Site, at_sites_and_sum_line, findings_at, need_sites
from gomod_doctor.checks.locate import module_sites as _module_sites
from gomod_doctor.checks.networds import _first_line, _needs_by_fetch
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, RelatedInfo, Severity
from gomod_doctor.netfacts import (
    NetworkFacts,
    SumdbFacts,
    SumdbRecord,
)
from gomod_doctor.workspace.needs import Need

#: go's words after a go.sum mismatch (modfetch goSumMismatch) and after a checksum
#: database mismatch (modfetch sumdbMismatch).
SUMDB_SECURITY_ERROR = (
    "\n\nSECURITY ERROR\n"
    "This download does NOT match the one reported by the checksum server.\n"
    "The bits may have been replaced on the origin server, or an attacker may\n"
    "have intercepted the download attempt.\n\n"
    "For more information, see 'go help module-auth'."
)

#: Triage of a sumdb-mismatch (``data.triage``).
#: ``gosum``        go.sum is wrong (the cache agrees with the database, or has nothing)
#: ``cache``        the module cache is wrong (go.sum agrees with the database, or lacks
#:                  the line)
#: ``gosum+cache``  both are wrong, each differently
#: ``security``     go.sum and the cache agree, the database differs: go's SECURITY ERROR
#: ``download``     neither has it: the go.mod the GOPROXY serves (fetched for the module
#:                  graph) differs from the database: go's SECURITY ERROR when it loads it
TRIAGES = ("gosum", "cache", "gosum+cache", "security", "download")


def sumdb_mismatch_words(
    path: str, version: str, gomod: bool, downloaded: str, db_name: str, db_hash: str
) -> str:
    """go's error when a download (or a cached copy) differs from the checksum
    database's record (modfetch checkSumDB)."""
    noun = "go.mod" if gomod else "module"
    return (
        f"{path}@{version}: verifying {noun}: checksum mismatch\n"
        f"\tdownloaded: {downloaded}\n"
        f"\t{db_name}: {db_hash}" + SUMDB_SECURITY_ERROR
    )


def cache_hashes(facts: Facts, key: tuple[str, str], gomod: bool) -> set[str]:
    """What the module cache vouches for: the cached ``.mod``'s hash, or the
    ``.ziphash`` (and, after full verification, the zip's own hash)."""
    st = facts.cache.get(key)
    if st is None or st.files is None:
        return set()
    if gomod:
        return {st.mod_h1} if st.mod_h1 and not st.mod_empty else set()
    out: set[str] = set()
    if st.ziphash_value:
        out.add(st.ziphash_value)
    full = facts.full.get(key) if facts.full is not None else None
    if full is not None and full.zip_present and full.zip_h1:
        out.add(full.zip_h1)
    return out


def _is_hang(message: str) -> bool:
    first = _first_line(message)
    return any(w in first for w in ("no answer", "stalled", "timeout awaiting", "i/o timeout"))


def _untrusted_words(rec: SumdbRecord, go_error: str) -> str:
    """The part of go's message that says what failed (the SECURITY ERROR head of a
    forked log, what a malformed record lacks, else the first line)."""
    p = rec.problem
    if p is not None:
        what = f"{rec.module}@{rec.version}" + ("/go.mod" if p.gomod else "")
        lacks = (
            f"gives {p.value}, not a well-formed h1: hash"
            if p.value is not None
            else "has no h1: hash"
        )
        head = _first_line(go_error.removeprefix(f"{rec.module}@{rec.version}: "))
        return f"its record (signed, in the log) {lacks} for {what} (go: {head} ... SECURITY ERROR)"
    if "misbehavior detected" in rec.message:
        return "SECURITY ERROR: go.sum database server misbehavior detected!"
    return _first_line(rec.message)


def _untrusted_go_error(facts: Facts, sf: SumdbFacts, rec: SumdbRecord) -> str:
    """go's error for an untrusted answer; for a malformed record, the words go prints
    against the hash of the cached copy, when the cache has one."""
    p = rec.problem
    if p is None or p.value is None:
        return rec.go_error
    st = facts.cache.get((rec.module, rec.version))
    got: str | None = None
    if st is not None and st.files is not None:
        got = (st.mod_h1 if not st.mod_empty else None) if p.gomod else st.ziphash_value
    if not got:
        return rec.go_error
    return f"{rec.module}@{rec.version}: " + p.go_words(sf.name, got)


def _sumdb_where(sf: SumdbFacts) -> str:
    name = sf.name or "the checksum database"
    if sf.proxy:
        return f"{name} (through {sf.proxy})"
    if sf.base and sf.base != f"https://{sf.name}":
        return f"{name} ({sf.base})"
    return name


def _list(mvs: list[str], limit: int = 3) -> str:
    shown = ", ".join(mvs[:limit])
    return shown + (f" and {len(mvs) - limit} more" if len(mvs) > limit else "")


def _mismatch_message(
    triage: str,
    mv: str,
    what: str,
    name: str,
    db: str,
    gosum: str | None,
    cache: str | None,
    go_words: str,
) -> str:
    if triage == "gosum":
        agree = ", and the module cache agrees with the database" if cache else ""
        return (
            f"{mv}: go.sum's {what} line says {gosum}, but the checksum database {name}'s "
            f"verified record says {db}{agree}: go.sum is wrong. The go command rejects the "
            f"module with 'checksum mismatch' when it downloads or verifies it (go: "
            f"{_first_line(go_words)} ... SECURITY ERROR). Replace the go.sum line with the "
            "database's value"
        )
    if triage == "gosum+cache":
        return (
            f"{mv}: go.sum's {what} line says {gosum} and the module cache holds {cache}, but "
            f"the checksum database {name}'s verified record says {db}: go.sum and the cache "
            "are both wrong. Replace the go.sum line with the database's value, then "
            "redownload"
        )
    if triage == "cache":
        if gosum is not None:
            return (
                f"{mv}: the module cache's {what} hashes to {cache}, but the checksum "
                f"database {name}'s verified record says {db}, as go.sum does: the cache is "
                "wrong. The go command fails on it with 'checksum mismatch'. Redownload it"
            )
        return (
            f"{mv}: the module cache's {what} hashes to {cache}, but the checksum database "
            f"{name}'s verified record says {db}: the cache is wrong. go.sum has no line for "
            "it yet; when go adds one it checks the cached copy against the database and "
            f"refuses it:\n{go_words}\nRedownload it"
        )
    return (
        f"{mv}: SECURITY ERROR: go.sum and the module cache agree on {gosum} for the {what}, "
        f"but the checksum database {name}'s verified record says {db}. Do not copy the "
        "database's value into go.sum: the bits themselves are in question. The go command "
        "never asks "
        "the database about a line go.sum already has, so it builds with these bits "
        "without a word; without the go.sum line it refuses them:\n"
        f"{go_words}\n"
        "They were probably fetched from a proxy or repository serving altered code while "
        "checks were off (GOSUMDB=off, GONOSUMDB, GOFLAGS=-insecure): find out where "
        "(compare the proxies' copies) and don't trust them"
    )


def _download_mismatch_message(
    facts: Facts, needs: list[Need], mv: str, name: str, db: str, downloaded: str, go_words: str
) -> str:
    """``download`` triage: the proxy's go.mod of a module the cache lacks differs from
    the database's record, and go.sum has no line to say otherwise."""
    chain = next((n.chain for n in needs if n.chain and not n.requires), ())
    prefix = "".join(f"{p}@{v} requires\n\t" for p, v in chain[:-1])
    return (
        f"{prefix}{go_words}\n\n({mv} is not in the module cache and go.sum has no line for "
        f"it: the go.mod the GOPROXY serves hashes to {downloaded}, but the checksum "
        f"database {name}'s verified record says {db}. go refuses it when it loads the "
        "module graph. Do not add the downloaded hash to go.sum: compare the proxies' "
        "copies)"
    )


def _mismatch_findings(
    facts: Facts, sf: SumdbFacts, rec: SumdbRecord, needs: list[Need]
) -> list[Finding]:
    key = (rec.module, rec.version)
    sites = [s for n in needs for s in need_sites(n)]
    downloads = facts.network.gomod_sumdb_mismatches if facts.network is not None else {}
    out: list[Finding] = []
    for gomod in (True, False):
        db = rec.mod_hash if gomod else rec.zip_hash
        if db is None:
            continue
        lines = facts.sum_lines(*key, gomod)
        entry = lines[0] if lines else None
        gosum = entry[1].hash if entry is not None else None
        cache = cache_hashes(facts, key, gomod)
        wrong_cache = sorted(cache - {db})
        fetched = downloads.get(key) if gomod else None
        if gosum is None and not cache and fetched is not None and fetched != db:
            triage = "download"
        elif gosum is None:
            needed = gomod or any(n.needs_zip for n in needs)
            if not needed or not wrong_cache:
                continue
            triage = "cache"
        elif gosum == db:
            if not wrong_cache:
                continue
            triage = "cache"
        elif gosum in cache and db not in cache:
            # go.sum and the downloaded copy (its .ziphash, or the .mod) agree: go's
            # download matched go.sum, and the database disagrees with both
            triage = "security"
        elif not wrong_cache:
            triage = "gosum"
        else:
            triage = "gosum+cache"
        cache_hash = wrong_cache[0] if wrong_cache else (db if cache else None)
        if triage == "security":
            cache_hash = gosum
        what = "go.mod" if gomod else "zip"
        mv = f"{rec.module}@{rec.version}" + ("/go.mod" if gomod else "")
        if triage == "download":
            cache_hash = None
        downloaded = gosum if triage == "security" and gosum else (cache_hash or "")
        if triage == "download" and fetched is not None:
            downloaded = fetched
        go_words = (
            gosum_mismatch_words(rec.module, rec.version, gomod, db, gosum)
            if triage == "gosum" and gosum is not None
            else sumdb_mismatch_words(rec.module, rec.version, gomod, downloaded, sf.name, db)
        )
        message = _mismatch_message(triage, mv, what, sf.name, db, gosum, cache_hash, go_words)
        if triage == "download":
            message = _download_mismatch_message(
                facts, needs, mv, sf.name, db, downloaded, go_words
            )
        fixes: tuple[str, ...] = {
            "gosum": ("replace-gosum-line",),
            "gosum+cache": ("replace-gosum-line", "redownload"),
            "cache": ("redownload",),
            "security": ("compare-proxies",),
            "download": ("compare-proxies",),
        }[triage]
        data: dict[str, object] = {
            "module": rec.module,
            "version": rec.version,
            "goMod": gomod,
            "triage": triage,
            "sumdb": sf.name,
            "sumdbHash": db,
            "verified": True,
            "recordId": rec.record_id,
            "treeSize": rec.tree_size,
            "goSumHash": gosum,
            "goSumPath": str(entry[0].path) if entry is not None else None,
            "goSumLine": entry[1].line if entry is not None else None,
            "cacheHash": cache_hash,
            "goError": go_words,
        }
        out += at_sites_and_sum_line(
            sites,
            entry,
            "sumdb-mismatch",
            Severity.ERROR,
            message,
            module=rec.module,
            version=rec.version + ("/go.mod" if gomod else ""),
            fixes=fixes,
            data=data,
        )
    return out


def sumdb_findings(facts: Facts, nf: NetworkFacts) -> list[Finding]:
    """``sumdb-mismatch``, ``sumdb-untrusted`` and ``sumdb-unreachable``."""
    sf = nf.sumdb
    if sf is None:
        return []
    module_sites = _module_sites(facts)
    if sf.config_error:
        return findings_at(
            module_sites,
            "sumdb-unreachable",
            Severity.WARNING,
            f"GOSUMDB={sf.gosumdb}: {sf.config_error}. Every go command that adds a go.sum "
            "line fails with this error (go: M@V: verifying go.mod: "
            f"{sf.config_error})",
            data={"gosumdb": sf.gosumdb, "goError": sf.config_error},
        )
    by_fetch = _needs_by_fetch(facts)
    out: list[Finding] = []
    untrusted_left: list[SumdbRecord] = []
    down: list[SumdbRecord] = []
    for key, rec in sorted(sf.records.items()):
        needs = by_fetch.get(key, [])
        if not needs:
            continue  # no longer needed (facts carried over from an earlier analysis)
        if rec.kind == "ok":
            out += _mismatch_findings(facts, sf, rec, needs)
        elif rec.kind == "untrusted":
            p = rec.problem
            if p is not None and not p.gomod and not any(n.needs_zip for n in needs):
                continue  # go checks only the go.mod line, and that one is well-formed
            sites = [s for n in needs for s in need_sites(n)]
            go_error = _untrusted_go_error(facts, sf, rec)
            if sites and lacks_sum_line(facts, key, needs):
                message = (
                    f"{key[0]}@{key[1]}: the checksum database {_sumdb_where(sf)} answered, "
                    f"but its answer fails verification: {_untrusted_words(rec, go_error)}. go "
                    "refuses such answers, so the download will fail (go.sum has no line for "
                    "it, so go must ask the database)"
                )
                data: dict[str, object] = {
                    "reason": rec.reason,
                    "goError": go_error,
                    "sumdb": sf.name,
                }
                st = facts.cache.get(key)
                if st is not None:
                    # it takes the place of cache-missing on the line: keep its fact
                    data["files"] = list(st.to_fetch(any(n.needs_zip for n in needs)))
                out += findings_at(
                    sites,
                    "sumdb-untrusted",
                    Severity.ERROR,
                    message,
                    module=key[0],
                    version=key[1],
                    data=data,
                )
            else:
                untrusted_left.append(rec)
        elif rec.kind in ("unreachable", "server-error"):
            down.append(rec)
    if untrusted_left and not any(f.code == "sumdb-untrusted" for f in out):
        rec = untrusted_left[0]
        go_error = _untrusted_go_error(facts, sf, rec)
        message = (
            f"the checksum database {_sumdb_where(sf)} answers, but its answers fail "
            f"verification: {_untrusted_words(rec, go_error)}. go refuses such answers, so the "
            "download will fail for every module version whose go.sum lines are missing "
            "(go does not ask about lines go.sum has)"
        )
        out += findings_at(
            module_sites,
            "sumdb-untrusted",
            Severity.ERROR,
            message,
            data={
                "reason": rec.reason,
                "goError": go_error,
                "sumdb": sf.name,
                "modules": [f"{r.module}@{r.version}" for r in untrusted_left],
            },
        )
    if down:
        rec = down[0]
        lacking = [
            f"{r.module}@{r.version}"
            for r in down
            if lacks_sum_line(facts, (r.module, r.version), by_fetch.get((r.module, r.version), []))
        ]
        what = (
            "answers with an error"
            if all(r.kind == "server-error" for r in down)
            else "cannot be reached"
        )
        detail = _first_line(rec.message)
        if _is_hang(rec.message):
            then = "The go command has no timeout: a command that needs a new go.sum line will hang"
        else:
            then = "A go command that needs a new go.sum line will fail"
        if lacking:
            then += f": go.sum lacks lines for {_list(lacking)}"
        else:
            then += "; go.sum has every needed line, so builds go on, unverified against it"
        message = f"checksum database {_sumdb_where(sf)} {what}: {detail}. {then}"
        out += findings_at(
            module_sites,
            "sumdb-unreachable",
            Severity.WARNING,
            message,
            data={
                "sumdb": sf.name,
                "base": sf.base,
                "proxy": sf.proxy,
                "goError": rec.go_error,
                "modules": lacking,
            },
        )
    return out


def toolchain_sumdb_findings(facts: Facts, nf: NetworkFacts) -> list[Finding]:
    """``sumdb-required``: go verifies a golang.org/toolchain download against the
    checksum database even under GOSUMDB=off (modfetch useSumDB), and then fails with
    dbDial's "checksum database disabled by GOSUMDB=off". Not when GOPROXY is a single
    file:// entry (go's exception for testing a distpack), nor when no proxy serves the
    toolchain (then the proxy finding says go's "toolchain not available")."""
    tc = nf.toolchain
    env = facts.env
    if tc is None or env.GOSUMDB != "off":
        return []
    if env.GOPROXY.startswith("file://") and not any(c in env.GOPROXY for c in ",|"):
        return []
    v = tc.availability.outcome
    if v is not None and v.fails:
        return []
    mv = f"{tc.availability.module}@{tc.availability.version}"
    go_words = (
        f"download {tc.toolchain}: {mv}: verifying module: "
        "checksum database disabled by GOSUMDB=off"
    )
    served = (
        "GOPROXY serves it, but "
        if v is not None and v.kind == "found"
        else "whatever GOPROXY serves, "
    )
    message = (
        f"toolchain {tc.toolchain} ({tc.reason}; module {mv}): {served}the go command "
        "always verifies a toolchain download against the checksum database, even with "
        f"GOSUMDB=off, so the download fails (go: {go_words})"
    )
    sites = [Site(tc.file, tc.range)] if tc.file and tc.range is not None else []
    return findings_at(
        sites or _module_sites(facts),
        "sumdb-required",
        Severity.ERROR,
        message,
        module=tc.availability.module,
        version=tc.availability.version,
        data={"toolchain": tc.toolchain, "goError": go_words, "gosumdb": env.GOSUMDB},
    )


def gomod_mismatch_findings(
    facts: Facts, nf: NetworkFacts, found: Iterable[Finding] = ()
) -> list[Finding]:
    """``sum-mismatch`` on each go.sum ``/go.mod`` line that contradicts the go.mod
    the proxy serves, for a module version the module cache lacks: what go downloads
    for the module graph and then refuses (modfetch ``checkModSum``), in its words. A
    line the checksum database already contradicts (``sumdb-mismatch`` on it) is left
    to that finding."""
    taken = {(f.path, f.range.start.line) for f in found if f.code == "sumdb-mismatch"}
    by_fetch = _needs_by_fetch(facts)
    out: list[Finding] = []
    for (path, version), downloaded in sorted(nf.gomod_mismatches.items()):
        sites = [s for n in by_fetch.get((path, version), []) for s in need_sites(n)]
        for file, entry in facts.sum_lines(path, version, gomod=True):
            if entry.hash == downloaded or (str(file.path), entry.range.start.line) in taken:
                continue
            sum_name = "go.work.sum" if file.path.name == "go.work.sum" else "go.sum"
            words = (
                f"verifying {path}@{version}/go.mod: checksum mismatch\n"
                f"\tdownloaded: {downloaded}\n"
                f"\t{sum_name}:     {entry.hash}" + GOSUM_SECURITY_ERROR
            )
            message = (
                f"{words}\n\n(the go.mod of {path}@{version} is not in the module cache: "
                "this is what the GOPROXY serves for it; go refuses it, so every go command "
                "that loads the module graph fails. Either go.sum's line is wrong, or the "
                "download is not what was recorded)"
            )
            out.append(
                Finding(
                    str(file.path),
                    entry.range,
                    "sum-mismatch",
                    Severity.ERROR,
                    message,
                    module=path,
                    version=f"{version}/go.mod",
                    data={
                        "module": path,
                        "version": version,
                        "goMod": True,
                        "downloadedHash": downloaded,
                        "goSumHash": entry.hash,
                        "goSumPath": str(file.path),
                        "goSumLine": entry.line,
                        "source": "download",
                        "goError": words,
                    },
                    related=tuple(RelatedInfo(s.path, s.range, "required here") for s in sites),
                )
            )
    return out


__all__ = [
    "SUMDB_SECURITY_ERROR",
    "TRIAGES",
    "cache_hashes",
    "gomod_mismatch_findings",
    "sumdb_findings",
    "sumdb_mismatch_words",
    "toolchain_sumdb_findings",
]
