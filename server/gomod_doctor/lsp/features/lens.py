"""The code lens on go.mod's ``module`` line: a one-line summary of the workspace
("142 modules · 140 verified · 2 problems"); clicking it runs "Verify all now".

``modules`` counts the module versions the workspace requires; ``verified`` those
of them whose cache entry was verified (quick or full) by the last analysis;
``problems`` the errors and warnings of the workspace's files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from gomod_doctor.findings import Severity
from gomod_doctor.lsp.document import doc_info
from gomod_doctor.lsp.features.commands import VERIFY_ALL
from gomod_doctor.lsp.state import WorkspaceView
from gomod_doctor.modfile.rules import ModFile

if TYPE_CHECKING:
    from gomod_doctor.lsp.context import Context

__all__ = ["code_lenses", "summary"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(view: WorkspaceView) -> str | None:
    """``N modules · M verified · K problems`` for ``view`` (None before any analysis)."""
    facts = view.facts
    if facts is None:
        return None
    needs = list(facts.needs.needs.values())
    modules = len(needs)
    verified = sum(1 for n in needs if n.fetch is not None and n.fetch in view.verified)
    problems = sum(1 for f in view.findings if f.severity >= Severity.WARNING)
    return f"{_plural(modules, 'module')} · {verified} verified · {_plural(problems, 'problem')}"


def code_lenses(server: Context, params: types.CodeLensParams) -> list[types.CodeLens]:
    """The summary lens of a go.mod."""
    doc = doc_info(server, params.text_document.uri)
    if doc is None or doc.kind != "mod" or doc.view is None:
        return []
    f = doc.parsed()
    if not isinstance(f, ModFile) or f.module is None:
        return []
    title = summary(doc.view)
    if title is None:
        return []
    cmd = types.Command(title=title, command=VERIFY_ALL, arguments=[{"uri": doc.uri}])
    return [types.CodeLens(range=doc.lsp_range(f.module.syntax.range), command=cmd)]
