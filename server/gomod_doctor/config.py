"""User configuration shared by the CLI and the language server.

Severity overrides come from ``gomod-doctor.toml`` at the workspace root (a
``[severity]`` table) and from the command line (``--severity CODE=LEVEL``); the
command line wins. ``off`` turns a code off.

A ``[watch]`` table sets the options of ``gomod-doctor watch`` (``ext``, ``ignore``,
``debounce``, ``kill-timeout``, ``check``); its command line wins too.
"""

from __future__ import annotations

import re
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


_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0}


def parse_duration(value: object, *, unit: str, where: str) -> float:
    """Seconds, from ``300ms``, ``5s``, ``1m`` or a bare number in ``unit``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{where}: want a duration such as 300ms or 5s, got {value!r}")
    m = _DURATION.match(str(value))
    if m is None:
        raise ConfigError(f"{where}: want a duration such as 300ms or 5s, got {value!r}")
    return float(m.group(1)) * _UNIT[m.group(2) or unit]


@dataclass(frozen=True)
class WatchConfig:
    """``gomod-doctor watch`` options; ``None`` (or empty) when not set."""

    ext: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    debounce: float | None = None  # seconds
    kill_timeout: float | None = None  # seconds
    check: bool | None = None


@dataclass(frozen=True)
class Config:
    # code -> severity, or None for "off"
    severity: Mapping[str, Severity | None] = field(default_factory=dict)
    offline: bool = False
    watch: WatchConfig = field(default_factory=WatchConfig)

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
    return Config(severity=sev, watch=_watch_table(doc.get("watch", {}), path))


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: want a list of strings")
    return tuple(value)


def _watch_table(table: object, path: Path) -> WatchConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [watch] must be a table")
    known = {"ext", "ignore", "debounce", "kill-timeout", "check"}
    for key in table:
        if key not in known:
            raise ConfigError(
                f"{path}: watch.{key}: unknown setting (known: {', '.join(sorted(known))})"
            )
    check = table.get("check")
    if check is not None and not isinstance(check, bool):
        raise ConfigError(f"{path}: watch.check must be true or false")
    debounce = table.get("debounce")
    kill = table.get("kill-timeout")
    return WatchConfig(
        ext=_strings(table.get("ext", []), f"{path}: watch.ext"),
        ignore=_strings(table.get("ignore", []), f"{path}: watch.ignore"),
        debounce=None
        if debounce is None
        else parse_duration(debounce, unit="ms", where=f"{path}: watch.debounce"),
        kill_timeout=None
        if kill is None
        else parse_duration(kill, unit="s", where=f"{path}: watch.kill-timeout"),
        check=check,
    )
