"""The open documents and the workspace views they belong to.

A view is the analysis of one workspace (a go.work, or a module's go.mod), found
from an open document or a workspace folder the way the go command finds it
(GOWORK, a go.work that ``use``\\ s the module). The document notifications
(didOpen, didChange, didSave, didClose) update the buffers and schedule the views
they touch.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from gomod_doctor.lsp import convert
from gomod_doctor.lsp.scheduler import Run
from gomod_doctor.lsp.state import LANGUAGE_IDS, Document, WorkspaceView, is_tracked_file
from gomod_doctor.modfile.work import parse_work
from gomod_doctor.workspace import snapshot as snapshots
from gomod_doctor.workspace.discover import WorkspaceError, locate
from gomod_doctor.workspace.model import WorkspaceLocation, use_dir

if TYPE_CHECKING:
    from gomod_doctor.lsp.server import GomodDoctorServer


class Views:
    """Documents in, views out: which workspaces exist and which a path touches."""

    def __init__(self, server: GomodDoctorServer) -> None:
        self._server = server

    # ---------------------------------------------------------------- documents

    def _doc_wanted(self, path: Path, language_id: str) -> bool:
        if is_tracked_file(path):
            return True
        return language_id in LANGUAGE_IDS

    def on_did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        s = self._server
        td = params.text_document
        path = convert.uri_to_path(td.uri)
        if path is None or not self._doc_wanted(path, td.language_id):
            return
        s.state.documents[td.uri] = Document(td.uri, path, td.text, td.version, td.language_id)
        if s.lifecycle.is_ready():
            views = self.touching(path)
            if not any(v.includes(path) for v in views):
                view = self.ensure(path, td.language_id)
                if view is not None:
                    views.append(view)
            for v in views:
                s.scheduler.schedule(v)

    def on_did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        s = self._server
        uri = params.text_document.uri
        doc = s.state.documents.get(uri)
        if doc is None:
            return
        try:
            doc.text = s.workspace.get_text_document(uri).source
        except Exception as e:
            s.log(f"cannot apply the change to {uri}: {e}", "error")
            return
        doc.version = params.text_document.version
        for v in self.touching(doc.path):
            s.scheduler.schedule(v, edit=True)

    def on_did_save(self, params: types.DidSaveTextDocumentParams) -> None:
        s = self._server
        doc = s.state.documents.get(params.text_document.uri)
        if doc is None:
            return
        if params.text is not None:
            doc.text = params.text
        for v in self.touching(doc.path):
            run = s.scheduler.runs.get(v.location.main_file)
            if run is not None:
                run.suppressed = False
            s.scheduler.schedule(v)

    def on_did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        s = self._server
        doc = s.state.documents.pop(params.text_document.uri, None)
        if doc is None:
            return
        for v in self.touching(doc.path):
            run = s.scheduler.runs.get(v.location.main_file)
            if run is not None and run.full_cancel is not None and not self.in_use(v):
                run.full_cancel.set()  # the workspace is closed: its verification can stop
            s.scheduler.schedule(v)

    def in_use(self, view: WorkspaceView) -> bool:
        """Whether the user still has the workspace open: a document of it, or a
        workspace folder that holds it."""
        s = self._server
        if any(view.includes(d.path) for d in s.state.documents.values()):
            return True
        root = view.location.root
        return any(root == f or root.is_relative_to(f) for f in s.lifecycle.folders)

    # ---------------------------------------------------------------- views

    def _locate_for(self, path: Path, language_id: str = "") -> WorkspaceLocation | None:
        env = self._server.state.env
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
            return alone if (is_mod or self.exists(gomod)) else None
        if loc.gowork is None:
            return loc if loc.gomod == gomod else alone
        # a go.work: only if it uses this module
        text = self._text(loc.gowork)
        if text is not None:
            with contextlib.suppress(Exception):
                work = parse_work(text, str(loc.gowork))
                for u in work.use:
                    if use_dir(loc.root, u.path) == gomod.parent:
                        return loc
        return alone

    def exists(self, p: Path) -> bool:
        """An open buffer, or a file on disk."""
        if self._server.state.document_at(p) is not None:
            return True
        try:
            return p.is_file()
        except OSError:
            return False

    def _text(self, p: Path) -> str | None:
        doc = self._server.state.document_at(p)
        if doc is not None:
            return doc.text
        return snapshots.read_file(p).text

    def ensure(
        self,
        path: Path,
        language_id: str = "",
        *,
        reuse: Mapping[Path, WorkspaceView] | None = None,
    ) -> WorkspaceView | None:
        """The view of the workspace ``path`` belongs to, created if need be."""
        s = self._server
        loc = self._locate_for(Path(os.path.normpath(path)), language_id)
        if loc is None:
            return None
        key = loc.main_file
        view = s.state.workspaces.get(key)
        if view is None:
            prev = reuse.get(key) if reuse is not None else None
            view = prev if prev is not None and prev.location == loc else WorkspaceView(loc)
            s.state.workspaces[key] = view
            if view is not prev:
                old_run = s.scheduler.runs.pop(key, None)
                if prev is not None:
                    self._retire(prev, old_run)
                s.scheduler.runs[key] = Run()
        return view

    def rebuild(self) -> None:
        """(Re)create the views from the open documents and the workspace folders
        (after a change of the environment, which may move workspaces: GOWORK). A
        view whose location stays keeps its object, its runner and what it knows."""
        s = self._server
        old = dict(s.state.workspaces)
        s.state.workspaces.clear()
        for doc in list(s.state.documents.values()):
            if any(v.includes(doc.path) for v in s.state.workspaces.values()):
                continue
            self.ensure(doc.path, doc.language_id, reuse=old)
        for folder in s.lifecycle.folders:
            for name in ("go.work", "go.mod"):
                p = folder / name
                if self.exists(p):
                    if not any(v.includes(p) for v in s.state.workspaces.values()):
                        self.ensure(p, reuse=old)
                    break
        for key, prev in old.items():
            if key not in s.state.workspaces:  # gone (a replaced one is retired)
                self._retire(prev, s.scheduler.runs.pop(key, None))
        for view in s.state.workspaces.values():
            s.scheduler.schedule(view)

    def _retire(self, view: WorkspaceView, run: Run | None) -> None:
        view.generation += 1
        if run is not None:
            run.last = None
            if run.full_cancel is not None:
                run.full_cancel.set()
            for w in run.waiters:
                if not w.done():
                    w.set_result(None)
            run.waiters.clear()
        self._server.publisher.clear(view, only_unowned=True)

    def vacate(self, view: WorkspaceView) -> None:
        """The main file is gone (deleted, renamed, mid-save): clear what was
        published, keep watching, so that it coming back is noticed."""
        s = self._server
        s.publisher.clear(view, only_unowned=False)
        view.facts = None
        view.findings = []
        view.texts = {}
        view.full_done = False
        view.verified = {}
        run = s.scheduler.runs.get(view.location.main_file)
        if run is not None:
            run.last = None  # nothing to merge network findings into

    def current(self, view: WorkspaceView) -> bool:
        """``view`` is still the view of its workspace (not retired or replaced)."""
        return self._server.state.workspaces.get(view.location.main_file) is view

    def touching(self, path: Path) -> list[WorkspaceView]:
        """The views that include ``path`` or watch it as one of their files."""
        s = self._server
        key = Path(os.path.normpath(path))
        out: list[WorkspaceView] = []
        for main, view in s.state.workspaces.items():
            run = s.scheduler.runs.get(main)
            if view.includes(key) or (
                run is not None and run.targets is not None and key in run.targets.files
            ):
                out.append(view)
        return out

    def for_paths(self, paths: Iterable[Path] | None) -> list[WorkspaceView]:
        """The views of ``paths`` (created if need be); every view when ``None``."""
        s = self._server
        if paths is None:
            return list(s.state.workspaces.values())
        out: list[WorkspaceView] = []
        for p in paths:
            p = Path(os.path.normpath(p))
            found = self.touching(p)
            if not found:
                if p.is_dir():
                    for name in ("go.work", "go.mod"):
                        if self.exists(p / name):
                            p = p / name
                            break
                view = self.ensure(p)
                found = [view] if view is not None else []
            for v in found:
                if v not in out:
                    out.append(v)
        return out
