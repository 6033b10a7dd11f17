"""Code actions: quick fixes for the diagnostics, local-replace toggles, source actions.

Text changes are :class:`~lsprotocol.types.WorkspaceEdit` values (versioned edits of
the open buffer) computed from the editor's text; cache operations are
``gomod-doctor.*`` commands (:mod:`gomod_doctor.lsp.features.commands`).
The quick fixes are :mod:`.quickfixes`, what actions are built with
:mod:`.actionkit`; the line toggles, source actions and the entry point are here.

Quick fixes, keyed by the diagnostic's ``data.code``:

- ``cache-missing``: download M@V; download all missing modules.
- ``cache-missing-summary`` (the ``module`` line): download all missing modules.
- ``cache-incomplete``, ``cache-corrupt``, ``cache-modified``: redownload M@V;
  clear M@V from the module cache (both also drop go's module index entry of its
  directory from GOCACHE).
- ``build-cache-stale``: drop go's module index entry of M@V's directory.
- ``sum-missing``: add the missing go.sum entries (go in that module's directory).
- ``sum-mismatch``: redownload M@V and re-verify.
- ``sum-conflict``: resolve the go.sum merge conflict (an edit).
- ``work-go-too-old``: raise go.work's go line to the module's (``go work use``'s edit).
- ``sum-duplicate``: remove the wrong duplicate line, when the cache says which.
- ``replace-missing``, ``replace-path-mismatch``: remove the replace; disable it
  (comment it out); point it at a local checkout of the module.
- ``sumdb-mismatch``: by its triage, "Replace the go.sum line with the checksum
  database's value" (an edit of go.sum, from either diagnostic, offered only for a
  verified record), "Redownload M@V" (the cache is wrong), "Compare the proxies'
  copies of M@V" (go.sum and the cache agree, the database differs).
- ``download-rejected``: "Compare the proxies' copies of M@V".
- ``private-path-exposed``: "Add <prefix> to GOPRIVATE" (``go env -w``, after asking).

On the lines under the cursor (``refactor.rewrite``): "Use local checkout DIR" on a
``require`` line, "Disable local replace" on a directory replacement, "Enable local
replace" on a commented-out one. Anywhere in go.mod or go.work (``source``): disable
or enable all local replaces, clear every cached version of the module on the
line, clear the whole module cache, prune, verify all now.

Nothing that runs go or changes the cache is offered when the workspace is not
trusted (``trusted: false``) or when there is no go command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from gomod_doctor.lsp.document import DocInfo, doc_info
from gomod_doctor.lsp.features import commands as cmd
from gomod_doctor.lsp.features import search
from gomod_doctor.lsp.tasks import in_thread
from gomod_doctor.modfile import edit as modedit
from gomod_doctor.modfile.rules import ModFile
from gomod_doctor.modfile.work import WorkFile
from gomod_doctor.position import Range, TextEdit

if TYPE_CHECKING:
    from gomod_doctor.lsp.context import Context
from gomod_doctor.lsp.features.actionkit import (
    REWRITE,
    SOURCE_KIND,
    _Builder,
    _command,
    _has_replace,
    local_checkouts,
)
from gomod_doctor.lsp.features.quickfixes import _quick_fixes

__all__ = ["code_actions", "local_checkouts"]


# --------------------------------------------------------------------------- line toggles


def _main_modules(doc: DocInfo) -> set[str]:
    facts = doc.view.facts if doc.view is not None else None
    return set(facts.needs.main_modules) if facts is not None else set()


def _work_replaces(doc: DocInfo, path: str) -> bool:
    """The go.work of the workspace replaces ``path`` (it wins over go.mod's)."""
    facts = doc.view.facts if doc.view is not None else None
    work = facts.snapshot.work if facts is not None else None
    return work is not None and any(r.old_path == path for r in work.replace)


def _line_toggles(b: _Builder, rng: Range, handled: set[int]) -> None:
    f = b.doc.parsed()
    if f is None:
        return
    first, last = rng.start.line, max(rng.start.line, rng.end.line)

    def on_lines(line: int) -> bool:
        return first <= line <= last

    if isinstance(f, ModFile) and b.wanted(REWRITE):
        mains = _main_modules(b.doc)
        for req in f.require:
            if not on_lines(req.syntax.start.line) or not req.path or req.path in mains:
                continue
            if _has_replace(f, req.path) or _work_replaces(b.doc, req.path):
                continue
            for d in local_checkouts(b, req.path):
                rel = search.replace_path_for(d, b.doc.path.parent)
                b.add(
                    f"Use local checkout {rel}",
                    REWRITE,
                    edits=modedit.add_replace(f, req.path, "", rel, ""),
                )
    for rep in f.replace:
        if (
            rep.is_dir
            and on_lines(rep.syntax.start.line)
            and rep.syntax.start.offset not in handled
        ):
            b.add("Disable local replace", REWRITE, edits=modedit.comment_out_replace(f, rep))
    active = {(r.old_path, r.old_version) for r in f.replace}
    for c in modedit.find_commented_replaces(f):
        if not on_lines(c.comment.start.line) or (c.old_path, c.old_version) in active:
            continue
        title = "Enable local replace" if c.is_dir else "Enable replace"
        b.add(title, REWRITE, edits=modedit.uncomment_replace(f, c))


# --------------------------------------------------------------------------- source actions


def _line_modules(f: ModFile | WorkFile, rng: Range) -> list[str]:
    """Module paths named on the lines of ``rng`` (require, replace, exclude)."""
    first, last = rng.start.line, max(rng.start.line, rng.end.line)
    out: list[str] = []
    if isinstance(f, ModFile):
        for req in f.require:
            if first <= req.syntax.start.line <= last and req.path:
                out.append(req.path)
        for ex in f.exclude:
            if first <= ex.syntax.start.line <= last and ex.path:
                out.append(ex.path)
    for rep in f.replace:
        if first <= rep.syntax.start.line <= last:
            out.append(rep.old_path)
            if not rep.is_dir:
                out.append(rep.new_path)
    return list(dict.fromkeys(out))


def _source_actions(b: _Builder, rng: Range) -> None:
    if not b.wanted(SOURCE_KIND) or b.doc.kind not in ("mod", "work"):
        return
    f = b.doc.parsed()
    if f is not None:
        dirs = [r for r in f.replace if r.is_dir]
        edits: list[TextEdit] = []
        for r in dirs:
            edits += modedit.comment_out_replace(f, r)
        b.add("Disable all local replaces", SOURCE_KIND, edits=edits)
        active = {(r.old_path, r.old_version) for r in f.replace}
        enable: list[TextEdit] = []
        for c in modedit.find_commented_replaces(f):
            key = (c.old_path, c.old_version)
            if c.is_dir and key not in active:
                active.add(key)  # the first of several commented-out ones
                enable += modedit.uncomment_replace(f, c)
        b.add("Enable all local replaces", SOURCE_KIND, edits=enable)
        if b.trusted:
            for m in _line_modules(f, rng):
                title = f"Clear all cached versions of {m}"
                b.add(
                    title,
                    SOURCE_KIND,
                    command=_command(title, cmd.CLEAR_ALL_VERSIONS, {"module": m}),
                )
    if b.trusted:
        title = "Clear the whole module cache"
        b.add(title, SOURCE_KIND, command=_command(title, cmd.CLEAR_CACHE, {}))
        title = "Prune versions this workspace doesn't need"
        b.add(title, SOURCE_KIND, command=_command(title, cmd.PRUNE, {"uri": b.doc.uri}))
    title = "Verify all now"
    b.add(title, SOURCE_KIND, command=_command(title, cmd.VERIFY_ALL, {"uri": b.doc.uri}))


# --------------------------------------------------------------------------- entry point


def _actions(
    server: Context,
    doc: DocInfo,
    params: types.CodeActionParams,
    checkouts: dict[str, list[Path]],
) -> _Builder:
    only = params.context.only if params.context is not None else None
    b = _Builder(
        server, doc, [str(k.value if hasattr(k, "value") else k) for k in only or []], checkouts
    )
    rng = doc.our_range(params.range)
    handled: set[int] = set()
    diagnostics = params.context.diagnostics if params.context is not None else []
    _quick_fixes(b, diagnostics or [], handled)
    if doc.kind in ("mod", "work"):
        _line_toggles(b, rng, handled)
        _source_actions(b, rng)
    return b


async def code_actions(server: Context, params: types.CodeActionParams) -> list[types.CodeAction]:
    """The code actions for ``params``. The search for local checkouts walks
    directories: it runs in a worker thread, then the actions are made again with
    what it found."""
    doc = doc_info(server, params.text_document.uri)
    if doc is None:
        return []
    b = _actions(server, doc, params, {})
    if b.unsearched:
        found = await in_thread(search.find_checkouts(server, doc, b.unsearched))
        b = _actions(server, doc, params, found)
    return b.actions
