"""The Python package is ready to publish: ``python -m build`` makes the sdist and the
wheel (the wheel built from the sdist), ``twine check`` passes, the sdist holds what a
distributor needs to run the tests, and the wheel installed alone in a clean virtual
environment finds the demo's problems.

pip resolves the dependencies from the developer's pip configuration and cache (see
``packaging_support``), PyPI otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from gomod_doctor import __version__
from gomod_doctor.demo import example
from gomod_doctor.demo.modules import make_writable
from gotool import GOROOT
from packaging_support import REPO, checkout_files, project_version, tool_env

VERSION = project_version()
GO_PATH = f"{GOROOT / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin"


def run(args: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=900, **kw)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m build`` of the checkout: an sdist, then a wheel built from it."""
    base = tmp_path_factory.mktemp("dist")
    out = base / "dist"
    r = run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        env=tool_env(base / "home"),
    )
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-5000:]
    return out


def one(dist: Path, pattern: str) -> Path:
    (found,) = dist.glob(pattern)
    return found


def test_build_makes_sdist_and_wheel_of_the_project_version(dist: Path) -> None:
    assert sorted(p.name for p in dist.iterdir()) == [
        f"gomod_doctor-{VERSION}-py3-none-any.whl",
        f"gomod_doctor-{VERSION}.tar.gz",
    ]
    # The installed package (here: editable) reports the same version, in its
    # metadata too.
    assert __version__ == VERSION
    assert metadata.version("gomod-doctor") == VERSION


def test_twine_check_passes(dist: Path, tmp_path: Path) -> None:
    files = [str(p) for p in sorted(dist.iterdir())]
    r = run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        env=tool_env(tmp_path / "home"),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("PASSED") == 2, r.stdout


def test_sdist_holds_what_the_tests_need(dist: Path) -> None:
    sdist = one(dist, "*.tar.gz")
    prefix = f"gomod_doctor-{VERSION}/"
    with tarfile.open(sdist) as tar:
        names = {m.name.removeprefix(prefix) for m in tar.getmembers() if m.isfile()}
    for name in (
        "Makefile",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        "pyproject.toml",
        ".pre-commit-hooks.yaml",
        "docs/ci/github-actions.yml",
        "editors/neovim/lsp/gomod_doctor.lua",
        "editors/neovim/lua/gomod_doctor/health.lua",
        "vscode-extension/package.json",
        "scripts/setup_vscode_e2e.sh",
    ):
        assert name in names, name
    # Every test file and helper, and the whole package source.
    for under in ("tests", "server/gomod_doctor", "bench"):
        missing = set(checkout_files(under)) - names
        assert not missing, sorted(missing)
    assert not [n for n in names if "node_modules/" in n or n.startswith(".venv/")]


def test_sdist_tests_collect_from_the_unpacked_sdist(dist: Path, tmp_path: Path) -> None:
    """A distributor's run: the sdist unpacked (no git, nothing beside it), its tests
    collected against its own code."""
    with tarfile.open(one(dist, "*.tar.gz")) as tar:
        tar.extractall(tmp_path, filter="data")
    src = tmp_path / f"gomod_doctor-{VERSION}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(src / "server")
    r = run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q"],
        cwd=src,
        env=env,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "tests/scenarios/test_demo.py::" in r.stdout
    assert "error" not in r.stdout.strip().splitlines()[-1], r.stdout[-3000:]


def test_wheel_in_a_clean_venv_checks_the_demo_workspace(dist: Path, tmp_path: Path) -> None:
    wheel = one(dist, "*.whl")
    venv = tmp_path / "venv"
    env = tool_env(tmp_path / "home")
    r = run([sys.executable, "-m", "venv", str(venv)], env=env)
    assert r.returncode == 0, r.stderr
    py = venv / "bin" / "python"
    r = run([str(py), "-m", "pip", "install", "--quiet", str(wheel)], env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]

    # The venv runs the wheel's code, not this checkout's.
    r = run([str(py), "-c", "import gomod_doctor; print(gomod_doctor.__file__)"], env=env)
    assert Path(r.stdout.strip()).is_relative_to(venv), r.stdout + r.stderr
    exe = venv / "bin" / "gomod-doctor"
    r = run([str(exe), "--version"], env=env)
    assert (r.returncode, r.stdout) == (0, f"gomod-doctor {VERSION}\n"), r.stderr

    root = tmp_path / "demo"
    root.mkdir()
    ex = example.build(root, path=GO_PATH)
    try:
        r = run([str(exe), "check", "--format", "json"], cwd=ex.app, env=ex.env)
    finally:
        make_writable(root)
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr  # error findings
    doc = json.loads(r.stdout)
    found = {(f["code"], f.get("module"), f["path"]) for f in doc["findings"]}
    gomod, gosum = str(ex.gomod), str(ex.gosum)
    # The demo's six problems (see gomod_doctor.demo.example), each where it is.
    assert {
        ("cache-missing", "example.com/color", gomod),
        ("cache-modified", "example.com/greet", gomod),
        ("cache-incomplete", "example.com/quote", gomod),
        ("sum-mismatch", "example.com/units", gomod),
        ("replace-missing", "example.com/legacy", gomod),
        ("sum-conflict", None, gosum),
    } <= found, sorted(found, key=str)
    modified = next(f for f in doc["findings"] if f["code"] == "cache-modified")
    assert modified["severity"] == "error"
    assert modified["data"]["edited"] == ["greet.go"]
    assert modified["fixes"] == ["redownload", "clear"]
    assert doc["summary"]["error"] == sum(f["severity"] == "error" for f in doc["findings"]) > 0
