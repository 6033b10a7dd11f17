"""``vendor/modules.txt`` against go.mod and go.work, in vendor mode, as the go command
checks it before a build (cmd/go/internal/modload ``checkVendorConsistency``):

- every ``require`` must be marked ``## explicit`` in modules.txt (before go 1.14 only
  a version mismatch is caught);
- every replacement must be recorded, and recorded the same;
- modules.txt must not mark a module explicit that go.mod does not require, nor
  replaced that go.mod does not replace.

go prints them all under ``inconsistent vendoring in DIR:``; each is a finding on the
line it is about (the ``module`` line for modules.txt's own), with go's fix: ``go mod
vendor`` (``go work vendor`` in a workspace).
"""

from __future__ import annotations

import os
from pathlib import Path

from gomod_doctor.checks.locate import Site, module_sites
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv import gover
from gomod_doctor.modfile.rules import ModuleVersion, Replace
from gomod_doctor.workspace.model import use_dir
from gomod_doctor.workspace.vendor import parse_modules_txt


def _describe(m: ModuleVersion) -> str:
    return f"{m.path}@{m.version}" if m.version else m.path


def _new(rep: Replace, base: Path, workspace: bool) -> ModuleVersion:
    """A replacement as go compares it (canonicalizeReplacePath: absolute directories in
    workspace mode)."""
    if rep.new_version or not workspace or os.path.isabs(rep.new_path):
        return ModuleVersion(rep.new_path, rep.new_version)
    return ModuleVersion(str(use_dir(base, rep.new_path)))


def check(facts: Facts) -> list[Finding]:
    snap = facts.snapshot
    if facts.build_mode is None or facts.build_mode.mode != "vendor" or snap.vendor is None:
        return []
    vl = parse_modules_txt(snap.vendor.text or "")
    workspace = snap.work is not None and snap.work_file is not None
    root = snap.location.root
    mods = [m for m in snap.modules if m.mod is not None]
    pre114 = False
    if not workspace and mods:
        mod = mods[0].mod
        assert mod is not None
        go = mod.go.version if mod.go is not None else ""
        pre114 = gover.compare(go, "1.14") < 0
    problems: list[tuple[Site, ModuleVersion, str]] = []

    for m in mods:
        assert m.mod is not None
        for r in m.mod.require:
            mv = ModuleVersion(r.path, r.version)
            meta = vl.meta.get(mv)
            if meta is not None and meta.explicit:
                continue
            site = Site(str(m.gomod.path), r.syntax.range)
            if pre114:
                vv = vl.version.get(r.path)
                if vv is not None and vv != r.version:
                    problems.append(
                        (
                            site,
                            mv,
                            f"is explicitly required in go.mod, but vendor/modules.txt "
                            f"indicates {r.path}@{vv}",
                        )
                    )
            else:
                problems.append(
                    (
                        site,
                        mv,
                        "is explicitly required in go.mod, but not marked as explicit in "
                        "vendor/modules.txt",
                    )
                )

    # every replacement: go.work's win over the modules'
    work_reps = list(snap.work.replace) if workspace and snap.work is not None else []
    work_old = {(r.old_path, r.old_version) for r in work_reps}
    effective: dict[tuple[str, str], tuple[ModuleVersion, str, Site]] = {}
    sources: list[tuple[list[Replace], Path, str]] = []
    for m in mods:
        assert m.mod is not None
        sources.append((m.mod.replace, m.gomod.path, os.path.relpath(m.gomod.path, root)))
    if workspace and snap.work_file is not None:
        sources.append((work_reps, snap.work_file.path, "go.work"))
    for reps, file, shown in sources:
        for rep in reps:
            key = (rep.old_path, rep.old_version)
            from_work = file.name == "go.work"
            if key in work_old and not from_work:
                continue
            if key not in effective or from_work:
                effective[key] = (
                    _new(rep, file.parent, workspace),
                    shown,
                    Site(str(file), rep.syntax.range),
                )
    seen: set[tuple[str, str]] = set()
    for reps, _file, _ in sources:
        for rep in reps:
            key = (rep.old_path, rep.old_version)
            if key in seen or key not in effective:
                continue
            seen.add(key)
            new, shown, site = effective[key]
            old = ModuleVersion(*key)
            meta = vl.meta.get(old)
            vr = meta.replacement if meta is not None else None
            if vr is None:
                if pre114 and (not old.version or vl.version.get(old.path) != old.version):
                    continue
                problems.append(
                    (
                        site,
                        old,
                        f"is replaced in {shown}, but not marked as replaced in vendor/modules.txt",
                    )
                )
            elif vr != new:
                problems.append(
                    (
                        site,
                        old,
                        f"is replaced by {_describe(new)} in {shown}, but marked as "
                        f"replaced by {_describe(vr)} in vendor/modules.txt",
                    )
                )

    required = {ModuleVersion(r.path, r.version) for m in mods if m.mod for r in m.mod.require}
    at_module = module_sites(facts)
    for mv in vl.modules:
        meta = vl.meta.get(mv)
        if meta is not None and meta.explicit and mv not in required:
            article = "a " if workspace else ""
            for site in at_module[:1]:
                problems.append(
                    (
                        site,
                        mv,
                        "is marked as explicit in vendor/modules.txt, but not explicitly "
                        f"required in {article}go.mod",
                    )
                )
    where = "the workspace" if workspace else "go.mod"
    for mv in vl.replaced:
        if (mv.path, mv.version) not in effective and (mv.path, "") not in effective:
            for site in at_module[:1]:
                problems.append(
                    (
                        site,
                        mv,
                        f"is marked as replaced in vendor/modules.txt, but not replaced in {where}",
                    )
                )

    sub = "work" if workspace else "mod"
    head = f"inconsistent vendoring in {root}:"
    tail = (
        "\n\n\tTo ignore the vendor directory, use -mod=readonly or -mod=mod.\n"
        f"\tTo sync the vendor directory, run:\n\t\tgo {sub} vendor"
    )
    return [
        Finding(
            site.path,
            site.range,
            "vendor-inconsistent",
            Severity.ERROR,
            f"{head}\n\t{_describe(mv)}: {detail}{tail}",
            module=mv.path,
            version=mv.version or None,
            data={"detail": detail, "command": f"go {sub} vendor"},
        )
        for site, mv, detail in problems
    ]
