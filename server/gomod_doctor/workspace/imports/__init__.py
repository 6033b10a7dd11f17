"""Which packages a workspace imports, and which modules may provide them.

The I/O edge that reads ``.go`` files. Four layers:

- :func:`read_imports` reads the import declarations at the top of one Go file,
  exactly as the go command's import reader does (``cmd/go/internal/imports/read.go``,
  a copy of ``go/build/read.go``): package clause, then ``import`` declarations,
  stopping at the first other declaration. It never raises: on a syntax error it
  keeps the imports read before it, as ``imports.ReadImports`` does for the module
  loader.
- :func:`scan_module_imports` walks one module's directory tree the way
  ``go list ./...`` does (``cmd/go/internal/modload/search.go``, ``matchPackages``)
  and reads every ``.go`` file, build constraints NOT evaluated (every file counts,
  as with ``go/build.Context.UseAllFiles``).
- :func:`modules_for_import` / :func:`needed_modules`: the modules of the build list
  the go command must look inside to resolve an import (``modload/import.go``,
  ``importFromModules``).
- :func:`transitive_imports`: the packages of the build list's modules that the
  workspace's imports reach, read as the go command's loader reads a dependency
  (non-test files only), and the modules their imports need in turn.

Differences from the go command, by design:

- Build constraints (``//go:build``, ``_GOOS``/``_GOARCH`` file names, cgo) are not
  evaluated. ``go mod tidy`` evaluates every tag as both true and false *except*
  ``ignore`` (``imports.AnyTags``), so files tagged ``//go:build ignore`` are the one
  case where we count imports tidy does not. In dependencies' packages
  (:func:`transitive_imports`) such files are left out, as every go command does.
- The module loader (``modload.scanDir``) drops ``"C"`` and the ``appengine`` imports; we
  keep them (all in ``std_imports``).
- Only the files of the module's own packages are read. The go command also
  loads packages the module's packages import from the same module wherever they
  are; a package in a directory the walk skips (``_x``, ``testdata``, an ignored
  directory) that is nevertheless imported is not read here.

The package's modules: :mod:`.reader`, :mod:`.scan`, :mod:`.resolve`,
:mod:`.constraints` and :mod:`.transitive`; it re-exports their public API.
"""

from __future__ import annotations

from gomod_doctor.workspace.imports.constraints import never_built
from gomod_doctor.workspace.imports.model import ImportSite, ModuleImports
from gomod_doctor.workspace.imports.reader import ImportSpec, read_imports, read_imports_file
from gomod_doctor.workspace.imports.resolve import modules_for_import, needed_modules
from gomod_doctor.workspace.imports.scan import scan_module_imports
from gomod_doctor.workspace.imports.transitive import (
    BuildModule,
    TransitiveImports,
    transitive_imports,
)

__all__ = [
    "BuildModule",
    "ImportSite",
    "ImportSpec",
    "ModuleImports",
    "TransitiveImports",
    "modules_for_import",
    "needed_modules",
    "never_built",
    "read_imports",
    "read_imports_file",
    "scan_module_imports",
    "transitive_imports",
]
