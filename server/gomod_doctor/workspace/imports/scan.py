"""Walking one module's directory tree the way ``go list ./...`` does, reading every
``.go`` file's imports into a :class:`~gomod_doctor.workspace.imports.model.ModuleImports`."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from gomod_doctor.module.paths import is_standard_import_path
from gomod_doctor.workspace.imports.model import ImportSite, ModuleImports
from gomod_doctor.workspace.imports.reader import read_imports_file

# --- walking a module ------------------------------------------------------------------


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
