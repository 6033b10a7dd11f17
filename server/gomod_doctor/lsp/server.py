"""The language server (``gomod-doctor serve``): LSP glue over the engine.

Scheduling
----------
Each workspace (a go.work, or a module's go.mod) has a :class:`WorkspaceView` and a
runner task. A trigger (an edit, a save, a change on disk, a setting) bumps the
view's *generation* on the event loop and marks it dirty; the runner then takes a
snapshot of the open buffers and settings and runs the quick pass
(:func:`engine.gather` + :func:`engine.run`, and the conversion to diagnostics) in
a worker thread. Its result is published only if no trigger came in meanwhile,
checked on the loop right before publishing: diagnostics computed for an older
document version are never published after a newer one.

Full verification (``verify: "full"``, the default, or
:meth:`GomodDoctorServer.recheck` with ``full=True``) runs after the quick results
are out, in the background, under ``$/progress`` that the client can cancel, in
``cores - 1`` worker processes at lower CPU priority (:mod:`gomod_doctor.cache.verify`,
``background=True``). Its results are facts about cache files, so they are kept
across edits (keyed by GOMODCACHE, module and version) and merged into the latest
analysis when they come, and into every later quick pass: they stay until a change
on disk under that module version's cache entries makes them stale, which starts a
new verification of that module version only. A verification in flight goes on
through the edits that still need what it hashes (what they newly need is verified
after it); it is cancelled, keeping what it finished, when it no longer matters: an
analysis no longer needs one of its module versions (or another GOMODCACHE), the
workspace is closed (its last document closed outside every workspace folder, or
its folder removed), ``verify`` is no longer ``full``, or the server shuts down.

Network checks (issue 5) run after the local results are published, as an async
task on the loop (:func:`gomod_doctor.network.gather_network`, bounded by its
deadline, one :class:`~gomod_doctor.network.proxy.NetworkCache` per server). Their
findings are merged into the latest analysis and published again; until the next
gather finishes, every analysis reuses the view's latest network facts while
GOPROXY, GOSUMDB and the environment are unchanged. A gather in flight is never
waited for: a newer analysis asks for another one, which starts when the current one
ends (so a slow proxy cannot starve it), and whose results are merged into whatever
analysis is the latest then. ``network: off`` and ``trusted: false`` send nothing.
After each publish a ``gomodDoctor/status`` notification summarizes the workspace
(modules, verified, problems, proxy health).

Blocking work never runs on the loop: worker threads are daemon threads (they
never hold up the exit), and the hashing itself runs in worker processes. On
``shutdown`` every cancel event is set and watching stops; on ``exit`` remaining
worker processes are terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import logging
import multiprocessing
import os
import shutil
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from gomod_doctor import __version__, engine
from gomod_doctor.cache import layout
from gomod_doctor.cache import verify as cache_verify
from gomod_doctor.cache.verify import ModuleVerification
from gomod_doctor.config import Config, ConfigError, load_file
from gomod_doctor.facts import Facts
from gomod_doctor.goenv import env as goenv
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.lsp import convert
from gomod_doctor.lsp import network as lspnet
from gomod_doctor.lsp.settings import SECTION, Settings
from gomod_doctor.lsp.state import (
    LANGUAGE_IDS,
    Document,
    ServerState,
    WorkspaceView,
    is_tracked_file,
)
from gomod_doctor.lsp.watch import (
    Debouncer,
    FileChange,
    FileWatcher,
    Root,
    WatchSummary,
    is_ignored,
)
from gomod_doctor.lsp.watchproc import WatchProcess
from gomod_doctor.modfile.work import parse_work
from gomod_doctor.network.model import Comparison, NetworkFacts
from gomod_doctor.workspace import snapshot as snapshots
from gomod_doctor.workspace.discover import WorkspaceError, WorkspaceLocation, locate
from gomod_doctor.workspace.graphmemo import GraphStore
from gomod_doctor.workspace.imports import ModuleImports

if TYPE_CHECKING:  # httpx loads with the first gather
    from gomod_doctor.network.gather import NetworkOptions
    from gomod_doctor.network.proxy import NetworkCache

log = logging.getLogger(__name__)

T = TypeVar("T")
Key = tuple[str, str]  # (module path, version)
CacheKey = tuple[str, str, str]  # (GOMODCACHE, module path, version)

PROGRESS_INTERVAL = 0.1  # seconds between $/progress reports
EDIT_FULL_DELAY = 0.3  # after an edit, wait this long for more before verifying
GC_IDLE = 0.05  # seconds without a publish before a full collection may run
GC_FULL_AFTER = 10  # collections of the middle generation between two full ones
GC_FULL_ANYWAY = 20  # ... or this many even when never idle (memory stays bounded)
CLIENT_TIMEOUT = 10.0  # for our requests to the client
PARENT_POLL = 5.0  # seconds between checks that the client process is alive
WATCH_GLOBS = ("**/go.mod", "**/go.sum", "**/go.work", "**/go.work.sum", "**/*.go")
_LEVELS = {
    "error": types.MessageType.Error,
    "warning": types.MessageType.Warning,
    "warn": types.MessageType.Warning,
    "info": types.MessageType.Info,
    "log": types.MessageType.Log,
    "debug": types.MessageType.Log,
}


# --------------------------------------------------------------------------- progress


class ProgressReporter:
    """Reports ``$/progress`` for one piece of work; callable from any thread.

    Reports are throttled to one per :data:`PROGRESS_INTERVAL`; the latest wins.
    """

    def __init__(
        self, server: GomodDoctorServer, token: str | None, loop: asyncio.AbstractEventLoop
    ) -> None:
        self._server = server
        self._token = token
        self._loop = loop
        self._lock = threading.Lock()
        self._last: tuple[str, int | None] | None = None
        self._pending: tuple[str, int | None] | None = None
        self._scheduled = False
        self._last_sent = 0.0
        self._closed = False

    @property
    def token(self) -> str | None:
        return self._token

    def report(self, message: str, percentage: int | None = None) -> None:
        if percentage is not None:
            percentage = max(0, min(100, int(percentage)))
        with self._lock:
            if self._closed or self._token is None:
                return
            if (message, percentage) == self._last:
                self._pending = None
                return
            self._pending = (message, percentage)
            if self._scheduled:
                return
            self._scheduled = True
            delay = max(0.0, self._last_sent + PROGRESS_INTERVAL - time.monotonic())
        with contextlib.suppress(RuntimeError):  # a closed loop: exiting
            self._loop.call_soon_threadsafe(self._later, delay)

    def _later(self, delay: float) -> None:
        self._loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        with self._lock:
            self._scheduled = False
            if self._closed or self._pending is None or self._token is None:
                return
            message, pct = self._pending
            self._pending = None
            self._last = (message, pct)
            self._last_sent = time.monotonic()
            token = self._token
        self._server._progress_report(token, message, pct)

    def close(self) -> None:
        with self._lock:
            self._closed = True


# --------------------------------------------------------------------------- analysis


@dataclass
class _FullEntry:
    verification: ModuleVerification
    when: float
    stale: bool = False


@dataclass
class _Targets:
    """What a view watches and what a change to it means."""

    signature: tuple[object, ...] = ()
    roots: set[Root] = field(default_factory=set)
    files: set[Path] = field(default_factory=set)  # workspace and replacement go.mod files
    go_dirs: set[Path] = field(default_factory=set)  # directories whose .go files count
    extracted: dict[Path, Key] = field(default_factory=dict)
    downloads: dict[Path, set[Key]] = field(default_factory=dict)
    partial: dict[Key, Path] = field(default_factory=dict)  # the .partial marker
    ancestors: set[Path] = field(default_factory=set)  # dirs whose creation matters
    goenv: Path | None = None


@dataclass
class _Inputs:
    location: WorkspaceLocation
    env: GoEnv
    settings: Settings
    overlays: dict[Path, str]
    versions: dict[Path, int | None]
    encoding: str
    imports: dict[Path, ModuleImports] | None
    import_signature: dict[Path, tuple[str, ...]] | None
    full_cache: dict[CacheKey, _FullEntry]
    explicit_full: bool
    client_watches: bool
    folders: tuple[Path, ...]
    #: an edit's pass reuses the watch targets when what they derive from is unchanged
    prev_targets: _Targets | None = None
    #: the view's latest network facts (and comparisons), when still in scope
    network: NetworkFacts | None = None
    comparisons: tuple[Comparison, ...] = ()
    #: the workspace's transitive import graph, kept across edits (cleared on disk changes)
    transitive_memo: engine.TransitiveMemo | None = None
    #: the workspace's quick cache states, kept across edits (cleared on disk changes)
    state_memo: engine.StateMemo | None = None


@dataclass
class _Outcome:
    facts: Facts
    result: engine.Result
    config: Config
    wanted: dict[Key, bool]
    gomodcache: str
    known: dict[Key, _FullEntry]
    missing: list[Key]
    diagnostics: dict[Path, list[types.Diagnostic]]
    texts: dict[Path, str]
    #: ``None`` until computed (after publishing, for a pass that cannot reuse them)
    targets: _Targets | None
    import_signature: dict[Path, tuple[str, ...]]
    needs_rescan: bool = False
    config_error: str | None = None


def _import_signature(facts: Facts) -> dict[Path, tuple[str, ...]]:
    out: dict[Path, tuple[str, ...]] = {}
    for m in facts.snapshot.modules:
        if m.mod is not None:
            out[m.dir] = tuple(i.path for i in m.mod.ignore)
    return out


def _read_text(path: Path, overlays: Mapping[Path, str]) -> str | None:
    return snapshots.read_file(path, overlays).text


def _under(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def _targets_signature(
    facts: Facts, inp: _Inputs, wanted: Mapping[Key, bool]
) -> tuple[object, ...]:
    return (
        frozenset(wanted),
        frozenset(facts.dirs),
        frozenset(f.path for f in facts.snapshot.files()),
        frozenset((d, tuple(i.package_dirs)) for d, i in facts.imports.items()),
        facts.env.GOMODCACHE,
        facts.env.GOENV,
        inp.settings.verify,
        inp.client_watches,
        inp.folders,
    )


def _watch_targets(facts: Facts, inp: _Inputs, wanted: Mapping[Key, bool]) -> _Targets:
    signature = _targets_signature(facts, inp, wanted)
    prev = inp.prev_targets
    if prev is not None and prev.signature == signature:
        return prev  # an edit that changed nothing watched: spare the stats
    t = _Targets(signature=signature)

    def client_covers(p: Path) -> bool:
        """The client watches ``p`` for us (its globs, in its folders)."""
        return inp.client_watches and _under(p, inp.folders)

    existing: dict[Path, Path | None] = {}  # the nearest existing ancestor, memoized

    def nearest(d: Path) -> Path | None:
        if d in existing:
            return existing[d]
        try:
            found: Path | None = d if d.is_dir() else None
        except OSError:
            found = None
        if found is None and d.parent != d:
            found = nearest(d.parent)
        existing[d] = found
        return found

    def flat_at(d: Path) -> None:
        """A flat root at ``d``, or at its nearest existing ancestor (whose new
        children on the way to ``d`` then matter)."""
        found = nearest(d)
        if found is not None:
            t.roots.add(Root(found, False))
        t.ancestors.add(d)
        p = d
        while p != found and p.parent != p:
            p = p.parent
            if p == found:
                break
            t.ancestors.add(p)

    # workspace files and the directories of the .go files
    for f in facts.snapshot.files():
        p = Path(os.path.normpath(f.path))
        t.files.add(p)
        if not client_covers(p):
            flat_at(p.parent)
    for mod_dir, imports in facts.imports.items():
        dirs = {mod_dir}
        for rel in imports.package_dirs:
            d = mod_dir / rel if rel else mod_dir
            dirs.add(d)
            dirs.update(a for a in d.parents if mod_dir in a.parents)
        t.go_dirs |= dirs
        if not client_covers(mod_dir):
            for d in dirs:
                t.roots.add(Root(d, False))

    # replacement and use directories: their go.mod
    for d in facts.dirs:
        t.files.add(d / "go.mod")
        t.ancestors.add(d)
        if not client_covers(d):
            flat_at(d)

    # the module cache entries of the needed module versions
    gomodcache = facts.env.GOMODCACHE
    if gomodcache and inp.settings.verify != "off":
        cache = Path(os.path.normpath(gomodcache))
        for key in wanted:
            try:
                files = layout.module_files(str(cache), key[0], key[1])
            except (ValueError, OSError):
                continue
            ext = Path(files.extracted_dir)
            dl = Path(files.download_dir)
            t.extracted[ext] = key
            t.downloads.setdefault(dl, set()).add(key)
            t.partial[key] = Path(files.partial)
            t.ancestors.add(ext)
            if ext.is_dir():
                t.roots.add(Root(ext, True))
            flat_at(ext.parent)
            flat_at(dl)
    # the GOENV file
    genv = facts.env.GOENV
    if genv and genv != "off" and os.path.isabs(genv):
        g = Path(os.path.normpath(genv))
        t.goenv = g
        flat_at(g.parent)
    return t


def _diagnostics(
    facts: Facts, result: engine.Result, inp: _Inputs
) -> tuple[dict[Path, list[types.Diagnostic]], dict[Path, str]]:
    texts: dict[Path, str] = {}
    present: set[Path] = set()
    for ft in facts.snapshot.files():
        p = Path(os.path.normpath(ft.path))
        if ft.text is not None:
            texts[p] = ft.text
            present.add(p)
        elif p in inp.overlays:
            texts[p] = inp.overlays[p]
            present.add(p)

    def text_of(path: str) -> str | None:
        p = Path(os.path.normpath(path))
        if p not in texts:
            got = _read_text(p, inp.overlays)
            if got is None:
                return None
            texts[p] = got
        return texts[p]

    out: dict[Path, list[types.Diagnostic]] = {p: [] for p in present}
    for f in result.findings:
        p = Path(os.path.normpath(f.path))
        text = text_of(f.path)
        if text is None and p not in inp.overlays:
            continue  # a file that does not exist: nothing to show it on
        out.setdefault(p, []).append(
            convert.finding_to_diagnostic(f, text or "", inp.encoding, related_text=text_of)
        )
    return out, texts


def _file_config(root: Path, settings: Settings) -> tuple[Config, str | None]:
    error: str | None = None
    try:
        base = load_file(root)
    except ConfigError as e:
        base, error = Config(), str(e)
    return base.with_severity(settings.severity), error


def _quick_pass(inp: _Inputs) -> _Outcome:
    level: engine.VerifyLevel = (
        "off" if inp.settings.verify == "off" and not inp.explicit_full else "quick"
    )
    facts, _ = engine.gather(
        inp.location,
        inp.env,
        overlays=inp.overlays,
        verify=level,
        imports=inp.imports,
        transitive_memo=inp.transitive_memo,
        state_memo=inp.state_memo,
        # the go.mod files the view's latest network gather fetched where the cache stops
        graph_mods=inp.network.graph_mods if inp.network is not None else None,
    )
    signature = _import_signature(facts)
    needs_rescan = inp.imports is not None and (
        any(d not in inp.imports for d in signature) or signature != inp.import_signature
    )
    wanted = engine.wanted_versions(facts.needs) if level != "off" else {}
    gomodcache = facts.env.GOMODCACHE
    known: dict[Key, _FullEntry] = {}
    missing: list[Key] = []
    for key in wanted:
        entry = inp.full_cache.get((gomodcache, *key))
        if entry is not None and (not entry.stale or inp.settings.verify == "full"):
            known[key] = entry
        if entry is None or entry.stale or inp.explicit_full:
            missing.append(key)
    if known:
        facts.full = {k: e.verification for k, e in known.items()}
        facts.verify_level = "full"
    facts.network = lspnet.carry_network(inp.network, facts, inp.comparisons)
    config, config_error = _file_config(inp.location.root, inp.settings)
    result = engine.run(facts, config)
    diags, texts = _diagnostics(facts, result, inp)
    # The watch targets of an edit that changed nothing they derive from are the
    # last ones; otherwise they are computed after the diagnostics are out.
    prev = inp.prev_targets
    targets = (
        prev
        if prev is not None and prev.signature == _targets_signature(facts, inp, wanted)
        else None
    )
    return _Outcome(
        facts=facts,
        result=result,
        config=config,
        wanted=wanted,
        gomodcache=gomodcache,
        known=known,
        missing=missing,
        diagnostics=diags,
        texts=texts,
        targets=targets,
        import_signature=signature,
        needs_rescan=needs_rescan,
        config_error=config_error,
    )


def _merge_pass(
    out: _Outcome,
    full: dict[Key, _FullEntry],
    inp: _Inputs,
    network: NetworkFacts | None = None,
) -> _Outcome:
    """The quick outcome with full verification results merged in (and ``network``,
    the latest network facts, when given)."""
    known = {k: e for k, e in full.items() if k in out.wanted}
    facts = dataclasses.replace(
        out.facts,
        full={k: e.verification for k, e in known.items()},
        verify_level="full",
        network=network if network is not None else out.facts.network,
    )
    result = engine.run(facts, out.config)
    diags, texts = _diagnostics(facts, result, inp)
    missing = [k for k in out.wanted if k not in known or known[k].stale]
    return dataclasses.replace(
        out,
        facts=facts,
        result=result,
        known=known,
        missing=missing,
        diagnostics=diags,
        texts=texts,
    )


def _network_pass(
    out: _Outcome,
    network: NetworkFacts | None,
    comparisons: tuple[Comparison, ...],
    inp: _Inputs,
) -> _Outcome:
    """The outcome with the latest network facts (gathered for it or for an earlier
    analysis) and the comparisons."""
    carried = lspnet.carry_network(network, out.facts, comparisons)
    facts = dataclasses.replace(out.facts, network=carried)
    result = engine.run(facts, out.config)
    diags, texts = _diagnostics(facts, result, inp)
    return dataclasses.replace(out, facts=facts, result=result, diagnostics=diags, texts=texts)


def _full_pass(
    out: _Outcome,
    full: dict[Key, _FullEntry],
    inp: _Inputs,
    network: NetworkFacts | None,
    comparisons: tuple[Comparison, ...],
) -> _Outcome:
    """The quick outcome with full verification results and the view's latest network
    facts merged in."""
    return _merge_pass(out, full, inp, lspnet.carry_network(network, out.facts, comparisons))


def _verify(
    gomodcache: str,
    requests: list[tuple[str, str, bool]],
    reporter: ProgressReporter,
    cancel: threading.Event,
) -> cache_verify.VerifyResult:
    def progress(done: int, total: int, current: str) -> None:
        pct = int(done * 100 / total) if total > 0 else None
        mb = f"{done / 1e6:.0f}/{total / 1e6:.0f} MB"
        reporter.report(f"{mb} {current}".strip(), pct)

    # In the background (the user types): in a process of its own, whose cores - 1
    # workers run at lower priority.
    return cache_verify.verify_in_background(gomodcache, requests, progress=progress, cancel=cancel)


def resolve_go_binary(settings: Settings, environ: Mapping[str, str]) -> str | None:
    """The go binary settings name (``goBinary``), or ``go`` on the PATH of ``environ``.

    Resolves names without running anything."""
    name = settings.go_binary or "go"
    name = os.path.expanduser(name)
    if os.sep in name or (os.altsep and os.altsep in name):
        return os.path.abspath(name) if os.path.isfile(name) and os.access(name, os.X_OK) else None
    return shutil.which(name, path=environ.get("PATH", os.defpath))


def load_env(settings: Settings, base: Mapping[str, str] | None = None) -> tuple[GoEnv, str | None]:
    """The Go environment for ``settings``, and the go binary (``None`` when untrusted).

    Untrusted, no process is started: GOROOT and GOVERSION come from the binary's
    location and ``$GOROOT/VERSION`` when those settle them, else stay unknown.
    """
    environ = {**(os.environ if base is None else base), **settings.env}
    binary = resolve_go_binary(settings, environ)
    if settings.trusted:
        return goenv.load(environ, go_binary=binary), binary
    root = goenv.goroot_from_binary(binary) if binary else None
    if binary and root and os.path.isfile(os.path.join(root, "VERSION")):
        return goenv.load(environ, go_binary=binary), None
    return goenv.load({**environ, "PATH": ""}, go_binary=None), None


def _retrieved(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


def _env_key(settings: Settings) -> tuple[object, ...]:
    """What :func:`load_env` depends on in the settings."""
    return (tuple(sorted(settings.env.items())), settings.go_binary, settings.trusted)


# --------------------------------------------------------------------------- the server


@dataclass
class _Run:
    """The scheduling state of one view."""

    dirty: bool = False
    rescan: bool = False
    full: bool = False  # an explicit full verification was asked for
    edit: bool = False  # the latest trigger was an edit
    disk: bool = False  # a trigger since the last pass was not an edit: files changed on disk
    task: asyncio.Task[None] | None = None
    waiters: list[asyncio.Future[None]] = field(default_factory=list)
    full_task: asyncio.Task[None] | None = None
    full_cancel: threading.Event | None = None
    #: what the full verification in flight hashes: (GOMODCACHE, its keys, explicit)
    full_scope: tuple[str, frozenset[Key], bool] | None = None
    suppressed: bool = False  # the client cancelled the automatic full verification
    targets: _Targets | None = None
    logged: set[str] = field(default_factory=set)
    #: the latest published analysis: its outcome, inputs and generation
    last: tuple[_Outcome, _Inputs, int] | None = None
    #: the network gather: a new one is wanted (after the one in flight)
    net_dirty: bool = False
    net_task: asyncio.Task[None] | None = None
    #: analyses in a row started because a network gather fetched go.mod files the
    #: module graph lacked (bounded: the graph is then worked out again over them)
    graph_rounds: int = 0


class GomodDoctorServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "gomod-doctor",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.state = ServerState()
        self._runs: dict[Path, _Run] = {}
        self._ready: asyncio.Event | None = None
        self._shutting_down = False
        self._cancel_events: set[threading.Event] = set()
        self._client_cancelled: set[str] = set()
        self._full_cache: dict[CacheKey, _FullEntry] = {}
        self._transitive: dict[Path, engine.TransitiveMemo] = {}
        self._states: dict[Path, engine.StateMemo] = {}
        self._lens_summary: dict[Path, tuple[int, int]] = {}
        self._invalid_since: dict[CacheKey, int] = {}
        self._epoch = 0
        self._go_binary: str | None = None
        self._init_problems: list[str] = []
        self._init_options_settings = Settings()
        self._watcher: WatchProcess | FileWatcher | None = None
        self._env_preload: (
            tuple[tuple[object, ...], asyncio.Future[tuple[GoEnv, str | None]]] | None
        ) = None
        self._debouncer: Debouncer | None = None
        self._client_watches = False
        self._folders: list[Path] = []
        self._last_published: dict[str, tuple[int | None, list[types.Diagnostic]]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._gc_handle: asyncio.TimerHandle | None = None
        self._parent_pid: int | None = None
        self._net_cache: NetworkCache | None = None
        #: the network checks' limits (tests and the benchmark may shorten them)
        self.network_options: NetworkOptions | None = None

    # ---------------------------------------------------------------- shared API

    @property
    def position_encoding(self) -> str:
        try:
            return convert.normalize_encoding(self.workspace.position_encoding)
        except RuntimeError:  # not initialized yet
            return convert.UTF16

    def log(self, message: str, level: str = "info") -> None:
        """``window/logMessage`` (and the server's own log)."""
        kind = _LEVELS.get(level, types.MessageType.Info)
        getattr(log, "error" if kind == types.MessageType.Error else "info")("%s", message)
        if self._shutting_down:
            return
        with contextlib.suppress(Exception):
            self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def go_binary(self) -> str | None:
        """The go command to run; ``None`` when not found or untrusted."""
        if not self.state.settings.trusted:
            return None
        return self._go_binary

    async def recheck(self, paths: Iterable[Path] | None = None, *, full: bool = False) -> None:
        """Re-gather and re-publish the workspaces of ``paths`` (all when ``None``),
        superseding work in flight; with ``full``, also verify every needed module
        version now, and return once that is merged."""
        if self._shutting_down:
            return
        await self._wait_ready()
        views = self._views_for_paths(paths)
        waits = [self._schedule(v, rescan=True, full=full) for v in views]
        if waits:
            await asyncio.gather(*waits, return_exceptions=True)
        if not full:
            return
        for v in views:
            run = self._runs.get(v.location.main_file)
            for _ in range(5):
                task = run.full_task if run is not None else None
                if task is None or task.done():
                    break
                with contextlib.suppress(BaseException):
                    await asyncio.shield(task)
                if run is not None and run.task is not None and not run.task.done():
                    with contextlib.suppress(BaseException):
                        await asyncio.shield(run.task)

    async def run_with_progress(
        self,
        title: str,
        fn: Callable[[ProgressReporter, threading.Event], T],
        *,
        cancellable: bool = True,
        cancel: threading.Event | None = None,
    ) -> T:
        """Run blocking ``fn(reporter, event)`` in a worker thread under work-done
        ``$/progress``. ``event`` is set when the client cancels the progress, on
        shutdown, or by whoever passed ``cancel``."""
        loop = asyncio.get_running_loop()
        event = cancel if cancel is not None else threading.Event()
        self._cancel_events.add(event)
        if self._shutting_down:
            event.set()
        token = await self._create_progress(title, cancellable)
        reporter = ProgressReporter(self, token, loop)
        if token is not None and cancellable:
            fut = self.work_done_progress.tokens.get(token)
            if fut is not None:

                def on_cancel(f: object, tok: str = token) -> None:
                    self._client_cancelled.add(tok)
                    event.set()

                fut.add_done_callback(on_cancel)
        try:
            return await self._in_thread(fn, reporter, event)
        finally:
            reporter.close()
            self._cancel_events.discard(event)
            if token is not None:
                message = "Cancelled" if event.is_set() else "Done"
                self._progress_end(token, message)
                self.work_done_progress.tokens.pop(token, None)

    def client_cancelled(self, reporter: ProgressReporter) -> bool:
        return reporter.token is not None and reporter.token in self._client_cancelled

    # ---------------------------------------------------------------- progress plumbing

    def _supports(self, path: str) -> bool:
        obj: Any = self.client_capabilities
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return False
        return bool(obj)

    async def _create_progress(self, title: str, cancellable: bool) -> str | None:
        if self._shutting_down or not self._supports("window.work_done_progress"):
            return None
        token = f"gomod-doctor-{uuid.uuid4()}"
        try:
            await asyncio.wait_for(
                self.work_done_progress.create_async(token), timeout=CLIENT_TIMEOUT
            )
        except Exception as e:  # the client refused or never answered: no progress UI
            log.info("window/workDoneProgress/create failed: %s", e)
            return None
        if self._shutting_down:
            return None
        self.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(title=title, cancellable=cancellable, percentage=0),
        )
        return token

    def _progress_report(self, token: str, message: str, percentage: int | None) -> None:
        if self._shutting_down:
            return
        with contextlib.suppress(Exception):
            self.work_done_progress.report(
                token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    def _progress_end(self, token: str, message: str) -> None:
        with contextlib.suppress(Exception):
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))

    def _in_thread(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run ``fn(*args)`` in a new daemon thread (never holds up the exit)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()

        def ok(value: T) -> None:
            if not fut.done():
                fut.set_result(value)

        def failed(e: BaseException) -> None:
            if not fut.done():
                fut.set_exception(e)

        def runner() -> None:
            try:
                value = fn(*args)
            except Exception as e:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(failed, e)
            except BaseException as e:  # never let SystemExit & co. escape a thread
                err = RuntimeError(f"{type(e).__name__}: {e}")
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(failed, err)
            else:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(ok, value)

        threading.Thread(target=runner, name="gomod-doctor-work", daemon=True).start()
        return fut

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # ---------------------------------------------------------------- lifecycle

    def on_initialize(self, params: types.InitializeParams) -> None:
        settings, problems = Settings.from_json(params.initialization_options)
        self._init_options_settings = settings
        self.state.settings = settings
        self._init_problems = problems
        folders: list[Path] = []
        for wf in params.workspace_folders or []:
            p = convert.uri_to_path(wf.uri)
            if p is not None:
                folders.append(p)
        if not folders:
            root = params.root_uri or (
                convert.path_to_uri(params.root_path) if params.root_path else None
            )
            p = convert.uri_to_path(root) if root else None
            if p is not None:
                folders.append(p)
        self._folders = folders
        self._parent_pid = params.process_id
        self._client_watches = self._supports(
            "workspace.did_change_watched_files.dynamic_registration"
        )
        # The Go environment of these settings, read while the client finishes its
        # handshake: used if workspace/configuration leaves what it depends on as is.
        preload = self._in_thread(load_env, settings)
        preload.add_done_callback(_retrieved)  # unused when the settings change: no warning
        self._env_preload = (_env_key(settings), preload)

    async def on_initialized(self) -> None:
        self._event_loop = loop = asyncio.get_running_loop()
        ready = self._ready = self._ready or asyncio.Event()
        self._debouncer = Debouncer(
            loop, self._on_disk_changes, delay_ms=self.state.settings.debounce_ms
        )
        try:
            for problem in self._init_problems:
                self.log(problem, "warning")
            # the settings (``trusted`` above all) before anything reads the environment
            await self._pull_configuration()
            # Watching runs in a child process of ours, except in an untrusted
            # workspace, where the server starts no process at all.
            self._watcher = (WatchProcess if self.state.settings.trusted else FileWatcher)(
                self._debouncer.add_threadsafe,
                on_log=lambda m: self._threadsafe(self.log, m, "warning"),
                on_ready=lambda s: self._threadsafe(self._watch_ready, s),
            )
            self._debouncer.delay_ms = self.state.settings.debounce_ms
            if self.state.settings.verify == "full":
                cache_verify.prepare_background()  # (a fork server, started now)
            if self._client_watches:
                self._spawn(self._register_watched_files())
            if self._supports("workspace.did_change_configuration.dynamic_registration"):
                self._spawn(self._register_configuration())
            await self._reload_env()
        finally:
            ready.set()  # whatever failed above, documents still get diagnosed
        self._rebuild_views()
        if self._parent_pid:
            self._spawn(self._watch_parent(self._parent_pid))

    async def _watch_parent(self, pid: int) -> None:
        """Exit when the editor that started the server is gone (LSP's processId)."""
        while not self._shutting_down:
            await asyncio.sleep(PARENT_POLL)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                log.warning("the client process %d is gone: exiting", pid)
                self.begin_shutdown()
                self.terminate_workers()
                os._exit(1)
            except OSError:
                return  # not ours to signal (another user): cannot tell, stop asking

    def _threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` on the event loop (from any thread)."""
        loop = self._event_loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(fn, *args)

    def _watch_ready(self, summary: WatchSummary) -> None:
        self.log(f"file watching: {summary}", "log")

    async def _wait_ready(self) -> None:
        if self._ready is None:
            self._ready = asyncio.Event()
        await self._ready.wait()

    async def _register(self, method: str, name: str, options: Any) -> None:
        """Register ``method`` with the client (dynamic registration); raises on failure."""
        registration = types.Registration(
            id=f"gomod-doctor-{name}-{uuid.uuid4()}", method=method, register_options=options
        )
        await asyncio.wait_for(
            self.client_register_capability_async(
                types.RegistrationParams(registrations=[registration])
            ),
            timeout=CLIENT_TIMEOUT,
        )

    async def _register_watched_files(self) -> None:
        watchers = [types.FileSystemWatcher(glob_pattern=g) for g in WATCH_GLOBS]
        try:
            await self._register(
                types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                "watch",
                types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
            )
        except Exception as e:
            self.log(f"cannot register file watching with the client ({e}): watching itself")
            self._client_watches = False
            self._rewatch()

    async def _register_configuration(self) -> None:
        with contextlib.suppress(Exception):
            await self._register(
                types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                "config",
                types.DidChangeConfigurationRegistrationOptions(section=SECTION),
            )

    async def _pull_configuration(self) -> bool:
        """Settings from ``workspace/configuration`` over the initializationOptions."""
        if not self._supports("workspace.configuration"):
            return False
        try:
            got = await asyncio.wait_for(
                self.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
                ),
                timeout=CLIENT_TIMEOUT,
            )
        except Exception as e:
            self.log(f"workspace/configuration failed: {e}", "warning")
            return False
        value = got[0] if isinstance(got, (list, tuple)) and got else None
        if value is None:
            return False
        settings, problems = self._init_options_settings.merged_json(value)
        for p in problems:
            self.log(p, "warning")
        self.state.settings = settings
        return True

    async def on_did_change_configuration(self, params: types.DidChangeConfigurationParams) -> None:
        old = self.state.settings
        pulled = await self._pull_configuration()
        if not pulled and params.settings is not None:
            settings, problems = self._init_options_settings.merged_json(params.settings)
            for p in problems:
                self.log(p, "warning")
            self.state.settings = settings
        await self._settings_changed(old)

    async def _settings_changed(self, old: Settings) -> None:
        new = self.state.settings
        log.debug("settings: %s -> %s", old, new)
        if self._debouncer is not None:
            self._debouncer.delay_ms = new.debounce_ms
        if (old.env, old.go_binary, old.trusted) != (new.env, new.go_binary, new.trusted):
            await self._reload_env()
            self._rebuild_views()
        for run in self._runs.values():
            run.suppressed = False
        for view in list(self.state.workspaces.values()):
            self._schedule(view)

    async def _reload_env(self) -> None:
        settings = self.state.settings
        pre, self._env_preload = self._env_preload, None
        try:
            if pre is not None and pre[0] == _env_key(settings):
                env, binary = await pre[1]
            else:
                env, binary = await self._in_thread(load_env, settings)
        except Exception as e:
            self.log(f"cannot read the Go environment: {e}", "error")
            return
        if settings is not self.state.settings and (
            settings.env,
            settings.go_binary,
            settings.trusted,
        ) != (self.state.settings.env, self.state.settings.go_binary, self.state.settings.trusted):
            return  # a newer reload is on its way
        if env.GOMODCACHE != self.state.env.GOMODCACHE:
            self._full_cache.clear()
        self.state.env = env
        self._go_binary = binary
        if env.fatal:
            self.log(env.fatal, "error")

    def begin_shutdown(self) -> None:
        """Stop everything in flight, fast: cancel events, watching, runners."""
        if self._shutting_down:
            return
        self._shutting_down = True
        for ev in list(self._cancel_events):
            ev.set()
        for run in self._runs.values():
            if run.full_cancel is not None:
                run.full_cancel.set()
            for t in (run.task, run.full_task):
                if t is not None and not t.done():
                    t.cancel()
        if self._watcher is not None:
            self._watcher.close()
        if self._debouncer is not None:
            self._debouncer.close()
        for task in list(self._background):
            task.cancel()

    def terminate_workers(self) -> None:
        """Terminate the hashing worker processes still running (at exit)."""
        for p in multiprocessing.active_children():
            with contextlib.suppress(Exception):
                p.terminate()

    # ---------------------------------------------------------------- documents

    def _doc_wanted(self, path: Path, language_id: str) -> bool:
        if is_tracked_file(path):
            return True
        return language_id in LANGUAGE_IDS

    def on_did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        td = params.text_document
        path = convert.uri_to_path(td.uri)
        if path is None or not self._doc_wanted(path, td.language_id):
            return
        self.state.documents[td.uri] = Document(td.uri, path, td.text, td.version, td.language_id)
        if self._ready is not None and self._ready.is_set():
            views = self._views_touching(path)
            if not any(v.includes(path) for v in views):
                view = self._ensure_view(path, td.language_id)
                if view is not None:
                    views.append(view)
            for v in views:
                self._schedule(v)

    def on_did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        doc = self.state.documents.get(uri)
        if doc is None:
            return
        try:
            doc.text = self.workspace.get_text_document(uri).source
        except Exception as e:
            self.log(f"cannot apply the change to {uri}: {e}", "error")
            return
        doc.version = params.text_document.version
        for v in self._views_touching(doc.path):
            self._schedule(v, edit=True)

    def on_did_save(self, params: types.DidSaveTextDocumentParams) -> None:
        doc = self.state.documents.get(params.text_document.uri)
        if doc is None:
            return
        if params.text is not None:
            doc.text = params.text
        for v in self._views_touching(doc.path):
            run = self._runs.get(v.location.main_file)
            if run is not None:
                run.suppressed = False
            self._schedule(v)

    def on_did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        doc = self.state.documents.pop(params.text_document.uri, None)
        if doc is None:
            return
        for v in self._views_touching(doc.path):
            run = self._runs.get(v.location.main_file)
            if run is not None and run.full_cancel is not None and not self._in_use(v):
                run.full_cancel.set()  # the workspace is closed: its verification can stop
            self._schedule(v)

    def _in_use(self, view: WorkspaceView) -> bool:
        """Whether the user still has the workspace open: a document of it, or a
        workspace folder that holds it."""
        if any(view.includes(d.path) for d in self.state.documents.values()):
            return True
        root = view.location.root
        return any(root == f or root.is_relative_to(f) for f in self._folders)

    # ---------------------------------------------------------------- views

    def _locate_for(self, path: Path, language_id: str = "") -> WorkspaceLocation | None:
        env = self.state.env
        gowork = env.gowork_setting or env.GOWORK
        goroot = env.GOROOT or None
        name = path.name
        is_work = name.endswith(".work") or language_id in ("go.work", "gowork")
        is_mod = name.endswith(".mod") or language_id in ("go.mod", "gomod")
        if name.endswith(".work.sum"):
            return WorkspaceLocation(root=path.parent, gowork=path.with_name(name[:-4]))
        if is_work:
            return WorkspaceLocation(root=path.parent, gowork=path)
        gomod = path if is_mod else path.with_suffix(".mod")
        alone = WorkspaceLocation(root=gomod.parent, gomod=gomod)
        if gowork == "off":
            return alone
        try:
            loc = locate(path.parent, gowork=gowork, goroot=goroot)
        except (WorkspaceError, OSError, ValueError):
            return alone if (is_mod or self._exists(gomod)) else None
        if loc.gowork is None:
            return loc if loc.gomod == gomod else alone
        # a go.work: only if it uses this module
        text = self._text(loc.gowork)
        if text is not None:
            with contextlib.suppress(Exception):
                work = parse_work(text, str(loc.gowork))
                for u in work.use:
                    if snapshots.use_dir(loc.root, u.path) == gomod.parent:
                        return loc
        return alone

    def _exists(self, p: Path) -> bool:
        if self.state.document_at(p) is not None:
            return True
        try:
            return p.is_file()
        except OSError:
            return False

    def _text(self, p: Path) -> str | None:
        doc = self.state.document_at(p)
        if doc is not None:
            return doc.text
        return snapshots.read_file(p).text

    def _ensure_view(
        self,
        path: Path,
        language_id: str = "",
        *,
        reuse: Mapping[Path, WorkspaceView] | None = None,
    ) -> WorkspaceView | None:
        loc = self._locate_for(Path(os.path.normpath(path)), language_id)
        if loc is None:
            return None
        key = loc.main_file
        view = self.state.workspaces.get(key)
        if view is None:
            prev = reuse.get(key) if reuse is not None else None
            view = prev if prev is not None and prev.location == loc else WorkspaceView(loc)
            self.state.workspaces[key] = view
            if view is not prev:
                old_run = self._runs.pop(key, None)
                if prev is not None:
                    self._retire(prev, old_run)
                self._runs[key] = _Run()
        return view

    def _rebuild_views(self) -> None:
        """(Re)create the views from the open documents and the workspace folders
        (after a change of the environment, which may move workspaces: GOWORK). A
        view whose location stays keeps its object, its runner and what it knows."""
        old = dict(self.state.workspaces)
        self.state.workspaces.clear()
        for doc in list(self.state.documents.values()):
            if any(v.includes(doc.path) for v in self.state.workspaces.values()):
                continue
            self._ensure_view(doc.path, doc.language_id, reuse=old)
        for folder in self._folders:
            for name in ("go.work", "go.mod"):
                p = folder / name
                if self._exists(p):
                    if not any(v.includes(p) for v in self.state.workspaces.values()):
                        self._ensure_view(p, reuse=old)
                    break
        for key, prev in old.items():
            if key not in self.state.workspaces:  # gone (a replaced one is retired)
                self._retire(prev, self._runs.pop(key, None))
        for view in self.state.workspaces.values():
            self._schedule(view)

    def _retire(self, view: WorkspaceView, run: _Run | None) -> None:
        view.generation += 1
        if run is not None:
            run.last = None
            if run.full_cancel is not None:
                run.full_cancel.set()
            for w in run.waiters:
                if not w.done():
                    w.set_result(None)
            run.waiters.clear()
        for p in list(view.published):
            if self.state.workspace_for(p) is None:
                self._publish_one(p, [], None)
        view.published.clear()

    def _views_touching(self, path: Path) -> list[WorkspaceView]:
        key = Path(os.path.normpath(path))
        out: list[WorkspaceView] = []
        for main, view in self.state.workspaces.items():
            run = self._runs.get(main)
            if view.includes(key) or (
                run is not None and run.targets is not None and key in run.targets.files
            ):
                out.append(view)
        return out

    def _views_for_paths(self, paths: Iterable[Path] | None) -> list[WorkspaceView]:
        if paths is None:
            return list(self.state.workspaces.values())
        out: list[WorkspaceView] = []
        for p in paths:
            p = Path(os.path.normpath(p))
            found = self._views_touching(p)
            if not found:
                if p.is_dir():
                    for name in ("go.work", "go.mod"):
                        if self._exists(p / name):
                            p = p / name
                            break
                view = self._ensure_view(p)
                found = [view] if view is not None else []
            for v in found:
                if v not in out:
                    out.append(v)
        return out

    # ---------------------------------------------------------------- scheduling

    def _schedule(
        self,
        view: WorkspaceView,
        *,
        rescan: bool = False,
        full: bool = False,
        edit: bool = False,
    ) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        if self._shutting_down:
            fut.set_result(None)
            return fut
        key = view.location.main_file
        run = self._runs.setdefault(key, _Run())
        view.generation += 1
        run.dirty = True
        run.rescan |= rescan
        run.full |= full
        run.edit = edit
        run.disk |= not edit
        if full:
            run.suppressed = False
            if run.full_cancel is not None:
                run.full_cancel.set()  # superseded by the request; what it finished is kept
        run.waiters.append(fut)
        if run.task is None or run.task.done():
            run.task = asyncio.ensure_future(self._run_view(view, run))
        return fut

    def _inputs(self, view: WorkspaceView, run: _Run, rescan: bool, full: bool) -> _Inputs:
        docs = list(self.state.documents.values())
        facts = view.facts
        imports = None if rescan or facts is None else facts.imports
        signature = None if facts is None else _import_signature(facts)
        memo = self._transitive.get(view.location.main_file)
        if memo is None:
            # kept on disk too: a restarted server skips the walk of the dependencies
            memo = self._transitive[view.location.main_file] = engine.TransitiveMemo(GraphStore())
        states = self._states.setdefault(view.location.main_file, engine.StateMemo())
        if run.disk:
            # files changed on disk: the package graph and the cache states may have too
            memo.clear()
            states.clear()
            run.disk = False
        network, comparisons = self._network_for(view)
        return _Inputs(
            location=view.location,
            env=self.state.env,
            settings=self.state.settings,
            overlays={d.path: d.text for d in docs},
            versions={d.path: d.version for d in docs},
            encoding=self.position_encoding,
            imports=dict(imports) if imports is not None else None,
            import_signature=signature,
            full_cache=dict(self._full_cache),
            explicit_full=full,
            client_watches=self._client_watches,
            folders=tuple(self._folders),
            prev_targets=run.targets if run.edit else None,
            transitive_memo=memo,
            state_memo=states,
            network=network,
            comparisons=comparisons,
        )

    def _main_present(self, view: WorkspaceView) -> bool:
        return self._exists(view.location.main_file)

    async def _run_view(self, view: WorkspaceView, run: _Run) -> None:
        try:
            await self._wait_ready()
            while run.dirty and not self._shutting_down:
                run.dirty = False
                gen = view.generation
                rescan, run.rescan = run.rescan, False
                full, run.full = run.full, False
                edit = run.edit
                if self.state.workspaces.get(view.location.main_file) is not view:
                    break
                if not self._main_present(view):
                    self._vacate(view)
                    break
                inp = self._inputs(view, run, rescan, full)
                try:
                    out = await self._in_thread(_quick_pass, inp)
                except Exception:
                    self.log(
                        f"analysis of {view.location.main_file} failed (previous results kept): "
                        f"{traceback.format_exc()}",
                        "error",
                    )
                    continue
                if gen != view.generation or self._shutting_down:
                    run.full |= full
                    continue  # superseded: a newer trigger set dirty again
                if out.needs_rescan and not rescan:
                    run.dirty = run.rescan = True
                    run.full |= full
                    continue
                self._apply(view, run, out, inp)
                if out.targets is None:
                    try:
                        out.targets = await self._in_thread(
                            _watch_targets, out.facts, inp, out.wanted
                        )
                    except Exception:
                        self.log(f"file watching: {traceback.format_exc()}", "error")
                    else:
                        if not self._shutting_down:
                            self._set_targets(run, out.targets)
                if not edit:
                    # An open or a disk change: what it loaded (the import graph, the
                    # cache states) is kept across the edits that follow; freeze it
                    # too. (What is later dropped is still freed by reference counts.)
                    gc.freeze()
                self._want_network(view, run)
                self._continue_full(view, run, out, inp, explicit=full, edit=edit)
        except asyncio.CancelledError:
            pass
        except Exception:
            self.log(f"internal error: {traceback.format_exc()}", "error")
        finally:
            waiters, run.waiters = run.waiters, []
            for w in waiters:
                if not w.done():
                    w.set_result(None)

    def _vacate(self, view: WorkspaceView) -> None:
        """The main file is gone (deleted, renamed, mid-save): clear what was
        published, keep watching, so that it coming back is noticed."""
        for p in list(view.published):
            owner = self.state.workspace_for(p)
            if owner is None or owner is view:
                self._publish_one(p, [], None)
        view.published.clear()
        view.facts = None
        view.findings = []
        view.texts = {}
        view.full_done = False
        view.verified = {}
        run = self._runs.get(view.location.main_file)
        if run is not None:
            run.last = None  # nothing to merge network findings into

    def _apply(self, view: WorkspaceView, run: _Run, out: _Outcome, inp: _Inputs) -> None:
        self._collect_when_idle()
        now = time.time()
        view.facts = out.facts
        view.findings = out.result.findings
        view.texts = out.texts
        view.internal_errors = list(out.result.internal_errors)
        view.full_done = bool(out.wanted) and not out.missing
        view.verified = {k: (now, "quick") for k in out.wanted}
        for k, e in out.known.items():
            if not e.stale:
                view.verified[k] = (e.when, "full")
        problems = list(out.result.internal_errors)
        if out.config_error:
            problems.append(out.config_error)
        for msg in problems:
            if msg not in run.logged:
                self.log(msg, "error")
        run.logged = set(problems)
        run.last = (out, inp, view.generation)
        self._publish(view, out.diagnostics, inp.versions)
        self._send_status(view, out, inp)
        if out.targets is not None:
            self._set_targets(run, out.targets)

    def _set_targets(self, run: _Run, targets: _Targets) -> None:
        changed = run.targets is None or run.targets.roots != targets.roots
        run.targets = targets
        if changed:
            self._rewatch()

    def _publish(
        self,
        view: WorkspaceView,
        diags: Mapping[Path, list[types.Diagnostic]],
        versions: Mapping[Path, int | None],
    ) -> None:
        published: set[Path] = set()
        # the open documents first: what the user looks at
        for path in sorted(set(diags) | view.published, key=lambda p: p not in versions):
            owner = self.state.workspace_for(path)
            if owner is not None and owner is not view:
                continue
            doc = self.state.document_at(path)
            if doc is not None:
                if path not in versions or versions[path] != doc.version:
                    continue  # never publish for another version of the buffer
                version: int | None = doc.version
            else:
                if path in versions:
                    continue  # computed from a buffer since closed
                version = None
            ds = diags.get(path, [])
            self._publish_one(path, ds, version, doc.uri if doc is not None else None)
            if ds:
                published.add(path)
        view.published = published

    def _publish_one(
        self,
        path: Path,
        ds: list[types.Diagnostic],
        version: int | None,
        uri: str | None = None,
    ) -> None:
        if self._shutting_down:
            return
        uri = uri or convert.path_to_uri(path)
        last = self._last_published.get(uri)
        if last is not None and last[0] == version and last[1] == ds:
            return
        self._last_published[uri] = (version, ds)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=ds, version=version)
        )

    # ---------------------------------------------------------------- network

    def network_cache(self) -> NetworkCache:
        """The server's one cache of proxy and checksum-database answers."""
        if self._net_cache is None:
            from gomod_doctor.network.proxy import NetworkCache

            self._net_cache = NetworkCache()
        return self._net_cache

    def invalidate_network(self) -> None:
        """Forget every network answer (``gomod-doctor.recheck``): ask again."""
        if self._net_cache is not None:
            self._net_cache.invalidate()

    def network_environ(self, settings: Settings | None = None) -> dict[str, str]:
        """The environment the network checks honour (HTTPS_PROXY, SSL_CERT_FILE,
        NETRC...): the server's, plus the ``env`` setting."""
        return {**os.environ, **(settings or self.state.settings).env}

    def network_scope(self) -> lspnet.Scope | None:
        return lspnet.network_scope(self.state.settings, self.state.env)

    def _network_for(
        self, view: WorkspaceView
    ) -> tuple[NetworkFacts | None, tuple[Comparison, ...]]:
        """The view's latest network facts and comparisons, if still in scope."""
        scope = self.network_scope()
        if scope is None:
            return None, ()
        nf = view.network if view.network_scope == scope else None
        comps = tuple(c for sc, c in view.comparisons.values() if sc == scope)
        return nf, comps

    def _want_network(self, view: WorkspaceView, run: _Run) -> None:
        """A gather for the latest analysis: now, or when the one in flight ends."""
        if self._shutting_down or not lspnet.network_allowed(self.state.settings):
            return
        run.net_dirty = True
        if run.net_task is None or run.net_task.done():
            run.net_task = self._spawn(self._network_loop(view, run))

    async def _network_loop(self, view: WorkspaceView, run: _Run) -> None:
        from gomod_doctor.network.gather import gather_network

        try:
            while run.net_dirty and not self._shutting_down:
                run.net_dirty = False
                if self.state.workspaces.get(view.location.main_file) is not view:
                    return
                last = run.last
                if last is None:
                    return
                out, inp, _gen = last
                scope = lspnet.network_scope(inp.settings, inp.env)
                if scope is None:
                    continue
                nf = await gather_network(
                    out.facts,
                    self.network_environ(inp.settings),
                    options=self.network_options,
                    cache=self.network_cache(),
                )
                if self._shutting_down:
                    return
                if self.state.workspaces.get(view.location.main_file) is not view:
                    return
                if self.network_scope() != scope:
                    continue  # the environment changed meanwhile: a newer pass asks again
                view.network, view.network_scope = nf, scope
                for key in [k for k, (sc, _c) in view.comparisons.items() if sc != scope]:
                    del view.comparisons[key]
                if set(nf.graph_mods) != set(out.facts.graph_mods) and run.graph_rounds < 4:
                    # go.mod files the module cache lacks, fetched and verified: the
                    # module graph goes on past them, so the analysis runs again over
                    # them (with these network facts; a new gather follows it)
                    run.graph_rounds += 1
                    self._schedule(view, edit=True)
                    continue
                run.graph_rounds = 0
                await self._merge_network(view, run)
        except asyncio.CancelledError:
            pass
        except Exception:
            self.log(f"network checks failed: {traceback.format_exc()}", "error")

    async def _merge_network(self, view: WorkspaceView, run: _Run) -> None:
        """Re-run the checks of the latest analysis with the view's network facts and
        publish; when a newer analysis is under way, it takes them instead."""
        for _ in range(3):
            last = run.last
            if last is None or self.state.workspaces.get(view.location.main_file) is not view:
                return
            out, inp, gen = last
            if gen != view.generation or self._shutting_down:
                return
            network, comparisons = self._network_for(view)
            new_out = await self._in_thread(_network_pass, out, network, comparisons, inp)
            if gen != view.generation or self._shutting_down:
                return
            if run.last is last:
                self._apply(view, run, new_out, inp)
                return
            # published meanwhile (full verification merged): merge into that instead

    async def add_comparison(self, views: Iterable[WorkspaceView], c: Comparison) -> None:
        """Show a proxy-copy comparison (``proxy-tampered``) in ``views``."""
        scope = self.network_scope()
        if scope is None:
            return
        for view in views:
            view.comparisons[(c.module, c.version)] = (scope, c)
            run = self._runs.get(view.location.main_file)
            if run is not None:
                await self._merge_network(view, run)

    async def reload_environment(self) -> None:
        """Read the Go environment again (after ``go env -w``) and re-diagnose."""
        await self._reload_env()
        self._rebuild_views()

    def _send_status(self, view: WorkspaceView, out: _Outcome, inp: _Inputs) -> None:
        """``gomodDoctor/status`` for the view (the VS Code status bar)."""
        if self._shutting_down:
            return
        verified = sum(1 for _t, level in view.verified.values() if level == "full")
        nf, _ = self._network_for(view)
        params = lspnet.status_params(
            convert.path_to_uri(view.location.root),
            out.facts,
            view.findings,
            verified,
            inp.settings,
            nf,
        )
        with contextlib.suppress(Exception):
            self.protocol.notify(lspnet.STATUS_METHOD, params)
        self._refresh_lens(view, verified)

    def _refresh_lens(self, view: WorkspaceView, verified: int) -> None:
        """Ask the client to re-request the module line's summary lens when the numbers
        it shows changed (a client keeps a lens until told, e.g. after full verification)."""
        summary = (len(view.findings), verified)
        key = view.location.main_file
        if self._lens_summary.get(key) == summary:
            return
        self._lens_summary[key] = summary
        if self._supports("workspace.code_lens.refresh_support"):
            with contextlib.suppress(Exception):
                self.workspace_code_lens_refresh(None)

    # ---------------------------------------------------------------- full verification

    def _fresh(self, gomodcache: str, key: Key) -> bool:
        e = self._full_cache.get((gomodcache, *key))
        return e is not None and not e.stale

    def _auto_full(self, view: WorkspaceView, run: _Run) -> bool:
        """Whether the view's needed module versions are verified without being asked."""
        return self.state.settings.verify == "full" and not run.suppressed and self._in_use(view)

    def _continue_full(
        self,
        view: WorkspaceView,
        run: _Run,
        out: _Outcome,
        inp: _Inputs,
        *,
        explicit: bool,
        edit: bool,
        unanswered: frozenset[Key] = frozenset(),
    ) -> None:
        """After an analysis is published: keep the verification in flight if it still
        matters, else cancel it; start one for what is still unverified (but for
        ``unanswered``: what the verification that just ended gave no result for)."""
        auto = self._auto_full(view, run)
        scope = run.full_scope
        if run.full_task is not None and not run.full_task.done() and scope is not None:
            cache, busy, was_explicit = scope
            ev = run.full_cancel
            if ev is not None and not ev.is_set() and not explicit:
                if cache == out.gomodcache and busy <= out.wanted.keys() and (auto or was_explicit):
                    # still needed: it goes on; _full verifies what is missing after it
                    self._merge_landed(view, run, out)
                    return
                ev.set()  # no longer matters (what it finished is kept)
        self._merge_landed(view, run, out)
        if not (explicit or auto):
            return
        keys = (
            list(out.wanted)
            if explicit
            else [
                k for k in out.missing if not self._fresh(out.gomodcache, k) and k not in unanswered
            ]
        )
        if keys:
            self._start_full(view, run, out, keys, explicit=explicit, edit=edit)

    def _merge_landed(self, view: WorkspaceView, run: _Run, out: _Outcome) -> None:
        """Results that came in after the analysis read them: merge them in."""
        if any(self._fresh(out.gomodcache, k) for k in out.missing):
            self._spawn(self._merge_full(view, run))

    def _start_full(
        self,
        view: WorkspaceView,
        run: _Run,
        out: _Outcome,
        keys: list[Key],
        *,
        explicit: bool,
        edit: bool,
    ) -> None:
        if run.full_cancel is not None:
            run.full_cancel.set()
        event = threading.Event()
        run.full_cancel = event
        run.full_scope = (out.gomodcache, frozenset(keys), explicit)
        requests = [(p, v, out.wanted.get((p, v), False)) for p, v in keys]
        delay = EDIT_FULL_DELAY if edit and not explicit else 0.0
        run.full_task = asyncio.ensure_future(
            self._full(view, run, out.gomodcache, requests, event, explicit=explicit, delay=delay)
        )

    async def _full(
        self,
        view: WorkspaceView,
        run: _Run,
        gomodcache: str,
        requests: list[tuple[str, str, bool]],
        event: threading.Event,
        *,
        explicit: bool,
        delay: float,
    ) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            if event.is_set() or self._shutting_down:
                if explicit and not self._shutting_down and self._current(view):
                    self._schedule(view, full=True)  # asked for: after the newer work
                return
            epoch = self._epoch
            cancelled_by_client = False

            def work(reporter: ProgressReporter, ev: threading.Event) -> cache_verify.VerifyResult:
                return _verify(gomodcache, requests, reporter, ev)

            n = len(requests)
            title = f"Verifying {n} module version{'s' if n != 1 else ''} in the module cache"
            reporters: list[ProgressReporter] = []

            def tracked(r: ProgressReporter, ev: threading.Event) -> cache_verify.VerifyResult:
                reporters.append(r)
                return work(r, ev)

            result = await self.run_with_progress(title, tracked, cancel=event)
            cancelled_by_client = bool(reporters) and self.client_cancelled(reporters[0])
            if cancelled_by_client:
                run.suppressed = True
                self._client_cancelled.discard(reporters[0].token or "")
            now = time.time()
            for key, mv in result.modules.items():
                ck: CacheKey = (gomodcache, *key)
                stale = self._invalid_since.get(ck, 0) > epoch
                self._full_cache[ck] = _FullEntry(mv, now, stale)
            if self._shutting_down or not self._current(view):
                return
            if explicit and result.cancelled and not cancelled_by_client:
                self._schedule(view, full=True)  # asked for: start again on the newer work
                return
            if result.modules:
                await self._merge_full(view, run)
            if not result.cancelled and run.full_cancel is event:
                # what the analyses since it began need and it did not verify
                run.full_cancel = run.full_scope = None
                last = run.last
                if last is not None and last[2] == view.generation:
                    asked = frozenset((p, v) for p, v, _ in requests)
                    self._continue_full(
                        view,
                        run,
                        last[0],
                        last[1],
                        explicit=False,
                        edit=False,
                        unanswered=asked - result.modules.keys(),
                    )
        except asyncio.CancelledError:
            event.set()
        except Exception:
            self.log(f"full verification failed: {traceback.format_exc()}", "error")
        finally:
            if run.full_cancel is event:
                run.full_cancel = None
                run.full_scope = None

    def _collect_when_idle(self) -> None:
        """Full garbage collections run here, once nothing has happened for
        :data:`GC_IDLE` seconds, rather than whenever allocations trigger one (see
        :func:`serve`): a full collection takes tens of milliseconds over a large
        workspace's objects, which must not land on an edit's analysis."""
        loop = self._event_loop
        if loop is None or self._shutting_down:
            return
        if gc.get_count()[2] >= GC_FULL_ANYWAY:
            gc.collect()  # never idle for long: memory must stay bounded all the same
        if self._gc_handle is not None:
            self._gc_handle.cancel()
        self._gc_handle = loop.call_later(GC_IDLE, self._idle_collect)

    def _idle_collect(self) -> None:
        self._gc_handle = None
        pending = gc.get_count()[2]
        busy = any(r.task is not None and not r.task.done() for r in self._runs.values())
        if busy and pending < GC_FULL_ANYWAY:
            self._collect_when_idle()  # after the analysis under way
        elif pending >= GC_FULL_AFTER:
            gc.collect()

    def _current(self, view: WorkspaceView) -> bool:
        return self.state.workspaces.get(view.location.main_file) is view

    async def _merge_full(self, view: WorkspaceView, run: _Run) -> None:
        """Merge the full verification results known now into the latest published
        analysis, and publish it again (unless a newer analysis is on its way: it
        reads them, or merges them after it)."""
        last = run.last
        if last is None or last[2] != view.generation:
            return
        out, inp, gen = last
        merged = {
            k: e
            for k in out.wanted
            if (e := self._full_cache.get((out.gomodcache, *k))) is not None
            and (not e.stale or self.state.settings.verify == "full")
        }
        if merged.keys() == out.known.keys() and all(merged[k] is out.known[k] for k in merged):
            return  # nothing new
        for _ in range(3):
            network, comparisons = self._network_for(view)
            new_out = await self._in_thread(_full_pass, out, merged, inp, network, comparisons)
            if gen != view.generation or self._shutting_down or run.last is not last:
                return
            if self._network_for(view)[0] is network:
                break  # else a gather finished meanwhile: merge its facts instead
        self._apply(view, run, new_out, inp)

    # ---------------------------------------------------------------- watching

    def _rewatch(self) -> None:
        if self._watcher is None or self._shutting_down:
            return
        roots: set[Root] = set()
        for run in self._runs.values():
            if run.targets is not None:
                roots |= run.targets.roots
        self._watcher.set_roots(roots)

    def on_did_change_watched_files(self, params: types.DidChangeWatchedFilesParams) -> None:
        kinds = {
            types.FileChangeType.Created: "added",
            types.FileChangeType.Changed: "modified",
            types.FileChangeType.Deleted: "deleted",
        }
        changes: set[FileChange] = set()
        for c in params.changes:
            p = convert.uri_to_path(c.uri)
            kind = kinds.get(c.type)
            if p is None or kind is None:
                continue
            fc: FileChange = (kind, p)  # type: ignore[assignment]
            if not is_ignored(p, fc[0]):
                changes.add(fc)
        if changes and self._debouncer is not None:
            self._debouncer.add(changes)

    def _on_disk_changes(self, changes: set[FileChange]) -> None:
        if self._shutting_down:
            return
        self._spawn(self._handle_disk_changes(changes))

    async def _handle_disk_changes(self, changes: set[FileChange]) -> None:
        log.debug("changes on disk: %s", sorted((k, str(p)) for k, p in changes))
        goenv_changed = False
        invalid: set[CacheKey] = set()
        todo: dict[Path, tuple[WorkspaceView, bool]] = {}
        gomodcache = self.state.env.GOMODCACHE
        for main, view in list(self.state.workspaces.items()):
            run = self._runs.get(main)
            t = run.targets if run is not None else None
            schedule = rescan = False
            for _kind, raw in changes:
                path = Path(os.path.normpath(raw))
                if view.includes(path):
                    schedule = True
                    continue
                if t is None:
                    continue
                if t.goenv is not None and (path == t.goenv or path in t.goenv.parents):
                    goenv_changed = True
                    continue
                if path in t.files:
                    schedule = True
                    continue
                keys = self._cache_keys(path, t)
                if keys is not None:
                    if keys:
                        invalid.update((gomodcache, *k) for k in keys)
                        schedule = True
                    continue
                parent = path.parent
                if parent in t.go_dirs and (path.suffix == ".go" or "." not in path.name):
                    schedule = rescan = True
                    continue
                if path in t.ancestors:
                    schedule = True
                    rescan = rescan or any(path == d or d in path.parents for d in t.go_dirs)
            if schedule:
                prev = todo.get(main)
                todo[main] = (view, rescan or (prev[1] if prev else False))
        if invalid:
            self._epoch += 1
            for ck in invalid:
                self._invalid_since[ck] = self._epoch
                entry = self._full_cache.get(ck)
                if entry is not None:
                    entry.stale = True
        if goenv_changed:
            await self._reload_env()
            self._rebuild_views()
            return
        for view, rescan in todo.values():
            log.debug("re-diagnosing %s (rescan: %s)", view.location.main_file, rescan)
            run = self._runs.get(view.location.main_file)
            if run is not None:
                run.suppressed = False
            self._schedule(view, rescan=rescan)
        # a main file that appeared (e.g. a go.work created next to the folders)
        for kind, raw in changes:
            p = Path(raw)
            if (
                kind == "added"
                and p.name in ("go.work", "go.mod")
                and p.parent in self._folders
                and not any(v.includes(p) for v in self.state.workspaces.values())
            ):
                self._rebuild_views()
                break

    def _cache_keys(self, path: Path, t: _Targets) -> set[Key] | None:
        """The module versions a change under the module cache concerns: ``None`` when
        ``path`` is not a cache entry, empty when the change is to be ignored (an
        extraction in progress)."""
        if path.parent in t.downloads:
            return set(t.downloads[path.parent])
        if path in t.downloads:
            return set(t.downloads[path])
        for p in (path, *path.parents):
            key = t.extracted.get(p)
            if key is not None:
                marker = t.partial.get(key)
                if p != path and marker is not None and marker.exists():
                    return set()  # go is extracting it: wait for the .partial to go
                return {key}
        return None


# --------------------------------------------------------------------------- wiring


def _make_command(
    fn: Callable[[GomodDoctorServer, dict[str, Any]], Awaitable[Any]], name: str
) -> Callable[..., Awaitable[Any]]:
    async def handler(ls: GomodDoctorServer, *args: Any) -> Any:
        arg = args[0] if args else {}
        if not isinstance(arg, dict):
            ls.log(f"{name}: want an object of arguments, got {type(arg).__name__}", "warning")
            arg = {}
        try:
            return await fn(ls, arg)
        except Exception:
            ls.log(f"{name} failed: {traceback.format_exc()}", "error")
            ls.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Error, message=f"gomod-doctor: {name} failed"
                )
            )
            return None

    return handler


def _guard(ls: GomodDoctorServer, what: str, fn: Callable[..., Any], *args: Any) -> None:
    """Run a notification handler; a failure is logged, never fatal."""
    try:
        fn(*args)
    except Exception:
        ls.log(f"{what} failed: {traceback.format_exc()}", "error")


def create_server() -> GomodDoctorServer:
    server = GomodDoctorServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: GomodDoctorServer, params: types.InitializeParams) -> None:
        ls.on_initialize(params)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: GomodDoctorServer, params: types.InitializedParams) -> None:
        try:
            await ls.on_initialized()
        except Exception:
            ls.log(f"initialized failed: {traceback.format_exc()}", "error")

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: GomodDoctorServer, params: None) -> None:
        ls.begin_shutdown()

    @server.feature(types.EXIT)
    def exit_(ls: GomodDoctorServer, params: None) -> None:
        ls.begin_shutdown()
        ls.terminate_workers()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: GomodDoctorServer, params: types.DidOpenTextDocumentParams) -> None:
        _guard(ls, "didOpen", ls.on_did_open, params)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: GomodDoctorServer, params: types.DidChangeTextDocumentParams) -> None:
        _guard(ls, "didChange", ls.on_did_change, params)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: GomodDoctorServer, params: types.DidSaveTextDocumentParams) -> None:
        _guard(ls, "didSave", ls.on_did_save, params)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: GomodDoctorServer, params: types.DidCloseTextDocumentParams) -> None:
        _guard(ls, "didClose", ls.on_did_close, params)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: GomodDoctorServer, params: types.DidChangeConfigurationParams
    ) -> None:
        try:
            await ls.on_did_change_configuration(params)
        except Exception:
            ls.log(f"didChangeConfiguration failed: {traceback.format_exc()}", "error")

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(
        ls: GomodDoctorServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        _guard(ls, "didChangeWatchedFiles", ls.on_did_change_watched_files, params)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(
        ls: GomodDoctorServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        for f in params.event.removed:
            p = convert.uri_to_path(f.uri)
            if p is not None and p in ls._folders:
                ls._folders.remove(p)
        for f in params.event.added:
            p = convert.uri_to_path(f.uri)
            if p is not None and p not in ls._folders:
                ls._folders.append(p)
        if ls._ready is not None and ls._ready.is_set():
            _guard(ls, "didChangeWorkspaceFolders", ls._rebuild_views)

    _register_features(server)
    return server


def _register_features(server: GomodDoctorServer) -> None:
    """L2's features: code actions, commands, hover, links, lens (when present)."""
    try:
        from gomod_doctor.lsp import actions
    except ImportError:  # pragma: no cover - during development only
        actions = None  # type: ignore[assignment]
    try:
        from gomod_doctor.lsp import commands
    except ImportError:  # pragma: no cover
        commands = None  # type: ignore[assignment]
    try:
        from gomod_doctor.lsp import hover
    except ImportError:  # pragma: no cover
        hover = None  # type: ignore[assignment]
    try:
        from gomod_doctor.lsp import links
    except ImportError:  # pragma: no cover
        links = None  # type: ignore[assignment]
    try:
        from gomod_doctor.lsp import lens
    except ImportError:  # pragma: no cover
        lens = None  # type: ignore[assignment]

    if actions is not None:

        @server.feature(
            types.TEXT_DOCUMENT_CODE_ACTION,
            types.CodeActionOptions(
                code_action_kinds=[
                    types.CodeActionKind.QuickFix,
                    types.CodeActionKind.RefactorRewrite,
                    types.CodeActionKind.Source,
                ],
                resolve_provider=False,
            ),
        )
        def code_action(
            ls: GomodDoctorServer, params: types.CodeActionParams
        ) -> list[types.CodeAction] | None:
            try:
                return list(actions.code_actions(ls, params))
            except Exception:
                ls.log(f"codeAction failed: {traceback.format_exc()}", "error")
                return []

    if commands is not None:
        for name, fn in commands.COMMANDS.items():
            server.command(name)(_make_command(fn, name))

    if hover is not None:

        @server.feature(types.TEXT_DOCUMENT_HOVER)
        def hover_(ls: GomodDoctorServer, params: types.HoverParams) -> types.Hover | None:
            try:
                return hover.hover(ls, params)
            except Exception:
                ls.log(f"hover failed: {traceback.format_exc()}", "error")
                return None

    if links is not None:

        @server.feature(
            types.TEXT_DOCUMENT_DOCUMENT_LINK, types.DocumentLinkOptions(resolve_provider=False)
        )
        def document_link(
            ls: GomodDoctorServer, params: types.DocumentLinkParams
        ) -> list[types.DocumentLink]:
            try:
                return list(links.document_links(ls, params))
            except Exception:
                ls.log(f"documentLink failed: {traceback.format_exc()}", "error")
                return []

    if lens is not None:

        @server.feature(
            types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False)
        )
        def code_lens(ls: GomodDoctorServer, params: types.CodeLensParams) -> list[types.CodeLens]:
            try:
                return list(lens.code_lenses(ls, params))
            except Exception:
                ls.log(f"codeLens failed: {traceback.format_exc()}", "error")
                return []


def parse_tcp(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--tcp {value}: want HOST:PORT")
    return (host.strip("[]") or "127.0.0.1"), int(port)


def serve(tcp: str | None = None) -> int:
    """Run the language server over stdio, or over TCP at ``HOST:PORT``."""
    level = os.environ.get("GOMOD_DOCTOR_LOG", "WARNING").upper()
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level, logging.WARNING),
        format="gomod-doctor %(levelname)s %(name)s: %(message)s",
    )
    server = create_server()
    # What is loaded now lives as long as the server: out of the collector's sight,
    # so that a full collection (tens of ms over a large heap) never lands on an edit.
    gc.freeze()
    # Full collections only when idle (GomodDoctorServer._collect_when_idle); the
    # younger generations as usual.
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 1 << 30)
    if tcp is not None:
        host, port = parse_tcp(tcp)
        server.start_tcp(host, port)
    else:
        server.start_io()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gomod-doctor serve")
    p.add_argument("--tcp", metavar="HOST:PORT")
    p.add_argument("--stdio", action="store_true")
    args = p.parse_args(argv)
    return serve(args.tcp)
