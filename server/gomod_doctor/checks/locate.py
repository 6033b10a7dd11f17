"""Where a finding goes: a needed module's require lines or replace line, the
``module`` lines, a go.sum line; and the findings placed on those sites."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, RelatedInfo, Severity
from gomod_doctor.gosum.parser import SumEntry
from gomod_doctor.position import Position, Range
from gomod_doctor.workspace.model import FileText
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


def findings_at(
    where: Iterable[Site],
    code: str,
    sev: Severity,
    message: str,
    *,
    module: str | None = None,
    version: str | None = None,
    fixes: tuple[str, ...] = (),
    data: Mapping[str, object] | None = None,
    related: tuple[RelatedInfo, ...] = (),
) -> list[Finding]:
    """One finding on each site; its data: ``module`` and ``version`` (when given),
    then ``data``."""
    payload: dict[str, object] = {}
    if module is not None:
        payload.update(module=module, version=version)
    payload.update(data or {})
    return [
        Finding(
            s.path,
            s.range,
            code,
            sev,
            message,
            module=module,
            version=version,
            fixes=fixes,
            data=dict(payload),
            related=related,
        )
        for s in where
    ]


def at_sites_and_sum_line(
    sites: Sequence[Site],
    sum_line: tuple[FileText, SumEntry] | None,
    code: str,
    sev: Severity,
    message: str,
    *,
    module: str,
    version: str,
    fixes: tuple[str, ...],
    data: Mapping[str, object],
) -> list[Finding]:
    """A finding about a go.sum line: one on each site (pointing at the line), then,
    when there is the line, one on it (pointing at the sites)."""
    place = partial(
        findings_at,
        code=code,
        sev=sev,
        message=message,
        module=module,
        version=version,
        fixes=fixes,
        data=data,
    )
    if sum_line is None:
        return place(sites)
    line = Site(str(sum_line[0].path), sum_line[1].range)
    to_line = (RelatedInfo(line.path, line.range, "go.sum line"),)
    to_sites = tuple(RelatedInfo(s.path, s.range, "required here") for s in sites)
    return place(sites, related=to_line) + place([line], related=to_sites)


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
