"""The finding model shared by the engine, the CLI and the language server.

Every finding has a stable ``code``, a ``severity``, an exact ``range`` in one file,
a ``message`` in the go command's own words where go has words, and the ``data``
its fixes need. Codes and their default severities are listed in :data:`CATALOG`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from gomod_doctor.position import Range


class Severity(enum.IntEnum):
    """Ordered so that ``max()`` gives the worst. Values match LSP's reverse order."""

    HINT = 1
    INFORMATION = 2
    WARNING = 3
    ERROR = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @staticmethod
    def parse(text: str) -> Severity:
        try:
            return Severity[text.strip().upper()]
        except KeyError:
            aliases = {"info": Severity.INFORMATION, "warn": Severity.WARNING}
            if text.strip().lower() in aliases:
                return aliases[text.strip().lower()]
            raise ValueError(
                f"unknown severity {text!r} (want error, warning, information, hint or off)"
            ) from None


@dataclass(frozen=True)
class CodeInfo:
    code: str
    severity: Severity
    meaning: str
    fixes: str = ""


CATALOG: dict[str, CodeInfo] = {
    info.code: info
    for info in (
        CodeInfo(
            "parse-error",
            Severity.ERROR,
            "go.mod or go.work does not parse as the go command parses it; the message is go's own.",
            "Edit the line.",
        ),
        CodeInfo(
            "sum-malformed",
            Severity.ERROR,
            "A go.sum line that the go command rejects (`malformed go.sum`).",
            "Delete the line, then `go mod tidy` or `go mod download`.",
        ),
        CodeInfo(
            "sum-conflict",
            Severity.ERROR,
            "Git merge-conflict markers in go.sum.",
            "Resolve the conflict: keep both sides, drop the markers.",
        ),
        CodeInfo(
            "sum-duplicate",
            Severity.WARNING,
            "The same go.sum line twice (identical), or two different hashes for one "
            "module version; go uses the first.",
            "Remove the wrong or repeated line.",
        ),
    )
}


@dataclass(frozen=True)
class RelatedInfo:
    path: str
    range: Range
    message: str


@dataclass(frozen=True)
class Finding:
    path: str
    range: Range
    code: str
    severity: Severity
    message: str
    module: str | None = None
    version: str | None = None
    fixes: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    related: tuple[RelatedInfo, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.range.start.line, self.range.start.col, self.code)
