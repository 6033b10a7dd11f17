"""SARIF 2.1.0 report for ``gomod-doctor check --format sarif`` (GitHub code scanning).

One run, one rule per code in :data:`~gomod_doctor.findings.CATALOG` (plus one for any
code a finding uses that the catalog does not list yet), one result per finding.

- Files under ``cwd`` get a relative ``uri`` with ``uriBaseId`` ``%SRCROOT%`` (declared in
  ``originalUriBaseIds`` as the file URI of ``cwd``), as GitHub needs to place alerts in
  the repository; other files (the module cache, a ``replace`` target outside the tree)
  get an absolute ``file://`` URI. URIs are percent-encoded (UTF-8 for non-ASCII).
- Regions are 1-based; our ranges are half-open and count characters, which is SARIF's
  ``endColumn`` (the column after the last character) with ``columnKind``
  ``unicodeCodePoints``.
- ``partialFingerprints`` hashes what identifies a problem but not where it sits on the
  line or in the file (code, path, module, version, first line of the message), so an
  alert survives edits above it; a ``:N`` suffix tells identical results apart.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
from typing import Any, Final
from urllib.parse import quote

import gomod_doctor
from gomod_doctor.findings import CATALOG, CodeInfo, Finding, RelatedInfo, Severity
from gomod_doctor.position import Range

SARIF_VERSION: Final = "2.1.0"
SARIF_SCHEMA_URI: Final = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME: Final = "gomod-doctor"
#: Where the tool is documented (SARIF ``informationUri``).
SRCROOT: Final = "%SRCROOT%"
#: Key under ``partialFingerprints``; bump the version if the hashed fields change.
FINGERPRINT_KEY: Final = "gomodDoctorFingerprint/v1"

LEVELS: Final[dict[Severity, str]] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
    Severity.HINT: "note",
}

# RFC 3986 pchar minus ":" (a colon in the first segment of a relative reference would be
# read as a scheme) and minus what quote() keeps anyway (ALPHA / DIGIT / "-._~").
_SAFE_REL: Final = "/!$&'()*+,;=@"


def level(severity: Severity) -> str:
    """The SARIF ``level`` for a severity: error, warning, or note for information and hint."""
    return LEVELS[severity]


def _file_uri(path: str) -> str:
    """The absolute ``file://`` URI of an absolute path, percent-encoded."""
    return pathlib.Path(path).as_uri()


def _relative_to(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` with ``/`` separators, or None when it is not under it."""
    try:
        rel = os.path.relpath(path, root)
    except ValueError:  # another drive on Windows
        return None
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return None
    return pathlib.PurePath(rel).as_posix()


class _Locator:
    """Turns file paths into SARIF artifact locations relative to one root."""

    def __init__(self, cwd: str) -> None:
        self.root = os.path.abspath(cwd)
        base = _file_uri(self.root)
        self.base_uri = base if base.endswith("/") else base + "/"

    def artifact(self, path: str) -> dict[str, Any]:
        abspath = os.path.abspath(path)
        rel = _relative_to(abspath, self.root)
        if rel is None:
            return {"uri": _file_uri(abspath)}
        return {"uri": quote(rel, safe=_SAFE_REL), "uriBaseId": SRCROOT}

    def fingerprint_path(self, path: str) -> str:
        """The path as hashed: relative under the root (so checkouts anywhere agree)."""
        abspath = os.path.abspath(path)
        rel = _relative_to(abspath, self.root)
        return rel if rel is not None else pathlib.PurePath(abspath).as_posix()


def _region(rng: Range) -> dict[str, int]:
    start_line = max(1, rng.start.line)
    start_col = max(1, rng.start.col)
    end_line = max(start_line, rng.end.line)
    end_col = max(1, rng.end.col)
    if end_line == start_line:
        end_col = max(start_col, end_col)
    return {
        "startLine": start_line,
        "startColumn": start_col,
        "endLine": end_line,
        "endColumn": end_col,
    }


def _physical(loc: _Locator, path: str, rng: Range) -> dict[str, Any]:
    return {"artifactLocation": loc.artifact(path), "region": _region(rng)}


def _first_sentence(text: str) -> str:
    for i, ch in enumerate(text):
        if ch == "." and (i + 1 == len(text) or text[i + 1] == " "):
            return text[: i + 1]
    return text


def _rule(info: CodeInfo) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": info.code,
        "shortDescription": {"text": _first_sentence(info.meaning)},
        "fullDescription": {"text": info.meaning, "markdown": info.meaning},
        "defaultConfiguration": {"level": level(info.severity)},
    }
    if info.fixes:
        rule["help"] = {"text": info.fixes, "markdown": info.fixes}
    return rule


def _unlisted_rule(code: str, severity: Severity) -> dict[str, Any]:
    """A rule for a code that a check reports but the catalog does not describe."""
    return {
        "id": code,
        "shortDescription": {"text": code},
        "defaultConfiguration": {"level": level(severity)},
    }


def fingerprint(f: Finding, path: str) -> str:
    """A stable hash of what identifies ``f``: code, path, module, version, message line 1."""
    first_line = f.message.splitlines()[0] if f.message else ""
    parts = (f.code, path, f.module or "", f.version or "", first_line)
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def _related(loc: _Locator, index: int, r: RelatedInfo) -> dict[str, Any]:
    out: dict[str, Any] = {"id": index, "physicalLocation": _physical(loc, r.path, r.range)}
    if r.message:
        out["message"] = {"text": r.message}
    return out


def _json_safe(value: Any) -> Any:
    """``value`` as plain JSON data (finding data may hold tuples, paths, sets...)."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _result(loc: _Locator, f: Finding, rule_index: int, fp: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": f.message or f.code},
        "locations": [{"physicalLocation": _physical(loc, f.path, f.range)}],
        "partialFingerprints": {FINGERPRINT_KEY: fp},
    }
    if f.related:
        result["relatedLocations"] = [_related(loc, i, r) for i, r in enumerate(f.related, 1)]
    props: dict[str, Any] = {}
    if f.module is not None:
        props["module"] = f.module
    if f.version is not None:
        props["version"] = f.version
    if f.fixes:
        props["fixes"] = list(f.fixes)
    if f.data:
        props["data"] = _json_safe(f.data)
    if props:
        result["properties"] = props
    return result


def sarif_log(findings: list[Finding], *, cwd: str | None = None) -> dict[str, Any]:
    """The SARIF log for ``findings`` as JSON data; see :func:`render_sarif`."""
    loc = _Locator(cwd or os.getcwd())
    rules = [_rule(info) for info in CATALOG.values()]
    index = {info.code: i for i, info in enumerate(CATALOG.values())}
    for f in findings:
        if f.code not in index:
            index[f.code] = len(rules)
            rules.append(_unlisted_rule(f.code, f.severity))

    seen: dict[str, int] = {}
    results = []
    for f in findings:
        base = fingerprint(f, loc.fingerprint_path(f.path))
        seen[base] = seen.get(base, 0) + 1
        results.append(_result(loc, f, index[f.code], f"{base}:{seen[base]}"))

    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": gomod_doctor.__version__,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": loc.base_uri}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(findings: list[Finding], *, cwd: str | None = None) -> str:
    """``findings`` as a SARIF 2.1.0 log (JSON text), paths relative to ``cwd``."""
    return json.dumps(sarif_log(findings, cwd=cwd), indent=2, ensure_ascii=False) + "\n"
