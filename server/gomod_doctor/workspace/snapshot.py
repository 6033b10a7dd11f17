"""The I/O edge: read a workspace's files into an immutable :class:`Snapshot`.

Checks never touch the disk; they receive a snapshot. The language server passes
its open buffers as ``overlays`` so unsaved edits count.
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
from gomod_doctor.workspace.discover import WorkspaceLocation


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


def read_file(path: Path, overlays: Mapping[Path, str] | None = None) -> FileText:
    if overlays is not None and path in overlays:
        return FileText(path, overlays[path])
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return FileText(path, None)
    except OSError as e:
        return FileText(path, None, error=f"open {path}: {e.strerror or e}")
    return FileText(path, data.decode("utf-8", errors="surrogateescape"))


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


def load(
    location: WorkspaceLocation,
    *,
    overlays: Mapping[Path, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Snapshot:
    """Read the workspace at ``location`` into a snapshot."""
    env = dict(env or {})
    if location.gowork is not None:
        work_file = read_file(location.gowork, overlays)
        work_sum_file = read_file(location.gowork.with_name(location.gowork.name + ".sum"))
        snap = Snapshot(location, work_file, work_sum_file, (), env)
        modules: list[ModuleFiles] = []
        seen: set[Path] = set()
        work = snap.work
        for use in work.use if work is not None else ():
            d = use_dir(location.root, use.path)
            if d in seen:
                continue
            seen.add(d)
            gomod = d / "go.mod"
            modules.append(
                ModuleFiles(d, read_file(gomod, overlays), read_file(sum_name_for(gomod), overlays))
            )
        vendor = _vendor(location.gowork.parent)
        return Snapshot(location, work_file, work_sum_file, tuple(modules), env, vendor)
    assert location.gomod is not None
    gomod = location.gomod
    module = ModuleFiles(
        gomod.parent, read_file(gomod, overlays), read_file(sum_name_for(gomod), overlays)
    )
    return Snapshot(location, None, None, (module,), env, _vendor(gomod.parent))


def _vendor(root: Path) -> FileText | None:
    """The vendor directory's modules.txt (None: no vendor directory)."""
    if not os.path.isdir(root / "vendor"):
        return None
    return read_file(root / "vendor" / "modules.txt")
