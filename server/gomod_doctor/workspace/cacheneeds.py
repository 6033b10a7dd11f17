"""What the build needs from the module cache, for pruning and ``download --missing``.

:func:`workspace_needs` lists the module versions the workspaces need (a safe
superset): the go.mod requirements of every workspace module and its module
replacements in full, and what the cached go.mod files require transitively (their
``.mod`` only). The CLI (``cache prune``, ``download --missing``) and the language
server (``gomod-doctor.prune``) both ask it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gomod_doctor.cache import ops
from gomod_doctor.goenv import env as goenv
from gomod_doctor.modfile.rules import ModFile, parse_mod
from gomod_doctor.workspace import snapshot as snapshots
from gomod_doctor.workspace.discover import locate

__all__ = ["WorkspaceNeeds", "workspace_needs"]


@dataclass
class WorkspaceNeeds:
    """What the given workspaces need from the cache, and why it may be incomplete."""

    needs: ops.Needs = field(default_factory=ops.Needs)
    #: what the workspace go.mod files require (and replace with) themselves
    required: frozenset[tuple[str, str]] = frozenset()
    #: problems that make the list unreliable (unreadable or invalid go.mod...)
    problems: list[str] = field(default_factory=list)
    #: the workspace module directories (where ``go mod download`` can record sums)
    module_dirs: list[Path] = field(default_factory=list)


_GO_MINOR = re.compile(r"^1\.(\d+)")


def _pruned_graph(mf: ModFile) -> bool:
    """go.mod at go 1.17 or later lists every module providing a package it builds."""
    if mf.go is None:
        return False
    m = _GO_MINOR.match(mf.go.version)
    return m is None or int(m.group(1)) >= 17


def workspace_needs(
    paths: Sequence[str],
    *,
    gomodcache: str,
    environ: Mapping[str, str],
    genv: goenv.GoEnv,
) -> WorkspaceNeeds:
    """The module versions the workspaces at ``paths`` need (a safe superset).

    ``full``: the go.mod requirements of every workspace module, and module
    replacements; ``mod_only``: what the cached go.mod files require
    transitively. For a go.mod before go 1.17 (no graph pruning: packages may
    come from modules it does not list) the whole closure counts as ``full``.
    """
    out = WorkspaceNeeds()
    full: set[tuple[str, str]] = set()
    replace: dict[tuple[str, str], tuple[str, str]] = {}
    unpruned = False
    gowork = genv.gowork_setting or genv.GOWORK
    goroot = genv.get("GOROOT") or None
    for p in paths:
        loc = locate(Path(p), gowork=gowork, goroot=goroot)
        snap = snapshots.load(loc, env=dict(environ))
        if snap.work_file is not None:
            work = snap.work
            if work is None:
                out.problems.append(f"{snap.work_file.path}: cannot read go.work")
            else:
                out.problems.extend(e.go_text for e in work.errors)
                for r in work.replace:
                    _add_replace(
                        replace, full, r.old_path, r.old_version, r.new_path, r.new_version
                    )
        for m in snap.modules:
            out.module_dirs.append(m.dir)
            mf = m.mod
            if mf is None:
                out.problems.append(m.gomod.error or f"{m.gomod.path}: no such file")
                continue
            out.problems.extend(e.go_text for e in mf.errors)
            unpruned = unpruned or not _pruned_graph(mf)
            full.update((r.mod.path, r.mod.version) for r in mf.require)
            for r in mf.replace:
                _add_replace(replace, full, r.old_path, r.old_version, r.new_path, r.new_version)
                if r.is_dir:
                    full.update(_dir_requires(m.dir, r.new_path, out.problems))
    full = {mv for mv in full if ops.is_valid_module_version(*mv)}
    out.required = frozenset(full)
    needs = ops.expand_needs(gomodcache, full, replace=replace)
    if unpruned:
        needs = ops.Needs(needs.full | needs.mod_only, frozenset())
    out.needs = needs
    return out


def _add_replace(
    replace: dict[tuple[str, str], tuple[str, str]],
    full: set[tuple[str, str]],
    old_path: str,
    old_version: str,
    new_path: str,
    new_version: str,
) -> None:
    if new_version:
        replace[(old_path, old_version)] = (new_path, new_version)
        full.add((new_path, new_version))


def _dir_requires(module_dir: Path, rel: str, problems: list[str]) -> set[tuple[str, str]]:
    d = Path(rel) if os.path.isabs(rel) else module_dir / rel
    gomod = d / "go.mod"
    try:
        text = gomod.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        problems.append(f"{gomod}: {e.strerror or e}")
        return set()
    return {(r.mod.path, r.mod.version) for r in parse_mod(text, str(gomod), lax=True).require}
