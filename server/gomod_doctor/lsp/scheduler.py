"""Scheduling the analyses of each workspace.

Each workspace (a go.work, or a module's go.mod) has a
:class:`~gomod_doctor.lsp.state.WorkspaceView` and a :class:`Run`: its runner task
and what the runner is to do next. A trigger (an edit, a save, a change on disk, a
setting) bumps the view's *generation* on the event loop and marks it dirty
(:meth:`Scheduler.schedule`); the runner then takes a snapshot of the open buffers
and settings (:meth:`Scheduler.inputs`) and runs the quick pass
(:func:`~gomod_doctor.lsp.passes.quick_pass`) in a worker thread. Its result is
published only if no trigger came in meanwhile, checked on the loop right before
publishing: diagnostics computed for an older document version are never published
after a newer one.

After each publish the runner asks for the network checks
(:class:`~gomod_doctor.lsp.netloop.NetworkLoop`) and full verification
(:class:`~gomod_doctor.lsp.verification.Verification`), which merge their results
into the latest analysis when they come.

Full garbage collections run only when idle (:meth:`Scheduler.collect_when_idle`),
never on an edit's analysis.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gomod_doctor import background, engine
from gomod_doctor.lsp.passes import Key, Outcome, import_signature, quick_pass
from gomod_doctor.lsp.tasks import in_thread
from gomod_doctor.lsp.watching import _Inputs, _Targets, _watch_targets
from gomod_doctor.workspace.graphmemo import GraphStore

if TYPE_CHECKING:
    from gomod_doctor.lsp.server import GomodDoctorServer
    from gomod_doctor.lsp.state import WorkspaceView

GC_IDLE = 0.05  # seconds without a publish before a full collection may run
GC_FULL_AFTER = 10  # collections of the middle generation between two full ones
GC_FULL_ANYWAY = 20  # ... or this many even when never idle (memory stays bounded)


@dataclass
class Run:
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
    last: tuple[Outcome, _Inputs, int] | None = None
    #: the network gather: a new one is wanted (after the one in flight)
    net_dirty: bool = False
    net_task: asyncio.Task[None] | None = None
    #: analyses in a row started because a network gather fetched go.mod files the
    #: module graph lacked (bounded: the graph is then worked out again over them)
    graph_rounds: int = 0


class Scheduler:
    """The runners of the views, and what the analyses keep across edits."""

    def __init__(self, server: GomodDoctorServer) -> None:
        self._server = server
        #: by the view's ``location.main_file``
        self.runs: dict[Path, Run] = {}
        self._transitive: dict[Path, engine.TransitiveMemo] = {}
        self._states: dict[Path, engine.StateMemo] = {}
        self._gc_handle: asyncio.TimerHandle | None = None

    async def recheck(self, paths: Iterable[Path] | None = None, *, full: bool = False) -> None:
        """Re-gather and re-publish the workspaces of ``paths`` (all when ``None``),
        superseding work in flight; with ``full``, also verify every needed module
        version now, and return once that is merged."""
        s = self._server
        if s.shutting_down:
            return
        await s.lifecycle.wait_ready()
        views = s.views.for_paths(paths)
        waits = [self.schedule(v, rescan=True, full=full) for v in views]
        if waits:
            await asyncio.gather(*waits, return_exceptions=True)
        if not full:
            return
        for v in views:
            run = self.runs.get(v.location.main_file)
            for _ in range(5):
                task = run.full_task if run is not None else None
                if task is None or task.done():
                    break
                with contextlib.suppress(BaseException):
                    await asyncio.shield(task)
                if run is not None and run.task is not None and not run.task.done():
                    with contextlib.suppress(BaseException):
                        await asyncio.shield(run.task)

    def schedule(
        self,
        view: WorkspaceView,
        *,
        rescan: bool = False,
        full: bool = False,
        edit: bool = False,
    ) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        if self._server.shutting_down:
            fut.set_result(None)
            return fut
        key = view.location.main_file
        run = self.runs.setdefault(key, Run())
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

    def cancel_all(self) -> None:
        """At shutdown: the runners and the verifications in flight."""
        for run in self.runs.values():
            if run.full_cancel is not None:
                run.full_cancel.set()
            for t in (run.task, run.full_task):
                if t is not None and not t.done():
                    t.cancel()

    def inputs(self, view: WorkspaceView, run: Run, rescan: bool, full: bool) -> _Inputs:
        s = self._server
        docs = list(s.state.documents.values())
        facts = view.facts
        imports = None if rescan or facts is None else facts.imports
        signature = None if facts is None else import_signature(facts)
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
        network, comparisons = s.network.for_view(view)
        return _Inputs(
            location=view.location,
            env=s.state.env,
            settings=s.state.settings,
            overlays={d.path: d.text for d in docs},
            versions={d.path: d.version for d in docs},
            encoding=s.position_encoding,
            imports=dict(imports) if imports is not None else None,
            import_signature=signature,
            full_cache=dict(s.verification.full_cache),
            explicit_full=full,
            client_watches=s.lifecycle.client_watches,
            folders=tuple(s.lifecycle.folders),
            prev_targets=run.targets if run.edit else None,
            transitive_memo=memo,
            state_memo=states,
            network=network,
            comparisons=comparisons,
        )

    async def _run_view(self, view: WorkspaceView, run: Run) -> None:
        s = self._server
        try:
            await s.lifecycle.wait_ready()
            while run.dirty and not s.shutting_down:
                run.dirty = False
                gen = view.generation
                rescan, run.rescan = run.rescan, False
                full, run.full = run.full, False
                edit = run.edit
                if s.state.workspaces.get(view.location.main_file) is not view:
                    break
                if not s.views.exists(view.location.main_file):
                    s.views.vacate(view)
                    break
                # The user waits for this: the background processes are paused from
                # the analysis to the publish (gomod_doctor.background).
                with background.paused():
                    inp = self.inputs(view, run, rescan, full)
                    try:
                        out = await in_thread(quick_pass, inp)
                    except Exception:
                        s.log(
                            f"analysis of {view.location.main_file} failed (previous results kept): "
                            f"{traceback.format_exc()}",
                            "error",
                        )
                        continue
                    if gen != view.generation or s.shutting_down:
                        run.full |= full
                        continue  # superseded: a newer trigger set dirty again
                    if out.needs_rescan and not rescan:
                        run.dirty = run.rescan = True
                        run.full |= full
                        continue
                    self.apply(view, run, out, inp)
                if out.targets is None:
                    try:
                        out.targets = await in_thread(_watch_targets, out.facts, inp, out.wanted)
                    except Exception:
                        s.log(f"file watching: {traceback.format_exc()}", "error")
                    else:
                        if not s.shutting_down:
                            s.watching.set_targets(run, out.targets)
                if not edit:
                    # An open or a disk change: what it loaded (the import graph, the
                    # cache states) is kept across the edits that follow; freeze it
                    # too. (What is later dropped is still freed by reference counts.)
                    gc.freeze()
                s.network.want(view, run)
                s.verification.continue_full(view, run, out, inp, explicit=full, edit=edit)
        except asyncio.CancelledError:
            pass
        except Exception:
            s.log(f"internal error: {traceback.format_exc()}", "error")
        finally:
            waiters, run.waiters = run.waiters, []
            for w in waiters:
                if not w.done():
                    w.set_result(None)

    def apply(self, view: WorkspaceView, run: Run, out: Outcome, inp: _Inputs) -> None:
        """Take an outcome on the loop: the view's new state, published."""
        s = self._server
        self.collect_when_idle()
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
                s.log(msg, "error")
        run.logged = set(problems)
        run.last = (out, inp, view.generation)
        s.publisher.publish(view, out.diagnostics, inp.versions)
        s.publisher.send_status(view, out, inp)
        if out.targets is not None:
            s.watching.set_targets(run, out.targets)

    def collect_when_idle(self) -> None:
        """Full garbage collections run here, once nothing has happened for
        :data:`GC_IDLE` seconds, rather than whenever allocations trigger one (see
        :func:`~gomod_doctor.lsp.server.serve`): a full collection takes tens of
        milliseconds over a large workspace's objects, which must not land on an
        edit's analysis."""
        loop = self._server.background.loop
        if loop is None or self._server.shutting_down:
            return
        if gc.get_count()[2] >= GC_FULL_ANYWAY:
            gc.collect()  # never idle for long: memory must stay bounded all the same
        if self._gc_handle is not None:
            self._gc_handle.cancel()
        self._gc_handle = loop.call_later(GC_IDLE, self._idle_collect)

    def _idle_collect(self) -> None:
        self._gc_handle = None
        pending = gc.get_count()[2]
        busy = any(r.task is not None and not r.task.done() for r in self.runs.values())
        if busy and pending < GC_FULL_ANYWAY:
            self.collect_when_idle()  # after the analysis under way
        elif pending >= GC_FULL_AFTER:
            gc.collect()
