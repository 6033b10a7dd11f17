"""The engine: gather the facts of a workspace (I/O), then run every check (pure).

The CLI and the language server are thin adapters over :func:`gather` and
:func:`run`.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gomod_doctor.cache import layout as cache_layout
from gomod_doctor.cache import modindex, smallfacts
from gomod_doctor.cache import results as cache_results
from gomod_doctor.cache import state as cache_state
from gomod_doctor.checks import buildindex, cache, goversion, load, sums, syntax, work
from gomod_doctor.checks import graph as graph_check
from gomod_doctor.checks import imports as imports_check
from gomod_doctor.checks import replace as replace_check
from gomod_doctor.checks import retract as retract_check
from gomod_doctor.checks import vendor as vendor_check
from gomod_doctor.config import Config
from gomod_doctor.facts import DirInfo, Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv import godebugs
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.modfile.rules import parse_mod
from gomod_doctor.modfile.syntax import FileSyntax, LineBlock
from gomod_doctor.position import Position, Range
from gomod_doctor.workspace import gomods
from gomod_doctor.workspace import latest as latest_mods
from gomod_doctor.workspace import needs as build_needs
from gomod_doctor.workspace import snapshot as snapshots
from gomod_doctor.workspace import vendor as vendoring
from gomod_doctor.workspace.graphmemo import GraphStore
from gomod_doctor.workspace.imports import (
    ModuleImports,
    TransitiveImports,
    scan_module_imports,
    transitive_imports,
)
from gomod_doctor.workspace.model import Latest, ModuleFiles, Snapshot, WorkspaceLocation, use_dir
from gomod_doctor.workspace.modgraph import ModuleGraph

if TYPE_CHECKING:  # the network code (httpx) loads only when it is used
    from gomod_doctor.cache import verify as cache_verify
    from gomod_doctor.netfacts import NetworkFacts
    from gomod_doctor.network.proxy import NetworkCache
    from gomod_doctor.network.quiet import NetworkOptions

log = logging.getLogger(__name__)

VerifyLevel = Literal["off", "quick", "full"]
Check = Callable[[Facts], list[Finding]]


def _network_check(facts: Facts) -> list[Finding]:
    """The network checks, loaded only when there are network facts to check."""
    if facts.network is None:
        return []
    from gomod_doctor.checks import network as network_check

    return network_check.check(facts)


CHECKS: Sequence[tuple[str, Check]] = (
    ("syntax", syntax.check),
    ("load", load.check),
    ("work", work.check),
    ("replace", replace_check.check),
    ("imports", imports_check.check),
    ("graph", graph_check.check),
    ("vendor", vendor_check.check),
    ("cache", cache.check),
    ("buildindex", buildindex.check),
    ("sums", sums.check),
    ("goversion", goversion.check),
    ("retract", retract_check.check),
    ("network", _network_check),  # no findings unless facts.network is set
)

#: The checks that speak of lines in an unterminated block.
PARSE_CHECKS = frozenset({"syntax", "load"})

#: The checks that need the module cache (skipped with verify "off").
CACHE_CHECKS = frozenset({"cache", "buildindex", "sums", "goversion", "imports", "graph"})


@dataclass
class Result:
    findings: list[Finding]
    internal_errors: list[str] = field(default_factory=list)
    verify_stats: cache_results.VerifyStats | None = None


# --------------------------------------------------------------------------- I/O edge


def _dir_info(
    d: Path,
    overlays: Mapping[Path, str] | None,
    known: Mapping[Path, ModuleFiles] | None = None,
) -> DirInfo:
    """What a ``replace``/``use`` directory holds; a workspace module's (``known``) is
    taken from the snapshot, already read and parsed."""
    m = known.get(d) if known is not None else None
    if m is not None and m.gomod.text is not None:
        mod = m.mod
        module_path = mod.module.path if mod is not None and mod.module is not None else None
        return DirInfo(d, True, m.gomod, module_path)
    try:
        exists = d.is_dir()
    except OSError:
        exists = False
    if not exists:
        return DirInfo(d, False)
    gomod = snapshots.read_file(d / "go.mod", overlays)
    module_path = None
    if gomod.text is not None:
        parsed = parse_mod(gomod.text, str(gomod.path))
        module_path = parsed.module.path if parsed.module is not None else None
    return DirInfo(d, True, gomod, module_path)


def scan_imports(snapshot: Snapshot) -> dict[Path, ModuleImports]:
    out: dict[Path, ModuleImports] = {}
    for m in snapshot.modules:
        if m.mod is None:
            continue
        out[m.dir] = scan_module_imports(m.dir, ignore=[i.path for i in m.mod.ignore])
    return out


class TransitiveMemo:
    """The last transitive import graph, reused while its inputs are unchanged.

    The language server re-gathers on every keystroke in go.mod; the package graph
    below the workspace's imports only changes when the imports, the build list or
    the files on disk change. The key covers the first two; the caller calls
    :meth:`clear` when files change on disk.

    With a ``store`` (:class:`~gomod_doctor.workspace.graphmemo.GraphStore`), a graph
    not in memory is looked for on disk (checked against the identity of every path
    it depends on) before it is walked, and a walked graph is stored: a new CLI
    process or a restarted server skips the walk when nothing changed.
    """

    def __init__(self, store: GraphStore | None = None) -> None:
        self._lock = threading.Lock()
        self._key: object = None
        self._value: TransitiveImports | None = None
        self.store = store

    def clear(self) -> None:
        with self._lock:
            self._key, self._value = None, None

    def get(
        self,
        snapshot: Snapshot,
        imports: Mapping[Path, ModuleImports],
        needs: build_needs.BuildNeeds,
        gomodcache: str | None,
    ) -> TransitiveImports:
        direct = build_needs.workspace_imports(snapshot, imports)
        build_list = needs.build_list(gomodcache)
        key = (
            tuple(direct),  # the walk starts from the import paths, in this order
            tuple(sorted((p, m.version, str(m.dir), m.local) for p, m in build_list.items())),
            tuple(sorted(needs.main_modules)),
        )
        with self._lock:
            if self._key == key and self._value is not None:
                return self._value
        store = self.store
        if store is None:
            value = transitive_imports(direct, build_list, main_modules=needs.main_modules)
        else:
            workspace = f"{snapshot.location.main_file}\0{gomodcache or ''}"
            digest = store.digest(key)
            stored = store.load(workspace, digest)
            if stored is not None:
                value = stored
            else:
                observed: list[str] = []
                started = time.time_ns()
                value = transitive_imports(
                    direct, build_list, main_modules=needs.main_modules, observe=observed.append
                )
                store.save(workspace, digest, observed, value, started)
        with self._lock:
            self._key, self._value = key, value
        return value


class StateMemo:
    """Quick cache states kept across edits: the module cache only changes on disk,
    and the caller (the language server, which watches the needed cache entries)
    calls :meth:`clear` when it does. Module versions not seen before are inspected.
    ``index`` keeps what go's module index entries list and the directories hold."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[tuple[str, str, str], cache_state.ModuleState] = {}
        self.index = modindex.IndexMemo()
        #: the module graph (and the latest versions' go.mod facts) of the last inputs:
        #: what the go.mod files read from the cache say only changes on disk
        self._graph: tuple[object, ModuleGraph | None] | None = None
        self._latest: tuple[object, dict[str, Latest]] | None = None

    def clear(self) -> None:
        with self._lock:
            self._states.clear()
            self._graph = None
            self._latest = None
        self.index.clear()

    def graph(self, key: object, load: Callable[[], ModuleGraph | None]) -> ModuleGraph | None:
        """The graph for ``key`` (the main modules' graph inputs), loaded if new."""
        with self._lock:
            hit = self._graph
        if hit is not None and hit[0] == key:
            return hit[1]
        got = load()
        with self._lock:
            self._graph = (key, got)
        return got

    def latest(self, key: object, load: Callable[[], dict[str, Latest]]) -> dict[str, Latest]:
        """The latest versions' facts for ``key`` (the selected versions and the
        replacements), read if new."""
        with self._lock:
            hit = self._latest
        if hit is not None and hit[0] == key:
            return hit[1]
        got = load()
        with self._lock:
            self._latest = (key, got)
        return got

    def get_many(
        self,
        gomodcache: str,
        keys: Iterable[tuple[str, str]],
        store: smallfacts.SmallFacts | None = None,
    ) -> dict[tuple[str, str], cache_state.ModuleState]:
        wanted = list(dict.fromkeys(keys))
        with self._lock:
            known = {k: self._states.get((gomodcache, k[0], k[1])) for k in wanted}
        missing = [k for k, st in known.items() if st is None]
        fresh = cache_state.inspect_many(gomodcache, missing, store) if missing else {}
        with self._lock:
            for k, fresh_state in fresh.items():
                self._states[(gomodcache, k[0], k[1])] = fresh_state
        out: dict[tuple[str, str], cache_state.ModuleState] = {}
        for k in wanted:
            st = known[k] or fresh.get(k)
            if st is not None:
                out[k] = st
        return out


def gather(
    location: WorkspaceLocation,
    env: GoEnv,
    *,
    overlays: Mapping[Path, str] | None = None,
    verify: VerifyLevel = "quick",
    memo: str | None = None,
    no_memo: bool = False,
    progress: cache_results.Progress | None = None,
    cancel: cache_results.Cancel | None = None,
    imports: Mapping[Path, ModuleImports] | None = None,
    transitive_memo: TransitiveMemo | None = None,
    state_memo: StateMemo | None = None,
    while_verifying: Callable[[Facts], None] | None = None,
    graph_mods: gomods.Fetched | None = None,
) -> tuple[Facts, cache_results.VerifyStats | None]:
    """Read everything the checks need. ``imports`` reuses an earlier scan.

    ``graph_mods``: go.mod files the module cache lacks, fetched and verified by the
    network part (:attr:`NetworkFacts.graph_mods`): the module graph reads them where
    the cache stops.

    ``while_verifying(facts)`` is called once the facts are complete but for full
    verification (``facts.full``), while its workers may still be hashing: e.g. to
    start the network gather (:func:`start_network`) meanwhile.

    Unless ``verify`` is "off" (nothing of the module cache is read), the transitive
    import graph is read too, so modules providing packages that dependencies import
    count as needing their zip.
    """
    snap = snapshots.load(location, overlays=overlays, env=env.as_dict())
    scanned = dict(imports) if imports is not None else scan_imports(snap)
    mode = vendoring.build_mode(snap, env.mod_flag)
    if mode.mode == "vendor":
        verify = "off"  # go builds from the vendor directory: the module cache is not read
    # an unusable module cache stops go before anything is read from it: one finding
    modcache_error = cache_layout.modcache_problem(env.GOMODCACHE) if verify != "off" else None
    gomodcache = "" if modcache_error else env.GOMODCACHE
    # what the cache's small files said, kept across processes (unless --no-memo)
    store = smallfacts.store_for(gomodcache) if gomodcache and not no_memo else None
    graph = None
    if verify != "off":

        def load_graph() -> ModuleGraph | None:
            return gomods.graph_of(
                snap, gomodcache or None, overlays=overlays, fetched=graph_mods, store=store
            )

        if state_memo is not None:
            # a fetched go.mod is verified: its module version names its content
            key = (gomods.graph_key(snap, overlays), gomodcache, frozenset(graph_mods or ()))
            graph = state_memo.graph(key, load_graph)
        else:
            graph = load_graph()
    needs = build_needs.compute(snap, scanned, graph=graph)
    pending: cache_verify.PendingVerify | None = None
    if verify == "full" and gomodcache:
        # Worker pools and the memo's database load only for full verification.
        from gomod_doctor.cache import verify as cache_verify

        # Started now, so that the workers hash while the import graph is walked:
        # every module version the build list fetches, with its extracted directory
        # when there is one (as go mod verify does). The directories of modules
        # whose packages nothing imports are left out of the facts below.
        keys = dict.fromkeys(n.fetch for n in needs.needs.values() if n.fetch is not None)
        pending = cache_verify.start_verify(
            gomodcache,
            [(p, v, True) for p, v in keys if p],
            progress=progress,
            cancel=cancel,
            memo=memo,
            no_memo=no_memo,
        )
    try:
        facts = _gather_rest(
            location,
            env,
            snap,
            scanned,
            needs,
            verify,
            overlays,
            transitive_memo,
            state_memo,
            gomodcache,
            store,
        )
        facts.modcache_error = modcache_error
        facts.build_mode = mode
        facts.graph_mods = dict(graph_mods or {})
        if while_verifying is not None:
            while_verifying(facts)
    finally:
        result = pending.result() if pending is not None else None
    stats: cache_results.VerifyStats | None = None
    if result is not None:
        wanted = wanted_versions(needs)
        facts.full = {k: m if wanted.get(k) else _without_dir(m) for k, m in result.modules.items()}
        stats = result.stats
    return facts, stats


def wanted_versions(needs: build_needs.BuildNeeds) -> dict[tuple[str, str], bool]:
    """The module versions of the module graph that matter, each with whether the build
    needs the zip: every workspace requirement, and the versions only the graph brings
    in whose files a build reads (with pruning, not the go.mod of a module no loaded
    package comes from). What the cache state, full verification and the watch
    targets cover."""
    wanted: dict[tuple[str, str], bool] = {}
    for need in needs.needs.values():
        fetch = need.fetch
        if fetch is not None and (need.requires or need.needs_gomod or need.needs_zip):
            wanted[fetch] = wanted.get(fetch, False) or need.needs_zip
    return wanted


def _without_dir(m: cache_results.ModuleVerification) -> cache_results.ModuleVerification:
    return dataclasses.replace(
        m, dir_checked=False, dir_h1=None, dir_error=None, dir_from_memo=False, diff=None
    )


def _gather_rest(
    location: WorkspaceLocation,
    env: GoEnv,
    snap: Snapshot,
    scanned: dict[Path, ModuleImports],
    needs: build_needs.BuildNeeds,
    verify: VerifyLevel,
    overlays: Mapping[Path, str] | None,
    transitive_memo: TransitiveMemo | None,
    state_memo: StateMemo | None,
    gomodcache: str,
    store: smallfacts.SmallFacts | None = None,
) -> Facts:
    """What :func:`gather` reads besides full verification (``gomodcache``: the module
    cache, "" when there is none to read)."""
    if verify != "off":
        tmemo = transitive_memo if transitive_memo is not None else TransitiveMemo()
        transitive = tmemo.get(snap, scanned, needs, gomodcache or None)
        build_needs.add_transitive(needs, transitive)
    facts = Facts(snapshot=snap, env=env, needs=needs, imports=scanned, verify_level=verify)
    facts.godebugs = godebugs.load(env.GOROOT, env.GOVERSION)

    dirs: set[Path] = {s.target_dir for s in needs.replaces if s.target_dir is not None}
    if snap.work is not None:
        dirs.update(use_dir(location.root, u.path) for u in snap.work.use)
    known = {m.dir: m for m in snap.modules}
    facts.dirs = {d: _dir_info(d, overlays, known) for d in sorted(dirs)}

    if verify != "off" and gomodcache:
        wanted = wanted_versions(needs)
        if state_memo is not None:
            facts.cache = state_memo.get_many(gomodcache, wanted, store)
        else:
            facts.cache = cache_state.inspect_many(gomodcache, wanted, store)
        # go's module index of each extracted dir the build uses (go builds from it)
        used = [
            k
            for k, needs_zip in wanted.items()
            if needs_zip and (st := facts.cache.get(k)) and st.extracted.status == "complete"
        ]
        facts.build_index = modindex.gather(
            modindex.scope(env),
            gomodcache,
            used,
            state_memo.index if state_memo is not None else None,
        )
        # retractions and deprecations: the latest go.mod of each module in the cache
        if state_memo is not None:
            selected = tuple(sorted((n.path, n.version) for n in needs.selected()))
            reps = tuple(
                (
                    str(r.file),
                    r.stmt.old_path,
                    r.stmt.old_version,
                    r.stmt.new_path,
                    r.stmt.new_version,
                )
                for r in needs.replaces
            )
            facts.latest = state_memo.latest(
                (gomodcache, selected, reps), lambda: latest_mods.gather(gomodcache, needs, store)
            )
        else:
            facts.latest = latest_mods.gather(gomodcache, needs, store)
        if store is not None:
            store.save()  # (only when something was added)
    return facts


# --------------------------------------------------------------------------- network


def gather_network(
    facts: Facts,
    *,
    offline: bool,
    environ: Mapping[str, str] | None = None,
    options: NetworkOptions | None = None,
    cache: NetworkCache | None = None,
) -> None:
    """Set ``facts.network``: the GOPROXY answers (issue 5), after the local gather.

    Bounded by ``options.timeouts.overall`` (6 s by default) whatever the proxies do.
    ``offline`` (``--offline``, ``network: off``, an untrusted workspace): no request
    at all, only what the settings alone tell. Async callers (the language server)
    await :func:`gomod_doctor.network.gather_network` instead.
    """
    facts.network = start_network(
        facts, offline=offline, environ=environ, options=options, cache=cache
    )()


def start_network(
    facts: Facts,
    *,
    offline: bool,
    environ: Mapping[str, str] | None = None,
    options: NetworkOptions | None = None,
    cache: NetworkCache | Callable[[], NetworkCache] | None = None,
) -> Callable[[], NetworkFacts]:
    """:func:`gather_network` in two steps: it starts now (on its own thread); call
    what this returns for the network facts (within the same deadline).

    When no request can be sent (offline, GOPROXY off or invalid...: see
    :mod:`gomod_doctor.network.quiet`), the facts are worked out at once, with no
    thread and no client loaded. ``cache`` may be a function that makes the cache:
    it is called only when a request can be sent."""
    from gomod_doctor.network.quiet import quiet_gather

    quiet = quiet_gather(facts, environ, offline=offline, options=options)
    if quiet is not None:
        return lambda: quiet
    from gomod_doctor.network.gather import start_bounded

    if callable(cache):
        cache = cache()
    return start_bounded(facts, environ, offline=offline, options=options, cache=cache)


# --------------------------------------------------------------------------- checks


def unreadable_findings(snapshot: Snapshot) -> list[Finding]:
    """Files the workspace names but that could not be read (not merely missing)."""
    out: list[Finding] = []
    for f in snapshot.files():
        if f.error is not None:
            at = Range(Position(1, 1, 0), Position(1, 1, 0))
            out.append(Finding(str(f.path), at, "parse-error", Severity.ERROR, f.error))
    return out


def _unterminated_blocks(snapshot: Snapshot) -> dict[str, int]:
    """For each go.mod and go.work with an unterminated block (a syntax error), the
    line where that block starts: go reads none of what follows, so only the syntax
    error is said of those lines."""
    out: dict[str, int] = {}
    files: list[tuple[str, FileSyntax]] = [
        (str(m.gomod.path), m.mod.syntax) for m in snapshot.modules if m.mod is not None
    ]
    if snapshot.work is not None and snapshot.work_file is not None:
        files.append((str(snapshot.work_file.path), snapshot.work.syntax))
    for path, fs in files:
        for x in fs.stmts:
            if isinstance(x, LineBlock) and x.rparen.pos is None:
                out[path] = x.start.line
                break
    return out


def _inside(f: Finding, unread: Mapping[str, int]) -> bool:
    start = unread.get(f.path)
    return start is not None and f.range.start.line >= start


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, int, int, str, str]] = set()
    out: list[Finding] = []
    for f in findings:
        key = (f.path, f.range.start.offset, f.range.end.offset, f.code, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def run(facts: Facts, config: Config | None = None) -> Result:
    """All findings for ``facts``. A failing check is reported, never fatal."""
    config = config or Config()
    findings: list[Finding] = unreadable_findings(facts.snapshot)
    errors: list[str] = []
    unread = _unterminated_blocks(facts.snapshot)
    for name, check in CHECKS:
        if name in CACHE_CHECKS and facts.verify_level == "off":
            continue
        try:
            found = check(facts)
            if unread and name not in PARSE_CHECKS:
                found = [f for f in found if not _inside(f, unread)]
            findings.extend(found)
        except Exception as e:  # one broken check must not stop the others
            log.error("check %s failed: %s", name, traceback.format_exc())
            errors.append(f"internal error in check {name}: {type(e).__name__}: {e}")
    findings = _dedupe(config.apply(findings))
    findings.sort(key=Finding.sort_key)
    return Result(findings, errors)
