"""The network checks of each workspace, as an async task on the loop.

They run after the local results are published
(:func:`gomod_doctor.network.gather_network`, bounded by its deadline, one
:class:`~gomod_doctor.network.proxy.NetworkCache` per server). Their findings are
merged into the latest analysis and published again; until the next gather
finishes, every analysis reuses the view's latest network facts while GOPROXY,
GOSUMDB and the environment are unchanged. A gather in flight is never waited for:
a newer analysis asks for another one, which starts when the current one ends (so
a slow proxy cannot starve it), and whose results are merged into whatever analysis
is the latest then. ``network: off`` and ``trusted: false`` send nothing.
"""

from __future__ import annotations

import asyncio
import os
import traceback
from collections.abc import Iterable
from typing import TYPE_CHECKING

from gomod_doctor.lsp import network as lspnet
from gomod_doctor.lsp.passes import network_pass
from gomod_doctor.lsp.settings import Settings
from gomod_doctor.lsp.tasks import in_thread
from gomod_doctor.netfacts import Comparison, NetworkFacts

if TYPE_CHECKING:  # httpx loads with the first gather
    from gomod_doctor.lsp.scheduler import Run
    from gomod_doctor.lsp.server import GomodDoctorServer
    from gomod_doctor.lsp.state import WorkspaceView
    from gomod_doctor.network.proxy import NetworkCache
    from gomod_doctor.network.quiet import NetworkOptions


class NetworkLoop:
    """The server's network gathers, and its one cache of proxy answers."""

    def __init__(self, server: GomodDoctorServer) -> None:
        self._server = server
        self._cache: NetworkCache | None = None
        #: the network checks' limits (tests and the benchmark may shorten them)
        self.options: NetworkOptions | None = None

    def cache(self) -> NetworkCache:
        """The server's one cache of proxy and checksum-database answers."""
        if self._cache is None:
            from gomod_doctor.network.proxy import NetworkCache

            self._cache = NetworkCache()
        return self._cache

    def invalidate(self) -> None:
        """Forget every network answer (``gomod-doctor.recheck``): ask again."""
        if self._cache is not None:
            self._cache.invalidate()

    def environ(self, settings: Settings | None = None) -> dict[str, str]:
        """The environment the network checks honour (HTTPS_PROXY, SSL_CERT_FILE,
        NETRC...): the server's, plus the ``env`` setting."""
        return {**os.environ, **(settings or self._server.state.settings).env}

    def scope(self) -> lspnet.Scope | None:
        s = self._server
        return lspnet.network_scope(s.state.settings, s.state.env)

    def for_view(self, view: WorkspaceView) -> tuple[NetworkFacts | None, tuple[Comparison, ...]]:
        """The view's latest network facts and comparisons, if still in scope."""
        scope = self.scope()
        if scope is None:
            return None, ()
        nf = view.network if view.network_scope == scope else None
        comps = tuple(c for sc, c in view.comparisons.values() if sc == scope)
        return nf, comps

    def want(self, view: WorkspaceView, run: Run) -> None:
        """A gather for the latest analysis: now, or when the one in flight ends."""
        s = self._server
        if s.shutting_down or not lspnet.network_allowed(s.state.settings):
            return
        run.net_dirty = True
        if run.net_task is None or run.net_task.done():
            run.net_task = s.background.spawn(self._loop(view, run))

    async def _loop(self, view: WorkspaceView, run: Run) -> None:
        from gomod_doctor.network.quiet import quiet_gather

        s = self._server
        try:
            while run.net_dirty and not s.shutting_down:
                run.net_dirty = False
                if not s.views.current(view):
                    return
                last = run.last
                if last is None:
                    return
                out, inp, _gen = last
                scope = lspnet.network_scope(inp.settings, inp.env)
                if scope is None:
                    continue
                environ = self.environ(inp.settings)
                # nothing can be sent (GOPROXY off or invalid...): the same facts, at once
                nf = quiet_gather(out.facts, environ, options=self.options)
                if nf is None:
                    from gomod_doctor.network.gather import gather_network

                    nf = await gather_network(
                        out.facts, environ, options=self.options, cache=self.cache()
                    )
                if s.shutting_down:
                    return
                if not s.views.current(view):
                    return
                if self.scope() != scope:
                    continue  # the environment changed meanwhile: a newer pass asks again
                view.network, view.network_scope = nf, scope
                for key in [k for k, (sc, _c) in view.comparisons.items() if sc != scope]:
                    del view.comparisons[key]
                if set(nf.graph_mods) != set(out.facts.graph_mods) and run.graph_rounds < 4:
                    # go.mod files the module cache lacks, fetched and verified: the
                    # module graph goes on past them, so the analysis runs again over
                    # them (with these network facts; a new gather follows it)
                    run.graph_rounds += 1
                    s.scheduler.schedule(view, edit=True)
                    continue
                run.graph_rounds = 0
                await self._merge(view, run)
        except asyncio.CancelledError:
            pass
        except Exception:
            s.log(f"network checks failed: {traceback.format_exc()}", "error")

    async def _merge(self, view: WorkspaceView, run: Run) -> None:
        """Re-run the checks of the latest analysis with the view's network facts and
        publish; when a newer analysis is under way, it takes them instead."""
        s = self._server
        for _ in range(3):
            last = run.last
            if last is None or not s.views.current(view):
                return
            out, inp, gen = last
            if gen != view.generation or s.shutting_down:
                return
            network, comparisons = self.for_view(view)
            new_out = await in_thread(network_pass, out, network, comparisons, inp)
            if gen != view.generation or s.shutting_down:
                return
            if run.last is last:
                s.scheduler.apply(view, run, new_out, inp)
                return
            # published meanwhile (full verification merged): merge into that instead

    async def add_comparison(self, views: Iterable[WorkspaceView], c: Comparison) -> None:
        """Show a proxy-copy comparison (``proxy-tampered``) in ``views``."""
        scope = self.scope()
        if scope is None:
            return
        for view in views:
            view.comparisons[(c.module, c.version)] = (scope, c)
            run = self._server.scheduler.runs.get(view.location.main_file)
            if run is not None:
                await self._merge(view, run)
