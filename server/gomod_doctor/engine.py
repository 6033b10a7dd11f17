"""The engine: runs every check over a snapshot. The CLI and the server are adapters."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gomod_doctor.checks import syntax
from gomod_doctor.config import Config
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.position import Position, Range
from gomod_doctor.workspace.snapshot import Snapshot

log = logging.getLogger(__name__)

Check = Callable[[Snapshot], list[Finding]]

CHECKS: Sequence[tuple[str, Check]] = (("syntax", syntax.check),)


@dataclass
class Result:
    findings: list[Finding]
    internal_errors: list[str] = field(default_factory=list)


def unreadable_findings(snapshot: Snapshot) -> list[Finding]:
    """Files the workspace names but that could not be read (not merely missing)."""
    out: list[Finding] = []
    for f in snapshot.files():
        if f.error is not None:
            at = Range(Position(1, 1, 0), Position(1, 1, 0))
            out.append(Finding(str(f.path), at, "parse-error", Severity.ERROR, f.error))
    return out


def run(snapshot: Snapshot, config: Config | None = None) -> Result:
    """All findings for ``snapshot``. A failing check is reported, never fatal."""
    config = config or Config()
    findings: list[Finding] = unreadable_findings(snapshot)
    errors: list[str] = []
    for name, check in CHECKS:
        try:
            findings.extend(check(snapshot))
        except Exception as e:  # one broken check must not stop the others
            log.error("check %s failed: %s", name, traceback.format_exc())
            errors.append(f"internal error in check {name}: {type(e).__name__}: {e}")
    findings = config.apply(findings)
    findings.sort(key=Finding.sort_key)
    return Result(findings, errors)
