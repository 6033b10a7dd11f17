"""A parsed go.mod is freed as soon as it is dropped, without the cycle collector.

The language server parses the workspace's go.mod again on every edit; a tree made
of reference cycles would pile up until a full garbage collection, which then takes
a hundred milliseconds on a large workspace, landing on some edit's diagnostics.
"""

from __future__ import annotations

import gc
import weakref

from gomod_doctor.modfile.rules import parse_mod
from gomod_doctor.modfile.syntax import LineBlock
from gomod_doctor.modfile.work import parse_work

GOMOD = """module example.com/m

go 1.22

require (
\texample.com/a v1.0.0 // indirect
\texample.com/b v1.2.3
)

replace (
\texample.com/a => ../a
)

exclude example.com/c v1.0.0
"""

GOWORK = "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n"


def test_block_lines_know_their_block() -> None:
    f = parse_mod(GOMOD)
    [req] = [s for s in f.syntax.stmts if isinstance(s, LineBlock) and s.verb == "require"]
    assert all(line.block is req for line in req.lines)
    assert [r.syntax.verb for r in f.require] == ["require", "require"]
    assert f.exclude[0].syntax.block is None


def test_parsed_trees_hold_no_reference_cycle() -> None:
    gc.collect()
    gc.disable()
    try:
        for parse, text in ((parse_mod, GOMOD), (parse_work, GOWORK)):
            tree = parse(text)
            blocks = [weakref.ref(s) for s in tree.syntax.stmts if isinstance(s, LineBlock)]
            lines = [weakref.ref(x) for b in blocks for x in b().lines]  # type: ignore[union-attr]
            assert blocks and lines
            del tree
            # freed by reference counts alone: the collector is off
            assert all(r() is None for r in blocks + lines)
    finally:
        gc.enable()
