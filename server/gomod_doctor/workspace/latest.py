"""The latest version of a module in the module cache and what its go.mod says about
older versions: ``retract`` directives and the ``// Deprecated:`` comment (the I/O
edge of :mod:`gomod_doctor.checks.retract`).

``go list -m -u`` and ``go get`` look these up with modload
``queryLatestVersionIgnoringRetractions`` + ``rawGoModSummary``: the ``latest`` query
(the highest release version, else the highest pre-release, ignoring retractions and
exclusions; ``+incompatible`` versions only when no compatible version exists; versions
that the workspace replaces count too), then that version's go.mod, or its
replacement's. Without the network, go answers this from the module cache exactly as a
``GOPROXY=file://$GOMODCACHE/cache/download`` proxy would: the ``@v/list`` file (the
versions whose ``.mod`` is cached, which go rewrites after each download) and the
``.mod`` files. Nothing is fetched here; a module with nothing cached has no answer.

Reads are memoized by file identity (inode, size, mtime), so an edit of the workspace
re-reads nothing; with a :class:`~gomod_doctor.cache.smallfacts.SmallFacts` store, a
new process too answers from the identities of the list and of the ``.mod`` it read.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gomod_doctor.cache.layout import cache_path, download_dir
from gomod_doctor.cache.smallfacts import MISS, SmallFacts, ident_of
from gomod_doctor.modfile.rules import parse_mod
from gomod_doctor.module import semver
from gomod_doctor.module.pseudo import is_pseudo_version, pseudo_version_time
from gomod_doctor.workspace.gomods import FileIdentity, file_identity, stored_ident
from gomod_doctor.workspace.model import Latest, Retraction
from gomod_doctor.workspace.needs import BuildNeeds, ReplaceSite

__all__ = [
    "gather",
    "latest_version",
    "parse_latest",
    "read_latest",
    "replacement",
]


_lock = threading.Lock()

_lists: dict[FileIdentity, tuple[str, ...]] = {}
_mods: dict[FileIdentity, tuple[tuple[Retraction, ...], str] | None] = {}
_answers: dict[tuple[object, ...], tuple[Latest | None, str | None, FileIdentity | None]] = {}
_MEMO_MAX = 20_000


def _read_list(path: str) -> tuple[str, ...] | None:
    """The lines' first fields of an ``@v/list`` file (None: absent)."""
    key = file_identity(path)
    if key is None:
        return None
    with _lock:
        hit = _lists.get(key)
    if hit is not None:
        return hit
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return None
    got = tuple(f[0] for f in (line.split() for line in text.split("\n")) if f)
    with _lock:
        if len(_lists) >= _MEMO_MAX:
            _lists.clear()
        _lists[key] = got
    return got


def _read_mod(path: str) -> tuple[tuple[Retraction, ...], str] | None:
    """The retractions and deprecation of the go.mod at ``path``, parsed as go parses a
    dependency's (``modfile.ParseLax``); None when absent or unparsable (go then has no
    answer, and says nothing)."""
    key = file_identity(path)
    if key is None:
        return None
    with _lock:
        if key in _mods:
            return _mods[key]
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        data = b""
    got = parse_latest(data)
    with _lock:
        if len(_mods) >= _MEMO_MAX:
            _mods.clear()
        _mods[key] = got
    return got


def parse_latest(data: bytes) -> tuple[tuple[Retraction, ...], str] | None:
    """The retractions and deprecation of a go.mod's content (None: empty or
    unparsable)."""
    if not data:
        return None
    if b"retract" not in data and b"Deprecated" not in data:
        return ((), "")  # nothing to say (most go.mod files): not worth parsing
    f = parse_mod(data.decode("utf-8", "surrogateescape"), "go.mod", lax=True)
    if f.go_errors:
        return None
    return (
        tuple(Retraction(r.low, r.high, r.rationale) for r in f.retract),
        f.module.deprecated if f.module is not None else "",
    )


def latest_version(listed: Iterable[str], replaced: Iterable[str] = ()) -> str:
    """modload's ``latest`` query over a proxy's ``@v/list`` lines (``listed``) and the
    versions the workspace replaces (``replaced``), ignoring retractions: "" when
    there is none."""
    all_lines = [v for v in listed if semver.is_valid(v)]
    tagged = {v for v in all_lines if not is_pseudo_version(v)}
    tagged.update(v for v in replaced if semver.is_valid(v) and not is_pseudo_version(v))
    if tagged:
        compatible = {v for v in tagged if not v.endswith("+incompatible")}
        pool = compatible or tagged
        releases = [v for v in pool if not semver.prerelease(v)]
        best = ""
        for v in releases or pool:
            if not best or semver.compare(v, best) > 0:
                best = v
        return best
    # no tagged version: the proxy's latest pseudo-version (latestFromList)
    best, best_time = "", ""
    for v in all_lines:
        try:
            t = pseudo_version_time(v)
        except ValueError:
            continue
        if t > best_time:
            best, best_time = v, t
    return best


def replacement(sites: Iterable[ReplaceSite], path: str, version: str) -> ReplaceSite | None:
    """go's lookup (go.work's replacements first, then the modules'): an exact
    ``path version`` replace beats a path-only one."""
    ordered = sorted(sites, key=lambda s: not s.in_work)
    for want in (version, ""):
        for s in ordered:
            if s.stmt.old_path == path and s.stmt.old_version == want:
                return s
    return None


@functools.lru_cache(maxsize=65536)
def _list_path(gomodcache: str, path: str) -> str | None:
    try:
        return os.path.join(download_dir(gomodcache, path), "list")
    except ValueError:
        return None


def read_latest(
    gomodcache: str,
    path: str,
    replaces: Iterable[ReplaceSite] = (),
    store: SmallFacts | None = None,
) -> Latest | None:
    """The latest go.mod of ``path`` as go finds it offline (None: no answer: nothing
    cached, an unreadable go.mod, or every version of ``path`` replaced, where go looks
    nothing up).

    A cached ``.mod`` never changes once written, and a new one rewrites ``@v/list``:
    the answer is kept while the list file's identity and the replacements are the
    same (a replacement directory's go.mod is checked each time). ``store`` keeps the
    answers of paths without replacements across processes, each checked against the
    identities of the list and of the ``.mod`` it read."""
    sites = [s for s in replaces if s.stmt.old_path == path]
    if any(not s.stmt.old_version for s in sites):
        return None  # CheckRetractions / CheckDeprecation: all versions replaced
    list_path = _list_path(gomodcache, path)
    if list_path is None:
        return None
    list_key = file_identity(list_path)
    if list_key is None and not sites:
        return None
    memo_key = (
        gomodcache,
        path,
        list_key,
        tuple(
            (s.in_work, s.stmt.old_version, s.stmt.new_path, s.stmt.new_version, str(s.file))
            for s in sites
        ),
    )
    with _lock:
        hit = _answers.get(memo_key)
    if hit is not None and (hit[1] is None or file_identity(hit[1]) == hit[2]):
        return hit[0]
    stored = store is not None and list_key is not None and not sites
    if stored:
        assert store is not None and list_key is not None
        kept = _stored_answer(store, path, list_path, list_key)
        if kept is not MISS:
            with _lock:
                _answers[memo_key] = (kept, None, None)
            return kept  # type: ignore[no-any-return]
    listed = _read_list(list_path) if list_key is not None else None
    version = latest_version(listed or (), [s.stmt.old_version for s in sites])
    got: Latest | None = None
    checked: str | None = None  # a go.mod outside the cache: checked on every use
    gomod: str | None = None
    if version:
        rep = replacement(sites, path, version)
        try:
            if rep is None:
                gomod = cache_path(gomodcache, path, version, "mod")
            elif rep.target_dir is not None:
                gomod = checked = str(Path(rep.target_dir) / "go.mod")
            else:
                gomod = cache_path(gomodcache, rep.stmt.new_path, rep.stmt.new_version, "mod")
        except ValueError:
            gomod = None
        read = _read_mod(gomod) if gomod is not None else None
        if gomod is not None and read is not None:
            got = Latest(path, version, gomod, read[0], read[1])
    with _lock:
        if len(_answers) >= _MEMO_MAX:
            _answers.clear()
        _answers[memo_key] = (got, checked, file_identity(checked) if checked is not None else None)
    if stored:
        assert store is not None and list_key is not None
        _store_answer(store, list_path, list_key, got, gomod)
    return got


def _stored_answer(store: SmallFacts, path: str, list_path: str, list_key: FileIdentity) -> Any:
    """The stored answer for ``path``'s list (None: no answer), when the ``.mod`` it
    read is unchanged too; :data:`MISS` otherwise."""
    value = store.get("latest", list_path, stored_ident(list_key))
    if value is MISS:
        return MISS
    version, gomod, mod_ident, retract, deprecated = value
    if gomod is not None:
        try:
            if ident_of(os.stat(gomod)) != tuple(mod_ident):
                return MISS
        except (OSError, ValueError):
            return MISS
    if not version or gomod is None or retract is None:
        return None
    return Latest(path, version, gomod, tuple(Retraction(*r) for r in retract), deprecated)


def _store_answer(
    store: SmallFacts,
    list_path: str,
    list_key: FileIdentity,
    got: Latest | None,
    gomod: str | None,
) -> None:
    mod_ident = None
    if gomod is not None:
        try:
            mod_ident = ident_of(os.stat(gomod))
        except (OSError, ValueError):
            return  # gone meanwhile: nothing worth keeping
    value = (
        got.version if got is not None else "",
        gomod,
        mod_ident,
        tuple((r.low, r.high, r.rationale) for r in got.retract) if got is not None else None,
        got.deprecated if got is not None else "",
    )
    store.put("latest", list_path, stored_ident(list_key), value)


def gather(
    gomodcache: str, needs: BuildNeeds, store: SmallFacts | None = None
) -> dict[str, Latest]:
    """The latest go.mod of every selected module path of the build (main modules
    aside), from ``gomodcache`` (``store``: see :func:`read_latest`)."""
    out: dict[str, Latest] = {}
    for need in needs.selected():
        if need.path in needs.main_modules or need.path in out:
            continue
        got = read_latest(gomodcache, need.path, needs.replaces, store)
        if got is not None:
            out[need.path] = got
    return out
