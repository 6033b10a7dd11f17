"""Parse problems of go.mod, go.work and go.sum, in the go command's words."""

from __future__ import annotations

from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, RelatedInfo, Severity
from gomod_doctor.gosum.parser import SumFile
from gomod_doctor.modfile.rules import ModfileError
from gomod_doctor.workspace.model import FileText, Snapshot


def _modfile_findings(path: str, errors: list[ModfileError]) -> list[Finding]:
    return [
        Finding(
            path=path,
            range=e.range,
            code="parse-error",
            severity=Severity.ERROR,
            message=e.message,
            module=e.mod_path or None,
        )
        for e in errors
    ]


def _sum_findings(file: FileText, parsed: SumFile) -> list[Finding]:
    path = str(file.path)
    out: list[Finding] = []
    for p in parsed.problems:
        if p.kind == "malformed":
            out.append(Finding(path, p.range, "sum-malformed", Severity.ERROR, p.message))
        elif p.kind == "conflict":
            out.append(
                Finding(
                    path,
                    p.range,
                    "sum-conflict",
                    Severity.ERROR,
                    p.message,
                    fixes=("resolve-conflict",),
                )
            )
        elif not p.hashes_differ:
            first = p.entries[0]
            related = tuple(
                RelatedInfo(path, e.range, "first line for this module version")
                for e in p.entries[:1]
            )
            out.append(
                Finding(
                    path,
                    p.range,
                    "sum-duplicate",
                    Severity.HINT,
                    p.message,
                    module=first.module,
                    version=first.version + ("/go.mod" if first.gomod else ""),
                    related=related,
                )
            )
    return out


def check(facts: Facts) -> list[Finding]:
    """Parse problems; go.sum lines with differing hashes are left to the sums check,
    which can say which line the module cache supports."""
    snapshot: Snapshot = facts.snapshot
    out: list[Finding] = []
    if snapshot.work_file is not None and snapshot.work is not None:
        out += _modfile_findings(str(snapshot.work_file.path), snapshot.work.errors)
    if snapshot.work_sum_file is not None and snapshot.work_sum is not None:
        out += _sum_findings(snapshot.work_sum_file, snapshot.work_sum)
    for m in snapshot.modules:
        if m.mod is not None:
            out += _modfile_findings(str(m.gomod.path), m.mod.errors)
        if m.sum is not None:
            out += _sum_findings(m.gosum, m.sum)
    return out
