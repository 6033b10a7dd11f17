"""Report formats for findings: compiler-style text and JSON (the CLI's ``check``
and the demo print them)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from gomod_doctor.findings import Finding, Severity

JSON_VERSION = 1

_COLOURS = {
    Severity.ERROR: "\033[1;31m",
    Severity.WARNING: "\033[1;33m",
    Severity.INFORMATION: "\033[1;36m",
    Severity.HINT: "\033[2m",
}
_RESET = "\033[0m"
_BOLD = "\033[1m"


def display_path(path: str, cwd: str | None = None) -> str:
    cwd = cwd or os.getcwd()
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def finding_to_json(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": os.path.abspath(f.path),
        "line": f.range.start.line,
        "column": f.range.start.col,
        "endLine": f.range.end.line,
        "endColumn": f.range.end.col,
        "severity": f.severity.label,
        "code": f.code,
        "message": f.message,
    }
    if f.module is not None:
        out["module"] = f.module
    if f.version is not None:
        out["version"] = f.version
    out["fixes"] = list(f.fixes)
    if f.data:
        out["data"] = f.data
    if f.related:
        out["related"] = [
            {
                "path": os.path.abspath(r.path),
                "line": r.range.start.line,
                "column": r.range.start.col,
                "message": r.message,
            }
            for r in f.related
        ]
    return out


def summary(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {s.label: 0 for s in sorted(Severity, reverse=True)}
    for f in findings:
        counts[f.severity.label] += 1
    return counts


def render_json(findings: list[Finding]) -> str:
    doc = {
        "version": JSON_VERSION,
        "findings": [finding_to_json(f) for f in findings],
        "summary": summary(findings),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_text(
    findings: list[Finding], *, colour: bool = False, cwd: str | None = None, hints: bool = False
) -> str:
    """One compiler-style line per finding, then the counts. Hints are left out unless
    ``hints`` (they are details, e.g. each module the next build downloads); the
    counts say how many were left out."""
    lines: list[str] = []
    shown = [f for f in findings if hints or f.severity != Severity.HINT]
    for f in shown:
        loc = f"{display_path(f.path, cwd)}:{f.range.start.line}:{f.range.start.col}"
        sev = f"{f.severity.label}[{f.code}]"
        message = f.message.replace("\n", "\n\t")
        if colour:
            loc = f"{_BOLD}{loc}{_RESET}"
            sev = f"{_COLOURS[f.severity]}{sev}{_RESET}"
        lines.append(f"{loc}: {sev}: {message}")
    counts = summary(shown)
    # "information" is uncountable: "2 information", as "2 errors"
    parts = [
        f"{n} {label}{'s' if n != 1 and label != 'information' else ''}"
        for label, n in counts.items()
        if n
    ]
    hidden = len(findings) - len(shown)
    if hidden:
        parts.append(f"{hidden} hint{'s' if hidden != 1 else ''} not shown (--hints shows them)")
    lines.append(", ".join(parts) if parts else "no problems found")
    if not shown and hidden:
        lines[-1] = "no problems found; " + lines[-1]
    return "\n".join(lines) + "\n"
