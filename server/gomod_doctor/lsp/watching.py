"""File watching: what each workspace watches, and what a change on disk means.

:func:`_watch_targets` computes, from an analysis, the roots to watch (the
workspace's files, the directories of its ``.go`` files, the module cache entries
of the needed module versions, the GOENV file) and how to map a change back to
what it concerns (:class:`_Targets`). :class:`Watching`, owned by the server, runs
the watcher (:class:`~gomod_doctor.lsp.watchproc.WatchProcess`, or the in-process
:class:`~gomod_doctor.lsp.watch.FileWatcher` in an untrusted workspace), takes the
client's ``workspace/didChangeWatchedFiles`` too, and turns debounced changes into
re-analyses of the views they concern.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from gomod_doctor import engine
from gomod_doctor.cache import layout
from gomod_doctor.facts import Facts
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.lsp import convert
from gomod_doctor.lsp.settings import Settings
from gomod_doctor.lsp.watch import (
    Debouncer,
    FileChange,
    FileWatcher,
    Root,
    WatchSummary,
    is_ignored,
)
from gomod_doctor.lsp.watchproc import WatchProcess
from gomod_doctor.network.model import Comparison, NetworkFacts
from gomod_doctor.workspace.discover import WorkspaceLocation
from gomod_doctor.workspace.imports import ModuleImports

if TYPE_CHECKING:
    from gomod_doctor.lsp.passes import CacheKey, Key
    from gomod_doctor.lsp.passes import FullEntry as _FullEntry
    from gomod_doctor.lsp.scheduler import Run
    from gomod_doctor.lsp.server import GomodDoctorServer
    from gomod_doctor.lsp.state import WorkspaceView

log = logging.getLogger(__name__)

WATCH_GLOBS = ("**/go.mod", "**/go.sum", "**/go.work", "**/go.work.sum", "**/*.go")


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


class Watching:
    """The server's file watching: the watcher, the debouncer, the changes."""

    def __init__(self, server: GomodDoctorServer) -> None:
        self._server = server
        self.watcher: WatchProcess | FileWatcher | None = None
        self.debouncer: Debouncer | None = None

    def start(self) -> None:
        """The debouncer, then the watcher. Watching runs in a child process of ours,
        except in an untrusted workspace, where the server starts no process at all."""
        s = self._server
        bg = s.background
        assert bg.loop is not None
        self.debouncer = Debouncer(
            bg.loop, self.on_disk_changes, delay_ms=s.state.settings.debounce_ms
        )

    def start_watcher(self) -> None:
        s = self._server
        assert self.debouncer is not None
        bg = s.background
        self.watcher = (WatchProcess if s.state.settings.trusted else FileWatcher)(
            self.debouncer.add_threadsafe,
            on_log=lambda m: bg.threadsafe(s.log, m, "warning"),
            on_ready=lambda summary: bg.threadsafe(self._watch_ready, summary),
        )
        self.debouncer.delay_ms = s.state.settings.debounce_ms

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.close()
        if self.debouncer is not None:
            self.debouncer.close()

    def _watch_ready(self, summary: WatchSummary) -> None:
        self._server.log(f"file watching: {summary}", "log")

    def set_targets(self, run: Run, targets: _Targets) -> None:
        changed = run.targets is None or run.targets.roots != targets.roots
        run.targets = targets
        if changed:
            self.rewatch()

    def rewatch(self) -> None:
        s = self._server
        if self.watcher is None or s.shutting_down:
            return
        roots: set[Root] = set()
        for run in s.scheduler.runs.values():
            if run.targets is not None:
                roots |= run.targets.roots
        self.watcher.set_roots(roots)

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
        if changes and self.debouncer is not None:
            self.debouncer.add(changes)

    def on_disk_changes(self, changes: set[FileChange]) -> None:
        s = self._server
        if s.shutting_down:
            return
        s.background.spawn(self._handle_disk_changes(changes))

    async def _handle_disk_changes(self, changes: set[FileChange]) -> None:
        s = self._server
        log.debug("changes on disk: %s", sorted((k, str(p)) for k, p in changes))
        goenv_changed = False
        invalid: set[CacheKey] = set()
        todo: dict[Path, tuple[WorkspaceView, bool]] = {}
        gomodcache = s.state.env.GOMODCACHE
        for main, view in list(s.state.workspaces.items()):
            run = s.scheduler.runs.get(main)
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
            s.verification.invalidate(invalid)
        if goenv_changed:
            await s.lifecycle.reload_env()
            s.views.rebuild()
            return
        for view, rescan in todo.values():
            log.debug("re-diagnosing %s (rescan: %s)", view.location.main_file, rescan)
            run = s.scheduler.runs.get(view.location.main_file)
            if run is not None:
                run.suppressed = False
            s.scheduler.schedule(view, rescan=rescan)
        # a main file that appeared (e.g. a go.work created next to the folders)
        for kind, raw in changes:
            p = Path(raw)
            if (
                kind == "added"
                and p.name in ("go.work", "go.mod")
                and p.parent in s.lifecycle.folders
                and not any(v.includes(p) for v in s.state.workspaces.values())
            ):
                s.views.rebuild()
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
