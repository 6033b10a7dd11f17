"""Code actions: quick fixes for the diagnostics, local-replace toggles, source actions.

Text changes are :class:`~lsprotocol.types.WorkspaceEdit` values (versioned edits of
the open buffer) computed from the editor's text; cache operations are
``gomod-doctor.*`` commands (:mod:`gomod_doctor.lsp.commands`).

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

import os
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from gomod_doctor.gosum.parser import SumFile, parse_sum, resolve_conflicts
from gomod_doctor.lsp import commands as cmd
from gomod_doctor.lsp import search
from gomod_doctor.lsp.convert import (
    SOURCE,
    from_lsp_range,
    path_to_uri,
    to_lsp_range,
    uri_to_path,
)
from gomod_doctor.modfile import edit as modedit
from gomod_doctor.modfile.rules import ModFile, Replace, parse_mod
from gomod_doctor.modfile.work import WorkFile, parse_work
from gomod_doctor.position import Position, Range, TextEdit, line_range

if TYPE_CHECKING:
    from gomod_doctor.lsp.server import GomodDoctorServer
    from gomod_doctor.lsp.state import WorkspaceView

__all__ = ["DocInfo", "checkout_roots", "code_actions", "doc_info", "local_checkouts"]

QUICKFIX = types.CodeActionKind.QuickFix
REWRITE = types.CodeActionKind.RefactorRewrite
SOURCE_KIND = types.CodeActionKind.Source

#: At most this many "Use local checkout" / "Point the replace at" choices.
MAX_CHECKOUTS = 3

_INDEX = search.CheckoutIndex()


# --------------------------------------------------------------------------- documents


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


def doc_info(server: GomodDoctorServer, uri: str) -> DocInfo | None:
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


# --------------------------------------------------------------------------- building


def _supports_document_changes(server: GomodDoctorServer) -> bool:
    try:
        ws = server.client_capabilities.workspace
        we = ws.workspace_edit if ws is not None else None
        return bool(we is not None and we.document_changes)
    except Exception:
        return False


def workspace_edit(
    server: GomodDoctorServer, doc: DocInfo, edits: Iterable[TextEdit]
) -> types.WorkspaceEdit:
    """``edits`` of ``doc`` (character ranges) as an LSP edit in the client's encoding."""
    seen: set[tuple[int, int, str]] = set()
    out: list[types.TextEdit] = []
    for e in sorted(edits, key=lambda e: (e.range.start.offset, e.range.end.offset)):
        key = (e.range.start.offset, e.range.end.offset, e.new_text)
        if key in seen:
            continue
        seen.add(key)
        out.append(types.TextEdit(range=doc.lsp_range(e.range), new_text=e.new_text))
    if _supports_document_changes(server):
        ident = types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version)
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=ident, edits=list(out))]
        )
    return types.WorkspaceEdit(changes={doc.uri: list(out)})


def _command(title: str, command: str, args: dict[str, Any]) -> types.Command:
    return types.Command(title=title, command=command, arguments=[args])


@dataclass
class _Builder:
    server: GomodDoctorServer
    doc: DocInfo
    only: Sequence[str] | None
    actions: list[types.CodeAction] = field(default_factory=list)
    titles: set[str] = field(default_factory=set)

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


def checkout_roots(server: GomodDoctorServer, doc: DocInfo) -> list[search.SearchRoot]:
    """Where local checkouts are looked for: the workspace folders, the siblings of
    the workspace's modules, and the configured search paths."""
    roots: list[search.SearchRoot] = []
    try:
        folders = list(server.workspace.folders.values())
        root_path = server.workspace.root_path
    except Exception:
        folders, root_path = [], None
    for folder in folders:
        p = uri_to_path(folder.uri)
        if p is not None:
            roots.append(search.SearchRoot(p, 3))
    if root_path and not folders:
        roots.append(search.SearchRoot(Path(root_path), 3))
    module_dirs = [doc.path.parent]
    if doc.view is not None and doc.view.facts is not None:
        module_dirs += [m.dir for m in doc.view.facts.snapshot.modules]
    for d in dict.fromkeys(module_dirs):
        roots.append(search.SearchRoot(d.parent, 2))
    base = doc.view.location.root if doc.view is not None else doc.path.parent
    for s in server.state.settings.local_replace_search_paths:
        p = Path(os.path.expanduser(s))
        if not p.is_absolute():
            p = base / p
        roots.append(search.SearchRoot(Path(os.path.normpath(p)), 3))
    out: list[search.SearchRoot] = []
    for r in roots:
        if r not in out:
            out.append(r)
    return out


def _own_module_dirs(doc: DocInfo) -> list[Path]:
    out = [doc.path.parent]
    if doc.view is not None and doc.view.facts is not None:
        out += [m.dir for m in doc.view.facts.snapshot.modules]
    return out


def local_checkouts(server: GomodDoctorServer, doc: DocInfo, module_path: str) -> list[Path]:
    """Directories whose go.mod declares ``module_path`` (the workspace's own modules
    excluded), nearest first."""
    cache = server.state.env.GOMODCACHE
    skip = [Path(cache)] if cache and os.path.isabs(cache) else []
    found = _INDEX.lookup(
        module_path, checkout_roots(server, doc), skip=skip, exclude=_own_module_dirs(doc)
    )
    base = doc.path.parent

    def distance(p: Path) -> tuple[int, str]:
        return (len(search.replace_path_for(p, base)), str(p))

    return sorted(found, key=distance)[:MAX_CHECKOUTS]


# --------------------------------------------------------------------------- edits


def _replace_target_edit(f: ModFile | WorkFile, rep: Replace, new_dir: str) -> list[TextEdit]:
    """Point ``rep`` at the directory ``new_dir`` (its tokens rewritten in place)."""
    line = rep.syntax
    toks = line.tokens if line.in_block else line.tokens[1:]
    if not toks:
        return []
    args = modedit.replace_args(rep.old_path, rep.old_version, new_dir, "")
    start = f.syntax.position(toks[0].range.start.offset)
    end = f.syntax.position(toks[-1].range.end.offset)
    return [TextEdit(Range(start, end), args)]


def _whole_lines(text: str, first: int, last: int) -> Range:
    """Lines ``first``..``last`` (1-based) with the line ending after them."""
    a = line_range(text, first).start
    b = line_range(text, last).end.offset
    nl = text.find("\n", b)
    end = len(text) if nl < 0 else nl + 1
    return Range(a, _pos_at(text, end))


def _pos_at(text: str, offset: int) -> Position:
    line_start = text.rfind("\n", 0, offset) + 1
    return Position(text.count("\n", 0, offset) + 1, offset - line_start + 1, offset)


def _split_lines(s: str) -> list[str]:
    """``s`` in lines, each with its ``\\n`` (the last may have none)."""
    out: list[str] = []
    i = 0
    while i < len(s):
        j = s.find("\n", i)
        if j < 0:
            out.append(s[i:])
            break
        out.append(s[i : j + 1])
        i = j + 1
    return out


def _minimal_edit(old: str, new: str) -> list[TextEdit]:
    """One edit turning ``old`` into ``new``: the whole lines that differ."""
    if old == new:
        return []
    a, b = _split_lines(old), _split_lines(new)
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    q = 0
    while q < n - p and a[len(a) - 1 - q] == b[len(b) - 1 - q]:
        q += 1
    start = sum(len(x) for x in a[:p])
    end = len(old) - sum(len(x) for x in a[len(a) - q :])
    text = "".join(b[p : len(b) - q])
    return [TextEdit(Range(_pos_at(old, start), _pos_at(old, end)), text)]


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


# --------------------------------------------------------------------------- quick fixes


def _str(data: dict[str, Any], key: str) -> str | None:
    v = data.get(key)
    return v if isinstance(v, str) and v else None


def _cache_fixes(b: _Builder, diag: types.Diagnostic, data: dict[str, Any], code: str) -> None:
    m, v = _str(data, "module"), _str(data, "version")
    if m is None or v is None:
        return
    args = {"module": m, "version": v}
    if code == "cache-missing":
        if b.go():
            b.add(
                f"Download {m}@{v}",
                QUICKFIX,
                command=_command(f"Download {m}@{v}", cmd.DOWNLOAD, args),
                diagnostic=diag,
                preferred=True,
            )
            _download_all(b, diag)
        return
    if code == "sum-mismatch":
        if b.go() and data.get("source") != "download":  # not in the cache: nothing to redo
            # in the module's directory: go checks what it downloads against go.sum
            args["dir"] = str(b.doc.path.parent)
            title = f"Redownload {m}@{v} and re-verify"
            b.add(
                title,
                QUICKFIX,
                command=_command(title, cmd.REDOWNLOAD, args),
                diagnostic=diag,
            )
        return
    # cache-incomplete, cache-corrupt, cache-modified
    if b.go():
        b.add(
            f"Redownload {m}@{v}",
            QUICKFIX,
            command=_command(f"Redownload {m}@{v}", cmd.REDOWNLOAD, args),
            diagnostic=diag,
            preferred=True,
        )
    if b.trusted:
        title = f"Clear {m}@{v} from the module cache"
        b.add(title, QUICKFIX, command=_command(title, cmd.CLEAR, args), diagnostic=diag)


def _download_all(b: _Builder, diag: types.Diagnostic, *, preferred: bool = False) -> None:
    if not b.go():
        return
    title = "Download all missing modules"
    b.add(
        title,
        QUICKFIX,
        command=_command(title, cmd.DOWNLOAD_ALL, {"uri": b.doc.uri}),
        diagnostic=diag,
        preferred=preferred,
    )


def _stale_index(b: _Builder, diag: types.Diagnostic, data: dict[str, Any]) -> None:
    m, v = _str(data, "module"), _str(data, "version")
    if m is None or v is None or not b.trusted:
        return
    title = f"Drop go's stale module index of {m}@{v} (GOCACHE)"
    b.preferred_fix(title, cmd.DROP_INDEX, {"module": m, "version": v}, diag)


def _sum_missing(b: _Builder, diag: types.Diagnostic, data: dict[str, Any]) -> None:
    if not b.go():
        return
    m, v = _str(data, "module"), _str(data, "version")
    if m is None or v is None:
        return
    required = _str(data, "goModule") or m
    version = v
    view = b.doc.view
    if required != m and view is not None and view.facts is not None:
        # replaced by another module version: ask go for the required one
        for need in view.facts.needs.needs.values():
            if need.path == required and need.fetch == (m, v):
                version = need.version
                break
        else:
            required = m
    if b.doc.kind not in ("mod", "work"):
        return
    args = {"module": required, "version": version, "dir": str(b.doc.path.parent)}
    title = "Add missing go.sum entries"
    b.add(title, QUICKFIX, command=_command(title, cmd.DOWNLOAD, args), diagnostic=diag)


def _work_go(b: _Builder, diag: types.Diagnostic, data: dict[str, Any]) -> None:
    """go's fix, ``go work use``, raises go.work's go line to the module's: that edit."""
    go = _str(data, "go")
    f = b.doc.parsed()
    if go is None or b.doc.kind != "work" or not isinstance(f, WorkFile):
        return
    b.add(
        f"Set go.work's go line to {go} (as go work use does)",
        QUICKFIX,
        edits=modedit.set_go_version(f, go),
        diagnostic=diag,
        preferred=True,
    )


def _sum_conflict(b: _Builder, diag: types.Diagnostic) -> None:
    if b.doc.kind != "sum":
        return
    resolved = resolve_conflicts(b.doc.text)
    b.add(
        "Resolve go.sum merge conflict",
        QUICKFIX,
        edits=_minimal_edit(b.doc.text, resolved),
        diagnostic=diag,
        preferred=True,
    )


def _sum_duplicate(b: _Builder, diag: types.Diagnostic, data: dict[str, Any]) -> None:
    wrong = data.get("wrongLine")
    if b.doc.kind != "sum" or not isinstance(wrong, int) or isinstance(wrong, bool):
        return
    parsed = b.doc.parsed_sum()
    if parsed is None:
        return
    for e in parsed.entries:
        if (
            e.line == wrong
            and e.module == data.get("module")
            and e.version == data.get("version")
            and e.gomod == bool(data.get("goMod"))
        ):
            rng = _whole_lines(b.doc.text, wrong, wrong)
            b.add(
                "Remove the wrong duplicate line",
                QUICKFIX,
                edits=[TextEdit(rng, "")],
                diagnostic=diag,
                preferred=True,
            )
            return


def _replace_fixes(
    b: _Builder, diag: types.Diagnostic, data: dict[str, Any], handled: set[int]
) -> None:
    f = b.doc.parsed()
    if f is None:
        return
    line = b.doc.our_range(diag.range).start.line
    rep = _replace_at(f, line, data.get("module"))
    if rep is None:
        return
    handled.add(rep.syntax.start.offset)
    b.add("Remove the replace", QUICKFIX, edits=modedit.remove_replace(f, rep), diagnostic=diag)
    b.add(
        "Disable the replace",
        QUICKFIX,
        edits=modedit.comment_out_replace(f, rep),
        diagnostic=diag,
    )
    current = os.path.normpath(str(b.doc.path.parent / rep.new_path)) if rep.is_dir else None
    for d in local_checkouts(b.server, b.doc, rep.old_path):
        if current is not None and os.path.normpath(str(d)) == current:
            continue
        rel = search.replace_path_for(d, b.doc.path.parent)
        b.add(
            f"Point the replace at {rel}",
            QUICKFIX,
            edits=_replace_target_edit(f, rep, rel),
            diagnostic=diag,
            preferred=True,
        )


REPLACE_GOSUM_TITLE = "Replace the go.sum line with the checksum database's value"


def _gosum_doc(b: _Builder, data: dict[str, Any]) -> DocInfo | None:
    """The go.sum a sumdb-mismatch is about (this document, or the one it names)."""
    path = _str(data, "goSumPath")
    if path is None:
        return None
    if os.path.normpath(path) == os.path.normpath(str(b.doc.path)):
        return b.doc
    try:
        uri = path_to_uri(Path(path))
    except Exception:
        return None
    got = doc_info(b.server, uri)
    return got if got is not None and got.kind == "sum" else None


def _sumdb_mismatch(b: _Builder, diag: types.Diagnostic, data: dict[str, Any]) -> None:
    m, v = _str(data, "module"), _str(data, "version")
    if m is None or v is None:
        return
    fixes = data.get("fixes")
    fix_ids = set(fixes) if isinstance(fixes, list) else set()
    # go.sum and the downloaded copy agreeing against the database is go's SECURITY
    # ERROR: the database's value is never copied into go.sum then, whatever the data says
    agree = data.get("cacheHash") is not None and data.get("cacheHash") == data.get("goSumHash")
    security = data.get("triage") == "security" or agree
    if "replace-gosum-line" in fix_ids and data.get("verified") is True and not security:
        _replace_gosum_line(b, diag, data, m, v)
    if "redownload" in fix_ids and b.go() and b.doc.kind in ("mod", "work", "sum"):
        title = f"Redownload {m}@{v}"
        args = {"module": m, "version": v, "dir": str(b.doc.path.parent)}
        b.add(title, QUICKFIX, command=_command(title, cmd.REDOWNLOAD, args), diagnostic=diag)
    if "compare-proxies" in fix_ids and b.trusted:
        title = f"Compare the proxies' copies of {m}@{v}"
        args = {"module": m, "version": v}
        b.add(title, QUICKFIX, command=_command(title, cmd.COMPARE_PROXIES, args), diagnostic=diag)


def _replace_gosum_line(
    b: _Builder, diag: types.Diagnostic, data: dict[str, Any], m: str, v: str
) -> None:
    """The go.sum line's hash replaced with the verified one: the line as the editor
    has it now, found by module, version, kind and the hash the finding saw."""
    new, old = _str(data, "sumdbHash"), _str(data, "goSumHash")
    if new is None or old is None or not new.startswith("h1:") or any(c.isspace() for c in new):
        return
    doc = _gosum_doc(b, data)
    parsed = doc.parsed_sum() if doc is not None else None
    if doc is None or parsed is None:
        return
    gomod = bool(data.get("goMod"))
    line = data.get("goSumLine")
    found = [
        e
        for e in parsed.entries
        if e.module == m and e.version == v and e.gomod == gomod and e.hash == old
    ]
    found.sort(key=lambda e: (e.line != line, e.line))
    if not found:
        return
    b.add(
        REPLACE_GOSUM_TITLE,
        QUICKFIX,
        edits=[TextEdit(found[0].hash_range, new)],
        diagnostic=diag,
        preferred=True,
        doc=doc,
    )


def _private_path(b: _Builder, diag: types.Diagnostic, data: dict[str, Any]) -> None:
    prefix = _str(data, "prefix")
    if prefix is None or not b.go():
        return
    fixes = data.get("fixes")
    if isinstance(fixes, list) and "set-goprivate" not in fixes:
        return
    title = f"Add {prefix} to GOPRIVATE"
    args = {"prefix": prefix, "module": data.get("module")}
    b.preferred_fix(title, cmd.SET_GOPRIVATE, args, diag)


_CACHE_CODES = (
    "cache-missing",
    "cache-incomplete",
    "cache-corrupt",
    "cache-modified",
    "sum-mismatch",
)


def _quick_fixes(b: _Builder, diagnostics: Sequence[types.Diagnostic], handled: set[int]) -> None:
    for diag in diagnostics:
        if diag.source not in (None, SOURCE):
            continue
        data: dict[str, Any] = diag.data if isinstance(diag.data, dict) else {}
        code = data.get("code") or diag.code
        if code in _CACHE_CODES:
            _cache_fixes(b, diag, data, code)
        elif code == "build-cache-stale":
            _stale_index(b, diag, data)
        elif code == "sum-missing":
            _sum_missing(b, diag, data)
        elif code == "cache-missing-summary":
            _download_all(b, diag, preferred=True)
        elif code == "work-go-too-old":
            _work_go(b, diag, data)
        elif code == "sum-conflict":
            _sum_conflict(b, diag)
        elif code == "sum-duplicate":
            _sum_duplicate(b, diag, data)
        elif code in ("replace-missing", "replace-path-mismatch"):
            _replace_fixes(b, diag, data, handled)
        elif code in ("sumdb-mismatch", "download-rejected"):
            _sumdb_mismatch(b, diag, data)
        elif code == "private-path-exposed":
            _private_path(b, diag, data)


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
            for d in local_checkouts(b.server, b.doc, req.path):
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


def code_actions(
    server: GomodDoctorServer, params: types.CodeActionParams
) -> list[types.CodeAction]:
    """The code actions for ``params`` (never raises: a failure is logged)."""
    try:
        doc = doc_info(server, params.text_document.uri)
        if doc is None:
            return []
        only = params.context.only if params.context is not None else None
        b = _Builder(server, doc, [str(k.value if hasattr(k, "value") else k) for k in only or []])
        rng = doc.our_range(params.range)
        handled: set[int] = set()
        diagnostics = params.context.diagnostics if params.context is not None else []
        _quick_fixes(b, diagnostics or [], handled)
        if doc.kind in ("mod", "work"):
            _line_toggles(b, rng, handled)
            _source_actions(b, rng)
        return b.actions
    except Exception:
        server.log(f"code actions failed: {traceback.format_exc()}", "error")
        return []
