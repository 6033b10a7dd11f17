"""Hover on ``require``, ``replace``, ``exclude`` and ``retract`` lines and on go.sum lines.

Markdown, from what the last analysis gathered (the cache state of each needed
module version, full-verification results, the build needs) plus, for module
versions the analysis did not look at (an excluded version, an unused go.sum
line), a quick inspection of the cache (stats and small files only):

- the cache state: the download files with their sizes, the extracted directory
  and whether go would use it, leftovers of interrupted downloads, and when the
  module was last verified and at which level;
- go.sum's hash against the ``.ziphash`` and against the recomputed hash (full
  verification), and the go.mod line against the cached ``.mod``;
- the ``.info`` Time and Origin (VCS, URL, ref, hash);
- which workspace packages import the module;
- how a replacement resolves;
- the files changed in the extracted directory (``cache-modified``), and that go's
  module index may hold the changed file list (the fix drops it too);
- go's module index entry of the extracted directory (in GOCACHE) and, when it is
  stale (``build-cache-stale``), the files it lists that the directory does not
  hold and those it leaves out.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from gomod_doctor.cache import state as cache_state
from gomod_doctor.cache.modstate import ModuleState
from gomod_doctor.cache.results import ModuleVerification
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding
from gomod_doctor.gosum.parser import SumEntry
from gomod_doctor.lsp.convert import from_lsp_position
from gomod_doctor.lsp.document import DocInfo, doc_info
from gomod_doctor.lsp.features.commands import human_bytes
from gomod_doctor.lsp.tasks import in_thread
from gomod_doctor.modfile.rules import Exclude, ModFile, Replace, Require, Retract
from gomod_doctor.modfile.syntax import Line
from gomod_doctor.position import Position, Range
from gomod_doctor.workspace.needs import Need, ReplaceSite

if TYPE_CHECKING:
    from gomod_doctor.lsp.context import Context

__all__ = ["hover"]

#: At most this many importing packages or changed files are listed.
MAX_LIST = 10

_FILE_LABELS = (
    ("mod", "go.mod"),
    ("zip", "zip"),
    ("ziphash", "ziphash"),
    ("info", "info"),
    ("partial", "partial (an interrupted extraction)"),
)


def _code(s: str) -> str:
    """``s`` as inline code, whatever backticks it holds."""
    s = s.replace("\n", " ")
    fence = "`"
    while fence in s:
        fence += "`"
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _when(t: float) -> str:
    try:
        dt = datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return "?"
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC")


def _bullets(items: list[str], limit: int = MAX_LIST) -> list[str]:
    out = [f"- {x}" for x in items[:limit]]
    if len(items) > limit:
        out.append(f"- … and {len(items) - limit} more")
    return out


class _Hover:
    """Collects the Markdown of one hover."""

    def __init__(
        self,
        server: Context,
        doc: DocInfo,
        inspected: dict[tuple[str, str], ModuleState | None],
    ) -> None:
        self.server = server
        #: module versions the analysis did not look at, inspected off the loop
        self.inspected = inspected
        self.uninspected: set[tuple[str, str]] = set()
        self.doc = doc
        self.view = doc.view
        self.facts: Facts | None = doc.view.facts if doc.view is not None else None
        self.parts: list[str] = []

    def add(self, *lines: str) -> None:
        self.parts.append("\n".join(lines))

    # ------------------------------------------------------------------ facts

    def state(self, path: str, version: str) -> ModuleState | None:
        """What the analysis saw of M@V in the cache, else what the inspection off the
        loop found (:func:`hover`); until then nothing, and M@V is noted for it."""
        if self.facts is not None:
            st = self.facts.cache.get((path, version))
            if st is not None:
                return st
        cache = self.server.state.env.GOMODCACHE
        if not cache or not os.path.isabs(cache):
            return None
        key = (path, version)
        if key not in self.inspected:
            self.uninspected.add(key)
            return None
        return self.inspected[key]

    def full(self, path: str, version: str) -> ModuleVerification | None:
        if self.facts is None or self.facts.full is None:
            return None
        return self.facts.full.get((path, version))

    def sum_hash(self, path: str, version: str, gomod: bool) -> tuple[str, str] | None:
        """The hash go checks (the first line), and the go.sum it is in."""
        if self.facts is None:
            return None
        for file, e in self.facts.sum_lines(path, version, gomod):
            if e.hash.startswith("h1:"):
                return e.hash, str(file.path)
        return None

    def need_for_require(self, path: str, version: str) -> Need | None:
        if self.facts is None:
            return None
        return self.facts.needs.needs.get((path, version))

    def needs_fetching(self, path: str, version: str) -> list[Need]:
        if self.facts is None:
            return []
        return [n for n in self.facts.needs.needs.values() if n.fetch == (path, version)]

    def findings_on(self, line: Line) -> list[Finding]:
        if self.view is None:
            return []
        return [
            f
            for f in self.view.findings_for(self.doc.path)
            if f.range.start.line == line.start.line
        ]

    # ------------------------------------------------------------------ sections

    def cache_section(self, path: str, version: str) -> None:
        st = self.state(path, version)
        cache = self.server.state.env.GOMODCACHE
        if st is None:
            self.add("**Module cache**: unknown (GOMODCACHE is not set)")
            return
        if st.files is None:
            self.add("**Module cache**: " + "; ".join(st.errors or ["no cache path"]))
            return
        lines = [f"**Module cache** {_code(cache)}" if cache else "**Module cache**"]
        for suffix, label in _FILE_LABELS:
            fs = st.stats.get(suffix)
            full_path: str = getattr(st.files, suffix)
            if fs is not None:
                lines.append(f"- {label}: {_code(full_path)}, {human_bytes(fs.size)}")
            elif suffix in ("mod", "zip", "ziphash"):
                lines.append(f"- {label}: missing")
        ext = st.extracted
        status = {
            "complete": "complete",
            "absent": "not extracted",
            "partial": f"not usable by go ({ext.reason})" if ext.reason else "not usable by go",
        }.get(ext.status, ext.status)
        lines.append(f"- extracted: {_code(st.extracted_dir)} ({status})")
        for lo in st.leftovers:
            lines.append(f"- leftover of an interrupted go command: {_code(lo.file)}")
        for e in st.errors:
            lines.append(f"- error: {e}")
        if st.info_error:
            lines.append(f"- {st.info_error}")
        verified = self.view.verified.get((path, version)) if self.view is not None else None
        if verified is not None:
            lines.append(f"- last verified {_when(verified[0])} ({verified[1]})")
        else:
            lines.append("- not verified yet")
        self.add(*lines)

    def hash_section(self, path: str, version: str, *, zip_line: bool, mod_line: bool) -> None:
        st = self.state(path, version)
        v = self.full(path, version)
        lines: list[str] = []
        if zip_line:
            got = self.sum_hash(path, version, gomod=False)
            want = got[0] if got else None
            lines.append(f"- go.sum: {_code(want)}" if want else "- go.sum: no line for the zip")
            if st is not None and st.ziphash_value:
                lines.append(
                    f"- .ziphash: {_code(st.ziphash_value)} {_verdict(st.ziphash_value, want)}"
                )
            if v is not None and v.zip_h1:
                lines.append(f"- zip, recomputed: {_code(v.zip_h1)} {_verdict(v.zip_h1, want)}")
            elif v is not None and v.zip_error:
                lines.append(f"- zip, recomputed: {v.zip_error}")
            elif st is not None and st.zip is not None:
                lines.append("- zip, recomputed: not yet (full verification computes it)")
            if v is not None and v.dir_h1:
                expected = v.zip_h1 or (st.ziphash_value if st is not None else None)
                lines.append(f"- extracted dir: {_code(v.dir_h1)} {_verdict(v.dir_h1, expected)}")
            elif v is not None and v.dir_error:
                lines.append(f"- extracted dir: {v.dir_error}")
        if mod_line:
            got = self.sum_hash(path, version, gomod=True)
            want = got[0] if got else None
            lines.append(
                f"- go.sum (go.mod): {_code(want)}" if want else "- go.sum: no line for the go.mod"
            )
            if st is not None and st.mod_h1 and not st.mod_empty:
                lines.append(f"- cached .mod: {_code(st.mod_h1)} {_verdict(st.mod_h1, want)}")
            elif st is not None and st.mod_empty:
                lines.append("- cached .mod: empty (zero bytes)")
        if lines:
            self.add("**Hashes**", *lines)
        if v is not None and v.diff:
            changed = (
                [f"edited {_code(f)}" for f in v.diff.edited]
                + [f"added {_code(f)}" for f in v.diff.added]
                + [f"removed {_code(f)}" for f in v.diff.removed]
            )
            self.add(
                f"**Changed files** in {_code(v.dir)} (go builds with them):",
                *_bullets(changed, 50),
            )
            self.add(
                "go's module index of this directory (in GOCACHE) may hold the changed "
                "file list: go keys it by the directory's path alone. Redownload and Clear "
                "drop that entry too, so the next build indexes the directory afresh."
            )

    def index_section(self, path: str, version: str) -> None:
        entries = self.facts.build_index.get((path, version)) if self.facts is not None else None
        if not entries:
            return
        lines: list[str] = []
        for f in entries:
            since = " (the directory has not changed since go wrote it)" if f.unchanged else ""
            lines.append(f"- {f.go_version}: {_code(f.action_file)}{since}")
            if f.error is not None:
                lines.append(f"  - unreadable: {f.error}")
            for name in f.gone[:MAX_LIST]:
                lines.append(f"  - lists {_code(name)}, which the directory no longer holds")
            for name in f.unindexed[:MAX_LIST]:
                lines.append(f"  - does not list {_code(name)}")
        stale = any(f.stale or f.error for f in entries)
        verdict = (
            "go builds with the indexed file list, not the directory's"
            if stale
            else "it lists the files the directory holds"
        )
        self.add(f"**go's module index** (GOCACHE): {verdict}", *lines)

    def info_section(self, path: str, version: str) -> None:
        st = self.state(path, version)
        info = st.info_data if st is not None else None
        if info is None:
            return
        lines: list[str] = []
        if info.time:
            lines.append(f"- Time: {info.time}")
        origin = info.origin
        if origin:
            for key in ("VCS", "URL", "Subdir", "Ref", "Hash", "TagSum", "TagPrefix", "RepoSum"):
                val = origin.get(key)
                if isinstance(val, str) and val:
                    lines.append(f"- {key}: {_code(val)}")
        if lines:
            self.add("**Origin** (.info)", *lines)

    def importers_section(self, need: Need | None) -> None:
        if need is None or self.facts is None:
            return
        if not need.import_sites:
            if need.selected:
                self.add("No workspace package imports it: the build needs only its go.mod.")
            return
        by_pkg: dict[str, list[str]] = {}
        for site in need.import_sites:
            # a dependency's import names its importing package; a workspace file's
            # package is found from the workspace's modules
            pkg = site.importer if site.transitive else self.facts.package_of(site.file)
            where = f"{site.file.name}:{site.line}"
            by_pkg.setdefault(pkg or str(site.file.parent), []).append(where)
        items = [
            f"{_code(p)} ({', '.join(ws[:3])}{', …' if len(ws) > 3 else ''})"
            for p, ws in by_pkg.items()
        ]
        self.add("**Imported by**", *_bullets(items))

    def problems_section(self, findings: Iterable[Finding]) -> None:
        items = [f"{_code(f.code)}: {f.message.splitlines()[0]}" for f in findings]
        if items:
            self.add("**Problems**", *_bullets(list(dict.fromkeys(items))))

    # ------------------------------------------------------------------ statements

    def require(self, req: Require) -> None:
        path, version = req.path, req.version
        need = self.need_for_require(path, version)
        head = f"**{_code(path)} {version}**"
        if req.indirect:
            head += " (indirect)"
        self.add(head)
        if need is None:
            self.add("Not in the workspace's build list (excluded, or a workspace module).")
            fetch: tuple[str, str] | None = (path, version)
        else:
            if not need.selected:
                chosen = self._selected(path)
                self.add(
                    "Not selected: the build uses "
                    + (_code(f"{path} {chosen}") if chosen else "a higher version")
                    + "; go reads only its go.mod."
                )
            if need.replace is not None:
                self.replacement(need.replace)
            fetch = need.fetch
        if fetch is not None:
            zip_needed = (
                need is None or need.needs_zip or self.sum_hash(*fetch, gomod=False) is not None
            )
            self.cache_section(*fetch)
            self.hash_section(*fetch, zip_line=zip_needed, mod_line=True)
            self.index_section(*fetch)
            self.info_section(*fetch)
        self.importers_section(need)
        self.problems_section(self.findings_on(req.syntax))

    def _selected(self, path: str) -> str | None:
        if self.facts is None:
            return None
        for n in self.facts.needs.needs.values():
            if n.path == path and n.selected:
                return n.version
        return None

    def replacement(self, site: ReplaceSite) -> None:
        stmt = site.stmt
        where = "go.work" if site.in_work else site.file.name
        if stmt.is_dir:
            target = site.target_dir
            text = f"Replaced (in {where}) by the directory {_code(stmt.new_path)}"
            if target is not None:
                text += f" = {_code(str(target))}"
                info = self.facts.dirs.get(target) if self.facts is not None else None
                if info is not None:
                    if not info.exists:
                        text += ", which does not exist"
                    elif not info.has_gomod:
                        text += ", which has no go.mod"
                    elif info.module_path:
                        text += f", whose go.mod declares {_code(info.module_path)}"
            self.add(text + ".")
        else:
            self.add(
                f"Replaced (in {where}) by {_code(stmt.new_path + ' ' + stmt.new_version)}: "
                "go fetches that module version instead."
            )

    def replace(self, rep: Replace) -> None:
        old = rep.old_path + (f" {rep.old_version}" if rep.old_version else "")
        self.add(f"**replace {_code(old)}**")
        site = self._site(rep)
        if site is not None:
            self.replacement(site)
            if site.used_by:
                used = [_code(f"{p} {v}") for p, v in site.used_by]
                self.add(
                    "Applies to the requirement"
                    + ("s " if len(used) > 1 else " ")
                    + ", ".join(used)
                    + "."
                )
            else:
                self.add("No requirement uses it: it has no effect on the build.")
        elif rep.is_dir:
            target = Path(os.path.normpath(self.doc.path.parent / rep.new_path))
            self.add(f"Replaced by the directory {_code(rep.new_path)} = {_code(str(target))}.")
        if not rep.is_dir:
            self.cache_section(rep.new_path, rep.new_version)
            needs = self.needs_fetching(rep.new_path, rep.new_version)
            zip_needed = any(n.needs_zip for n in needs)
            self.hash_section(rep.new_path, rep.new_version, zip_line=zip_needed, mod_line=True)
            self.info_section(rep.new_path, rep.new_version)
            for n in needs:
                self.importers_section(n)
        self.problems_section(self.findings_on(rep.syntax))

    def _site(self, rep: Replace) -> ReplaceSite | None:
        if self.facts is None:
            return None
        for s in self.facts.needs.replaces:
            if (
                s.file == self.doc.path
                and s.stmt.old_path == rep.old_path
                and s.stmt.old_version == rep.old_version
                and s.stmt.new_path == rep.new_path
                and s.stmt.new_version == rep.new_version
            ):
                return s
        return None

    def exclude(self, ex: Exclude) -> None:
        self.add(
            f"**exclude {_code(ex.path + ' ' + ex.version)}**",
            "go skips this version when it selects versions of the module.",
        )
        self.cache_section(ex.path, ex.version)
        self.info_section(ex.path, ex.version)
        self.problems_section(self.findings_on(ex.syntax))

    def retract(self, r: Retract, f: ModFile) -> None:
        span = r.low if r.low == r.high else f"[{r.low}, {r.high}]"
        module = f.module.path if f.module is not None else "this module"
        lines = [f"**retract {_code(span)}**", f"Retracts {span} of {_code(module)}."]
        if r.rationale:
            lines.append(f"Rationale: {r.rationale}")
        lines.append(
            "go list -m -u and go get report retracted versions; builds that require "
            "them still work."
        )
        self.add(*lines)
        self.problems_section(self.findings_on(r.syntax))

    def sum_line(self, e: SumEntry) -> None:
        head = f"**{_code(e.module)} {e.version_field}**"
        self.add(head)
        needs = self.needs_fetching(e.module, e.version)
        if not needs:
            self.add("The build does not use this line (no requirement fetches this version).")
        self.cache_section(e.module, e.version)
        self.hash_section(e.module, e.version, zip_line=not e.gomod, mod_line=e.gomod)
        if not e.gomod:
            self.info_section(e.module, e.version)
            for n in needs:
                self.importers_section(n)
        if self.view is not None:
            here = [
                f for f in self.view.findings_for(self.doc.path) if f.range.start.line == e.line
            ]
            self.problems_section(here)

    def markdown(self) -> str:
        return "\n\n".join(p for p in self.parts if p)


def _verdict(got: str, want: str | None) -> str:
    if want is None:
        return ""
    return "(matches go.sum)" if got == want else "(**differs from go.sum**)"


def _statement_at(f: Any, line: int) -> Any:
    """The require/replace/exclude/retract whose line is ``line`` (None if none)."""
    for group in ("require", "replace", "exclude", "retract"):
        for stmt in getattr(f, group, []):
            syn: Line = stmt.syntax
            if syn.start.line <= line <= syn.end.line:
                return stmt
    return None


def _build(
    server: Context,
    doc: DocInfo,
    pos: Position,
    inspected: dict[tuple[str, str], ModuleState | None],
) -> tuple[_Hover, Range] | None:
    h = _Hover(server, doc, inspected)
    if doc.kind in ("mod", "work"):
        f = doc.parsed()
        if f is None:
            return None
        stmt = _statement_at(f, pos.line)
        if isinstance(stmt, Require):
            h.require(stmt)
        elif isinstance(stmt, Replace):
            h.replace(stmt)
        elif isinstance(stmt, Exclude):
            h.exclude(stmt)
        elif isinstance(stmt, Retract) and isinstance(f, ModFile):
            h.retract(stmt, f)
        else:
            return None
        return h, stmt.syntax.range
    if doc.kind == "sum":
        parsed = doc.parsed_sum()
        entry = next((e for e in parsed.entries if e.line == pos.line), None) if parsed else None
        if entry is None:
            return None
        h.sum_line(entry)
        return h, entry.range
    return None


def _inspect(cache: str, keys: set[tuple[str, str]]) -> dict[tuple[str, str], ModuleState | None]:
    """The cache state of each module version (stats and small files: in a worker thread)."""
    return {k: cache_state.inspect(cache, *k) for k in sorted(keys)}


async def hover(server: Context, params: types.HoverParams) -> types.Hover | None:
    """The hover for ``params`` (None when there is nothing to say). Module versions
    the analysis did not look at are inspected in a worker thread, then the hover is
    made again with what that found."""
    doc = doc_info(server, params.text_document.uri)
    if doc is None:
        return None
    pos = from_lsp_position(doc.text, params.position, doc.encoding)
    inspected: dict[tuple[str, str], ModuleState | None] = {}
    built = _build(server, doc, pos, inspected)
    for _ in range(3):  # an inspection may name more module versions to inspect
        if built is None or not built[0].uninspected:
            break
        cache = server.state.env.GOMODCACHE
        inspected.update(await in_thread(_inspect, cache, built[0].uninspected))
        built = _build(server, doc, pos, inspected)
    if built is None:
        return None
    h, rng = built
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=h.markdown()),
        range=doc.lsp_range(rng),
    )
