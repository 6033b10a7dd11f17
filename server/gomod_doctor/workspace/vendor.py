"""Vendoring: the build mode go picks, and ``vendor/modules.txt`` as go reads it
(cmd/go/internal/modload ``setDefaultBuildMod`` and ``readVendorList``).

In vendor mode go builds from the vendor directory: it reads neither the module cache
nor go.sum for the vendored modules, and checks ``vendor/modules.txt`` against
go.mod (``checkVendorConsistency``, in :mod:`gomod_doctor.checks.vendor`).

Pure, no I/O (the snapshot holds the text): the checks may import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gomod_doctor.goenv import gover
from gomod_doctor.gostrings import fields
from gomod_doctor.modfile.rules import ModuleVersion
from gomod_doctor.module import semver
from gomod_doctor.workspace.model import Snapshot


@dataclass(frozen=True)
class BuildMode:
    """``-mod``'s value for the next build, and why (go's ``BuildModReason``)."""

    mode: str  # "readonly", "mod" or "vendor"
    explicit: bool = False
    reason: str = ""


@dataclass
class VendorMeta:
    explicit: bool = False
    replacement: ModuleVersion | None = None
    go_version: str = ""


@dataclass
class VendorList:
    """What modules.txt says: the modules providing packages (in order), every
    module's metadata, the replaced ones, and each package's module."""

    modules: list[ModuleVersion] = field(default_factory=list)
    replaced: list[ModuleVersion] = field(default_factory=list)
    version: dict[str, str] = field(default_factory=dict)
    meta: dict[ModuleVersion, VendorMeta] = field(default_factory=dict)
    packages: dict[str, ModuleVersion] = field(default_factory=dict)
    #: a "# workspace" line: vendored by go work vendor
    workspace: bool = False


def parse_modules_txt(text: str) -> VendorList:
    """modload ``readVendorList``; lines it does not understand are skipped, as go does."""
    out = VendorList()
    mod: ModuleVersion | None = None
    first = text.split("\n", 1)[0]
    if first.startswith("## "):  # modulesTextIsForWorkspace: the first line's annotations
        out.workspace = any(e.strip() == "workspace" for e in first[3:].split(";"))
    for line in text.split("\n"):
        if line.startswith("# "):
            f = fields(line)
            if len(f) < 3:
                continue
            if semver.is_valid(f[2]):
                mod = ModuleVersion(f[1], f[2])
                f = f[3:]
            elif f[2] == "=>":
                mod = ModuleVersion(f[1])
                f = f[2:]
            else:
                mod = None
                continue
            if len(f) >= 2 and f[0] == "=>":
                meta = out.meta.setdefault(mod, VendorMeta())
                if len(f) == 2:
                    meta.replacement = ModuleVersion(f[1])
                    out.replaced.append(mod)
                elif len(f) == 3 and semver.is_valid(f[2]):
                    meta.replacement = ModuleVersion(f[1], f[2])
                    out.replaced.append(mod)
            continue
        if mod is None:
            continue
        if line.startswith("## "):
            meta = out.meta.setdefault(mod, VendorMeta())
            for entry in line[3:].split(";"):
                entry = entry.strip()
                if entry == "explicit":
                    meta.explicit = True
                if entry.startswith("go "):
                    meta.go_version = entry[3:]
            continue
        f = fields(line)
        if len(f) == 1 and f[0] and not f[0].startswith("#"):
            out.packages[f[0]] = mod
            v = out.version.get(mod.path)
            if v is None or semver.compare(v, mod.version) < 0:
                out.modules.append(mod)
                out.version[mod.path] = mod.version
    return out


def build_mode(snapshot: Snapshot, goflags_mod: str) -> BuildMode:
    """The ``-mod`` mode of a build in ``snapshot`` (``goflags_mod``: GOFLAGS's -mod)."""
    if goflags_mod:
        return BuildMode(goflags_mod, explicit=True)
    vendor = snapshot.vendor
    if vendor is None:
        return BuildMode("readonly")
    if snapshot.work is not None and snapshot.work_file is not None:
        source = "go.work"
        go = snapshot.work.go.version if snapshot.work.go is not None else ""
    else:
        source = "go.mod"
        mod = snapshot.modules[0].mod if snapshot.modules else None
        go = mod.go.version if mod is not None and mod.go is not None else ""
    if not go:
        return BuildMode(
            "readonly",
            reason=f"Go version in {source} is unspecified, so vendor directory was not used.",
        )
    if gover.compare(go, "1.14") < 0:
        return BuildMode(
            "readonly", reason=f"Go version in {source} is {go}, so vendor directory was not used."
        )
    for_workspace = vendor.text is not None and parse_modules_txt(vendor.text).workspace
    if for_workspace != (source == "go.work"):
        if for_workspace:
            return BuildMode(
                "readonly",
                reason="Outside workspace mode, but vendor directory is for a workspace.",
            )
        return BuildMode(
            "readonly", reason="In workspace mode, but vendor directory is not for a workspace"
        )
    return BuildMode(
        "vendor",
        reason=f"Go version in {source} is at least 1.14 and vendor directory exists.",
    )
