"""The quick fixes of the diagnostics, keyed by the finding's code (the list is in
:mod:`.actions`' docstring)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from gomod_doctor.gosum.parser import resolve_conflicts
from gomod_doctor.lsp.convert import SOURCE, path_to_uri
from gomod_doctor.lsp.document import DocInfo, doc_info
from gomod_doctor.lsp.features import commands as cmd
from gomod_doctor.lsp.features import search
from gomod_doctor.modfile import edit as modedit
from gomod_doctor.modfile.work import WorkFile
from gomod_doctor.position import TextEdit

if TYPE_CHECKING:
    pass
from gomod_doctor.lsp.features.actionkit import (
    QUICKFIX,
    _Builder,
    _command,
    _replace_at,
    local_checkouts,
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
        edits=modedit.minimal_edit(b.doc.text, resolved),
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
            rng = modedit.whole_lines(b.doc.text, wrong, wrong)
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
    for d in local_checkouts(b, rep.old_path):
        if current is not None and os.path.normpath(str(d)) == current:
            continue
        rel = search.replace_path_for(d, b.doc.path.parent)
        b.add(
            f"Point the replace at {rel}",
            QUICKFIX,
            edits=modedit.retarget_replace(f, rep, rel),
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
