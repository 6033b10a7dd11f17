"""What the import scan finds (the model the checks read): :class:`ImportSite`, where
a package is imported, and :class:`ModuleImports`, what one module's ``.go`` files
import."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

__all__ = ["ImportSite", "ModuleImports"]


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
