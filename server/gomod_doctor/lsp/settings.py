"""The language server's settings (section ``gomodDoctor``).

They come from ``initializationOptions`` and from ``workspace/configuration``, in
the JSON shape the issue's table gives (camelCase keys, nested objects)::

    {
      "verify": "full" | "quick" | "off",   (default "full")
      "diagnostics": {"severity": {"cache-missing": "error" | ... | "off"}},
      "goBinary": "/usr/local/go/bin/go",
      "env": {"GOFLAGS": "-mod=mod"},
      "watch": {"debounceMs": 200},
      "localReplaceSearchPaths": ["~/src"],
      "network": "auto" | "off",
      "trusted": true
    }

Dotted keys (``"diagnostics.severity.cache-missing": "off"``, ``"watch.debounceMs"``)
are accepted too, and so is the whole object wrapped in ``{"gomodDoctor": {...}}``.
:meth:`Settings.from_json` never raises: what it cannot understand is skipped and
described in its list of problems, and the rest still applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from gomod_doctor.config import ConfigError, parse_severity_setting
from gomod_doctor.findings import Severity

SECTION = "gomodDoctor"

VerifySetting = Literal["off", "quick", "full"]
NetworkSetting = Literal["auto", "off"]

DEFAULT_DEBOUNCE_MS = 200
MAX_DEBOUNCE_MS = 10_000

_VERIFY = ("off", "quick", "full")
_NETWORK = ("auto", "off")
_KNOWN = frozenset(
    {
        "verify",
        "diagnostics",
        "goBinary",
        "env",
        "watch",
        "localReplaceSearchPaths",
        "network",
        "trusted",
    }
)


@dataclass(frozen=True)
class Settings:
    #: full (the default) = quick results first, then full verification in the
    #: background (memoized, at lower CPU priority); quick = stats and small files
    #: only, which cannot see an edited file; off = nothing of the module cache
    verify: VerifySetting = "full"
    #: diagnostics.severity.<code>; None turns the code off
    severity: Mapping[str, Severity | None] = field(default_factory=dict)
    #: goBinary: the go command to run (default: ``go`` on PATH)
    go_binary: str | None = None
    #: extra environment variables, like gopls's ``env``
    env: Mapping[str, str] = field(default_factory=dict)
    #: watch.debounceMs
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    #: localReplaceSearchPaths: extra places to look for local checkouts
    local_replace_search_paths: tuple[str, ...] = ()
    network: NetworkSetting = "auto"
    #: false: run no go command and touch no network (read-only diagnostics)
    trusted: bool = True

    @staticmethod
    def from_json(obj: object) -> tuple[Settings, list[str]]:
        """Settings from a JSON value, and what was wrong with it. Never raises."""
        return _parse(obj, Settings())

    def merged_json(self, obj: object) -> tuple[Settings, list[str]]:
        """These settings with the keys present in ``obj`` replaced."""
        return _parse(obj, self)


def _expand_dotted(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1, "a": {"c": 2}}`` -> ``{"a": {"b": 1, "c": 2}}`` (nested wins last)."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            continue
        parts = key.split(".") if "." in key else [key]
        if parts[0] == "diagnostics" and len(parts) > 3:
            # codes have no dots, but keep any rest together rather than nesting it
            parts = [*parts[:2], ".".join(parts[2:])]
        target = out
        for p in parts[:-1]:
            nxt = target.get(p)
            if not isinstance(nxt, dict):
                nxt = {}
                target[p] = nxt
            target = nxt
        last = parts[-1]
        if isinstance(value, Mapping) and isinstance(target.get(last), dict):
            target[last].update(_expand_dotted(value))
        elif isinstance(value, Mapping):
            target[last] = _expand_dotted(value)
        else:
            target[last] = value
    return out


def _parse(obj: object, base: Settings) -> tuple[Settings, list[str]]:
    problems: list[str] = []
    if obj is None:
        return base, problems
    if not isinstance(obj, Mapping):
        return base, [f"settings: want an object, got {_kind(obj)}"]
    data = _expand_dotted(obj)
    wrapped = data.get(SECTION)
    if isinstance(wrapped, Mapping) and not (_KNOWN & data.keys()):
        data = _expand_dotted(wrapped)

    kw: dict[str, Any] = {}
    for key in sorted(data.keys() - _KNOWN - {SECTION}):
        problems.append(f"settings: unknown setting {key!r}")

    if "verify" in data:
        v = data["verify"]
        if v in _VERIFY:
            kw["verify"] = v
        else:
            problems.append(f"settings: verify: want one of quick, full, off; got {v!r}")

    if "diagnostics" in data:
        diag = data["diagnostics"]
        if not isinstance(diag, Mapping):
            problems.append(f"settings: diagnostics: want an object, got {_kind(diag)}")
        else:
            for key in sorted(k for k in diag if k != "severity"):
                problems.append(f"settings: unknown setting 'diagnostics.{key}'")
            sev = diag.get("severity")
            if sev is not None:
                kw["severity"] = _severity(sev, problems)

    if "goBinary" in data:
        g = data["goBinary"]
        if g is None or g == "":
            kw["go_binary"] = None
        elif isinstance(g, str):
            kw["go_binary"] = g
        else:
            problems.append(f"settings: goBinary: want a string, got {_kind(g)}")

    if "env" in data:
        kw["env"] = _env(data["env"], problems)

    if "watch" in data:
        w = data["watch"]
        if not isinstance(w, Mapping):
            problems.append(f"settings: watch: want an object, got {_kind(w)}")
        else:
            for key in sorted(k for k in w if k != "debounceMs"):
                problems.append(f"settings: unknown setting 'watch.{key}'")
            if "debounceMs" in w:
                d = w["debounceMs"]
                if isinstance(d, bool) or not isinstance(d, (int, float)) or d != d:
                    problems.append(
                        f"settings: watch.debounceMs: want a number of milliseconds, got {_kind(d)}"
                    )
                else:
                    kw["debounce_ms"] = int(min(max(d, 0), MAX_DEBOUNCE_MS))

    if "localReplaceSearchPaths" in data:
        paths = data["localReplaceSearchPaths"]
        if paths is None:
            kw["local_replace_search_paths"] = ()
        elif isinstance(paths, str):
            kw["local_replace_search_paths"] = (paths,)
        elif isinstance(paths, list):
            good = [p for p in paths if isinstance(p, str) and p]
            if len(good) != len(paths):
                problems.append("settings: localReplaceSearchPaths: non-string entries ignored")
            kw["local_replace_search_paths"] = tuple(good)
        else:
            problems.append(
                f"settings: localReplaceSearchPaths: want a list of paths, got {_kind(paths)}"
            )

    if "network" in data:
        n = data["network"]
        if n in _NETWORK:
            kw["network"] = n
        else:
            problems.append(f"settings: network: want auto or off, got {n!r}")

    if "trusted" in data:
        t = data["trusted"]
        if isinstance(t, bool):
            kw["trusted"] = t
        else:
            # Fail closed: anything but a real boolean true means untrusted.
            kw["trusted"] = False
            problems.append(f"settings: trusted: want true or false, got {_kind(t)}")

    fields = {**_as_kwargs(base), **kw}
    return Settings(**fields), problems


def _as_kwargs(s: Settings) -> dict[str, Any]:
    return {
        "verify": s.verify,
        "severity": s.severity,
        "go_binary": s.go_binary,
        "env": s.env,
        "debounce_ms": s.debounce_ms,
        "local_replace_search_paths": s.local_replace_search_paths,
        "network": s.network,
        "trusted": s.trusted,
    }


def _severity(obj: object, problems: list[str]) -> dict[str, Severity | None]:
    out: dict[str, Severity | None] = {}
    if not isinstance(obj, Mapping):
        problems.append(f"settings: diagnostics.severity: want an object, got {_kind(obj)}")
        return out
    for code, level in cast(Mapping[object, object], obj).items():
        where = f"settings: diagnostics.severity.{code}"
        if level is None or level is False:
            level = "off"
        if not isinstance(code, str) or not isinstance(level, str):
            problems.append(f"{where}: want a level string, got {_kind(level)}")
            continue
        try:
            k, v = parse_severity_setting(code, level, where=where)
        except ConfigError as e:
            problems.append(str(e))
            continue
        out[k] = v
    return out


def _env(obj: object, problems: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    if obj is None:
        return out
    if not isinstance(obj, Mapping):
        problems.append(f"settings: env: want an object of strings, got {_kind(obj)}")
        return out
    for k, v in cast(Mapping[object, object], obj).items():
        if not isinstance(k, str) or not k or "=" in k or "\x00" in k:
            problems.append(f"settings: env: bad variable name {k!r}")
            continue
        if isinstance(v, bool):
            out[k] = "true" if v else "false"
        elif isinstance(v, (str, int, float)):
            s = str(v)
            if "\x00" in s:
                problems.append(f"settings: env.{k}: NUL in value")
                continue
            out[k] = s
        else:
            problems.append(f"settings: env.{k}: want a string, got {_kind(v)}")
    return out


def _kind(obj: object) -> str:
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "a boolean"
    if isinstance(obj, (int, float)):
        return "a number"
    if isinstance(obj, str):
        return f"the string {obj!r}"
    if isinstance(obj, list):
        return "a list"
    if isinstance(obj, Mapping):
        return "an object"
    return type(obj).__name__
