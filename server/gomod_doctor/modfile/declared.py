"""The module path a go.mod declares, read fast: its ``module`` line alone, no full
parse (the local-checkout search reads thousands of go.mod files)."""

from __future__ import annotations

import re

from gomod_doctor.modfile.rules import go_unquote

__all__ = ["declared_module"]

_MODULE_LINE = re.compile(r'^[ \t]*module[ \t]+("(?:[^"\\\n]|\\.)*"|`[^`\n]*`|[^\s"`]+)', re.M)


def declared_module(gomod_text: str) -> str | None:
    """The module path a go.mod's ``module`` line declares (None if there is none)."""
    m = _MODULE_LINE.search(gomod_text)
    if m is None:
        return None
    tok = m.group(1)
    if tok[0] in '"`':
        return go_unquote(tok)
    cut = tok.find("//")
    if cut >= 0:
        tok = tok[:cut]
    return tok or None
