"""The README stays true: its catalog lists every code with its default severity,
and its quick start is exactly the two commands."""

from __future__ import annotations

import re
from pathlib import Path

from gomod_doctor.findings import CATALOG, SEVERITY_MEANING

README = Path(__file__).resolve().parents[2] / "README.md"


def test_catalog_table_matches_the_code() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Diagnostic catalog", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z-]+)` \| ([a-z]+) \|", section, re.M)
    assert dict(rows) == {c.code: c.severity.label for c in CATALOG.values()}


def test_catalog_says_what_each_severity_means() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Diagnostic catalog", 1)[1].split("\n## ", 1)[0]
    bullets = re.findall(r"^- \*\*([a-z]+)\*\*: (.*)\.$", section, re.M)
    assert bullets == [
        (sev.label, SEVERITY_MEANING[sev]) for sev in sorted(SEVERITY_MEANING, reverse=True)
    ]


def test_quick_start_is_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    assert block.group(1).split("\n")[:-1] == ["make demo", "make test"]


def test_vscode_setting_lists_every_code() -> None:
    """The extension's severity setting offers every catalog code, with its default
    (vscode-extension/scripts/sync_codes.py writes it)."""
    import json

    pkg = json.loads(
        (README.parent / "vscode-extension" / "package.json").read_text(encoding="utf-8")
    )
    props = pkg["contributes"]["configuration"]["properties"]["gomodDoctor.diagnostics.severity"]
    listed = props["properties"]
    assert list(listed) == list(CATALOG)
    for code, info in CATALOG.items():
        assert listed[code]["markdownDescription"].endswith(
            f"Default: `{info.severity.name.lower()}`."
        )
