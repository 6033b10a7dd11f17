"""Where a finding about a needed module goes: its require lines, or its replace line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gomod_doctor.position import Range
from gomod_doctor.workspace.needs import Need


@dataclass(frozen=True)
class Site:
    path: str
    range: Range


def need_sites(need: Need) -> list[Site]:
    """The ``replace`` line when the module is replaced by another module version (the
    finding is about the replacement target), else each ``require`` line."""
    if need.replace is not None and not need.replace.stmt.is_dir:
        return [Site(str(need.replace.file), need.replace.stmt.syntax.range)]
    # a module version only the module graph brings in: the require lines it comes through
    requires = need.requires or need.via
    return [Site(str(r.module.gomod.path), r.stmt.syntax.range) for r in requires]


def short_path(path: Path, cwd: Path) -> str:
    """``path`` as the go command prints it when run in ``cwd`` (base.ShortPath): relative
    when that is shorter, else as is."""
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive (Windows)
        return str(path)
    return rel if len(rel) < len(str(path)) else str(path)
