"""Find the workspace the go command would use, as cmd/go/internal/modload does.

``go.work`` wins: GOWORK=off disables it, an absolute GOWORK names it, and
otherwise the nearest ``go.work`` above the directory is used (never crossing
GOROOT). Without one, the nearest ``go.mod`` above the directory is the module.
"""

from __future__ import annotations

import os
from pathlib import Path

from gomod_doctor.workspace.model import WorkspaceLocation


class WorkspaceError(Exception):
    """The workspace cannot be determined (a usage error for the CLI)."""


def _is_file(p: Path) -> bool:
    try:
        return p.is_file()
    except OSError:
        return False


def find_up(start: Path, name: str, *, stop_at: Path | None = None) -> Path | None:
    """The nearest ``name`` file in ``start`` or one of its parents."""
    d = Path(os.path.abspath(start))
    while True:
        candidate = d / name
        if _is_file(candidate):
            return candidate
        parent = d.parent
        if parent == d or (stop_at is not None and parent == stop_at):
            return None
        d = parent


def locate(target: Path, *, gowork: str = "", goroot: str | None = None) -> WorkspaceLocation:
    """The workspace for ``target``: a directory, a go.mod (or vendor.mod) or a go.work."""
    target = Path(os.path.abspath(target))
    if not target.exists():
        raise WorkspaceError(f"{target}: no such file or directory")
    if target.is_file():
        if target.name.endswith(".work"):
            return WorkspaceLocation(root=target.parent, gowork=target)
        if target.name.endswith(".mod"):
            return WorkspaceLocation(root=target.parent, gomod=target)
        raise WorkspaceError(f"{target}: not a go.mod or go.work file")

    if gowork not in ("", "auto", "off"):
        work = Path(gowork)
        if not work.is_absolute():
            raise WorkspaceError("go: invalid GOWORK: not an absolute path")
        if not _is_file(work):
            raise WorkspaceError(f"go: cannot load go.work file {work}: no such file")
        return WorkspaceLocation(root=work.parent, gowork=work)
    if gowork != "off":
        stop = Path(goroot) if goroot else None
        work_file = find_up(target, "go.work", stop_at=stop)
        if work_file is not None:
            start = find_up(target, "go.mod", stop_at=work_file.parent.parent)
            if start is not None and work_file.parent not in (start.parent, *start.parents):
                start = None  # a go.mod above the go.work: not the workspace's concern
            return WorkspaceLocation(root=work_file.parent, gowork=work_file, start_gomod=start)
    mod_file = find_up(target, "go.mod")
    if mod_file is None:
        raise WorkspaceError(
            "go: go.mod file not found in current directory or any parent directory; "
            "see 'go help modules'"
        )
    return WorkspaceLocation(root=mod_file.parent, gomod=mod_file)
