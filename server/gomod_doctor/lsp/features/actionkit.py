"""What the code actions are built with: the action builder, the checkouts a
replace can point at, and the edits they share (for :mod:`.actions` and
:mod:`.quickfixes`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability

from gomod_doctor.lsp.document import DocInfo
from gomod_doctor.modfile.rules import ModFile, Replace
from gomod_doctor.modfile.work import WorkFile
from gomod_doctor.position import TextEdit

if TYPE_CHECKING:
    from gomod_doctor.lsp.context import Context

QUICKFIX = types.CodeActionKind.QuickFix
REWRITE = types.CodeActionKind.RefactorRewrite
SOURCE_KIND = types.CodeActionKind.Source


# --------------------------------------------------------------------------- building


def workspace_edit(server: Context, doc: DocInfo, edits: Iterable[TextEdit]) -> types.WorkspaceEdit:
    """``edits`` of ``doc`` (character ranges) as an LSP edit in the client's encoding."""
    seen: set[tuple[int, int, str]] = set()
    out: list[types.TextEdit] = []
    for e in sorted(edits, key=lambda e: (e.range.start.offset, e.range.end.offset)):
        key = (e.range.start.offset, e.range.end.offset, e.new_text)
        if key in seen:
            continue
        seen.add(key)
        out.append(types.TextEdit(range=doc.lsp_range(e.range), new_text=e.new_text))
    if get_capability(
        server.client_capabilities, "workspace.workspace_edit.document_changes", False
    ):
        ident = types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version)
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=ident, edits=list(out))]
        )
    return types.WorkspaceEdit(changes={doc.uri: list(out)})


def _command(title: str, command: str, args: dict[str, Any]) -> types.Command:
    return types.Command(title=title, command=command, arguments=[args])


@dataclass
class _Builder:
    server: Context
    doc: DocInfo
    only: Sequence[str] | None
    #: the local checkouts of module paths, searched off the loop
    checkouts: dict[str, list[Path]] = field(default_factory=dict)
    actions: list[types.CodeAction] = field(default_factory=list)
    titles: set[str] = field(default_factory=set)
    #: module paths whose checkouts were wanted and are not searched yet
    unsearched: set[str] = field(default_factory=set)

    def wanted(self, kind: str) -> bool:
        if not self.only:
            return True
        return any(kind == k or kind.startswith(k + ".") for k in self.only)

    def add(
        self,
        title: str,
        kind: str,
        *,
        edits: list[TextEdit] | None = None,
        command: types.Command | None = None,
        diagnostic: types.Diagnostic | None = None,
        preferred: bool = False,
        doc: DocInfo | None = None,
    ) -> None:
        """Add an action; ``edits`` are of ``doc`` (default: the document asked about)."""
        if not self.wanted(kind) or title in self.titles:
            return
        if edits is not None and not edits:
            return
        self.titles.add(title)
        target = doc if doc is not None else self.doc
        self.actions.append(
            types.CodeAction(
                title=title,
                kind=kind,
                diagnostics=[diagnostic] if diagnostic is not None else None,
                edit=workspace_edit(self.server, target, edits) if edits is not None else None,
                command=command,
                is_preferred=preferred or None,
            )
        )

    def preferred_fix(
        self, title: str, command: str, args: dict[str, Any], diag: types.Diagnostic
    ) -> None:
        """The preferred quick fix for ``diag``: run ``command`` with ``args``."""
        self.add(
            title,
            QUICKFIX,
            command=_command(title, command, args),
            diagnostic=diag,
            preferred=True,
        )

    @property
    def trusted(self) -> bool:
        return bool(self.server.state.settings.trusted)

    def go(self) -> bool:
        """A go command can be run (trusted, and one is found)."""
        if not self.trusted:
            return False
        try:
            return bool(self.server.go_binary())
        except Exception:
            return False


# --------------------------------------------------------------------------- checkouts


def local_checkouts(b: _Builder, module_path: str) -> list[Path]:
    """Directories whose go.mod declares ``module_path`` (the workspace's own modules
    excluded), nearest first: as found off the loop (:func:`.search.find_checkouts`); until
    then none, and ``module_path`` is noted for the search."""
    found = b.checkouts.get(module_path)
    if found is None:
        b.unsearched.add(module_path)
        return []
    return found


# --------------------------------------------------------------------------- edits


def _replace_at(f: ModFile | WorkFile, line: int, module: object) -> Replace | None:
    for r in f.replace:
        if r.syntax.start.line == line and (not isinstance(module, str) or r.old_path == module):
            return r
    return None


def _has_replace(f: ModFile | WorkFile, path: str, version: str = "") -> bool:
    return any(
        r.old_path == path and (r.old_version == version or not version or not r.old_version)
        for r in f.replace
    )
