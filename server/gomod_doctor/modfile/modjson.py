"""What ``go mod edit -json`` prints for a go.mod (and the parts go.work's
``go work edit -json`` shares): cmd/go's JSON shapes of the model."""

from __future__ import annotations

from typing import Any

from gomod_doctor.modfile.model import (
    ModFile,
    Replace,
)
from gomod_doctor.module.paths import ModuleVersion


def json_text(s: str) -> str:
    """A Go string as encoding/json writes it: invalid UTF-8 bytes become U+FFFD."""
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in s)


def version_json(path: str, version: str) -> dict[str, str]:
    d = {"Path": json_text(path)}
    if version:
        d["Version"] = json_text(version)
    return d


def dedup_replaces(replaces: list[Replace]) -> list[Replace]:
    """Later replacements of the same old module@version win (go's removeDups)."""
    seen: set[tuple[str, str]] = set()
    keep: list[Replace] = []
    for r in reversed(replaces):
        if (r.old_path, r.old_version) in seen:
            continue
        seen.add((r.old_path, r.old_version))
        keep.append(r)
    keep.reverse()
    return keep


def replace_json(replaces: list[Replace]) -> list[dict[str, Any]]:
    return [
        {
            "Old": version_json(r.old_path, r.old_version),
            "New": version_json(r.new_path, r.new_version),
        }
        for r in dedup_replaces(replaces)
        if r.old_path != ""
    ]


def mod_to_json(f: ModFile) -> dict[str, Any]:
    """Exactly the structure ``go mod edit -json`` prints for ``f``."""
    out: dict[str, Any] = {}
    module: dict[str, str] = {"Path": json_text(f.module.path) if f.module else ""}
    if f.module is not None and f.module.deprecated:
        module["Deprecated"] = json_text(f.module.deprecated)
    out["Module"] = module
    if f.go is not None and f.go.version:
        out["Go"] = json_text(f.go.version)
    if f.toolchain is not None and f.toolchain.name:
        out["Toolchain"] = json_text(f.toolchain.name)
    godebug = [{"Key": json_text(g.key), "Value": json_text(g.value)} for g in f.godebug if g.key]
    if godebug:
        out["GoDebug"] = godebug
    require: list[dict[str, Any]] = []
    for r in f.require:
        if not r.path:
            continue
        d: dict[str, Any] = version_json(r.path, r.version)
        if r.indirect:
            d["Indirect"] = True
        require.append(d)
    if require:
        out["Require"] = require
    exclude: list[dict[str, str]] = []
    seen_ex: set[ModuleVersion] = set()
    for x in f.exclude:
        if x.mod in seen_ex:
            continue
        seen_ex.add(x.mod)
        if x.path:
            exclude.append(version_json(x.path, x.version))
    if exclude:
        out["Exclude"] = exclude
    replace = replace_json(f.replace)
    if replace:
        out["Replace"] = replace
    retract: list[dict[str, str]] = []
    for rt in f.retract:
        if not rt.low and not rt.high:
            continue
        d2: dict[str, str] = {}
        if rt.low:
            d2["Low"] = json_text(rt.low)
        if rt.high:
            d2["High"] = json_text(rt.high)
        if rt.rationale:
            d2["Rationale"] = json_text(rt.rationale)
        retract.append(d2)
    if retract:
        out["Retract"] = retract
    for key, items in (("Tool", f.tool), ("Ignore", f.ignore)):
        seen: set[str] = set()
        lst: list[dict[str, str]] = []
        for t in items:
            if t.path in seen:
                continue
            seen.add(t.path)
            lst.append({"Path": json_text(t.path)})
        if lst:
            out[key] = lst
    return out
