"""Reading go.mod files for the module graph (the I/O edge of
:mod:`gomod_doctor.workspace.modgraph`).

A module version's go.mod comes from where the go command reads it without the
network: ``GOMODCACHE/cache/download/<path>/@v/<version>.mod``, or for a directory
replacement ``<dir>/go.mod`` (an editor's unsaved buffer counts). Dependencies'
go.mod files are parsed as go parses them (``modfile.ParseLax``: unknown directives
are ignored). Parsed summaries are memoized by the file's identity, so an edit of
the workspace re-reads none of them.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gomod_doctor.cache.layout import CachePathError, cache_path
from gomod_doctor.cache.smallfacts import MISS, Ident, SmallFacts
from gomod_doctor.modfile.rules import canonical_version, parse_mod
from gomod_doctor.workspace.model import Snapshot
from gomod_doctor.workspace.modgraph import (
    MainModule,
    Missing,
    ModuleGraph,
    ModuleVersion,
    Reader,
    ReadResult,
    ReplaceRule,
    Summary,
    Unreadable,
    load,
    main_module,
    replace_rules,
)

_lock = threading.Lock()
_memo: dict[tuple[str, int, int, int, int], ReadResult] = {}
_MEMO_MAX = 20_000
#: modfetch's oldVgoPrefix: a cached .mod starting with it counts as not cached
_OLD_VGO_PREFIX = b"//vgo 0.0."


_FIELD = re.compile(r"[^\s\"`()]+")
_GO_VERSION = re.compile(r"[1-9][0-9]*(\.(0|[1-9][0-9]*)){0,2}([a-z]+[0-9]+)?")


def _fast_summary(text: str) -> Summary | None:
    """The summary of a plain go.mod (module, go, toolchain and require lines, simple
    comments) without the full parser, or None for anything else (the full parser
    decides then). Dependencies' go.mod files are nearly always this plain, and the
    module graph reads hundreds of them."""
    module = go = ""
    requires: list[ModuleVersion] = []
    in_block = False
    for raw in text.split("\n"):
        code, _, comment = raw.partition("//")
        if "Deprecated" in comment:
            return None  # a deprecation comment: its exact reading is the parser's
        f = code.split()
        if not f:
            continue
        if in_block:
            if f == [")"]:
                in_block = False
                continue
            if len(f) != 2:
                return None
            path, version = f
        elif f[0] == "require":
            if f[1:] == ["("]:
                in_block = True
                continue
            if len(f) != 3:
                return None
            path, version = f[1], f[2]
        elif len(f) == 2 and f[0] in ("module", "go", "toolchain"):
            if not _FIELD.fullmatch(f[1]):
                return None
            if f[0] == "module":
                module = f[1]
            elif f[0] == "go":
                if not _GO_VERSION.fullmatch(f[1]):
                    return None
                go = f[1]
            # (ParseLax reads no toolchain line of a dependency)
            continue
        else:
            return None
        if not _FIELD.fullmatch(path) or canonical_version(version) != version:
            return None
        requires.append(ModuleVersion(path, version))
    if in_block:
        return None
    return Summary(module, go, tuple(requires))


def _parse(text: str, name: str, shown: str) -> ReadResult:
    """go's ``modfile.ParseLax(name, ...)``; its errors say ``parsing <shown>: ...``."""
    fast = _fast_summary(text)
    if fast is not None:
        return fast
    f = parse_mod(text, name, lax=True)
    errors = f.go_errors
    if errors:
        return Unreadable(f"parsing {shown}: " + "\n".join(e.go_text for e in errors))
    return Summary.of(f)


FileIdentity = tuple[str, int, int, int, int]


def file_identity(path: str) -> FileIdentity | None:
    """What memos of a file's contents are keyed by (path, inode, size, mtime, mode);
    None when it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (path, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)


def stored_ident(key: FileIdentity) -> Ident:
    """``key`` as :class:`~gomod_doctor.cache.smallfacts.SmallFacts` keys files."""
    return (key[2], key[3], key[1], key[4])


def read_file(path: str, name: str, shown: str, store: SmallFacts | None = None) -> ReadResult:
    """The summary of the go.mod at ``path`` (go parses it as ``name`` and calls it
    ``shown``); ``store`` keeps it across processes (for the module cache's files)."""
    key = file_identity(path)
    if key is None:
        return Missing(path)
    with _lock:
        hit = _memo.get(key)
    if hit is not None:
        return hit
    ident = stored_ident(key)
    if store is not None:
        kept = store.get("gomod", path, ident)
        if kept is not MISS:
            found = _decoded(kept)
            with _lock:
                _memo[key] = found
            return found
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        # go treats an unreadable cached .mod as not cached and fetches it again; a
        # replacement directory's go.mod that cannot be read is replace-missing
        return Missing(path)
    if not data or data.startswith(_OLD_VGO_PREFIX):
        # a cached .mod cut short (cache-incomplete says so), or one go ignores
        return Missing(path)
    got = _parse(data.decode("utf-8", "surrogateescape"), name, shown)
    with _lock:
        if len(_memo) >= _MEMO_MAX:
            _memo.clear()
        _memo[key] = got
    if store is not None and not isinstance(got, Missing):
        store.put("gomod", path, ident, _encoded(got))
    return got


def _encoded(r: Summary | Unreadable) -> tuple[object, ...]:
    """``r`` as plain data (for :class:`SmallFacts`)."""
    if isinstance(r, Unreadable):
        return ("unreadable", r.message)
    return (
        "summary",
        r.module,
        r.go,
        tuple((m.path, m.version) for m in r.require),
        r.deprecated,
        r.toolchain,
    )


def _decoded(v: Any) -> Summary | Unreadable:
    if v[0] == "unreadable":
        return Unreadable(v[1])
    _, module, go, require, deprecated, toolchain = v
    return Summary(
        module, go, tuple(ModuleVersion(p, ver) for p, ver in require), deprecated, toolchain
    )


def reader(
    gomodcache: str | None,
    *,
    cwd: Path | None = None,
    overlays: Mapping[Path, str] | None = None,
    store: SmallFacts | None = None,
) -> Reader:
    """A :data:`~gomod_doctor.workspace.modgraph.Reader` over ``gomodcache`` (None: no
    usable module cache, so every module version is missing); ``store`` keeps what the
    cache's go.mod files say across processes."""

    def read(m: ModuleVersion) -> ReadResult:
        if m.version == "":
            gomod = Path(m.path) / "go.mod"
            short = _short(gomod, cwd)
            if overlays is not None and gomod in overlays:
                return _parse(overlays[gomod], str(gomod), short)
            return read_file(str(gomod), str(gomod), short)
        if not gomodcache:
            return Missing("")
        try:
            path = cache_path(gomodcache, m.path, m.version, "mod")
        except CachePathError as e:
            return Unreadable(str(e))
        return read_file(path, "go.mod", "go.mod", store)

    return read


#: fetched go.mod files by module version, as the network part fetched and verified them
Fetched = Mapping[tuple[str, str], bytes]

_fetched_memo: dict[tuple[str, str, bytes], ReadResult] = {}


def with_fetched(read: Reader, fetched: Fetched | None) -> Reader:
    """``read``, but a go.mod the module cache lacks is taken from ``fetched`` (the
    ``.mod`` files the network part fetched and verified), parsed as go parses a
    dependency's go.mod."""
    if not fetched:
        return read

    def read_more(m: ModuleVersion) -> ReadResult:
        got = read(m)
        if not isinstance(got, Missing) or not m.version:
            return got
        data = fetched.get((m.path, m.version))
        if data is None:
            return got
        key = (m.path, m.version, data)
        with _lock:
            hit = _fetched_memo.get(key)
        if hit is not None:
            return hit
        parsed = _parse(data.decode("utf-8", "surrogateescape"), "go.mod", "go.mod")
        with _lock:
            if len(_fetched_memo) >= _MEMO_MAX:
                _fetched_memo.clear()
            _fetched_memo[key] = parsed
        return parsed

    return read_more


def _short(path: Path, cwd: Path | None) -> str:
    if cwd is None:
        return str(path)
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return str(path)
    return rel if len(rel) < len(str(path)) else str(path)


def graph_key(snapshot: Snapshot, overlays: Mapping[Path, str] | None = None) -> object:
    """What :func:`graph_of` depends on besides the module cache's files: the graph
    inputs of the main modules and of go.work, and the identity of each replacement
    directory's go.mod (an edited buffer by its text). Equal keys give equal graphs
    while the module cache is unchanged."""
    mains = tuple(
        main_module(m.mod.module.path, m.dir, m.mod, m.gomod.path)
        for m in snapshot.modules
        if m.mod is not None and m.mod.module is not None
    )
    work = snapshot.work
    work_rules: tuple[ReplaceRule, ...] = ()
    work_go = ""
    if work is not None and snapshot.work_file is not None:
        work_rules = tuple(replace_rules(work.replace, snapshot.work_file.path))
        work_go = work.go.version if work.go is not None else ""
    dirs = sorted(
        {r.new.path for mm in mains for r in mm.replace if not r.new.version}
        | {r.new.path for r in work_rules if not r.new.version}
    )
    identities: list[tuple[str, object]] = []
    for d in dirs:
        gomod = Path(d) / "go.mod"
        if overlays is not None and gomod in overlays:
            identities.append((d, overlays[gomod]))
            continue
        try:
            st = os.stat(gomod)
        except OSError:
            identities.append((d, None))
            continue
        identities.append((d, (st.st_ino, st.st_size, st.st_mtime_ns)))
    return (mains, work is not None, work_go, work_rules, tuple(identities))


def graph_of(
    snapshot: Snapshot,
    gomodcache: str | None,
    *,
    overlays: Mapping[Path, str] | None = None,
    fetched: Fetched | None = None,
    store: SmallFacts | None = None,
) -> ModuleGraph | None:
    """The module graph of ``snapshot``'s workspace, its go.mod files read from
    ``gomodcache`` (None: no usable module cache; the graph is then the workspace's own
    requirements), and those the cache lacks from ``fetched`` (the network part's
    verified ``.mod`` files). None when there is no main module to start from.
    ``store``: what the cache's go.mod files said in earlier processes."""
    mains: list[MainModule] = []
    for m in snapshot.modules:
        if m.mod is None or m.mod.module is None or not m.mod.module.path:
            continue
        if any(x.path == m.mod.module.path for x in mains):
            continue  # go stops at a module listed twice (the load check says it)
        mains.append(main_module(m.mod.module.path, m.dir, m.mod, m.gomod.path))
    if not mains:
        return None
    work = snapshot.work
    workspace = work is not None and snapshot.work_file is not None
    if not workspace and len(mains) != 1:
        return None
    work_replace = (
        replace_rules(work.replace, snapshot.work_file.path)
        if work is not None and snapshot.work_file is not None
        else []
    )
    on_disk = reader(gomodcache, cwd=snapshot.location.root, overlays=overlays, store=store)
    g = load(
        mains,
        with_fetched(on_disk, fetched),
        workspace=workspace,
        work_go=(work.go.version if work is not None and work.go is not None else ""),
        work_replace=work_replace,
    )
    g.read = on_disk
    return g
