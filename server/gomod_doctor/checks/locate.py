"""Where a finding goes: a needed module's require lines or replace line, the
``module`` lines."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gomod_doctor.facts import Facts
from gomod_doctor.position import Position, Range
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


def module_sites(facts: Facts) -> list[Site]:
    """The ``module`` line of each module of the workspace (the first line of go.work
    when none has one): where findings about the whole workspace go."""
    out: list[Site] = []
    for m in facts.snapshot.modules:
        if m.mod is not None and m.mod.module is not None:
            out.append(Site(str(m.gomod.path), m.mod.module.syntax.range))
    if not out:
        work = facts.snapshot.work_file
        if work is not None:
            zero = Range(Position(1, 1, 0), Position(1, 1, 0))
            out.append(Site(str(work.path), zero))
    return out


def short_path(path: Path, cwd: Path) -> str:
    """``path`` as the go command prints it when run in ``cwd`` (base.ShortPath): relative
    when that is shorter, else as is."""
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive (Windows)
        return str(path)
    return rel if len(rel) < len(str(path)) else str(path)
