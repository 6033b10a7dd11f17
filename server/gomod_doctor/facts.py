"""Everything the checks look at, gathered once at the I/O edge.

:class:`Facts` is the snapshot that goes into the checks: the workspace's files
(:class:`~gomod_doctor.workspace.model.Snapshot`), the Go environment, the
imports of its ``.go`` files, what the build needs, the module cache's state for
each needed module version, full-verification results when they were asked for,
go's module index entries of the needed module directories, and the directories
that ``replace`` and ``use`` lines point at. Checks are pure functions of it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gomod_doctor.cache.modindex.model import IndexFact
from gomod_doctor.cache.modstate import ModuleState
from gomod_doctor.cache.results import ModuleVerification
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.goenv.godebugs import GodebugTable
from gomod_doctor.gosum.parser import SumEntry, SumFile
from gomod_doctor.workspace.imports import ModuleImports
from gomod_doctor.workspace.model import FileText, Latest, Snapshot
from gomod_doctor.workspace.needs import BuildNeeds
from gomod_doctor.workspace.vendor import BuildMode

if TYPE_CHECKING:  # the network model loads with the network code
    from gomod_doctor.netfacts import NetworkFacts


@dataclass(frozen=True)
class DirInfo:
    """A directory named by a ``replace`` or ``use`` line."""

    path: Path
    exists: bool
    gomod: FileText | None = None  # its go.mod, when the directory exists
    module_path: str | None = None  # what that go.mod's module line declares

    @property
    def has_gomod(self) -> bool:
        return self.gomod is not None and self.gomod.text is not None


@dataclass
class Facts:
    snapshot: Snapshot
    env: GoEnv
    needs: BuildNeeds
    imports: dict[Path, ModuleImports] = field(default_factory=dict)
    #: quick state, keyed by the fetched module version (after replacement)
    cache: dict[tuple[str, str], ModuleState] = field(default_factory=dict)
    #: full verification, when it ran
    full: dict[tuple[str, str], ModuleVerification] | None = None
    #: go's module index entries (in GOCACHE) of the extracted dirs the build uses
    build_index: dict[tuple[str, str], list[IndexFact]] = field(default_factory=dict)
    verify_level: str = "quick"
    dirs: dict[Path, DirInfo] = field(default_factory=dict)
    #: what the GOPROXY entries answered (None: the network checks did not run)
    network: NetworkFacts | None = None
    #: the GODEBUG settings the building toolchain knows (None: not known)
    godebugs: GodebugTable | None = None
    #: go's words when there is no usable module cache (nothing of it is read then)
    modcache_error: str | None = None
    #: the -mod mode of the next build (vendor: the module cache is not read)
    build_mode: BuildMode | None = None
    #: the latest go.mod in the module cache of each selected module path (retractions,
    #: deprecation), as ``go list -m -u`` reads it offline
    latest: dict[str, Latest] = field(default_factory=dict)
    #: the fetched go.mod files the module graph read where the cache stops (from an
    #: earlier network gather: :attr:`NetworkFacts.graph_mods`)
    graph_mods: dict[tuple[str, str], bytes] = field(default_factory=dict)
    _sum_lines: dict[tuple[str, str, bool], tuple[tuple[FileText, SumEntry], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def sum_files(self) -> list[tuple[FileText, SumFile]]:
        """Every go.sum the go command consults, in its order (go.work.sum last)."""
        out: list[tuple[FileText, SumFile]] = []
        for m in self.snapshot.modules:
            if m.sum is not None:
                out.append((m.gosum, m.sum))
        if self.snapshot.work_sum_file is not None and self.snapshot.work_sum is not None:
            out.append((self.snapshot.work_sum_file, self.snapshot.work_sum))
        return out

    def sum_lines(
        self, path: str, version: str, gomod: bool
    ) -> tuple[tuple[FileText, SumEntry], ...]:
        """The go.sum lines for one hash, across every go.sum consulted, first first.
        Only ``h1:`` lines count: go has no other algorithm (modfetch ``HaveSum``).
        (Memoized: several checks ask about every module; the snapshot is fixed.)"""
        key = (path, version, gomod)
        hit = self._sum_lines.get(key)
        if hit is None:
            hit = self._sum_lines[key] = tuple(
                (file, e)
                for file, parsed in self.sum_files()
                for e in parsed.lookup(path, version, gomod)
                if not e.ignored and e.hash.startswith("h1:")
            )
        return hit

    def gosum_hashes(self, path: str, version: str) -> tuple[str | None, str | None]:
        """The first go.sum line's ``(zip h1, go.mod h1)`` for ``path@version``: what the
        go command checks a download against (None: no line)."""
        zips = self.sum_lines(path, version, gomod=False)
        mods = self.sum_lines(path, version, gomod=True)
        return (zips[0][1].hash if zips else None), (mods[0][1].hash if mods else None)

    def package_of(self, file: Path) -> str | None:
        """The import path of the workspace package that ``file`` belongs to."""
        for m in self.snapshot.modules:
            try:
                rel = file.parent.relative_to(m.dir)
            except ValueError:
                continue
            if m.mod is None or m.mod.module is None:
                return None
            r = rel.as_posix()
            return m.mod.module.path if r == "." else posixpath.join(m.mod.module.path, r)
        return None
