"""One file as the features see it: :class:`DocInfo` (the buffer if open, else the disk)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from gomod_doctor.gosum.parser import SumFile, parse_sum
from gomod_doctor.lsp.convert import from_lsp_range, to_lsp_range, uri_to_path
from gomod_doctor.modfile.rules import ModFile, parse_mod
from gomod_doctor.modfile.work import WorkFile, parse_work
from gomod_doctor.position import Range

if TYPE_CHECKING:
    from gomod_doctor.lsp.context import Context
    from gomod_doctor.lsp.state import WorkspaceView

__all__ = ["DocInfo", "doc_info"]


@dataclass
class DocInfo:
    """One file as the editor has it (the buffer if open, else the disk)."""

    uri: str
    path: Path
    text: str
    version: int | None
    kind: str  # "mod", "work", "sum" or ""
    encoding: str
    view: WorkspaceView | None
    _parsed: ModFile | WorkFile | None = field(default=None, repr=False)
    _sum: SumFile | None = field(default=None, repr=False)

    def parsed(self) -> ModFile | WorkFile | None:
        """The go.mod or go.work parsed (reusing the analysis' parse when the text
        is the same)."""
        if self._parsed is None and self.kind in ("mod", "work"):
            self._parsed = self._from_snapshot() or (
                parse_work(self.text, str(self.path))
                if self.kind == "work"
                else parse_mod(self.text, str(self.path))
            )
        return self._parsed

    def _from_snapshot(self) -> ModFile | WorkFile | None:
        facts = self.view.facts if self.view is not None else None
        if facts is None:
            return None
        snap = facts.snapshot
        if self.kind == "work":
            wf = snap.work_file
            if wf is not None and wf.path == self.path and wf.text == self.text:
                return snap.work
            return None
        for m in snap.modules:
            if m.gomod.path == self.path and m.gomod.text == self.text:
                return m.mod
        return None

    def parsed_sum(self) -> SumFile | None:
        if self._sum is None and self.kind == "sum":
            facts = self.view.facts if self.view is not None else None
            if facts is not None:
                for ft, parsed in facts.sum_files():
                    if ft.path == self.path and ft.text == self.text:
                        self._sum = parsed
            if self._sum is None:
                self._sum = parse_sum(self.text, str(self.path))
        return self._sum

    def lsp_range(self, rng: Range) -> types.Range:
        return to_lsp_range(self.text, rng, self.encoding)

    def our_range(self, rng: types.Range) -> Range:
        return from_lsp_range(self.text, rng, self.encoding)


def _kind(path: Path) -> str:
    name = path.name
    if name.endswith(".work"):
        return "work"
    if name.endswith(".sum"):
        return "sum"
    if name.endswith(".mod"):
        return "mod"
    return ""


def doc_info(server: Context, uri: str) -> DocInfo | None:
    """The document at ``uri``: its buffer if open, else the file on disk."""
    path = uri_to_path(uri)
    if path is None:
        return None
    state = server.state
    doc = state.document_at(path)
    version: int | None = None
    if doc is not None:
        text = doc.text
        version = doc.version
    else:
        got = state.text_of(path)
        if got is None:
            try:
                got = path.read_bytes().decode("utf-8", "surrogateescape")
            except OSError:
                return None
        text = got
    return DocInfo(
        uri,
        path,
        text,
        version,
        _kind(path),
        server.position_encoding,
        state.workspace_for(path),
    )
