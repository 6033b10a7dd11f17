"""Full verification in the background.

Full verification (``verify: "full"``, the default, or a recheck with ``full``)
runs after the quick results are out, under ``$/progress`` that the client can
cancel, in ``cores - 1`` worker processes at lower CPU priority
(:mod:`gomod_doctor.cache.verify`, loaded with the first one). Its results are
facts about cache files, so they are kept across edits (keyed by GOMODCACHE,
module and version) and merged into the latest analysis when they come, and into
every later quick pass: they stay until a change on disk under that module
version's cache entries makes them stale, which starts a new verification of that
module version only. A verification in flight goes on through the edits that still
need what it hashes (what they newly need is verified after it); it is cancelled,
keeping what it finished, when it no longer matters: an analysis no longer needs
one of its module versions (or another GOMODCACHE), the workspace is closed (its
last document closed outside every workspace folder, or its folder removed),
``verify`` is no longer ``full``, or the server shuts down.
"""

from __future__ import annotations

import asyncio
import threading
import time
import traceback
from typing import TYPE_CHECKING

from gomod_doctor.lsp.passes import (
    CacheKey,
    FullEntry,
    Key,
    Outcome,
    full_pass,
    verify_modules,
)
from gomod_doctor.lsp.tasks import in_thread
from gomod_doctor.lsp.watching import _Inputs

if TYPE_CHECKING:
    from gomod_doctor.cache.verify import VerifyResult
    from gomod_doctor.lsp.reporter import ProgressReporter
    from gomod_doctor.lsp.scheduler import Run
    from gomod_doctor.lsp.server import GomodDoctorServer
    from gomod_doctor.lsp.state import WorkspaceView

EDIT_FULL_DELAY = 0.3  # after an edit, wait this long for more before verifying


class Verification:
    """What full verification found (kept across edits), and the runs of it."""

    def __init__(self, server: GomodDoctorServer) -> None:
        self._server = server
        self.full_cache: dict[CacheKey, FullEntry] = {}
        self._invalid_since: dict[CacheKey, int] = {}
        self._epoch = 0

    def invalidate(self, invalid: set[CacheKey]) -> None:
        """Changes on disk under these module versions' cache entries: what full
        verification found of them is stale (and so is what is in flight)."""
        self._epoch += 1
        for ck in invalid:
            self._invalid_since[ck] = self._epoch
            entry = self.full_cache.get(ck)
            if entry is not None:
                entry.stale = True

    def _fresh(self, gomodcache: str, key: Key) -> bool:
        e = self.full_cache.get((gomodcache, *key))
        return e is not None and not e.stale

    def _auto_full(self, view: WorkspaceView, run: Run) -> bool:
        """Whether the view's needed module versions are verified without being asked."""
        s = self._server
        return s.state.settings.verify == "full" and not run.suppressed and s.views.in_use(view)

    def continue_full(
        self,
        view: WorkspaceView,
        run: Run,
        out: Outcome,
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

    def _merge_landed(self, view: WorkspaceView, run: Run, out: Outcome) -> None:
        """Results that came in after the analysis read them: merge them in."""
        if any(self._fresh(out.gomodcache, k) for k in out.missing):
            self._server.background.spawn(self._merge_full(view, run))

    def _start_full(
        self,
        view: WorkspaceView,
        run: Run,
        out: Outcome,
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
        run: Run,
        gomodcache: str,
        requests: list[tuple[str, str, bool]],
        event: threading.Event,
        *,
        explicit: bool,
        delay: float,
    ) -> None:
        s = self._server
        try:
            if delay:
                await asyncio.sleep(delay)
            if event.is_set() or s.shutting_down:
                if explicit and not s.shutting_down and s.views.current(view):
                    s.scheduler.schedule(view, full=True)  # asked for: after the newer work
                return
            epoch = self._epoch
            cancelled_by_client = False
            n = len(requests)
            title = f"Verifying {n} module version{'s' if n != 1 else ''} in the module cache"
            reporters: list[ProgressReporter] = []

            def tracked(r: ProgressReporter, ev: threading.Event) -> VerifyResult:
                reporters.append(r)
                return verify_modules(gomodcache, requests, r, ev)

            result = await s.work_progress.run(title, tracked, cancel=event)
            cancelled_by_client = bool(reporters) and s.work_progress.client_cancelled(reporters[0])
            if cancelled_by_client:
                run.suppressed = True
                s.work_progress.forget_cancelled(reporters[0])
            now = time.time()
            for key, mv in result.modules.items():
                ck: CacheKey = (gomodcache, *key)
                stale = self._invalid_since.get(ck, 0) > epoch
                self.full_cache[ck] = FullEntry(mv, now, stale)
            if s.shutting_down or not s.views.current(view):
                return
            if explicit and result.cancelled and not cancelled_by_client:
                s.scheduler.schedule(view, full=True)  # asked for: start again on the newer work
                return
            if result.modules:
                await self._merge_full(view, run)
            if not result.cancelled and run.full_cancel is event:
                # what the analyses since it began need and it did not verify
                run.full_cancel = run.full_scope = None
                last = run.last
                if last is not None and last[2] == view.generation:
                    asked = frozenset((p, v) for p, v, _ in requests)
                    self.continue_full(
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
            s.log(f"full verification failed: {traceback.format_exc()}", "error")
        finally:
            if run.full_cancel is event:
                run.full_cancel = None
                run.full_scope = None

    async def _merge_full(self, view: WorkspaceView, run: Run) -> None:
        """Merge the full verification results known now into the latest published
        analysis, and publish it again (unless a newer analysis is on its way: it
        reads them, or merges them after it)."""
        s = self._server
        last = run.last
        if last is None or last[2] != view.generation:
            return
        out, inp, gen = last
        merged = {
            k: e
            for k in out.wanted
            if (e := self.full_cache.get((out.gomodcache, *k))) is not None
            and (not e.stale or s.state.settings.verify == "full")
        }
        if merged.keys() == out.known.keys() and all(merged[k] is out.known[k] for k in merged):
            return  # nothing new
        for _ in range(3):
            network, comparisons = s.network.for_view(view)
            new_out = await in_thread(full_pass, out, merged, inp, network, comparisons)
            if gen != view.generation or s.shutting_down or run.last is not last:
                return
            if s.network.for_view(view)[0] is network:
                break  # else a gather finished meanwhile: merge its facts instead
        s.scheduler.apply(view, run, new_out, inp)
