"""File watching: what each workspace watches, and what a change on disk means.

:func:`_watch_targets` asks :mod:`gomod_doctor.watchset` for the roots
an analysis watches (the workspace's files, the directories of its ``.go`` files,
the module cache entries of the needed module versions, the GOENV file) and how to
map a change back to what it concerns. :class:`Watching`, owned by the server, runs
the watcher (:class:`~gomod_doctor.fswatch.process.WatchProcess`, or the in-process
:class:`~gomod_doctor.fswatch.watcher.FileWatcher` in an untrusted workspace), takes the
client's ``workspace/didChangeWatchedFiles`` too, and turns debounced changes into
re-analyses of the views they concern.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from gomod_doctor import engine, watchset
from gomod_doctor.facts import Facts
from gomod_doctor.fswatch.process import WatchProcess
from gomod_doctor.fswatch.watcher import (
    Debouncer,
    FileChange,
    FileWatcher,
    Root,
    WatchSummary,
    is_ignored,
)
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.lsp import convert
from gomod_doctor.lsp.settings import Settings
from gomod_doctor.netfacts import Comparison, NetworkFacts
from gomod_doctor.workspace.imports import ModuleImports
from gomod_doctor.workspace.model import WorkspaceLocation

if TYPE_CHECKING:
    from gomod_doctor.lsp.passes import CacheKey, Key
    from gomod_doctor.lsp.passes import FullEntry as _FullEntry
    from gomod_doctor.lsp.scheduler import Run
    from gomod_doctor.lsp.server import GomodDoctorServer
    from gomod_doctor.lsp.state import WorkspaceView

log = logging.getLogger(__name__)

WATCH_GLOBS = ("**/go.mod", "**/go.sum", "**/go.work", "**/go.work.sum", "**/*.go")


_Targets = watchset.Targets


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


def _targets_signature(
    facts: Facts, inp: _Inputs, wanted: Mapping[Key, bool]
) -> tuple[object, ...]:
    return watchset.signature(
        facts,
        wanted,
        watch_cache=inp.settings.verify != "off",
        client_folders=inp.folders if inp.client_watches else (),
    )


def _watch_targets(facts: Facts, inp: _Inputs, wanted: Mapping[Key, bool]) -> _Targets:
    return watchset.compute(
        facts,
        wanted,
        watch_cache=inp.settings.verify != "off",
        client_folders=inp.folders if inp.client_watches else (),
        prev=inp.prev_targets,
    )


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
        self.rewatch()  # the targets of the analyses that finished before it started

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
        return t.cache_keys(path)
