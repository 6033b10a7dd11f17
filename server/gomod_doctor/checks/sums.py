"""go.sum against what the build needs and what the module cache holds.

``sum-missing``: lines the build needs are absent (go's own texts for the go.mod
line and for a module providing an imported package; one finding names both). ``sum-mismatch``: the
cache agrees with itself but go.sum's hash differs (go's ``checksum mismatch``).
``sum-duplicate``: two hashes for one line; go uses the first, and the cache says
which one is right.
"""

from __future__ import annotations

from pathlib import Path

from gomod_doctor.cache.modstate import ModuleState
from gomod_doctor.checks.locate import at_sites_and_sum_line, need_sites
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, RelatedInfo, Severity
from gomod_doctor.gosum.parser import SumEntry
from gomod_doctor.workspace.imports.model import ImportSite
from gomod_doctor.workspace.model import FileText
from gomod_doctor.workspace.needs import Need, is_tool_site


def _missing(facts: Facts, need: Need) -> list[Finding]:
    """One ``sum-missing`` per site, naming every go.sum line the build needs and lacks
    (the ``/go.mod`` line, then the zip's, as go asks for them), in go's words."""
    fetch = need.fetch
    if fetch is None:
        return []
    path, version = fetch
    texts: list[str] = []
    lines: list[dict[str, object]] = []
    if need.needs_gomod and not facts.sum_lines(path, version, gomod=True):
        texts.append(
            f"{path}@{version}: missing go.sum entry for go.mod file; to add it:\n"
            f"\tgo mod download {need.path}"
        )
        lines.append({"kind": "go.mod", "line": f"{path} {version}/go.mod"})
    if need.needs_zip and not facts.sum_lines(path, version, gomod=False):
        pkg, text = _zip_text(facts, need)
        texts.append(text)
        lines.append({"kind": "zip", "line": f"{path} {version}", "package": pkg})
    if not lines:
        return []
    data = {"module": path, "version": version, "goModule": need.path, "lines": lines}
    severity, message = Severity.ERROR, "\n".join(texts)
    fills = _go_fills(facts)
    if fills is not None:
        # go adds the lines itself (and verifies them: a checksum database or proxy
        # that stands in its way has its own finding)
        severity = Severity.INFORMATION
        message += (
            f"\n(the next go command adds {'them' if len(lines) > 1 else 'it'} to {fills} itself)"
        )
        data["fills"] = fills
    return [
        Finding(
            site.path,
            site.range,
            "sum-missing",
            severity,
            message,
            module=path,
            version=version,
            fixes=("download",),
            data=data,
        )
        for site in need_sites(need)
    ]


def _go_fills(facts: Facts) -> str | None:
    """Where go writes missing go.sum lines by itself: go.work.sum in workspace mode,
    go.sum with ``-mod=mod``; None when a missing line stops it."""
    if facts.snapshot.work is not None:
        return "go.work.sum"
    if facts.env.mod_flag == "mod":
        return "go.sum"
    return None


def _zip_text(facts: Facts, need: Need) -> tuple[str, str]:
    """The package that needs the zip's go.sum line, and go's words for its absence."""
    site0 = need.import_sites[0]
    # go names the importing package (pkg.stack) and its module's version, "" for
    # a workspace module; a dependency's test files are never loaded, so no -t there.
    if site0.importer is not None:
        importer: str | None = site0.importer
        at = f"@{site0.importer_version}" if site0.importer_version else ""
    elif is_tool_site(site0):  # a go.mod tool line: go names no importer
        importer, at = None, ""
    else:
        importer = facts.package_of(site0.file)
        at = ""
    pkg = _provided_package(facts, need, site0)
    by = f" (imported by {importer})" if importer else ""
    if _found_elsewhere(facts, need, pkg):
        # Another module provides it; go needs this one's zip to rule out ambiguity.
        message = (
            f"missing go.sum entry needed to verify package {pkg}{by} is provided by "
            "exactly one module"
        )
    else:
        message = f"missing go.sum entry for module providing package {pkg}{by}"
    if importer:
        flag = " -t" if site0.test else ""
        message += f"; to add:\n\tgo get{flag} {importer}{at}"
    else:
        message += f"; to add:\n\tgo mod download {need.path}"
    return pkg, message


def _found_elsewhere(facts: Facts, need: Need, pkg: str) -> bool:
    """go's ``ImportMissingSumError.found``: another module of the build list holds
    ``pkg`` and can be fetched (a directory, or its zip line is in go.sum)."""
    graph = facts.needs.transitive
    provider = graph.providers.get(pkg) if graph is not None else None
    if provider is None or provider == need.path:
        return False
    for other in facts.needs.selected():
        if other.path == provider:
            fetch = other.fetch
            return fetch is None or bool(facts.sum_lines(*fetch, gomod=False))
    return False


def _provided_package(facts: Facts, need: Need, site: ImportSite) -> str:
    if site.package is not None:
        return site.package
    for mi in facts.imports.values():
        for imp, sites in mi.imports.items():
            if site in sites and (imp == need.path or imp.startswith(need.path + "/")):
                return imp
    return need.path


def _mismatch_message(path: str, version: str, downloaded: str, sum_file: str, want: str) -> str:
    return (
        f"verifying {path}@{version}: checksum mismatch\n"
        f"\tdownloaded: {downloaded}\n"
        f"\t{Path(sum_file).name}:     {want}"
    )


def _cache_hash(facts: Facts, st: ModuleState, gomod: bool) -> str | None:
    """The hash the cache vouches for: the ``.mod``'s, or the zip's when the zip and its
    ``.ziphash`` agree (full) or, at the quick level, the ``.ziphash``."""
    if gomod:
        # A zero-byte .mod is an interrupted write (cache-incomplete), not go.sum's fault.
        return None if st.mod_empty else st.mod_h1
    if not st.ziphash_value:
        return None
    if facts.full is not None:
        v = facts.full.get((st.path, st.version))
        if v is not None and v.zip_present and v.zip_h1 != st.ziphash_value:
            return None  # the cache disagrees with itself: cache-corrupt says so
    return st.ziphash_value


def _mismatch(facts: Facts, need: Need) -> list[Finding]:
    fetch = need.fetch
    if fetch is None:
        return []
    st = facts.cache.get(fetch)
    if st is None or st.files is None:
        return []
    path, version = fetch
    out: list[Finding] = []
    for gomod in (True, False):
        have = _cache_hash(facts, st, gomod)
        lines = facts.sum_lines(path, version, gomod)
        if have is None or not lines:
            continue
        sum_file, entry = lines[0]
        if entry.hash == have:
            continue
        shown_version = version + ("/go.mod" if gomod else "")
        message = _mismatch_message(path, shown_version, have, str(sum_file.path), entry.hash)
        data = {
            "module": path,
            "version": version,
            "goMod": gomod,
            "cacheHash": have,
            "goSumHash": entry.hash,
            "goSumPath": str(sum_file.path),
            "goSumLine": entry.line,
        }
        out += at_sites_and_sum_line(
            need_sites(need),
            (sum_file, entry),
            "sum-mismatch",
            Severity.ERROR,
            message,
            module=path,
            version=shown_version,
            fixes=("redownload",),
            data=data,
        )
    return out


def _cache_verdict(facts: Facts, entry: SumEntry) -> str | None:
    """The hash the module cache holds for ``entry``'s line, if it holds one."""
    st = facts.cache.get((entry.module, entry.version))
    if st is None or st.files is None:
        return None
    return _cache_hash(facts, st, entry.gomod)


def _duplicates(facts: Facts) -> list[Finding]:
    out: list[Finding] = []
    for file, parsed in facts.sum_files():
        for p in parsed.problems:
            if p.kind != "duplicate" or not p.hashes_differ or p.entry is None:
                continue
            out.append(_duplicate_finding(facts, file, p.entry, p.used))
    return out


def _duplicate_finding(
    facts: Facts, file: FileText, entry: SumEntry, used: SumEntry | None
) -> Finding:
    first = used or entry
    verdict = _cache_verdict(facts, entry)
    base = (
        f"go.sum has two hashes for {entry.module} {entry.version_field}; "
        f"go uses the first (line {first.line})"
    )
    wrong_line: int | None = None
    if verdict is None:
        message = base + ", and the module cache cannot tell which is right"
    elif verdict == first.hash:
        message = base + ", which matches the module cache: this line is the wrong one"
        wrong_line = entry.line
    elif verdict == entry.hash:
        message = base + f", but the module cache matches this line ({verdict})"
        wrong_line = first.line
    else:
        message = base + f", and the module cache matches neither ({verdict})"
    return Finding(
        str(file.path),
        entry.range,
        "sum-duplicate",
        Severity.WARNING,
        message,
        module=entry.module,
        version=entry.version_field,
        data={
            "module": entry.module,
            "version": entry.version,
            "goMod": entry.gomod,
            "firstLine": first.line,
            "line": entry.line,
            "cacheHash": verdict,
            "wrongLine": wrong_line,
        },
        related=(RelatedInfo(str(file.path), first.range, "the line go uses"),),
    )


def check(facts: Facts) -> list[Finding]:
    out: list[Finding] = []
    for need in facts.needs.needs.values():
        out += _missing(facts, need)
        out += _mismatch(facts, need)
    out += _duplicates(facts)
    return out
