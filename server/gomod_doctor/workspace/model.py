"""The workspace's models, plain data with no I/O: where the workspace is
(:class:`WorkspaceLocation`, found by :mod:`gomod_doctor.workspace.discover`), its files
as read (:class:`Snapshot`, read by :mod:`gomod_doctor.workspace.snapshot`) and what the
latest go.mod of a module says (:class:`Latest`, read by
:mod:`gomod_doctor.workspace.latest`). The checks import these, never the readers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from gomod_doctor.gosum.parser import SumFile, parse_sum
from gomod_doctor.modfile.rules import ModFile, parse_mod
from gomod_doctor.modfile.work import WorkFile, parse_work


@dataclass(frozen=True)
class WorkspaceLocation:
    """Where the workspace is: a go.work file, or a single module's go.mod."""

    root: Path
    gowork: Path | None = None
    gomod: Path | None = None
    #: with a go.work found by searching up: the go.mod of the module the search
    #: started in (go refuses to build there unless go.work uses that module)
    start_gomod: Path | None = None

    @property
    def main_file(self) -> Path:
        found = self.gowork or self.gomod
        assert found is not None
        return found


@dataclass(frozen=True)
class FileText:
    """One file's text, or why it could not be read."""

    path: Path
    text: str | None
    error: str | None = None
    version: int | None = None

    @property
    def exists(self) -> bool:
        return self.text is not None


@lru_cache(maxsize=16)
def _parse_sum(text: str, filename: str) -> SumFile:
    """go.sum files rarely change while go.mod is edited: parse each text once.
    (A parsed SumFile is never modified, so sharing it is safe.)"""
    return parse_sum(text, filename)


def sum_name_for(mod_file: Path) -> Path:
    """go.mod -> go.sum (and vendor.mod -> vendor.sum, as -modfile does)."""
    return mod_file.with_suffix(".sum")


@dataclass(frozen=True)
class ModuleFiles:
    """A workspace module: its directory, go.mod and go.sum."""

    dir: Path
    gomod: FileText
    gosum: FileText

    @cached_property
    def mod(self) -> ModFile | None:
        if self.gomod.text is None:
            return None
        return parse_mod(self.gomod.text, str(self.gomod.path))

    @cached_property
    def sum(self) -> SumFile | None:
        if self.gosum.text is None:
            return None
        return _parse_sum(self.gosum.text, str(self.gosum.path))


@dataclass(frozen=True)
class Snapshot:
    """Everything the checks may look at, read once."""

    location: WorkspaceLocation
    work_file: FileText | None = None
    work_sum_file: FileText | None = None
    modules: tuple[ModuleFiles, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    #: ``vendor/modules.txt`` beside go.work (workspace) or the main go.mod; None when
    #: there is no vendor directory (its text is None when the file is missing)
    vendor: FileText | None = None

    @cached_property
    def work(self) -> WorkFile | None:
        if self.work_file is None or self.work_file.text is None:
            return None
        return parse_work(self.work_file.text, str(self.work_file.path))

    @cached_property
    def work_sum(self) -> SumFile | None:
        if self.work_sum_file is None or self.work_sum_file.text is None:
            return None
        return _parse_sum(self.work_sum_file.text, str(self.work_sum_file.path))

    def files(self) -> list[FileText]:
        out: list[FileText] = []
        if self.work_file is not None:
            out.append(self.work_file)
        if self.work_sum_file is not None:
            out.append(self.work_sum_file)
        for m in self.modules:
            out.extend((m.gomod, m.gosum))
        return out


def use_dir(work_dir: Path, use_path: str) -> Path:
    """The directory a go.work ``use`` line names (relative to the go.work dir)."""
    p = Path(use_path)
    return Path(os.path.normpath(p if p.is_absolute() else work_dir / p))


# --------------------------------------------------------------------------- latest go.mod


@dataclass(frozen=True)
class Retraction:
    """One ``retract`` interval of the latest go.mod (``low == high`` for one version)."""

    low: str
    high: str
    rationale: str


@dataclass(frozen=True)
class Latest:
    """What the latest go.mod of ``path`` says: ``version`` is the latest version (as
    queried, before replacement), ``gomod`` the file read (the replacement's go.mod when
    that version is replaced)."""

    path: str
    version: str
    gomod: str
    retract: tuple[Retraction, ...] = ()
    deprecated: str = ""
