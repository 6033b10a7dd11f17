"""The module cache against what the build needs: missing, incomplete, corrupt, modified.

Quick facts (stats and small files) give ``cache-missing`` and ``cache-incomplete``
and the unreadable ``.mod``; full verification adds ``cache-corrupt`` for zips and
``.ziphash`` files that disagree, and ``cache-modified`` for extracted dirs whose
files were edited, added or removed (which ``go build`` compiles without a word).
"""

from __future__ import annotations

from gomod_doctor.cache.results import ModuleVerification
from gomod_doctor.cache.state import ModuleState
from gomod_doctor.checks.locate import need_sites
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.workspace.needs import Need

#: How many changed files a message names; the data carries them all.
MESSAGE_FILES = 3


def fetch_source(env: GoEnv, path: str) -> tuple[str, bool]:
    """Where the go command fetches ``path`` from, and whether it can at all."""
    if env.no_proxy(path):
        return "its version control repository directly (GOPRIVATE/GONOPROXY)", True
    proxies = env.proxy_list
    if not proxies.entries:
        return "nowhere: GOPROXY is empty", False
    first = proxies.entries[0]
    if first.kind == "off":
        return "nowhere: module lookup disabled by GOPROXY=off", False
    if first.kind == "direct":
        return "its version control repository directly (GOPROXY=direct)", True
    return first.redacted or first.url, True


def _findings(need: Need, code: str, sev: Severity, message: str, **kw: object) -> list[Finding]:
    fetch = need.fetch
    assert fetch is not None
    fixes = kw.pop("fixes", ())
    data = kw.pop("data", {})
    assert isinstance(fixes, tuple) and isinstance(data, dict)
    return [
        Finding(
            site.path,
            site.range,
            code,
            sev,
            message,
            module=fetch[0],
            version=fetch[1],
            fixes=fixes,
            data={"module": fetch[0], "version": fetch[1], **data},
        )
        for site in need_sites(need)
    ]


def _missing(facts: Facts, need: Need, st: ModuleState) -> list[Finding]:
    path, version = need.fetch or ("", "")
    missing: list[str] = []
    if st.mod is None:
        missing.append("go.mod")
    if need.needs_zip and st.extracted.status != "complete" and st.zip is None:
        missing.append("zip")
    if not missing:
        return []
    source, possible = fetch_source(facts.env, path)
    what = " and ".join("its go.mod" if m == "go.mod" else "its source zip" for m in missing)
    if not possible:
        if "module lookup disabled by GOPROXY=off" in source:
            message = f"{path}@{version}: module lookup disabled by GOPROXY=off"
        else:
            message = f"{path}@{version} is not in the module cache, and {source}"
        sev = Severity.ERROR
    else:
        message = (
            f"{path}@{version} is not in the module cache: "
            f"the next build will download {what} from {source}"
        )
        sev = Severity.WARNING
    return _findings(need, "cache-missing", sev, message, fixes=("download",))


def _incomplete(need: Need, st: ModuleState) -> list[Finding]:
    path, version = need.fetch or ("", "")
    reasons: list[str] = []
    for lo in st.leftovers:
        if lo.kind == "partial":
            reasons.append(f"extraction was interrupted ({lo.file} is left over)")
        elif lo.kind == "tmp":
            reasons.append(f"a download was interrupted ({lo.file} is left over)")
        else:
            reasons.append(f"an old extraction was interrupted ({lo.file} is left over)")
    no_ziphash = st.zip is not None and st.ziphash is None
    if no_ziphash:
        # go mod verify's words; the zip was renamed into place, its hash never written
        reasons.append("missing ziphash: the zip has no .ziphash, its download did not finish")
    if st.mod is not None and st.mod_empty:
        reasons.append(
            "the cached go.mod is empty (zero bytes): go fails on it with "
            f"'verifying {path}@{version}/go.mod: checksum mismatch'"
        )
    # A .partial leftover or a missing .ziphash already says why go will not use the
    # extracted dir.
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


def check(facts: Facts) -> list[Finding]:
    out: list[Finding] = []
    for need in facts.needs.needs.values():
        fetch = need.fetch
        if fetch is None:
            continue
        st = facts.cache.get(fetch)
        if st is None or st.files is None:
            continue  # an invalid path or version: the parse check reports it
        out += _missing(facts, need, st)
        out += _incomplete(need, st)
        out += _unreadable(need, st)
        if facts.full is not None and fetch in facts.full:
            out += _full(facts, need, st, facts.full[fetch])
    return out
