"""What the build needs: a pure function of the parsed workspace and its imports.

For each workspace (main) module, its go.mod requirements after ``exclude`` and
``replace`` (go.work replacements win over a module's own), the targets of the
replacements, and which required modules may provide packages that the
workspace's ``.go`` files import, directly or through the packages of other
modules (the transitive import graph, read by the I/O edge with
:func:`~gomod_doctor.workspace.imports.transitive_imports` from the build list that
:meth:`BuildNeeds.build_list` gives, then passed back to :func:`compute`). The go
command needs the zip and the extracted dir of those; of every other required
module it needs only the ``.mod`` file.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gomod_doctor.cache.layout import extracted_dir
from gomod_doctor.goenv import gover
from gomod_doctor.modfile.rules import Replace, Require
from gomod_doctor.module import semver
from gomod_doctor.module.paths import check
from gomod_doctor.workspace.imports import (
    BuildModule,
    ImportSite,
    ModuleImports,
    TransitiveImports,
    needed_modules,
)
from gomod_doctor.workspace.model import ModuleFiles, Snapshot
from gomod_doctor.workspace.modgraph import PRUNING_VERSION, ModuleGraph, ModuleVersion


@dataclass(frozen=True)
class RequireSite:
    """A ``require`` line that asks for a module version."""

    module: ModuleFiles
    stmt: Require


@dataclass
class ReplaceSite:
    """A ``replace`` line, where it is (a go.mod or the go.work), and whether it is used."""

    file: Path
    stmt: Replace
    in_work: bool
    used_by: list[tuple[str, str]] = field(default_factory=list)

    @property
    def target_dir(self) -> Path | None:
        """The absolute directory of a directory replacement."""
        if not self.stmt.is_dir:
            return None
        p = Path(self.stmt.new_path)
        return Path(os.path.normpath(p if p.is_absolute() else self.file.parent / p))


@dataclass
class Need:
    """One required module version and what the build needs of it."""

    path: str
    version: str
    requires: list[RequireSite] = field(default_factory=list)
    replace: ReplaceSite | None = None
    #: selected by MVS: the highest required version of this path in the workspace
    selected: bool = False
    #: the imports that need its packages: the workspace's own first, then those in
    #: dependency packages (``site.transitive``, naming the importing package)
    import_sites: list[ImportSite] = field(default_factory=list)
    #: for a module version that only the module graph brings in (no require line of
    #: its own): how it came in, from a workspace requirement down to it
    chain: tuple[tuple[str, str], ...] = ()
    #: the require lines of the chain's first module (where its findings go)
    via: list[RequireSite] = field(default_factory=list)
    #: go reads its go.mod when it loads the module graph at startup (unpruned
    #: loading: every go.mod of the graph), not only when a package of it is loaded
    graph_loaded: bool = False
    #: a workspace requirement whose go.mod a build may read: what the dependencies'
    #: packages import is not all known (their files are not in the module cache yet)
    may_be_read: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.path, self.version)

    @property
    def fetch(self) -> tuple[str, str] | None:
        """The module version the go command fetches into the cache (None: a directory)."""
        if self.replace is None:
            return (self.path, self.version)
        if self.replace.stmt.is_dir:
            return None
        return (self.replace.stmt.new_path, self.replace.stmt.new_version)

    @property
    def needs_zip(self) -> bool:
        """The build needs the zip and extracted dir, not only the ``.mod`` file."""
        return self.selected and bool(self.import_sites) and self.fetch is not None

    @property
    def needs_gomod(self) -> bool:
        """A build reads its go.mod: at startup (unpruned loading), or because one of
        its packages is loaded. With graph pruning (``go 1.17`` and later) go reads the
        go.mod of a required module lazily, only when it provides a loaded package."""
        return self.graph_loaded or self.may_be_read or (self.selected and bool(self.import_sites))


@dataclass
class BuildNeeds:
    main_modules: dict[str, ModuleFiles] = field(default_factory=dict)
    needs: dict[tuple[str, str], Need] = field(default_factory=dict)
    replaces: list[ReplaceSite] = field(default_factory=list)
    #: the transitive import graph :func:`compute` was given, if any
    transitive: TransitiveImports | None = None
    #: the module graph :func:`compute` was given, if any
    graph: ModuleGraph | None = None
    #: no workspace module has a ``.go`` file to read (a go.mod alone): what the
    #: project's code imports is not known
    no_code: bool = False

    def selected(self) -> list[Need]:
        return [n for n in self.needs.values() if n.selected]

    def build_list(self, gomodcache: str | None) -> dict[str, BuildModule]:
        """The selected modules and where their files are, for
        :func:`~gomod_doctor.workspace.imports.transitive_imports`: a directory
        replacement's directory, else the extracted dir in ``gomodcache`` of the
        version fetched (``None`` without a module cache or for a version that has no
        place in it). Computes paths only; nothing is read."""
        out: dict[str, BuildModule] = {}
        for need in self.selected():
            if need.path in self.main_modules:
                continue
            if need.replace is not None and need.replace.target_dir is not None:
                out[need.path] = BuildModule(need.version, need.replace.target_dir, local=True)
                continue
            fetch = need.fetch
            d = _extracted(gomodcache, *fetch) if fetch is not None and gomodcache else None
            out[need.path] = BuildModule(need.version, d)
        return out


@functools.lru_cache(maxsize=8192)
def _extracted(gomodcache: str, path: str, version: str) -> Path | None:
    """The extracted dir of ``path@version`` in ``gomodcache``, None for an invalid path
    or version (the parse check says so). (Memoized: asked again on every edit.)"""
    try:
        return Path(extracted_dir(gomodcache, path, version))
    except ValueError:
        return None


@functools.lru_cache(maxsize=8192)
def _valid(path: str, version: str) -> bool:
    """A module version the go command would accept (the parse check reports the rest).
    (Memoized: every edit asks again about the same few hundred versions.)"""
    try:
        check(path, version)
    except ValueError:
        return False
    return True


def _find_replace(sites: list[ReplaceSite], path: str, version: str) -> ReplaceSite | None:
    """The go command's lookup: an exact ``path version`` replace beats a path-only one."""
    wildcard: ReplaceSite | None = None
    for s in sites:
        if s.stmt.old_path != path:
            continue
        if s.stmt.old_version == version:
            return s
        if s.stmt.old_version == "" and wildcard is None:
            wildcard = s
    return wildcard


def workspace_imports(
    snapshot: Snapshot, imports: Mapping[Path, ModuleImports]
) -> dict[str, list[ImportSite]]:
    """Every import path of the workspace modules' files (standard library included),
    with its sites, from each workspace module dir's scan; then the packages of the
    go.mod ``tool`` directives (:func:`tool_sites`): go loads them as it loads imports
    (``go tool``, ``go build tool``, ``all``)."""
    out: dict[str, list[ImportSite]] = {}
    for m in snapshot.modules:
        mi = imports.get(m.dir)
        if mi is None:
            continue
        for imp, sites in mi.all_imports().items():
            out.setdefault(imp, []).extend(sites)
    for imp, sites in tool_sites(snapshot).items():
        out.setdefault(imp, []).extend(sites)
    return out


def tool_sites(snapshot: Snapshot) -> dict[str, list[ImportSite]]:
    """The packages of the workspace modules' ``tool`` directives, each site on its
    go.mod line (at the path; ``package`` names the tool package)."""
    out: dict[str, list[ImportSite]] = {}
    for m in snapshot.modules:
        if m.mod is None:
            continue
        for t in m.mod.tool:
            if not t.path:
                continue
            tok = next((x for x in t.syntax.tokens if x.text == t.path), None)
            at = tok.range.start if tok is not None else t.syntax.start
            out.setdefault(t.path, []).append(ImportSite(m.gomod.path, at.line, at.col, t.path))
    return out


def is_tool_site(site: ImportSite) -> bool:
    """Whether ``site`` is a go.mod ``tool`` line (:func:`tool_sites`), not an import."""
    return site.importer is None and site.file.name == "go.mod"


def compute(
    snapshot: Snapshot,
    imports: Mapping[Path, ModuleImports],
    transitive: TransitiveImports | None = None,
    graph: ModuleGraph | None = None,
) -> BuildNeeds:
    """The build needs of ``snapshot``, given each workspace module dir's imports and,
    optionally, the transitive import graph below them (computed from this function's
    own :meth:`BuildNeeds.build_list` without it): modules needed only by dependency
    packages then need their zip too, with those import sites.

    With the module ``graph`` (:mod:`gomod_doctor.workspace.modgraph`), the selected
    versions are the graph's (minimal version selection over every go.mod go reads),
    and the module versions that only the graph brings in are needs too, placed on the
    require line they come through. Without it, the workspace's own requirements
    alone decide."""
    out = BuildNeeds()
    out.graph = graph
    out.no_code = not any(mi.files for mi in imports.values())
    for m in snapshot.modules:
        if m.mod is not None and m.mod.module is not None and m.mod.module.path:
            out.main_modules.setdefault(m.mod.module.path, m)

    work_replaces: list[ReplaceSite] = []
    if snapshot.work is not None and snapshot.work_file is not None:
        work_replaces = [
            ReplaceSite(snapshot.work_file.path, r, True) for r in snapshot.work.replace
        ]
    out.replaces.extend(work_replaces)

    excluded: set[tuple[str, str]] = set()
    for m in snapshot.modules:
        if m.mod is None:
            continue
        excluded.update((e.path, e.version) for e in m.mod.exclude)

    for m in snapshot.modules:
        if m.mod is None:
            continue
        own = [ReplaceSite(m.gomod.path, r, False) for r in m.mod.replace]
        out.replaces.extend(own)
        for req in m.mod.require:
            if not req.path or not req.version or req.path in out.main_modules:
                continue
            if (req.path, req.version) in excluded or not _valid(req.path, req.version):
                continue
            need = out.needs.get((req.path, req.version))
            if need is None:
                need = Need(req.path, req.version)
                out.needs[need.key] = need
            need.requires.append(RequireSite(m, req))
            site = _find_replace(work_replaces, req.path, req.version) or _find_replace(
                own, req.path, req.version
            )
            if site is not None and need.replace is None:
                need.replace = site
            if site is not None and need.key not in site.used_by:
                site.used_by.append(need.key)

    best: dict[str, Need] = {}
    if graph is not None:
        _add_graph(out, graph, work_replaces)
        for need in out.needs.values():
            if graph.selected.get(need.path) == need.version:
                best[need.path] = need
    else:
        for need in out.needs.values():
            cur = best.get(need.path)
            if cur is None or semver.compare(need.version, cur.version) > 0:
                best[need.path] = need
    for need in best.values():
        need.selected = True

    all_imports = workspace_imports(snapshot, imports)
    by_path = needed_modules(all_imports, best, main_modules=out.main_modules)
    for path, sites in by_path.items():
        best[path].import_sites = sites
    if transitive is not None:
        add_transitive(out, transitive)
    else:
        _mark_unknown(out, True)
    return out


def _mark_unknown(needs: BuildNeeds, unknown: bool) -> None:
    """While what dependency packages import is not all known, every workspace
    requirement may provide a package the build loads."""
    for need in needs.needs.values():
        need.may_be_read = unknown and bool(need.requires)


def _add_graph(out: BuildNeeds, graph: ModuleGraph, work_replaces: list[ReplaceSite]) -> None:
    """The module versions the graph brings in besides the require lines: the selected
    version of every path, and with unpruned loading every go.mod go reads."""
    unpruned = not graph.workspace and not _pruned(graph)
    loaded = graph.loaded()
    wanted: dict[ModuleVersion, bool] = {}
    for path, version in graph.selected.items():
        if path not in out.main_modules and version:
            wanted[ModuleVersion(path, version)] = False
    for mv in loaded:
        if mv.version and mv.path not in out.main_modules:
            wanted[mv] = unpruned
    for mv, read in wanted.items():
        if not _valid(mv.path, mv.version):
            continue
        need = out.needs.get((mv.path, mv.version))
        if need is None:
            need = Need(mv.path, mv.version)
            out.needs[need.key] = need
            chain = graph.chain(mv)
            need.chain = tuple((c.path, c.version) for c in chain)
            root = out.needs.get((chain[0].path, chain[0].version)) if chain else None
            if root is not None:
                need.via = root.requires or root.via
            site = _find_replace(work_replaces, mv.path, mv.version) or _find_replace(
                [r for r in out.replaces if not r.in_work], mv.path, mv.version
            )
            if site is not None:
                need.replace = site
                if need.key not in site.used_by:
                    site.used_by.append(need.key)
        need.graph_loaded = need.graph_loaded or read
    if unpruned:
        for need in out.needs.values():
            if need.requires and ModuleVersion(need.path, need.version) in loaded:
                need.graph_loaded = True


def _pruned(graph: ModuleGraph) -> bool:
    main = graph.main[0] if graph.main else None
    return main is not None and bool(main.go) and gover.compare(main.go, PRUNING_VERSION) >= 0


def add_transitive(needs: BuildNeeds, transitive: TransitiveImports) -> None:
    """Add the transitive import graph's sites to ``needs`` (computed without one):
    modules needed only by dependency packages then need their zip too. The same
    as computing ``needs`` with ``transitive`` in the first place."""
    if needs.transitive is not None:
        raise ValueError("build needs already have a transitive import graph")
    needs.transitive = transitive
    _mark_unknown(needs, bool(transitive.unread) or needs.no_code)
    best = {n.path: n for n in needs.needs.values() if n.selected}
    for path, sites in transitive.needed.items():
        need = best.get(path)
        if need is not None and path not in needs.main_modules:
            need.import_sites = need.import_sites + sites
