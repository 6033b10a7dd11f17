"""go.mod's model: the directives :func:`~.rules.parse_mod` reads, each with its
syntax line (x/mod's ``modfile.File`` and its statement types)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gomod_doctor.modfile.syntax import (
    FileSyntax,
    Line,
    ModfileError,
)
from gomod_doctor.module.paths import ModuleVersion


@dataclass(eq=False)
class ModuleStmt:
    path: str
    deprecated: str
    syntax: Line


@dataclass(eq=False)
class GoStmt:
    version: str
    syntax: Line


@dataclass(eq=False)
class ToolchainStmt:
    name: str
    syntax: Line


@dataclass(eq=False)
class Godebug:
    key: str
    value: str
    syntax: Line


class _ModRef:
    """A statement naming one module version (``mod``)."""

    mod: ModuleVersion

    @property
    def path(self) -> str:
        return self.mod.path

    @property
    def version(self) -> str:
        return self.mod.version


@dataclass(eq=False)
class Require(_ModRef):
    mod: ModuleVersion
    indirect: bool
    syntax: Line


@dataclass(eq=False)
class Exclude(_ModRef):
    mod: ModuleVersion
    syntax: Line


@dataclass(eq=False)
class Replace:
    old_path: str
    old_version: str
    new_path: str
    new_version: str
    syntax: Line

    @property
    def old(self) -> ModuleVersion:
        return ModuleVersion(self.old_path, self.old_version)

    @property
    def new(self) -> ModuleVersion:
        return ModuleVersion(self.new_path, self.new_version)

    @property
    def is_dir(self) -> bool:
        """The replacement is a directory (no version), not a module."""
        return self.new_version == ""


@dataclass(eq=False)
class Retract:
    low: str
    high: str
    rationale: str
    syntax: Line


@dataclass(eq=False)
class Tool:
    path: str
    syntax: Line


@dataclass(eq=False)
class Ignore:
    path: str
    syntax: Line


class ErrorsMixin:
    """What go.mod and go.work models say about their errors."""

    errors: list[ModfileError]

    @property
    def go_errors(self) -> list[ModfileError]:
        """The errors go itself prints, in go's order."""
        return [e for e in self.errors if e.go_reports]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(eq=False)
class ModFile(ErrorsMixin):
    syntax: FileSyntax
    module: ModuleStmt | None = None
    go: GoStmt | None = None
    toolchain: ToolchainStmt | None = None
    godebug: list[Godebug] = field(default_factory=list)
    require: list[Require] = field(default_factory=list)
    exclude: list[Exclude] = field(default_factory=list)
    replace: list[Replace] = field(default_factory=list)
    retract: list[Retract] = field(default_factory=list)
    tool: list[Tool] = field(default_factory=list)
    ignore: list[Ignore] = field(default_factory=list)
    errors: list[ModfileError] = field(default_factory=list)
