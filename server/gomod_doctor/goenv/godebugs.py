"""The GODEBUG settings a Go toolchain knows (``internal/godebugs``), read from its GOROOT.

The go command checks every ``godebug`` line of go.mod and go.work against the table
compiled into it (cmd/go/internal/modload ``CheckGodebug``). The table changes with
each release, so it is read from the sources of the toolchain that will build,
``$GOROOT/src/internal/godebugs/table.go``, which every Go distribution ships. When
that file cannot be read the table is unknown, and no ``godebug`` line is judged.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

from gomod_doctor.goenv import gover

_NAME = re.compile(r'\{\s*Name:\s*"([^"]+)"')
_REMOVED_BLOCK = re.compile(r"var Removed = \[\]RemovedInfo\{(.*?)\n\}", re.S)
_REMOVED_ENTRY = re.compile(r'\{\s*Name:\s*"([^"]+)",\s*Removed:\s*(\d+),\s*Old:\s*(.*)\},')
_ALL_BLOCK = re.compile(r"var All = \[\]Info\{(.*?)\n\}", re.S)
_FUNC_HELPER = re.compile(r'func (\w+)\(s string\) bool\s*\{\s*return s == "([^"]*)"\s*\}')
_QUOTED = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class Removed:
    name: str
    removed: int  # the minor version of Go that removed it
    old: frozenset[str]  # the values that ask for the removed behaviour


@dataclass(frozen=True)
class GodebugTable:
    known: frozenset[str]
    removed: dict[str, Removed]
    #: the toolchain's own version (``gover.Local()``), e.g. ``1.27.3``
    local: str

    def check(self, verb: str, key: str, value: str) -> str | None:
        """``CheckGodebug``: go's error text for ``key=value``, or None when go accepts it."""
        if " " in key or "\t" in key:
            return "key contains space"
        if " " in value or "\t" in value:
            return "value contains space"
        if "," in key:
            return "key contains comma"
        if "," in value:
            return "value contains comma"
        if key == "default":
            v = value[2:] if value.startswith("go") else ""
            if not v or gover.parse(v) is None:
                return "value for default= must be goVERSION"
            if self.local and gover.compare(v, self.local) > 0:
                return f"default={value} too new (toolchain is go{self.local})"
            return None
        if key in self.known:
            return None
        info = self.removed.get(key)
        if info is not None:
            if value in info.old:
                return (
                    f'removed GODEBUG "{key}" set to old value "{value}" '
                    f"(https://go.dev/doc/godebug#go-1{info.removed})"
                )
            return None  # a removed setting with a non-old value is fine (go.dev/issue/76163)
        return f'unknown {verb} "{key}"'


def parse_table(source: str, local: str) -> GodebugTable | None:
    """The table from the text of ``table.go``, or None when its shape is not known."""
    all_block = _ALL_BLOCK.search(source)
    if all_block is None:
        return None
    known = frozenset(_NAME.findall(all_block.group(1)))
    if not known:
        return None
    helpers = {name: value for name, value in _FUNC_HELPER.findall(source)}
    removed: dict[str, Removed] = {}
    block = _REMOVED_BLOCK.search(source)
    for line in block.group(1).splitlines() if block is not None else ():
        m = _REMOVED_ENTRY.search(line)
        if m is None:
            continue
        name, minor, old_expr = m.group(1), int(m.group(2)), m.group(3).strip()
        if old_expr in helpers:
            old = frozenset({helpers[old_expr]})
        elif old_expr.startswith("func"):
            old = frozenset(_QUOTED.findall(old_expr.split("}", 1)[0]))
        else:
            return None  # a predicate this reader does not understand: judge nothing
        removed[name] = Removed(name, minor, old)
    return GodebugTable(known, removed, local)


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, local: str) -> GodebugTable | None:
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
    except (OSError, UnicodeDecodeError):
        return None
    return parse_table(source, local)


def load(goroot: str, goversion: str) -> GodebugTable | None:
    """The table of the toolchain at ``goroot`` (``go env GOROOT``), whose ``go env
    GOVERSION`` is ``goversion``; None when it cannot be read."""
    if not goroot:
        return None
    path = os.path.join(goroot, "src", "internal", "godebugs", "table.go")
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return None
    local = gover.from_toolchain(goversion.split()[0]) if goversion.strip() else None
    return _load(path, mtime, local or "")
