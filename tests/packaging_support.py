"""What the packaging and recipe tests share: the project's version, and an environment
for tools that run pip (``python -m build``, a clean venv, pre-commit) with HOME and the
XDG dirs in the test's temp dir.

pip keeps the developer's pip configuration (``PIP_*`` variables, and the global
config under ``XDG_CONFIG_DIRS``/``/etc``: an index, find-links), and the developer's
pip cache (``pip cache dir``, asked with the environment the tests started with), so
that wheels pip already downloaded are not fetched again: with PyPI reachable and an
empty cache, everything comes from the index.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Before conftest's autouse fixture points XDG_CACHE_HOME at a test's temp dir.
_STARTING_ENV = dict(os.environ)


def project_version() -> str:
    """``__version__`` as written in the package's ``__init__.py``, read as text (as
    the build reads it, ``[tool.hatch.version]``): the one place it is written."""
    text = (REPO / "server" / "gomod_doctor" / "__init__.py").read_text()
    m = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    assert m is not None, "no __version__ line in gomod_doctor/__init__.py"
    return m.group(1)


def checkout_files(*under: str) -> list[str]:
    """The checkout's files, as a fresh clone would have them (tracked, plus new files
    not ignored; a tracked file deleted in the work tree left out); skips the test
    outside a git checkout."""
    r = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", *under],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.skip(f"{REPO} is not a git checkout: {r.stderr.strip()}")
    return [name for name in r.stdout.split("\0") if name and (REPO / name).is_file()]


def copy_checkout(dest: Path) -> Path:
    """:func:`checkout_files` copied to ``dest``."""
    for name in checkout_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    return dest


@functools.cache
def developer_pip_cache() -> str:
    r = subprocess.run(
        [sys.executable, "-m", "pip", "cache", "dir"],
        env=_STARTING_ENV,
        capture_output=True,
        text=True,
    )
    # pip says "ERROR: pip cache commands can not function since cache is disabled."
    return r.stdout.strip() if r.returncode == 0 else ""


def tool_env(home: Path, **extra: str) -> dict[str, str]:
    """The developer's environment with HOME and the XDG base dirs under ``home``,
    pip's cache kept, and nothing of a surrounding virtualenv or pytest run."""
    env = {
        k: v
        for k, v in _STARTING_ENV.items()
        if not k.startswith(("PYTEST_", "PRE_COMMIT", "XDG_", "VIRTUAL_ENV", "PYTHON"))
    }
    for name in ("config", "cache", "data", "state"):
        (home / name).mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name.upper()}_HOME"] = str(home / name)
    if "XDG_CONFIG_DIRS" in _STARTING_ENV:  # where a global pip.conf may live
        env["XDG_CONFIG_DIRS"] = _STARTING_ENV["XDG_CONFIG_DIRS"]
    env["HOME"] = str(home)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    cache = developer_pip_cache()
    if cache:
        env["PIP_CACHE_DIR"] = cache
    env.update(extra)
    return env
