"""Which modules of the build list the go command must look inside to resolve an
import (``modload/import.go``, ``importFromModules``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from gomod_doctor.module.paths import check_import_path

# --- which modules are needed ----------------------------------------------------------

_META_PACKAGES = frozenset({"std", "cmd", "tool", "work", "all"})
_TOOLCHAIN_PATHS = frozenset({"go", "toolchain"})


def _resolvable(import_path: str) -> bool:
    """Whether ``importFromModules`` looks for ``import_path`` in modules at all: it
    rejects ``@``, relative, absolute and meta-package paths, ``"C"`` and malformed
    import paths before looking."""
    if (
        "@" in import_path
        or import_path in (".", "..", "C")
        or import_path.startswith(("./", "../", "/"))
        or import_path in _META_PACKAGES
    ):
        return False
    try:
        check_import_path(import_path)
    except ValueError:
        return False
    return True


def modules_for_import(import_path: str, module_paths: Iterable[str]) -> list[str]:
    """Every module path of the build list that may provide ``import_path``, longest
    first: those equal to it or a prefix of it followed by ``/``.

    The go command cannot stop at the longest match: ``importFromModules``
    (``modload/import.go``) fetches *every* such module (its zip, extracted into the
    module cache, and its go.sum line) and checks whether the package's directory
    exists in it. More than one hit is an ``ambiguous import`` error; a candidate
    that cannot be fetched fails the import even when another candidate provides
    the package; a missing go.sum line for any candidate is a "missing go.sum
    entry" error. So all candidates are needed, not just the one that wins.

    The synthetic ``go`` and ``toolchain`` modules never provide packages, and
    import paths the go command rejects before looking (``"C"``, relative, with
    ``@``, malformed) have no candidates.
    """
    if not _resolvable(import_path):
        return []
    paths = module_paths if isinstance(module_paths, (set, frozenset)) else set(module_paths)
    found: list[str] = []
    prefix = import_path
    while True:
        if prefix in paths and prefix not in _TOOLCHAIN_PATHS:
            found.append(prefix)
        i = prefix.rfind("/")
        if i < 0:
            return found
        prefix = prefix[:i]


_Site = TypeVar("_Site")


def needed_modules(
    imports: Mapping[str, Iterable[_Site]],
    module_paths: Iterable[str],
    *,
    main_modules: Iterable[str] = (),
) -> dict[str, list[_Site]]:
    """The modules of the build list whose contents the go command needs to resolve
    ``imports`` (import path -> sites), each with the sites that need it.

    Every candidate of :func:`modules_for_import` counts. The main modules (the
    workspace's own, ``main_modules``) are on disk already and are left out, but an
    import inside a main module's path still needs any *other* module whose path is
    a prefix of it (a nested module, or a module enclosing the main module's path).
    """
    mains = set(main_modules)
    paths = {p for p in module_paths if p not in mains}
    needed: dict[str, list[_Site]] = {}
    if not paths:
        return needed
    for import_path, sites in imports.items():
        candidates = modules_for_import(import_path, paths)
        if not candidates:
            continue
        site_list = list(sites)
        for mod in candidates:
            needed.setdefault(mod, []).extend(site_list)
    return needed
