"""Walking one module's directory tree the way ``go list ./...`` does, reading every
``.go`` file's imports: :class:`ModuleImports`, :class:`ImportSite`."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from gomod_doctor.module.paths import is_standard_import_path
from gomod_doctor.workspace.imports.reader import read_imports_file

# --- walking a module ------------------------------------------------------------------


class ImportSite(NamedTuple):
    """Where a package is imported: a file and the 1-based line and byte column of
    the import's path literal.

    Sites in the workspace's own files (:func:`scan_module_imports`) have only those.
    Sites in a dependency's files (:func:`transitive_imports`) also say which package
    is imported (``package``), which package imports it (``importer``, its import
    path) and the version of the importer's module in the build list
    (``importer_version``): what the go command's messages name.
    """

    file: Path
    line: int
    column: int = 1
    package: str | None = None
    importer: str | None = None
    importer_version: str = ""

    @property
    def test(self) -> bool:
        """Whether the import is in a test file (only ``go test`` and ``go mod tidy``
        need it, not ``go build``)."""
        return self.file.name.endswith("_test.go")

    @property
    def transitive(self) -> bool:
        """Whether the import is in a dependency's file, not the workspace's."""
        return self.importer is not None


@dataclass
class ModuleImports:
    """What the ``.go`` files of one module import.

    ``imports`` maps each import path that is not a standard-library path (whose
    first element has a dot, see :func:`is_standard_import_path`) to its sites, in
    walk order; ``std_imports`` holds the others, ``"C"`` included. A required
    module may still have a dotless path (with a ``replace``), so callers resolving
    imports against such a build list should look at both.

    ``package_dirs`` are the slash-separated directories (relative to ``root``,
    ``""`` for the root) holding at least one ``.go`` file: the module's packages.
    ``files`` are the ``.go`` files read, in walk order.
    """

    root: Path
    imports: dict[str, list[ImportSite]] = field(default_factory=dict)
    std_imports: dict[str, list[ImportSite]] = field(default_factory=dict)
    package_dirs: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def package_paths(self, module_path: str) -> set[str]:
        """The import paths of the module's packages, given its module path."""
        return {f"{module_path}/{d}" if d else module_path for d in self.package_dirs}

    def all_imports(self) -> dict[str, list[ImportSite]]:
        """``imports`` and ``std_imports`` together."""
        return {**self.std_imports, **self.imports}


def _normalize(p: str) -> str:
    """search.go's normalizePath: ``/p/``."""
    p = p.replace(os.sep, "/")
    if not p.startswith("/"):
        p = "/" + p
    if not p.endswith("/"):
        p += "/"
    return p


class _IgnorePatterns:
    """``search.IgnorePatterns``: go.mod ``ignore`` directives (Go 1.25+)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.relative: list[str] = []
        self.anywhere: list[str] = []
        for pat in patterns:
            if pat.startswith("./"):
                self.relative.append(_normalize(pat[2:]))
            else:
                self.anywhere.append(_normalize(pat))

    def __bool__(self) -> bool:
        return bool(self.relative or self.anywhere)

    def should_ignore(self, rel_dir: str) -> bool:
        if not rel_dir:
            return False
        d = _normalize(rel_dir)
        return any(d.startswith(p) for p in self.relative) or any(p in d for p in self.anywhere)


def _is_regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def scan_module_imports(module_dir: Path, *, ignore: Iterable[str] = ()) -> ModuleImports:
    """Read the imports of every ``.go`` file of the module rooted at ``module_dir``.

    The walk is ``go list ./...``'s (``modload.matchPackages``):

    - files: names ending in ``.go`` not starting with ``.`` or ``_``, regular files
      or symlinks to regular files; build constraints are not evaluated;
    - directories named ``testdata`` or starting with ``.`` or ``_`` are skipped
      with their subtrees, as are those matched by ``ignore`` (the paths of the
      go.mod's ``ignore`` directives, ``[i.path for i in mod.ignore]``) and nested
      modules (a ``go.mod`` file inside);
    - a directory named ``vendor`` is a package of its own (``go list ./...`` lists
      ``m/vendor``) but its subdirectories are skipped;
    - symlinks to directories are not followed (``filepath.WalkDir`` does not),
      except ``module_dir`` itself.

    Unreadable directories and files are recorded in ``errors``; never raises.
    """
    root = os.path.abspath(module_dir)
    result = ModuleImports(Path(root))
    ignores = _IgnorePatterns(ignore)
    by_path: dict[str, list[ImportSite]] = {}

    # (absolute dir, slash-separated dir relative to root, whether to descend)
    stack: list[tuple[str, str, bool]] = [(root, "", True)]
    while stack:
        dir_path, rel, descend = stack.pop()
        try:
            with os.scandir(dir_path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            result.errors.append(f"{dir_path}: {e.strerror or e}")
            continue
        subdirs: list[tuple[str, str, bool]] = []
        go_files: list[str] = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if not descend or name[0] in "._" or name == "testdata":
                    continue
                sub_rel = f"{rel}/{name}" if rel else name
                if ignores and ignores.should_ignore(sub_rel):
                    continue
                sub_path = os.path.join(dir_path, name)
                if _is_regular_file(os.path.join(sub_path, "go.mod")):
                    continue  # another module
                subdirs.append((sub_path, sub_rel, name != "vendor"))
            elif name.endswith(".go") and name[0] not in "._":
                try:
                    if not entry.is_file(follow_symlinks=True):
                        continue
                except OSError:
                    continue
                go_files.append(name)
        if go_files:
            result.package_dirs.append(rel)
        for name in go_files:
            file_path = os.path.join(dir_path, name)
            try:
                specs = read_imports_file(file_path)
            except OSError as e:
                result.errors.append(f"{file_path}: {e.strerror or e}")
                continue
            p = Path(file_path)
            result.files.append(p)
            for ip, line, column, _ in specs:
                sites = by_path.get(ip)
                if sites is None:
                    by_path[ip] = [ImportSite(p, line, column)]
                else:
                    sites.append(ImportSite(p, line, column))
        stack.extend(reversed(subdirs))
    for ip, sites in by_path.items():
        (result.std_imports if is_standard_import_path(ip) else result.imports)[ip] = sites
    return result
