"""A clone with nothing beside it collects every test and passes the corpus tests.

The checkout's files (``git ls-files``: tracked, plus new files not ignored) are
copied into an empty temp dir, so there is no ``../shared`` and no ``.venv`` beside
or in the copy. pytest then runs there with this interpreter, on the copy's own code
(PYTHONPATH): ``--collect-only`` of the whole suite, then the corpus tests, whose
go-toolchain part must pass and whose shared-corpus part must be reported as skipped,
with its reason, in the summary.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from packaging_support import copy_checkout

REPO = Path(__file__).resolve().parents[2]

CORPUS_TESTS = [
    "tests/scenarios/test_modfile_corpus.py",
    "tests/scenarios/test_gosum.py",
    "tests/scenarios/test_modfile_edit.py",
]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = copy_checkout(tmp_path_factory.mktemp("fresh") / "gomod-doctor")
    assert not (dest.parent / "shared").exists()
    assert not (dest / ".venv").exists()
    return dest


def run_pytest(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(clone / "server")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_clone_tests_its_own_code(clone: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(clone / "server")}
    r = subprocess.run(
        [sys.executable, "-c", "import gomod_doctor; print(gomod_doctor.__file__)"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(r.stdout.strip()).is_relative_to(clone)


def test_clone_collects_every_test(clone: Path) -> None:
    r = run_pytest(clone, "--collect-only", "-q")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "FileNotFoundError" not in r.stdout
    # The corpus tests are collected with their go-toolchain files.
    assert (
        "tests/scenarios/test_modfile_corpus.py::test_corpus_file_matches_go[goroot/src/go.mod]"
        in (r.stdout)
    )


def test_clone_passes_corpus_tests_and_skips_shared_part(clone: Path) -> None:
    r = run_pytest(clone, "-q", "-rs", *CORPUS_TESTS, "-k", "corpus")
    out = r.stdout
    assert r.returncode == 0, out[-5000:] + r.stderr
    summary = out.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) > 1000, summary
    assert "failed" not in summary and "error" not in summary, summary
    # Only the shared corpus's part is skipped, and the summary says why.
    reason = f"shared corpus not present at {clone.parent / 'shared' / 'corpus'}"
    skips = [line for line in out.splitlines() if line.startswith("SKIPPED")]
    assert skips, out[-3000:]
    assert all(line.endswith(reason) for line in skips), skips
    skipped_in = {line.split()[2].split(":")[0] for line in skips}
    assert skipped_in == set(CORPUS_TESTS), skips
