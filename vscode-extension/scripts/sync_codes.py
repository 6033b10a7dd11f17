"""Rewrite package.json's gomodDoctor.diagnostics.severity codes from the server's CATALOG.

Run from anywhere after adding or changing a diagnostic code in
server/gomod_doctor/findings.py:  python3 vscode-extension/scripts/sync_codes.py
(test/manifest.test.ts fails until package.json and the catalog agree).
"""

from __future__ import annotations

import json
import sys
from collections import OrderedDict
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE.parent / "server"))

from gomod_doctor.findings import CATALOG  # noqa: E402

LEVELS = ["error", "warning", "information", "hint", "off"]


def main() -> None:
    path = HERE / "package.json"
    pkg = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=OrderedDict)
    prop = pkg["contributes"]["configuration"]["properties"]["gomodDoctor.diagnostics.severity"]
    prop["properties"] = {
        code: {
            "type": "string",
            "enum": LEVELS,
            "markdownDescription": f"{info.meaning} Default: `{info.severity.name.lower()}`.",
        }
        for code, info in CATALOG.items()
    }
    path.write_text(json.dumps(pkg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{path}: {len(CATALOG)} codes")


if __name__ == "__main__":
    main()
