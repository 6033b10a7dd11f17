"""go's module index in GOCACHE against the module directories it indexes.

The go command indexes each module-cache directory once and keys the index by the
directory's path alone (see :mod:`gomod_doctor.cache.modindex`). When the
directory changes afterwards (a file put back, removed or added by hand, a
directory extracted again), go keeps building with the indexed file list: a file
the directory no longer holds fails the build (``open <dir>/<file>: no such file
or directory``), a file the index does not list is left out of it.
``build-cache-stale`` reports that before the build does; its fix drops the entry.
"""

from __future__ import annotations

from gomod_doctor.cache.modindex.model import IndexFact
from gomod_doctor.checks.locate import need_sites
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity

#: How many files a message names; the data carries them all.
MESSAGE_FILES = 3


def _names(files: list[str]) -> str:
    more = len(files) - MESSAGE_FILES
    return ", ".join(files[:MESSAGE_FILES]) + (f" and {more} more" if more > 0 else "")


def message(path: str, version: str, f: IndexFact) -> str:
    """What go will do with the stale entry ``f``, in go's words where it has them."""
    head = f"{path} {version}: go's module index of {f.modroot} (in GOCACHE)"
    if f.error is not None:
        return f"{head} cannot be read: go build fails with '{f.error}'"
    parts: list[str] = []
    if f.gone:
        parts.append(f"lists files the directory no longer holds ({_names(f.gone)})")
    if f.unindexed:
        parts.append(f"does not list files it holds ({_names(f.unindexed)})")
    text = f"{head} " + " and ".join(parts) + ". go will build with the indexed file list"
    if f.gone:
        return text + f": 'open {f.modroot}/{f.gone[0]}: no such file or directory'"
    return text + ", leaving the other files out of the build"


def check(facts: Facts) -> list[Finding]:
    out: list[Finding] = []
    for need in facts.needs.needs.values():
        fetch = need.fetch
        if fetch is None or not need.needs_zip:
            continue
        stale = [f for f in facts.build_index.get(fetch, []) if f.stale or f.error]
        if not stale:
            continue
        path, version = fetch
        first = stale[0]
        data = {
            "module": path,
            "version": version,
            "dir": first.modroot,
            "indexEntries": [f.action_file for f in stale],
            "goVersions": [f.go_version for f in stale],
            "gone": first.gone,
            "unindexed": first.unindexed,
        }
        text = message(path, version, first)
        for site in need_sites(need):
            out.append(
                Finding(
                    site.path,
                    site.range,
                    "build-cache-stale",
                    Severity.WARNING,
                    text,
                    module=path,
                    version=version,
                    fixes=("drop-index",),
                    data=dict(data),
                )
            )
    return out
