"""The I/O edge: read a workspace's files into an immutable :class:`Snapshot`.

Checks never touch the disk; they receive a snapshot. The language server passes
its open buffers as ``overlays`` so unsaved edits count.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gomod_doctor.workspace.model import (
    FileText,
    ModuleFiles,
    Snapshot,
    WorkspaceLocation,
    sum_name_for,
    use_dir,
)


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
