"""Publishing: diagnostics, the ``gomodDoctor/status`` notification, lens refreshes.

Diagnostics are published for the version of each open buffer they were computed
from, and never again when unchanged. After each publish a ``gomodDoctor/status``
notification summarizes the workspace (modules, verified, problems, proxy health).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.capabilities import get_capability

from gomod_doctor.lsp import convert
from gomod_doctor.lsp import network as lspnet

if TYPE_CHECKING:
    from gomod_doctor.lsp.passes import Outcome
    from gomod_doctor.lsp.server import GomodDoctorServer
    from gomod_doctor.lsp.state import WorkspaceView
    from gomod_doctor.lsp.watching import _Inputs


class Publisher:
    """What was last published, by URI, and the lens summary of each workspace."""

    def __init__(self, server: GomodDoctorServer) -> None:
        self._server = server
        self._last_published: dict[str, tuple[int | None, list[types.Diagnostic]]] = {}
        self._lens_summary: dict[Path, tuple[int, int]] = {}

    def publish(
        self,
        view: WorkspaceView,
        diags: Mapping[Path, list[types.Diagnostic]],
        versions: Mapping[Path, int | None],
    ) -> None:
        state = self._server.state
        published: set[Path] = set()
        # the open documents first: what the user looks at
        for path in sorted(set(diags) | view.published, key=lambda p: p not in versions):
            owner = state.workspace_for(path)
            if owner is not None and owner is not view:
                continue
            doc = state.document_at(path)
            if doc is not None:
                if path not in versions or versions[path] != doc.version:
                    continue  # never publish for another version of the buffer
                version: int | None = doc.version
            else:
                if path in versions:
                    continue  # computed from a buffer since closed
                version = None
            ds = diags.get(path, [])
            self.publish_one(path, ds, version, doc.uri if doc is not None else None)
            if ds:
                published.add(path)
        view.published = published

    def publish_one(
        self,
        path: Path,
        ds: list[types.Diagnostic],
        version: int | None,
        uri: str | None = None,
    ) -> None:
        if self._server.shutting_down:
            return
        uri = uri or convert.path_to_uri(path)
        last = self._last_published.get(uri)
        if last is not None and last[0] == version and last[1] == ds:
            return
        self._last_published[uri] = (version, ds)
        self._server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=ds, version=version)
        )

    def clear(self, view: WorkspaceView, *, only_unowned: bool) -> None:
        """Clear what was published for ``view``: every file it published for that no
        other view owns (with ``only_unowned``: that no view owns at all)."""
        state = self._server.state
        for p in list(view.published):
            owner = state.workspace_for(p)
            if owner is None or (not only_unowned and owner is view):
                self.publish_one(p, [], None)
        view.published.clear()

    def send_status(self, view: WorkspaceView, out: Outcome, inp: _Inputs) -> None:
        """``gomodDoctor/status`` for the view (the VS Code status bar)."""
        s = self._server
        if s.shutting_down:
            return
        verified = sum(1 for _t, level in view.verified.values() if level == "full")
        nf, _ = s.network.for_view(view)
        params = lspnet.status_params(
            convert.path_to_uri(view.location.root),
            out.facts,
            view.findings,
            verified,
            inp.settings,
            nf,
        )
        with contextlib.suppress(Exception):
            s.protocol.notify(lspnet.STATUS_METHOD, params)
        self._refresh_lens(view, verified)

    def _refresh_lens(self, view: WorkspaceView, verified: int) -> None:
        """Ask the client to re-request the module line's summary lens when the numbers
        it shows changed (a client keeps a lens until told, e.g. after full verification)."""
        summary = (len(view.findings), verified)
        key = view.location.main_file
        if self._lens_summary.get(key) == summary:
            return
        self._lens_summary[key] = summary
        s = self._server
        if get_capability(s.client_capabilities, "workspace.code_lens.refresh_support", False):
            with contextlib.suppress(Exception):
                s.workspace_code_lens_refresh(None)
