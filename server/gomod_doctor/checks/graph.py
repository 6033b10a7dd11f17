"""What go reports while it loads the module graph, on the require line that brings
the module in, in go's words (the chain of requirements first, as go prints it):

- a dependency's go.mod that declares another module path (``module declares its path
  as: ... but was required as: ...``), for plain dependencies and module replacements;
- a go.mod without a module line, or that go cannot parse (``parsing go.mod: ...``);
- one module version used for two module paths (through replacements).

Only where go reads that go.mod in a build (:attr:`Need.needs_gomod`): with graph
pruning, a go.mod no loaded package comes from is never read.
"""

from __future__ import annotations

from gomod_doctor.checks.locate import need_sites
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.workspace.modgraph import ModuleGraph, ModuleVersion

_KINDS = {"path-mismatch", "missing-module-line", "parse"}


def _chain_prefix(g: ModuleGraph, m: ModuleVersion) -> str:
    """go's ``a@v1 requires\\n\\tb@v2 requires\\n\\t`` before the error of ``m``."""
    chain = g.chain(m)
    return "".join(f"{c} requires\n\t" for c in chain[:-1])


def check(facts: Facts) -> list[Finding]:
    needs = facts.needs
    g = needs.graph
    if g is None:
        return []
    out: list[Finding] = []
    for e in g.errors:
        if e.kind not in _KINDS:
            continue
        need = needs.needs.get((e.module.path, e.module.version))
        if need is None or not need.needs_gomod:
            continue
        message = _chain_prefix(g, e.module) + e.message
        for site in need_sites(need):
            out.append(
                Finding(
                    site.path,
                    site.range,
                    "module-path-mismatch" if e.kind == "path-mismatch" else "module-gomod-invalid",
                    Severity.ERROR,
                    message,
                    module=e.module.path,
                    version=e.module.version,
                    data={
                        "module": e.module.path,
                        "version": e.module.version,
                        "actual": str(e.actual),
                        "chain": [str(c) for c in g.chain(e.module)],
                    },
                )
            )
    out += _used_twice(facts)
    return out


def _used_twice(facts: Facts) -> list[Finding]:
    """modload ``checkMultiplePaths``: each replacement target serves one module path."""
    needs = facts.needs
    first: dict[tuple[str, str], str] = {}
    out: list[Finding] = []
    for need in sorted(needs.selected(), key=lambda n: n.path):
        if need.path in needs.main_modules:
            continue
        src = need.fetch
        shown = f"{src[0]}@{src[1]}" if src is not None else ""
        if src is None:
            rep = need.replace
            if rep is None or rep.target_dir is None:
                continue
            src = (str(rep.target_dir), "")
            shown = f"{rep.stmt.new_path}@"  # go prints the directory as written, "@" and all
        prev = first.setdefault(src, need.path)
        if prev == need.path:
            continue
        where = shown
        message = f"{where} used for two different module paths ({prev} and {need.path})"
        for site in need_sites(need):
            out.append(
                Finding(
                    site.path,
                    site.range,
                    "module-used-twice",
                    Severity.ERROR,
                    message,
                    module=need.path,
                    version=need.version,
                    data={"target": where, "paths": [prev, need.path]},
                )
            )
    return out
