"""The transitive import graph: the packages of the build list's modules that the
workspace's imports reach, read as the go command's loader reads a dependency."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from gomod_doctor.workspace.imports.constraints import never_built
from gomod_doctor.workspace.imports.model import ImportSite
from gomod_doctor.workspace.imports.reader import _read_head
from gomod_doctor.workspace.imports.resolve import modules_for_import
from gomod_doctor.workspace.imports.scan import _is_regular_file

# --- the transitive import graph -------------------------------------------------------


@dataclass(frozen=True)
class BuildModule:
    """A module of the build list, for :func:`transitive_imports`.

    ``version`` is the selected version of the module path (not a replacement's).
    ``dir`` is where its files are: the extracted dir in GOMODCACHE (of the module
    version, or of the module replacing it) or a directory replacement's directory;
    ``None``, or a directory that does not exist, means they are not on disk. ``local``
    marks a directory replacement: as in the go command's ``dirInModule``, a package
    below a nested ``go.mod`` inside a local tree is not the module's.
    """

    version: str
    dir: Path | None
    local: bool = False


@dataclass
class TransitiveImports:
    """The dependency packages a workspace's imports reach, and the modules they need.

    ``needed`` maps each module path to the import sites in *dependency* packages'
    files that need it (every :func:`modules_for_import` candidate of each import), in
    load order (breadth first from the workspace's imports); each site names the
    imported ``package``, its ``importer`` and the importer's module version. The
    workspace's own imports are not in it.

    ``providers`` maps every import path resolved (the workspace's and the
    dependencies') to the module providing it; ``importers`` maps each dependency
    package read to the package that first imported it (``None``: a workspace
    import), so :meth:`chain` gives the import stack. ``unread`` maps a module whose
    files are not on disk to the import paths that may be its packages: their
    imports could not be read (the go command would download the module first).
    """

    needed: dict[str, list[ImportSite]] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)
    importers: dict[str, str | None] = field(default_factory=dict)
    unread: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def packages(self) -> list[str]:
        """The dependency packages whose files were read, in load order."""
        return list(self.importers)

    def chain(self, package: str) -> list[str]:
        """The import stack from a workspace import down to ``package`` (which was
        read), first hop first: ``[imported by the workspace, ..., package]``."""
        out = [package]
        seen = {package}
        cur = self.importers.get(package)
        while cur is not None and cur not in seen:
            out.append(cur)
            seen.add(cur)
            cur = self.importers.get(cur)
        out.reverse()
        return out


class _PackageDir(NamedTuple):
    has_go: bool  # a .go file of any name: the directory is a package (fsys.IsGoDir)
    files: list[str]  # the files ScanDir reads, test files left out, sorted


def _list_package_dir(d: str) -> _PackageDir:
    """fsys.IsGoDir and imports.ScanDir's file selection, in one directory read."""
    try:
        with os.scandir(d) as it:
            entries = list(it)
    except OSError:
        return _PackageDir(False, [])
    has_go = False
    files: list[str] = []
    for e in entries:
        name = e.name
        if not name.endswith(".go"):
            continue
        try:
            regular = e.is_file(follow_symlinks=True)
        except OSError:
            continue
        if not regular:
            continue
        has_go = True
        if name[0] not in "._" and not name.endswith("_test.go"):
            files.append(name)
    files.sort()
    return _PackageDir(has_go, files)


def transitive_imports(
    direct: Iterable[str],
    build_list: Mapping[str, BuildModule],
    *,
    main_modules: Iterable[str] = (),
    observe: Callable[[str], None] | None = None,
) -> TransitiveImports:
    """The transitive import graph below the workspace's imports ``direct``, as the
    go command's package loader walks it for ``go build ./...`` and ``go test ./...``.

    ``direct`` are the import paths of the workspace's files (tests included: the
    workspace's tests are built by ``go test``); ``build_list`` maps each selected
    module path to its version and files; ``main_modules`` are the workspace's
    module paths (never needed: they are on disk; their packages' imports are the
    workspace's own, already in ``direct``).

    Each import path is resolved as ``modload.importFromModules`` does: every
    :func:`modules_for_import` candidate is needed, and the one whose directory for
    the package holds a ``.go`` file (any ``.go`` file, as ``fsys.IsGoDir``) provides
    it; with several (an ambiguous import, an error for go) the longest module path
    is followed. A provided package's files are then read as ``imports.ScanDir`` reads
    a dependency's: ``.go`` files not starting with ``.`` or ``_``, regular or
    symlinks to regular files, and not ``_test.go`` (tests of dependencies are not
    built by ``go build`` or ``go test``). Their imports are resolved in turn,
    breadth first; each package is read once.

    Build constraints are not evaluated: ``_GOOS``/``_GOARCH`` file names,
    ``//go:build linux``, ``import "C"`` with cgo off all count, so this
    over-approximates go, which evaluates them for the target GOOS/GOARCH (as
    ``go mod tidy`` does with every tag both true and false). The exception is a
    file no build ever uses (:func:`never_built`: ``//go:build ignore`` or a
    malformed constraint): go build, go test and go mod tidy all leave it out, and
    so do we (unlike :func:`scan_module_imports` for the workspace's own files).

    A module whose files are not on disk (not extracted in the module cache) stops
    the walk for the packages it may provide: go would download it first (and it is
    needed, so it is reported as missing). Those are in ``unread``. Never raises;
    unreadable files are in ``errors``.

    ``observe``, if given, is called with every path whose state the result depends
    on: each directory listed or tested, each ``go.mod`` looked for, each file read
    (what :mod:`gomod_doctor.workspace.graphmemo` keys a stored result by).
    """
    mains = set(main_modules)
    paths = frozenset(p for p in build_list if p not in mains)
    out = TransitiveImports()
    if not paths:
        return out
    listings: dict[str, _PackageDir] = {}
    gomod_at: dict[str, bool] = {}
    roots: dict[str, str | None] = {}
    candidates_of: dict[str, list[str]] = {}
    resolved: set[str] = set()
    queue: deque[tuple[str, str, str]] = deque()  # (package, its dir, its module)

    def root_of(mod: str) -> str | None:
        root = roots.get(mod, "")
        if root == "":
            d = build_list[mod].dir
            if d is not None and observe is not None:
                observe(os.path.abspath(d))
            root = os.path.abspath(d) if d is not None and os.path.isdir(d) else None
            roots[mod] = root
        return root

    def listing(d: str) -> _PackageDir:
        got = listings.get(d)
        if got is None:
            if observe is not None:
                observe(d)
            got = listings[d] = _list_package_dir(d)
        return got

    def nested_module(d: str, root: str) -> bool:
        while len(d) > len(root):
            has = gomod_at.get(d)
            if has is None:
                if observe is not None:
                    observe(os.path.join(d, "go.mod"))
                has = gomod_at[d] = _is_regular_file(os.path.join(d, "go.mod"))
            if has:
                return True
            d = os.path.dirname(d)
        return False

    def candidates(import_path: str) -> list[str]:
        got = candidates_of.get(import_path)
        if got is None:
            got = candidates_of[import_path] = modules_for_import(import_path, paths)
        return got

    def resolve(import_path: str, importer: str | None) -> None:
        """Find the module providing ``import_path`` and queue the package (once)."""
        resolved.add(import_path)
        unread: list[str] = []
        for mod in candidates(import_path):  # longest first
            root = root_of(mod)
            if root is None:
                unread.append(mod)
                continue
            rel = import_path[len(mod) + 1 :]
            d = os.path.join(root, *rel.split("/")) if rel else root
            if build_list[mod].local and rel and nested_module(d, root):
                continue
            if listing(d).has_go:
                out.providers[import_path] = mod
                out.importers[import_path] = importer
                queue.append((import_path, d, mod))
                return
        for mod in unread:
            out.unread.setdefault(mod, []).append(import_path)

    for import_path in direct:
        if import_path not in resolved:
            resolve(import_path, None)

    while queue:
        pkg, d, mod = queue.popleft()
        version = build_list[mod].version
        for name in listing(d).files:
            file = os.path.join(d, name)
            if observe is not None:
                observe(file)
            try:
                data, specs = _read_head(file)
            except OSError as e:
                out.errors.append(f"{file}: {e.strerror or e}")
                continue
            if not specs or never_built(data):
                continue
            file_path = Path(file)
            for spec in specs:
                ip = spec.path
                cands = candidates(ip)
                if not cands:
                    continue
                site = ImportSite(file_path, spec.line, spec.column, ip, pkg, version)
                for c in cands:
                    sites = out.needed.get(c)
                    if sites is None:
                        out.needed[c] = [site]
                    else:
                        sites.append(site)
                if ip not in resolved:
                    resolve(ip, pkg)
    return out
