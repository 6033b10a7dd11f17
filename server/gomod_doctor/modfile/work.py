"""go.work meaning (golang.org/x/mod/modfile, work.go).

:func:`parse_work` is ``modfile.ParseWork(file, data, nil)`` (what
``go work edit -json`` runs) with every error collected and a partial model kept;
:func:`work_to_json` is what ``go work edit -json`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gomod_doctor.modfile.rules import (
    ErrorsMixin,
    Godebug,
    GoStmt,
    Replace,
    RuleError,
    ToolchainStmt,
    add_go_like,
    block_error,
    finish_errors,
    json_text,
    line_error,
    parse_replace,
    parse_string,
    replace_json,
)
from gomod_doctor.modfile.syntax import FileSyntax, Line, LineBlock, ModfileError, parse_syntax

__all__ = ["Use", "WorkFile", "parse_work", "work_to_json"]


@dataclass(eq=False)
class Use:
    """A ``use`` directory. ``module_path`` is always "" when parsed (go sets it only
    when editing), kept for parity with x/mod's ``Use``."""

    path: str
    module_path: str
    syntax: Line


@dataclass(eq=False)
class WorkFile(ErrorsMixin):
    syntax: FileSyntax
    go: GoStmt | None = None
    toolchain: ToolchainStmt | None = None
    godebug: list[Godebug] = field(default_factory=list)
    use: list[Use] = field(default_factory=list)
    replace: list[Replace] = field(default_factory=list)
    errors: list[ModfileError] = field(default_factory=list)


def _add(f: WorkFile, line: Line, verb: str, args: list[str]) -> None:
    if verb in ("go", "toolchain", "godebug"):
        add_go_like(f, verb, args, line)
    elif verb == "use":
        if len(args) != 1:
            raise RuleError(f"usage: {verb} local/dir")
        try:
            s = parse_string(args[0])
        except RuleError as e:
            raise RuleError(f"invalid quoted string: {e.text}") from None
        f.use.append(Use(s, "", line))
    elif verb == "replace":
        old, ov, new, nv = parse_replace(verb, args)
        f.replace.append(Replace(old, ov, new, nv, line))
    else:
        raise RuleError(f"unknown directive: {verb}")


def parse_work(text: str, filename: str = "go.work") -> WorkFile:
    """Parse go.work text. Never raises; errors are in ``WorkFile.errors``."""
    fs = parse_syntax(text, filename)
    f = WorkFile(fs)
    errs: list[ModfileError] = []
    for x in fs.stmts:
        if isinstance(x, Line):
            try:
                _add(f, x, x.tokens[0].text, x.token[1:])
            except RuleError as e:
                errs.append(line_error(fs, x, e))
        elif isinstance(x, LineBlock):
            if len(x.tokens) > 1 or x.verb not in ("godebug", "use", "replace"):
                errs.append(block_error(fs, x, f"unknown block type: {' '.join(x.token)}"))
                continue
            for line in x.lines:
                try:
                    _add(f, line, x.verb, line.token)
                except RuleError as e:
                    errs.append(line_error(fs, line, e))
    f.errors = finish_errors(fs, errs)
    return f


def work_to_json(f: WorkFile) -> dict[str, Any]:
    """Exactly the structure ``go work edit -json`` prints for ``f``."""
    out: dict[str, Any] = {}
    if f.go is not None and f.go.version:
        out["Go"] = json_text(f.go.version)
    if f.toolchain is not None and f.toolchain.name:
        out["Toolchain"] = json_text(f.toolchain.name)
    if f.godebug:
        out["Godebug"] = [{"Key": json_text(g.key), "Value": json_text(g.value)} for g in f.godebug]
    use: list[dict[str, str]] = []
    for u in f.use:
        if not u.path:
            continue
        d = {"DiskPath": json_text(u.path)}
        if u.module_path:
            d["ModPath"] = json_text(u.module_path)
        use.append(d)
    if use:
        out["Use"] = use
    replace = replace_json(f.replace)
    if replace:
        out["Replace"] = replace
    return out
