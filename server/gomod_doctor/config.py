"""User configuration shared by the CLI and the language server.

Severity overrides come from ``gomod-doctor.toml`` at the workspace root (a
``[severity]`` table) and from the command line (``--severity CODE=LEVEL``); the
command line wins. ``off`` turns a code off.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from gomod_doctor.findings import CATALOG, Finding, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_FILE = "gomod-doctor.toml"


class ConfigError(Exception):
    """A setting that cannot be understood; the message says which and why."""


@dataclass(frozen=True)
class Config:
    # code -> severity, or None for "off"
    severity: Mapping[str, Severity | None] = field(default_factory=dict)
    offline: bool = False

    def with_severity(self, overrides: Mapping[str, Severity | None]) -> Config:
        merged = dict(self.severity)
        merged.update(overrides)
        return replace(self, severity=merged)

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """Findings with severity overrides applied; those turned off are dropped."""
        out: list[Finding] = []
        for f in findings:
            if f.code in self.severity:
                sev = self.severity[f.code]
                if sev is None:
                    continue
                f = replace(f, severity=sev)
            out.append(f)
        return out


def parse_severity_setting(code: str, level: str, *, where: str) -> tuple[str, Severity | None]:
    if code not in CATALOG:
        known = ", ".join(sorted(CATALOG))
        raise ConfigError(f"{where}: unknown diagnostic code {code!r} (known: {known})")
    if level.strip().lower() in ("off", "none"):
        return code, None
    try:
        return code, Severity.parse(level)
    except ValueError as e:
        raise ConfigError(f"{where}: {e}") from None


def parse_severity_args(args: Iterable[str]) -> dict[str, Severity | None]:
    out: dict[str, Severity | None] = {}
    for arg in args:
        code, sep, level = arg.partition("=")
        if not sep:
            raise ConfigError(f"--severity {arg}: want CODE=LEVEL")
        k, v = parse_severity_setting(code.strip(), level, where=f"--severity {arg}")
        out[k] = v
    return out


def load_file(root: Path) -> Config:
    """The ``gomod-doctor.toml`` at ``root``, or the defaults when there is none."""
    path = root / CONFIG_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except OSError as e:
        raise ConfigError(f"{path}: {e.strerror or e}") from None
    try:
        doc = tomllib.loads(data.decode("utf-8", errors="replace"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}") from None
    table = doc.get("severity", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [severity] must be a table of code = level")
    sev: dict[str, Severity | None] = {}
    for code, level in table.items():
        if not isinstance(level, str):
            raise ConfigError(f"{path}: severity.{code} must be a string")
        k, v = parse_severity_setting(code, level, where=str(path))
        sev[k] = v
    return Config(severity=sev)
