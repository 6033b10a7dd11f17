"""The module cache against what the build needs: missing, incomplete, corrupt, modified.

Quick facts (stats and small files) give ``cache-missing``, ``cache-incomplete``,
``download-rejected`` (a temp zip go refused for a checksum mismatch), a zip without
its ``.ziphash`` and the unreadable ``.mod`` (``cache-corrupt``); full verification adds ``cache-corrupt`` for zips and
``.ziphash`` files that disagree, and ``cache-modified`` for extracted dirs whose
files were edited, added or removed (which ``go build`` compiles without a word).

A needed module version missing from the cache is no problem when the next go
command can download it: a ``cache-missing`` hint on each of its lines, and one
``cache-missing-summary`` (information) on the ``module`` line with the count and
where they come from. When go cannot download it, one error on each line says why:
``proxy-config`` here for what the settings alone decide (GOPROXY=off, an invalid
GOPROXY), else the network check's finding (``proxy-*``, ``sumdb-untrusted``), and
no hint beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from gomod_doctor.cache.modstate import ModuleState
from gomod_doctor.cache.results import ModuleVerification
from gomod_doctor.checks.locate import Site, findings_at, module_sites, need_sites
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.goenv.proxy import NO_ENTRIES, PROXY_OFF
from gomod_doctor.workspace.needs import Need

#: How many changed files a message names; the data carries them all.
MESSAGE_FILES = 3


def _findings(
    need: Need,
    code: str,
    sev: Severity,
    message: str,
    *,
    fixes: tuple[str, ...] = (),
    data: Mapping[str, object] | None = None,
) -> list[Finding]:
    """On the needed module's sites, with its fetched path and version."""
    assert need.fetch is not None
    m, v = need.fetch
    where = need_sites(need)
    return findings_at(where, code, sev, message, module=m, version=v, fixes=fixes, data=data)


@dataclass(frozen=True)
class Route:
    """Where the next go command fetches a missing module version from."""

    #: for one module version ("https://proxy.golang.org", "its version control
    #: repository directly (GOPRIVATE/GONOPROXY)")
    one: str
    #: the same for several ("their version control repositories directly (...)")
    many: str
    #: go's error when it cannot fetch it at all (GOPROXY=off, an invalid GOPROXY)
    go_error: str | None = None


def _direct(why: str) -> Route:
    return Route(
        f"its version control repository directly ({why})",
        f"their version control repositories directly ({why})",
    )


def fetch_route(env: GoEnv, path: str) -> Route:
    """Where GOPROXY, GONOPROXY and GOPRIVATE send the go command for ``path``
    (modfetch.TryProxies): an invalid GOPROXY fails every lookup, a GONOPROXY path
    goes to its repository, else the first entry decides."""
    proxies = env.proxy_list
    if proxies.errors:
        return Route("nowhere", "nowhere", proxies.errors[0])
    if env.no_proxy(path):
        return _direct("GOPRIVATE/GONOPROXY")
    if not proxies.entries:
        return Route("nowhere", "nowhere", NO_ENTRIES)
    first = proxies.entries[0]
    if first.kind == "off":
        return Route("nowhere", "nowhere", PROXY_OFF)
    if first.kind == "direct":
        return _direct("GOPROXY=direct")
    url = first.redacted or first.url
    return Route(url, url)


def _network_route(facts: Facts, key: tuple[str, str]) -> Route | None:
    """The route the network check saw go take for ``key``, when it differs from
    GOPROXY's first entry (an earlier proxy answered "not found")."""
    nf = facts.network
    m = nf.availability.get(key) if nf is not None else None
    v = m.outcome if m is not None else None
    if v is None or v.entry is None or v.entry.index == 0:
        return None
    if v.kind == "found" and v.entry.kind == "proxy":
        return Route(v.entry.url, v.entry.url)
    if v.kind == "direct":
        return _direct("the GOPROXY entries before direct answered not found")
    return None


def lacks_sum_line(facts: Facts, key: tuple[str, str], needs: Sequence[Need]) -> bool:
    """go.sum lacks a line the build needs for ``key`` (go will ask the database)."""
    if not facts.sum_lines(*key, gomod=True):
        return True
    return any(n.needs_zip for n in needs) and not facts.sum_lines(*key, gomod=False)


def network_blocks(facts: Facts, key: tuple[str, str]) -> bool:
    """The network check found that go cannot fetch ``key`` and reports it on its
    lines (``proxy-unreachable``, ``proxy-error``, ``proxy-not-found``,
    ``proxy-config``, ``sumdb-untrusted``): that finding carries the error, and
    nothing else is said."""
    nf = facts.network
    if nf is None:
        return False
    rec = nf.sumdb.records.get(key) if nf.sumdb is not None else None
    if rec is not None and rec.kind == "untrusted":
        needs = [n for n in facts.needs.needs.values() if n.fetch == key]
        if lacks_sum_line(facts, key, needs):
            return True
    m = nf.availability.get(key)
    v = m.outcome if m is not None else None
    if v is None or not v.fails or v.kind == "config":
        return False
    return v.kind in ("not-found", "off") or v.cause is not None


def goproxy_off_message(mv: str, subject: str = "") -> str:
    """The ``proxy-config`` message for a missing module version with GOPROXY=off
    (the same from the settings alone and from the network check)."""
    return f"{subject or mv} is not in the module cache and GOPROXY=off: {mv}: {PROXY_OFF}"


def _files_words(files: Sequence[str]) -> str:
    return " and ".join("its go.mod" if f == "mod" else "its source zip" for f in files)


@dataclass
class _Missing:
    """A needed module version the next build downloads, and from where."""

    module: str
    version: str
    files: tuple[str, ...]
    route: Route
    sites: list[Site]


def _missing(facts: Facts, need: Need, st: ModuleState) -> tuple[list[Finding], _Missing | None]:
    path, version = need.fetch or ("", "")
    files = st.to_fetch(need.needs_zip)
    if not files or network_blocks(facts, (path, version)):
        return [], None
    mv = f"{path}@{version}"
    route = _network_route(facts, (path, version)) or fetch_route(facts.env, path)
    data: dict[str, object] = {"files": list(files)}
    if route.go_error is not None:
        # go cannot fetch it: the setting that stops it carries the error.
        if route.go_error == PROXY_OFF:
            message = goproxy_off_message(mv)
        else:
            message = (
                f"{mv} is not in the module cache, and GOPROXY is invalid, so the next build "
                f"cannot download it: {route.go_error}"
            )
        data["goError"] = route.go_error
        return _findings(need, "proxy-config", Severity.ERROR, message, data=data), None
    message = (
        f"{mv} is not in the module cache: the next build will download "
        f"{_files_words(files)} from {route.one}"
    )
    data["from"] = route.one
    found = _findings(need, "cache-missing", Severity.HINT, message, fixes=("download",), data=data)
    return found, _Missing(path, version, files, route, need_sites(need))


def _summaries(facts: Facts, missing: Sequence[_Missing]) -> list[Finding]:
    """One ``cache-missing-summary`` on the ``module`` line of each go.mod whose
    requires name module versions the next build downloads."""
    homes = module_sites(facts)
    if not homes:
        return []
    by_file = {s.path: s for s in homes}
    grouped: dict[str, dict[tuple[str, str], _Missing]] = {}
    for m in missing:
        for site in m.sites:
            home = by_file.get(site.path, homes[0])
            grouped.setdefault(home.path, {})[(m.module, m.version)] = m
    out: list[Finding] = []
    for home in homes:
        group = grouped.get(home.path)
        if not group:
            continue
        ms = [group[k] for k in sorted(group)]
        routes: dict[str, list[_Missing]] = {}
        for m in ms:
            routes.setdefault(m.route.many, []).append(m)
        n = len(ms)
        if len(routes) == 1:
            it = "it" if n == 1 else "them"
            whence = f"{it} from {ms[0].route.one if n == 1 else ms[0].route.many}"
        else:
            parts = [
                f"{len(g)} from {g[0].route.one if len(g) == 1 else g[0].route.many}"
                for g in sorted(routes.values(), key=lambda g: -len(g))
            ]
            whence = ", ".join(parts[:-1]) + " and " + parts[-1]
        are = "version is" if n == 1 else "versions are"
        message = (
            f"{n} needed module {are} not in the module cache yet: the next build "
            f"downloads {whence}"
        )
        # offline, the module graph stops at the go.mod files the cache lacks
        graph = facts.needs.graph
        missing_mods = graph.missing if graph is not None else {}
        stops = sorted(
            f"{m.path}@{m.version}" for m in missing_mods if (m.path, m.version) in group
        )
        if stops:
            if len(stops) == 1:
                message += (
                    " (the module graph is read up to its go.mod: what it requires is known "
                    "once it is downloaded)"
                )
            else:
                message += (
                    " (the module graph is read up to their go.mod files: what they require "
                    "is known once they are downloaded)"
                )
        data: dict[str, object] = {
            "count": n,
            "graphStops": stops,
            "modules": [
                {
                    "module": m.module,
                    "version": m.version,
                    "files": list(m.files),
                    "from": m.route.one,
                }
                for m in ms
            ],
        }
        out.append(
            Finding(
                home.path,
                home.range,
                "cache-missing-summary",
                Severity.INFORMATION,
                message,
                fixes=("download-missing",),
                data=data,
            )
        )
    return out


#: go's words after a download that differs from go.sum (modfetch goSumMismatch).
GOSUM_SECURITY_ERROR = (
    "\n\nSECURITY ERROR\n"
    "This download does NOT match an earlier download recorded in go.sum.\n"
    "The bits may have been replaced on the origin server, or an attacker may\n"
    "have intercepted the download attempt.\n\n"
    "For more information, see 'go help module-auth'."
)


def gosum_mismatch_words(
    path: str, version: str, gomod: bool, downloaded: str, gosum_hash: str
) -> str:
    """go's error when a download differs from go.sum (modfetch checkModSum)."""
    shown = version + ("/go.mod" if gomod else "")
    return (
        f"verifying {path}@{shown}: checksum mismatch\n"
        f"\tdownloaded: {downloaded}\n"
        f"\tgo.sum:     {gosum_hash}" + GOSUM_SECURITY_ERROR
    )


def _rejected(facts: Facts, need: Need, st: ModuleState) -> tuple[list[Finding], set[str]]:
    """``download-rejected`` for each ``.zip*.tmp`` that is a whole module zip hashing to
    another value than go.sum's: go downloaded it, found the checksum mismatch and
    refused it (the temp file stays). Not an interrupted download. go removes the file
    on its next download of the version, which fails the same way while the source
    serves those bits."""
    out: list[Finding] = []
    files: set[str] = set()
    if not st.leftovers:
        return out, files
    path, version = need.fetch or ("", "")
    sums = [e.hash for _, e in facts.sum_lines(path, version, gomod=False)]
    if not sums:
        return out, files
    for lo in st.leftovers:
        h1 = st.tmp_zip_h1.get(lo.file) if lo.kind == "tmp" else None
        if h1 is None or h1 in sums:
            continue
        files.add(lo.file)
        go_error = gosum_mismatch_words(path, version, False, h1, sums[0])
        message = (
            f"{path}@{version}: a download go rejected, not an interrupted one: {lo.file} is "
            f"a whole zip that hashes to {h1}, but go.sum says {sums[0]} (go: verifying "
            f"{path}@{version}: checksum mismatch ... SECURITY ERROR). go removes this file "
            "on its next download of the version, which fails the same way while the "
            "source serves these bits: find out where they come from"
        )
        out += _findings(
            need,
            "download-rejected",
            Severity.INFORMATION,
            message,
            fixes=("compare-proxies",),
            data={"file": lo.file, "zipHash": h1, "goSumHash": sums[0], "goError": go_error},
        )
    return out, files


def _missing_ziphash(need: Need, st: ModuleState) -> list[Finding]:
    """A zip without its ``.ziphash``: go mod verify fails on it, in these words (go
    build hashes the zip again, checks it against go.sum and writes the file)."""
    if st.files is None or st.zip is None or st.ziphash is not None:
        return []
    if any(e.startswith(f"open {st.files.ziphash}:") for e in st.errors):
        return []  # unreadable, not missing: _unreadable says so
    path, version = need.fetch or ("", "")
    go_error = (
        f"{path} {version}: missing ziphash: open {st.files.ziphash}: no such file or directory"
    )
    message = (
        f"{go_error}. go mod verify fails with this error; go build hashes the zip again, "
        "checks it against go.sum and writes the .ziphash"
    )
    return _findings(
        need,
        "cache-corrupt",
        Severity.ERROR,
        message,
        fixes=("redownload", "clear"),
        data={"goError": go_error, "file": st.files.ziphash},
    )


def _incomplete(
    need: Need, st: ModuleState, rejected: AbstractSet[str] = frozenset()
) -> list[Finding]:
    path, version = need.fetch or ("", "")
    reasons: list[str] = []
    for lo in st.leftovers:
        if lo.file in rejected:
            continue  # download-rejected says what it is
        if lo.kind == "partial":
            reasons.append(f"extraction was interrupted ({lo.file} is left over)")
        elif lo.kind == "tmp":
            reasons.append(f"a download was interrupted ({lo.file} is left over)")
        else:
            reasons.append(f"an old extraction was interrupted ({lo.file} is left over)")
    no_ziphash = st.zip is not None and st.ziphash is None
    if st.mod is not None and st.mod_empty:
        reasons.append(
            "the cached go.mod is empty (zero bytes): go fails on it with "
            f"'verifying {path}@{version}/go.mod: checksum mismatch'"
        )
    # A .partial leftover or a missing .ziphash (cache-corrupt) already says why go
    # will not use the extracted dir.
    explained = any(lo.kind == "partial" for lo in st.leftovers) or (
        no_ziphash and st.extracted.reason == "ziphash file is missing"
    )
    if st.extracted.status == "partial" and not explained:
        reasons.append(f"go will not use the extracted dir: {st.extracted.reason}")
    if not reasons:
        return []
    message = f"{path}@{version}: incomplete in the module cache: " + "; ".join(reasons)
    return _findings(
        need,
        "cache-incomplete",
        Severity.WARNING,
        message,
        fixes=("redownload", "clear"),
        data={"reasons": reasons},
    )


def _unreadable(need: Need, st: ModuleState) -> list[Finding]:
    path, version = need.fetch or ("", "")
    problems = list(st.errors)
    if st.mod_unreadable and not problems:
        problems.append("the cached go.mod cannot be read")
    if st.info_error:
        problems.append(st.info_error)
    if not problems:
        return []
    message = f"{path} {version}: " + "; ".join(problems)
    return _findings(need, "cache-corrupt", Severity.ERROR, message, fixes=("redownload", "clear"))


def _full(facts: Facts, need: Need, st: ModuleState, v: ModuleVerification) -> list[Finding]:
    path, version = need.fetch or ("", "")
    out: list[Finding] = []
    if v.zip_error:
        out += _findings(
            need,
            "cache-corrupt",
            Severity.ERROR,
            f"{path} {version}: {v.zip_error}",
            fixes=("redownload", "clear"),
        )
    elif v.zip_h1 is not None and st.ziphash_value and v.zip_h1 != st.ziphash_value:
        message = (
            f"{path} {version}: zip has been modified ({v.zip}): it hashes to {v.zip_h1}, "
            f"but its .ziphash says {st.ziphash_value}"
        )
        sums = {e.hash for _, e in facts.sum_lines(path, version, gomod=False)}
        if v.zip_h1 in sums:
            # go build trusts the .ziphash: it reports the altered value as downloaded.
            message += (
                ". The zip matches go.sum, so the .ziphash was altered: go build fails with "
                f"'verifying {path}@{version}: checksum mismatch' and "
                f"'downloaded: {st.ziphash_value}'"
            )
        out += _findings(
            need,
            "cache-corrupt",
            Severity.ERROR,
            message,
            fixes=("redownload", "clear"),
            data={"zipHash": v.zip_h1, "ziphash": st.ziphash_value},
        )
    if st.extracted.status == "partial":
        # go never builds from a partly extracted dir: it extracts it again, and
        # cache-incomplete already says so. Its contents are not "modified".
        return out
    if v.dir_error:
        out += _findings(
            need,
            "cache-corrupt",
            Severity.ERROR,
            f"{path} {version}: {v.dir_error}",
            fixes=("redownload", "clear"),
        )
    expected = v.zip_h1 or st.ziphash_value
    if v.dir_h1 is not None and expected and v.dir_h1 != expected:
        diff = v.diff
        changed: list[str] = []
        data: dict[str, object] = {"dir": v.dir, "dirHash": v.dir_h1, "expected": expected}
        if diff is not None:
            changed = (
                [f"edited {f}" for f in diff.edited]
                + [f"added {f}" for f in diff.added]
                + [f"removed {f}" for f in diff.removed]
            )
            data.update(edited=diff.edited, added=diff.added, removed=diff.removed)
        detail = ""
        if changed:
            more = len(changed) - MESSAGE_FILES
            detail = (
                ": "
                + ", ".join(changed[:MESSAGE_FILES])
                + (f" and {more} more" if more > 0 else "")
            )
        message = (
            f"{path} {version}: dir has been modified ({v.dir}){detail}. "
            "go build compiles the modified files without a word. "
            "go's module index in GOCACHE may hold the changed file list: "
            "the fix drops it too."
        )
        out += _findings(
            need,
            "cache-modified",
            Severity.ERROR,
            message,
            fixes=("redownload", "clear"),
            data=data,
        )
    return out


def _modcache_unusable(facts: Facts) -> list[Finding]:
    """One error on the ``module`` line for a module cache go cannot use, when the
    build has anything to read from it (instead of a finding per module)."""
    error = facts.modcache_error
    if error is None or not any(
        n.fetch is not None and n.needs_gomod for n in facts.needs.needs.values()
    ):
        return []
    setting = "GOMODCACHE" if facts.env.GOMODCACHE else "GOPATH"
    message = error if not facts.env.GOMODCACHE else f"{error} (the GOMODCACHE setting)"
    return [
        Finding(
            site.path,
            site.range,
            "modcache-unusable",
            Severity.ERROR,
            message,
            data={"setting": setting, "GOMODCACHE": facts.env.GOMODCACHE},
        )
        for site in module_sites(facts)
    ]


def check(facts: Facts) -> list[Finding]:
    out: list[Finding] = _modcache_unusable(facts)
    missing: list[_Missing] = []
    for need in facts.needs.needs.values():
        fetch = need.fetch
        if fetch is None:
            continue
        if not need.needs_gomod:
            continue  # a build never reads any file of it (graph pruning: go.mod read lazily)
        st = facts.cache.get(fetch)
        if st is None or st.files is None:
            continue  # an invalid path or version: the parse check reports it
        found, fetched = _missing(facts, need, st)
        out += found
        if fetched is not None:
            missing.append(fetched)
        rejected, rejected_files = _rejected(facts, need, st)
        out += rejected
        out += _missing_ziphash(need, st)
        out += _incomplete(need, st, rejected_files)
        out += _unreadable(need, st)
        if facts.full is not None and fetch in facts.full:
            out += _full(facts, need, st, facts.full[fetch])
    return out + _summaries(facts, missing)
