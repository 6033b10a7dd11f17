from __future__ import annotations

from pathlib import Path

import pytest
from gotool import isolated_env

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture
def go_env(tmp_path: Path) -> dict[str, str]:
    """A per-test environment for the real go command (never the user's)."""
    return isolated_env(tmp_path / "goenv")
