"""Safe module-cache operations (gomod_doctor.cache.ops and the CLI commands on it),
checked against real caches written by go, with go itself as the oracle."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from gomod_doctor.cache import ops
from gomod_doctor.cache.layout import extracted_state, module_files
from gomod_doctor.cli import cache_cmds
from gomod_doctor.module.paths import ModuleVersion
from goproxy import (
    SAMPLE_REQUIRES,
    CacheFixture,
    GoProxy,
    ModuleSpec,
    Response,
    copy_tree,
    make_writable_and_remove,
    sample_modules,
)
from gotool import GO, run_go

ALPHA = ("example.com/alpha", "v1.0.0")
BIG = ("example.com/Mixed/Big", "v1.3.0-RC1")


# --------------------------------------------------------------------------- helpers


def tree(root: Path) -> dict[str, tuple[str, int, str]]:
    """Every entry under ``root`` (not following symlinks): kind, mode, content."""
    out: dict[str, tuple[str, int, str]] = {}
    if not os.path.lexists(root):
        return out
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", 0, os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode), "")
            else:
                digest = hashlib.sha256(Path(full).read_bytes()).hexdigest()
                out[rel] = ("file", stat.S_IMODE(st.st_mode), digest)
    return out


def make_canary(base: Path) -> Path:
    """A directory outside the cache, shaped like cache content, with a read-only dir."""
    c = base / "outside"
    (c / "@v").mkdir(parents=True)
    (c / "@v" / "v1.0.0.zip").write_bytes(b"canary zip")
    (c / "@v" / "v1.0.0.lock").write_bytes(b"canary lock")
    (c / "@v" / "list").write_text("v1.0.0\n")
    (c / "alpha@v1.0.0" / "sub").mkdir(parents=True)
    (c / "alpha@v1.0.0" / "alpha.go").write_text("package canary\n")
    (c / "alpha@v1.0.0" / "sub" / "f.txt").write_text("canary\n")
    (c / "file.txt").write_text("canary file\n")
    os.chmod(c / "alpha@v1.0.0" / "sub", 0o555)
    return c


def go_ok(fx: CacheFixture, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    res = run_go(list(args), fx.workspace, fx.env_with(**env))
    assert res.returncode == 0, f"go {' '.join(args)}:\n{res.stdout}\n{res.stderr}"
    return res


def version_files(cache: Path, path: str, version: str) -> list[str]:
    """What the cache holds for one version (lock files aside)."""
    f = module_files(cache, path, version)
    names = []
    for p in (f.info, f.mod, f.zip, f.ziphash, f.partial, f.extracted_dir):
        if os.path.lexists(p):
            names.append(os.path.basename(p))
    return names


@pytest.fixture
def no_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything starts a process."""

    def boom(*a: Any, **k: Any) -> Any:
        raise AssertionError(f"a subprocess was started: {a!r}")

    monkeypatch.setattr(subprocess, "Popen", boom)
    monkeypatch.setattr(subprocess, "run", boom)
    monkeypatch.setattr(os, "posix_spawn", boom, raising=False)


# --------------------------------------------------------------------------- validation

BAD_VERSIONS = [
    ("../../x", "v1.0.0"),
    ("example.com/a/../../b", "v1.0.0"),
    ("a/../../b", "v1.0.0"),
    ("/etc", "v1.0.0"),
    ("/tmp/x.com/a", "v1.0.0"),
    ("example.com/a", "v1.0.0/../.."),
    ("example.com/a", "../../../v1.0.0"),
    ("example.com/a", "/v1.0.0"),
    ("-flag", "v1.0.0"),
    ("example.com/a", "-v1.0.0"),
    ("example.com/a", "--help"),
    ("example.com/a\x00", "v1.0.0"),
    ("example.com/a", "v1.0.0\x00"),
    ("example.com/a\n", "v1.0.0"),
    ("example.com/a", "v1.0.0\n"),
    ("example.com/!a", "v1.0.0"),
    ("example.com/a", "v1.0.0-!r!c1"),
    ("example.com/a", "V1.0.0"),
    ("Example.com/a", "v1.0.0"),
    ("example.com/a", "v1.0"),
    ("example.com/a", "v1.0.0+meta"),
    ("example.com/a/v2", "v1.0.0"),
    ("example.com/a", ""),
    ("", "v1.0.0"),
    ("example.com/a/.", "v1.0.0"),
    ("example.com//a", "v1.0.0"),
    ("example.com/a", "latest"),
]


@pytest.mark.parametrize(("path", "version"), BAD_VERSIONS)
def test_bad_module_versions_refused_before_anything_runs(
    path: str,
    version: str,
    sample_cache: CacheFixture,
    tmp_path: Path,
    no_subprocess: None,
) -> None:
    cache = sample_cache.gomodcache
    canary = make_canary(tmp_path)
    before, before_canary = tree(cache), tree(canary)
    env = sample_cache.env_with(GOPROXY="http://127.0.0.1:9")
    calls = [
        lambda: ops.clear_version(cache, path, version),
        lambda: ops.clear_version(cache, path, version, dry_run=True),
        lambda: ops.estimate_bytes(cache, path, version),
        lambda: ops.download([ALPHA, (path, version)], go=GO, env=env),
        lambda: ops.download_missing(cache, [(path, version)], go=GO, env=env),
        lambda: ops.redownload(cache, path, version, go=GO, env=env),
        lambda: ops.prune(cache, [(path, version)], dry_run=False),
        lambda: ops.prune(cache, [ALPHA], keep_mod=[(path, version)], dry_run=False),
        lambda: ops.missing_versions(cache, [(path, version)]),
        lambda: cache_cmds.split_module_arg(f"{path}@{version}"),
    ]
    for call in calls:
        with pytest.raises(ops.OperationError) as e:
            call()
        assert str(e.value)
    assert tree(cache) == before
    assert tree(canary) == before_canary


@pytest.mark.parametrize(
    "path", ["../../x", "a/../../b", "/etc", "-rf", "example.com/a\x00", "example.com/!a", ""]
)
def test_bad_module_paths_refused(
    path: str, sample_cache: CacheFixture, no_subprocess: None
) -> None:
    before = tree(sample_cache.gomodcache)
    with pytest.raises(ops.OperationError):
        ops.clear_module(sample_cache.gomodcache, path)
    with pytest.raises(ops.OperationError):
        ops.estimate_bytes(sample_cache.gomodcache, path)
    assert tree(sample_cache.gomodcache) == before


def test_messages_use_gos_words(go_env: dict[str, str], tmp_path: Path) -> None:
    # Where go gets as far as module.Check, it says exactly what we say.
    for path, version in [("Example.com/a", "v1.0.0"), ("example.com/a b", "v1.0.0")]:
        res = run_go(["mod", "download", "-json", f"{path}@{version}"], tmp_path, go_env)
        want = json.loads(res.stdout)["Error"]
        with pytest.raises(ops.OperationError) as e:
            ops.validate_module_version(path, version)
        assert str(e.value) == want
    with pytest.raises(ops.OperationError, match=r'non-canonical module version "v1\.0"'):
        ops.validate_module_version("example.com/a", "v1.0")
    with pytest.raises(ops.OperationError, match=r"invalid version: should be v2, not v1"):
        ops.validate_module_version("example.com/a/v2", "v1.0.0")
    with pytest.raises(ops.OperationError) as e:
        ops.validate_module_version("example.com/a", "v1.0.0\n")
    assert "\n" not in str(e.value)


def test_is_inside_is_component_wise() -> None:
    assert ops.is_inside("/a/b", "/a/b/c")
    assert not ops.is_inside("/a/b", "/a/bc")
    assert not ops.is_inside("/a/b", "/a/b")
    assert not ops.is_inside("/a/b", "/a/b/../c")
    assert not ops.is_inside("/a/b", "/a/b/c/../../x")
    assert not ops.is_inside("/a/b", "a/b/c")


def test_relative_or_empty_gomodcache_refused(tmp_path: Path) -> None:
    for bad in ("", "relative/mod", "/"):
        with pytest.raises(ops.OperationError):
            ops.clear_version(bad, *ALPHA)
        with pytest.raises(ops.OperationError):
            ops.clear_all(bad)


# --------------------------------------------------------------------------- corruption

A_DIR = "example.com/alpha@v1.0.0"
A_DL = "cache/download/example.com/alpha/@v/v1.0.0"


def _edit(c: Path) -> None:
    f = c / A_DIR / "alpha.go"
    f.chmod(0o644)
    f.write_text("package alpha\n\nfunc A() int { return 2 }\n")


def _rmdir(c: Path) -> None:
    make_writable_and_remove(c / A_DIR)


def _zip(c: Path) -> None:
    f = c / f"{A_DL}.zip"
    data = bytearray(f.read_bytes())
    n = len(data) // 2
    data[n : n + 64] = b"X" * 64
    f.write_bytes(bytes(data))


def _ziphash(c: Path) -> None:
    (c / f"{A_DL}.ziphash").write_text("h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")


def _partial(c: Path) -> None:
    (c / f"{A_DL}.partial").write_bytes(b"")
    (c / f"{A_DL}.zip123456.tmp").write_bytes(b"half a zip")


@pytest.mark.parametrize(
    ("corrupt", "go_notices"),
    [(_edit, True), (_rmdir, False), (_zip, True), (_ziphash, True), (_partial, False)],
    ids=["edited-file", "deleted-dir", "corrupt-zip", "altered-ziphash", "partial-leftover"],
)
def test_clear_and_redownload_repairs_a_corrupt_version(
    corrupt: Any, go_notices: bool, sample_cache: CacheFixture
) -> None:
    fx, cache = sample_cache, sample_cache.gomodcache
    corrupt(cache)
    if go_notices:
        assert run_go(["mod", "verify"], fx.workspace, fx.env).returncode != 0
    else:
        assert extracted_state(cache, *ALPHA).status != "complete"
    messages: list[tuple[str, int, int]] = []
    with GoProxy(sample_modules()) as proxy:
        got = ops.redownload(
            cache,
            *ALPHA,
            go=GO,
            env=fx.env_with(GOPROXY=proxy.url),
            progress=lambda m, d, t: messages.append((m, d, t)),
        )
    assert got.ok, (got.clear.errors, got.download.errors, got.download.modules)
    assert got.clear.versions == [ModuleVersion(*ALPHA)]
    assert got.clear.bytes_freed > 0
    (m,) = got.download.modules
    assert (m.path, m.version, m.error) == (*ALPHA, "")
    assert m.dir == str(cache / A_DIR)
    assert messages and any("clearing" in t[0] for t in messages)
    assert not (cache / f"{A_DL}.partial").exists()
    assert not list((cache / A_DL).parent.glob("*.tmp"))
    assert extracted_state(cache, *ALPHA).status == "complete"
    go_ok(fx, "mod", "verify")
    go_ok(fx, "build", "./...")  # offline: GOPROXY=off in fx.env


def test_clear_version_removes_exactly_one_version(sample_cache: CacheFixture) -> None:
    cache = sample_cache.gomodcache
    before = tree(cache)
    dry = ops.clear_version(cache, *BIG, dry_run=True)
    assert tree(cache) == before
    assert dry.bytes_freed > 2_000_000  # the large generated file
    result = ops.clear_version(cache, *BIG)
    assert result.ok and result.bytes_freed == dry.bytes_freed
    assert sorted(r.path for r in result.removed) == sorted(r.path for r in dry.removed)
    assert version_files(cache, *BIG) == []
    lock = module_files(cache, *BIG).lock
    assert os.path.exists(lock), "go's lock files are never removed"
    after = tree(cache)
    gone = set(before) - set(after)
    assert all("!mixed/!big" in g for g in gone)
    assert set(after) <= set(before)
    # clearing it again is a no-op, not an error
    again = ops.clear_version(cache, *BIG)
    assert again.ok and not again.removed and not again.versions


@pytest.fixture
def enforce_permissions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make unlink/rmdir honour directory write permission even for root (tests
    often run as root, for whom go's read-only 0555 directories are no obstacle)."""
    real_unlink, real_rmdir = os.unlink, os.rmdir

    def check(dir_fd: int | None) -> None:
        if dir_fd is not None and not os.fstat(dir_fd).st_mode & stat.S_IWUSR:
            raise PermissionError(13, "Permission denied")

    def unlink(path: Any, *, dir_fd: int | None = None) -> None:
        check(dir_fd)
        real_unlink(path, dir_fd=dir_fd)

    def rmdir(path: Any, *, dir_fd: int | None = None) -> None:
        check(dir_fd)
        real_rmdir(path, dir_fd=dir_fd)

    monkeypatch.setattr(os, "unlink", unlink)
    monkeypatch.setattr(os, "rmdir", rmdir)


def test_gos_read_only_directories_are_made_writable(
    sample_cache: CacheFixture, enforce_permissions: None
) -> None:
    cache = sample_cache.gomodcache
    ext = cache / A_DIR
    assert not ext.stat().st_mode & stat.S_IWUSR  # go made it read-only
    assert not (ext / "sub" / "deep").stat().st_mode & stat.S_IWUSR
    result = ops.clear_version(cache, *ALPHA)
    assert result.ok, result.errors
    assert not ext.exists()
    assert ops.clear_all(cache).ok
    assert not cache.exists()


# --------------------------------------------------------------------------- clear_module


def _family() -> list[ModuleSpec]:
    return [
        ModuleSpec("example.com/a", "v1.0.0", {"a.go": b"package a\n"}),
        ModuleSpec("example.com/a", "v1.1.0", {"a.go": b"package a\n"}),
        ModuleSpec("example.com/ab", "v1.0.0", {"ab.go": b"package ab\n"}),
        ModuleSpec("example.com/a/b", "v1.0.0", {"b.go": b"package b\n"}),
        ModuleSpec("example.com/a/v2", "v2.0.0", {"a.go": b"package a\n"}),
        ModuleSpec("example.com/A", "v1.0.0", {"a.go": b"package a\n"}),
    ]


def test_clear_module_removes_exactly_that_module(make_cache: Any) -> None:
    mods = _family()
    fx = make_cache(
        mods,
        [(m.path, m.version) for m in mods if m.version != "v1.0.0" or m.path != "example.com/a"],
    )
    cache = fx.gomodcache
    with GoProxy(mods) as proxy:
        rep = ops.download([("example.com/a", "v1.0.0")], go=GO, env=fx.env_with(GOPROXY=proxy.url))
    assert rep.ok, rep
    assert version_files(cache, "example.com/a", "v1.0.0")
    assert version_files(cache, "example.com/a", "v1.1.0")
    before = tree(cache)
    dry = ops.clear_module(cache, "example.com/a", dry_run=True)
    assert tree(cache) == before
    result = ops.clear_module(cache, "example.com/a")
    assert result.ok, result.errors
    assert sorted(map(str, result.versions)) == ["example.com/a@v1.0.0", "example.com/a@v1.1.0"]
    assert result.bytes_freed == dry.bytes_freed > 0
    for v in ("v1.0.0", "v1.1.0"):
        assert version_files(cache, "example.com/a", v) == []
    others = [
        ("example.com/ab", "v1.0.0"),
        ("example.com/a/b", "v1.0.0"),
        ("example.com/a/v2", "v2.0.0"),
        ("example.com/A", "v1.0.0"),
    ]
    after = tree(cache)
    for p, v in others:
        assert len(version_files(cache, p, v)) == 5, (p, v)
    for rel in set(before) - set(after):
        assert rel.startswith(("example.com/a@", "cache/download/example.com/a/@v/")), rel
    # every entry of the other modules is untouched
    for rel in before:
        if not rel.startswith(("example.com/a@", "cache/download/example.com/a/@v")):
            assert after.get(rel) == before[rel], rel


# --------------------------------------------------------------------------- clear_all


def test_clear_all_leaves_what_go_clean_modcache_leaves(make_cache: Any, tmp_path: Path) -> None:
    ours = make_cache(sample_modules(), SAMPLE_REQUIRES)
    gos = make_cache(sample_modules(), SAMPLE_REQUIRES)
    size = ops.estimate_bytes(ours.gomodcache)
    assert size > 2_000_000
    before = tree(ours.gomodcache)
    dry = ops.clear_all(ours.gomodcache, dry_run=True)
    assert tree(ours.gomodcache) == before and dry.bytes_freed == size
    res = run_go(["clean", "-modcache"], tmp_path, gos.env)
    assert res.returncode == 0, res.stderr
    result = ops.clear_all(ours.gomodcache)
    assert result.ok and result.bytes_freed == size
    assert os.path.lexists(ours.gomodcache) == os.path.lexists(gos.gomodcache) is False
    assert tree(ours.gomodcache.parent) == tree(gos.gomodcache.parent)
    # and go is happy to start again from nothing
    with GoProxy(sample_modules()) as proxy:
        go_ok(ours, "build", "./...", GOPROXY=proxy.url)
    go_ok(ours, "mod", "verify")


def test_clear_all_refuses_what_is_not_a_module_cache(tmp_path: Path) -> None:
    d = tmp_path / "notacache"
    d.mkdir()
    (d / "precious.txt").write_text("keep me\n")
    with pytest.raises(ops.OperationError, match="does not look like a module cache"):
        ops.clear_all(d)
    assert (d / "precious.txt").exists()


# --------------------------------------------------------------------------- escapes


def _link(at: Path, target: Path) -> None:
    if at.is_dir() and not at.is_symlink():
        make_writable_and_remove(at)
    elif at.exists() or at.is_symlink():
        at.unlink()
    at.parent.mkdir(parents=True, exist_ok=True)
    at.symlink_to(target)


@pytest.mark.parametrize(
    "where",
    ["download-host", "download-@v", "extracted-parent", "download-cache", "download-root"],
)
def test_symlinked_directory_on_the_way_is_refused(
    where: str, sample_cache: CacheFixture, tmp_path: Path
) -> None:
    cache = sample_cache.gomodcache
    canary = make_canary(tmp_path)
    # the outside directory looks like the real thing, so following it would "work"
    copy_tree(cache / "cache/download/example.com", canary / "host")
    at = {
        "download-host": cache / "cache/download/example.com",
        "download-@v": cache / "cache/download/example.com/alpha/@v",
        "extracted-parent": cache / "example.com",
        "download-cache": cache / "cache",
        "download-root": cache / "cache/download",
    }[where]
    target = {
        "download-host": canary / "host",
        "download-@v": canary / "@v",
        "extracted-parent": canary,
        "download-cache": canary,
        "download-root": canary,
    }[where]
    _link(at, target)
    before_canary, before = tree(canary), tree(cache)
    result = ops.clear_version(cache, *ALPHA)
    assert not result.ok
    assert any("symbolic link" in e.message for e in result.errors), result.errors
    assert not result.removed
    assert tree(canary) == before_canary
    assert tree(cache) == before
    mod = ops.clear_module(cache, "example.com/alpha")
    assert not mod.ok and not mod.removed
    pruned = ops.prune(cache, [], dry_run=False)
    assert not any(ops.is_inside(str(canary), r.path) for r in pruned.removed)
    assert tree(canary) == before_canary
    with GoProxy(sample_modules()) as proxy:
        # redownload clears nothing, so downloads nothing
        red = ops.redownload(cache, *ALPHA, go=GO, env=sample_cache.env_with(GOPROXY=proxy.url))
    assert not red.ok and not red.download.modules
    assert tree(canary) == before_canary


def test_symlinks_inside_the_cache_are_unlinked_not_followed(
    sample_cache: CacheFixture, tmp_path: Path
) -> None:
    cache = sample_cache.gomodcache
    canary = make_canary(tmp_path)
    ext = cache / A_DIR
    for d in (ext, ext / "sub", ext / "data"):
        os.chmod(d, 0o755)
    _link(ext / "LICENSE", canary / "file.txt")  # a file symlink at depth 1
    _link(ext / "sub" / "deep", canary / "alpha@v1.0.0")  # a dir symlink at depth 2
    _link(ext / "data" / "up", Path(os.path.relpath(canary, ext / "data")))  # relative
    _link(cache / f"{A_DL}.zip", canary / "@v" / "v1.0.0.zip")  # a download file
    # the extracted dir of another version is a link to the outside
    _link(cache / "example.com/dep@v1.1.0", canary / "alpha@v1.0.0")
    os.chmod(ext, 0o555)
    before_canary = tree(canary)
    result = ops.clear_version(cache, *ALPHA)
    assert result.ok, result.errors
    assert not os.path.lexists(ext)
    assert tree(canary) == before_canary
    dep = ops.clear_version(cache, "example.com/dep", "v1.1.0")
    assert dep.ok, dep.errors
    assert {r.kind for r in dep.removed if r.path.endswith("dep@v1.1.0")} == {"symlink"}
    assert tree(canary) == before_canary
    # the whole cache, with a top-level symlink too
    _link(sample_cache.gomodcache / "github.com", canary)
    all_ = ops.clear_all(cache)
    assert all_.ok, all_.errors
    assert tree(canary) == before_canary


def test_lock_file_symlink_is_refused(sample_cache: CacheFixture, tmp_path: Path) -> None:
    cache = sample_cache.gomodcache
    canary = make_canary(tmp_path)
    _link(cache / f"{A_DL}.lock", canary / "@v" / "v1.0.0.lock")
    before_canary = tree(canary)
    result = ops.clear_version(cache, *ALPHA)
    assert not result.ok and "symbolic link" in result.errors[0].message
    assert tree(canary) == before_canary


def test_gomodcache_itself_a_symlink(sample_cache: CacheFixture, tmp_path: Path) -> None:
    link = tmp_path / "modcache-link"
    link.symlink_to(sample_cache.gomodcache)
    result = ops.clear_version(link, *ALPHA)
    assert result.ok and version_files(sample_cache.gomodcache, *ALPHA) == []
    assert all(ops.is_inside(str(sample_cache.gomodcache), r.path) for r in result.removed)
    everything = ops.clear_all(link)
    assert everything.ok
    # the target is emptied, the link is left pointing at an (empty) directory
    assert link.is_symlink() and list(sample_cache.gomodcache.iterdir()) == []


def test_prune_never_leaves_the_cache(sample_cache: CacheFixture, tmp_path: Path) -> None:
    cache = sample_cache.gomodcache
    canary = make_canary(tmp_path)
    _link(cache / "cache/download/example.com/pseudo", canary)
    _link(cache / "example.com/two", canary)
    _link(cache / "github.com/!upper/!case@v2.1.0+incompatible", canary / "alpha@v1.0.0")
    before_canary = tree(canary)
    result = ops.prune(cache, [], dry_run=False)
    assert tree(canary) == before_canary
    assert all(ops.is_inside(str(cache), r.path) for r in result.removed)
    assert result.notes  # the skipped links are reported


# --------------------------------------------------------------------------- locking

HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o666)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
"""


def _hold(lock: str) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, lock], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "locked"
    return p


def test_clear_waits_for_gos_lock_and_times_out(sample_cache: CacheFixture) -> None:
    cache = sample_cache.gomodcache
    before = tree(cache)
    holder = _hold(module_files(cache, *ALPHA).lock)
    try:
        messages: list[str] = []
        t0 = time.monotonic()
        result = ops.clear_version(
            cache, *ALPHA, lock_timeout=0.5, progress=lambda m, d, t: messages.append(m)
        )
        assert 0.4 < time.monotonic() - t0 < 5
        assert not result.ok and not result.removed
        (err,) = result.errors
        assert "waiting for lock held by another go command" in err.message
        assert any(m.startswith("waiting for lock held by another go command") for m in messages)
        assert tree(cache) == before
        # cancellation stops the wait too
        cancel = threading.Event()
        threading.Timer(0.2, cancel.set).start()
        t0 = time.monotonic()
        cancelled = ops.clear_version(cache, *ALPHA, lock_timeout=30, cancel=cancel)
        assert cancelled.cancelled and time.monotonic() - t0 < 5
        assert tree(cache) == before
    finally:
        holder.kill()
        holder.wait()
    assert ops.clear_version(cache, *ALPHA, lock_timeout=5).ok


def test_our_lock_is_gos_lock(sample_cache: CacheFixture) -> None:
    """go blocks on the same flock (so clear and go exclude each other)."""
    fx, cache = sample_cache, sample_cache.gomodcache
    os.unlink(cache / f"{A_DL}.zip")  # go must take the lock to fetch it again
    holder = _hold(module_files(cache, *ALPHA).lock)
    with GoProxy(sample_modules()) as proxy:
        env = fx.env_with(GOPROXY=proxy.url)
        try:
            with pytest.raises(subprocess.TimeoutExpired):
                run_go(
                    ["mod", "download", "example.com/alpha@v1.0.0"], fx.workspace, env, timeout=1.5
                )
        finally:
            holder.kill()
            holder.wait()
        go_ok(fx, "mod", "download", "example.com/alpha@v1.0.0", GOPROXY=proxy.url)


# --------------------------------------------------------------------------- prune

LIB = "example.com/lib"


def _prune_modules() -> list[ModuleSpec]:
    lib = {"lib.go": b"package lib\n\nfunc L() int { return 1 }\n"}
    return [
        ModuleSpec(LIB, "v1.0.0", lib),
        ModuleSpec(LIB, "v1.1.0", lib),
        ModuleSpec(LIB, "v1.2.0", lib),
        ModuleSpec(
            "example.com/user",
            "v1.0.0",
            {
                "go.mod": b"module example.com/user\n\ngo 1.21\n\nrequire example.com/lib v1.0.0\n",
                "user.go": b'package user\n\nimport _ "example.com/lib"\n',
            },
        ),
        ModuleSpec("example.com/unused", "v1.0.0", {"u.go": b"package unused\n"}),
    ]


def test_prune_dry_run_then_real(make_cache: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    mods = _prune_modules()
    fx = make_cache(mods, [("example.com/user", "v1.0.0"), (LIB, "v1.2.0")])
    cache = fx.gomodcache
    extra = [(LIB, "v1.0.0"), (LIB, "v1.1.0"), ("example.com/unused", "v1.0.0")]
    with GoProxy(mods) as proxy:
        rep = ops.download(extra, go=GO, env=fx.env_with(GOPROXY=proxy.url))
    assert rep.ok, rep
    for monkey_key, value in fx.env.items():
        monkeypatch.setenv(monkey_key, value)
    wn = cache_cmds.workspace_needs(
        [str(fx.workspace)], gomodcache=str(cache), environ=fx.env, genv=_genv(fx)
    )
    assert not wn.problems
    assert wn.needs.full == {("example.com/user", "v1.0.0"), (LIB, "v1.2.0")}
    assert wn.needs.mod_only == {(LIB, "v1.0.0")}

    before = tree(cache)
    dry = ops.prune(cache, wn.needs.full, keep_mod=wn.needs.mod_only)
    assert dry.dry_run and tree(cache) == before
    assert dry.bytes_freed > 0
    assert sorted(map(str, dry.versions)) == [
        "example.com/lib@v1.1.0",
        "example.com/unused@v1.0.0",
    ]
    assert [str(v) for v in dry.mod_only] == ["example.com/lib@v1.0.0"]

    real = ops.prune(cache, wn.needs.full, keep_mod=wn.needs.mod_only, dry_run=False)
    assert real.ok, real.errors
    assert real.bytes_freed == dry.bytes_freed
    assert version_files(cache, LIB, "v1.1.0") == []
    assert version_files(cache, "example.com/unused", "v1.0.0") == []
    assert version_files(cache, LIB, "v1.0.0") == ["v1.0.0.info", "v1.0.0.mod"]
    assert len(version_files(cache, LIB, "v1.2.0")) == 5
    assert len(version_files(cache, "example.com/user", "v1.0.0")) == 5
    # go still works offline, reading the graph from what is left
    go_ok(fx, "build", "./...", GOPROXY="off", GOFLAGS="-mod=mod")
    go_ok(fx, "list", "-m", "all", GOPROXY="off", GOFLAGS="-mod=mod")
    go_ok(fx, "mod", "verify", GOPROXY="off")
    # the @v/list file is rewritten as go would: versions with a .mod
    assert (cache / "cache/download/example.com/lib/@v/list").read_text() == "v1.0.0\nv1.2.0\n"


def _genv(fx: CacheFixture) -> Any:
    from gomod_doctor.goenv import env as goenv

    return goenv.load(dict(fx.env), go_binary=GO)


def test_prune_keeps_everything_for_an_untidy_go_mod(sample_cache: CacheFixture) -> None:
    # The sample workspace's go.mod does not list example.com/dep, which two/v2
    # needs (a package of it is built): it must stay whole.
    fx = sample_cache
    wn = cache_cmds.workspace_needs(
        [str(fx.workspace)], gomodcache=str(fx.gomodcache), environ=fx.env, genv=_genv(fx)
    )
    assert ("example.com/dep", "v1.1.0") in wn.needs.full
    result = ops.prune(fx.gomodcache, wn.needs.full, keep_mod=wn.needs.mod_only, dry_run=False)
    assert result.ok and not result.versions and not result.mod_only
    go_ok(fx, "build", "./...", GOPROXY="off", GOFLAGS="-mod=mod")


# --------------------------------------------------------------------------- download


def test_download_reports_gos_errors_per_module(make_cache: Any, tmp_path: Path) -> None:
    mods = _prune_modules()
    fx = make_cache(mods, [(LIB, "v1.2.0")])
    with GoProxy(mods) as proxy:
        env = fx.env_with(GOPROXY=proxy.url)
        asked = [(LIB, "v1.1.0"), (LIB, "v1.9.9"), ("example.com/nosuch", "v1.0.0")]
        messages: list[tuple[str, int, int]] = []
        rep = ops.download(asked, go=GO, env=env, progress=lambda *a: messages.append(a))
        # go's own words, module by module (the oracle: go run the same way)
        oracle = run_go(
            ["mod", "download", "-json", *(f"{p}@{v}" for p, v in asked)],
            tmp_path,
            {**env, "GOWORK": "off"},
        )
    want = {(o["Path"], o["Version"]): o.get("Error", "") for o in _objects(oracle.stdout)}
    assert [(m.path, m.version) for m in rep.modules] == asked
    for m in rep.modules:
        assert m.error == want[(m.path, m.version)]
    ok, bad1, bad2 = rep.modules
    assert ok.ok and ok.zip.endswith("v1.1.0.zip") and ok.sum.startswith("h1:")
    assert "not found" in bad1.error and bad1.error.startswith("example.com/lib@v1.9.9")
    assert "not found" in bad2.error
    assert not rep.ok and rep.returncode == 1
    assert messages[0][1:] == (0, 3) and messages[-1][1:] == (3, 3)


def _objects(text: str) -> list[dict[str, Any]]:
    from goproxy import parse_json_stream

    return parse_json_stream(text)


def test_download_timeout_and_cancel_kill_go(make_cache: Any) -> None:
    mods = _prune_modules()
    fx = make_cache(mods, [(LIB, "v1.2.0")])
    with GoProxy(mods) as proxy:
        proxy.override(lambda p: p.endswith(".zip"), Response(hang=True))
        env = fx.env_with(GOPROXY=proxy.url)
        t0 = time.monotonic()
        rep = ops.download([(LIB, "v1.1.0")], go=GO, env=env, timeout=1.0)
        assert time.monotonic() - t0 < 10
        assert rep.timed_out and not rep.ok
        assert "timed out" in rep.modules[0].error
        cancel = threading.Event()
        threading.Timer(0.5, cancel.set).start()
        t0 = time.monotonic()
        rep = ops.download([(LIB, "v1.0.0")], go=GO, env=env, cancel=cancel)
        assert time.monotonic() - t0 < 10
        assert rep.cancelled and not rep.ok


def test_download_outside_any_module_ignores_a_broken_go_mod(
    make_cache: Any, tmp_path: Path
) -> None:
    mods = _prune_modules()
    fx = make_cache(mods, [(LIB, "v1.2.0")])
    (fx.workspace / "go.mod").write_text("this is not a go.mod\n")
    with GoProxy(mods) as proxy:
        env = fx.env_with(GOPROXY=proxy.url, GOFLAGS="-mod=mod -modfile=/nonexistent/go.mod")
        rep = ops.download([(LIB, "v1.1.0")], go=GO, env=env, cwd=None)
        assert rep.ok, rep
        assert any("-modfile" in n for n in rep.notes)
        inside = ops.download([(LIB, "v1.0.0")], go=GO, env=env, cwd=str(fx.workspace))
    assert not inside.ok  # go reads the broken go.mod (or the bad -modfile) there


def test_download_missing(make_cache: Any) -> None:
    mods = _prune_modules()
    fx = make_cache(mods, [(LIB, "v1.2.0")])
    ops.clear_version(fx.gomodcache, LIB, "v1.2.0")
    want = [(LIB, "v1.2.0"), (LIB, "v1.1.0")]
    assert ops.missing_versions(fx.gomodcache, want) == want
    with GoProxy(mods) as proxy:
        rep = ops.download_missing(fx.gomodcache, want, go=GO, env=fx.env_with(GOPROXY=proxy.url))
        assert rep.ok and not rep.skipped
        assert ops.missing_versions(fx.gomodcache, want) == []
        again = ops.download_missing(fx.gomodcache, want, go=GO, env=fx.env_with(GOPROXY=proxy.url))
    assert [str(s) for s in again.skipped] == [f"{LIB}@v1.2.0", f"{LIB}@v1.1.0"]
    assert not again.modules


def test_redownload_refused_with_goproxy_off(sample_cache: CacheFixture) -> None:
    before = tree(sample_cache.gomodcache)
    with pytest.raises(ops.OperationError, match="GOPROXY=off"):
        ops.redownload(sample_cache.gomodcache, *ALPHA, go=GO, env=sample_cache.env)
    assert tree(sample_cache.gomodcache) == before


# --------------------------------------------------------------------------- CLI


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="gomod-doctor")
    sub = parser.add_subparsers(dest="command")
    cache_cmds.register(sub)
    args = parser.parse_args(list(argv))
    code: int = args.func(args)
    return code


@pytest.fixture
def cli_env(sample_cache: CacheFixture, monkeypatch: pytest.MonkeyPatch) -> CacheFixture:
    for k, v in sample_cache.env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(sample_cache.workspace)
    monkeypatch.setattr(cache_cmds, "_is_tty", lambda: False)
    return sample_cache


def test_cli_clear(cli_env: CacheFixture, capsys: pytest.CaptureFixture[str]) -> None:
    cache = cli_env.gomodcache
    before = tree(cache)
    assert _cli("clear", "../../x@v1.0.0") == 2
    assert "malformed module path" in capsys.readouterr().err
    # broad: refused without a terminal and without --yes
    assert _cli("clear", "example.com/alpha") == 2
    assert "--yes" in capsys.readouterr().err
    assert _cli("clear", "--all") == 2
    assert _cli("clear", "--all", "--dry-run") == 0
    assert "would free" in capsys.readouterr().out
    assert tree(cache) == before
    assert _cli("clear", "example.com/alpha@v1.0.0", "--dry-run", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["DryRun"] and doc["Versions"] == ["example.com/alpha@v1.0.0"]
    assert tree(cache) == before
    assert _cli("clear", "example.com/alpha@v1.0.0") == 0
    assert "removed example.com/alpha@v1.0.0" in capsys.readouterr().out
    assert _cli("clear", "example.com/Mixed/Big", "--yes") == 0
    assert version_files(cache, *BIG) == []
    assert _cli("clear", "--all", "--yes") == 0
    assert not cache.exists()


def test_cli_confirmation_on_a_terminal(
    cli_env: CacheFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_cmds, "_is_tty", lambda: True)
    monkeypatch.setattr(cache_cmds, "_ask", lambda prompt: False)
    assert _cli("clear", "example.com/alpha") == 2
    assert version_files(cli_env.gomodcache, *ALPHA)
    monkeypatch.setattr(cache_cmds, "_ask", lambda prompt: True)
    assert _cli("clear", "example.com/alpha") == 0
    assert version_files(cli_env.gomodcache, *ALPHA) == []


def test_cli_download_and_redownload(
    cli_env: CacheFixture, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with GoProxy(sample_modules()) as proxy:
        monkeypatch.setenv("GOPROXY", proxy.url)
        assert _cli("download", "example.com/alpha@v1.9.0", "--go", GO) == 1
        assert "example.com/alpha@v1.9.0" in capsys.readouterr().err
        assert _cli("download", "example.com/alpha", "--go", GO) == 2
        _edit(cli_env.gomodcache)
        assert _cli("redownload", "example.com/alpha@v1.0.0", "--go", GO) == 0
        assert "downloaded example.com/alpha@v1.0.0" in capsys.readouterr().out
        go_ok(cli_env, "mod", "verify")
        ops.clear_version(cli_env.gomodcache, *BIG)
        assert _cli("download", "--missing", "--go", GO, "--json") == 0
        doc = json.loads(capsys.readouterr().out)
        assert [m["Path"] for m in doc["Modules"]] == ["example.com/Mixed/Big"]
    monkeypatch.setenv("GOPROXY", "off")
    assert _cli("redownload", "example.com/alpha@v1.0.0", "--go", GO) == 2
    assert "GOPROXY=off" in capsys.readouterr().err


def test_cli_prune(
    cli_env: CacheFixture, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cache = cli_env.gomodcache
    extra = ModuleSpec("example.com/extra", "v1.0.0", {"x.go": b"package extra\n"})
    with GoProxy([*sample_modules(), extra]) as proxy:
        env = cli_env.env_with(GOPROXY=proxy.url)
        assert ops.download([("example.com/extra", "v1.0.0")], go=GO, env=env).ok
    before = tree(cache)
    assert _cli("prune") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "would prune example.com/extra@v1.0.0"
    assert "--apply" in out
    assert tree(cache) == before
    assert _cli("prune", "--apply") == 2  # no terminal, no --yes
    assert "--yes" in capsys.readouterr().err
    assert tree(cache) == before
    assert _cli("prune", "--apply", "--yes") == 0
    assert version_files(cache, "example.com/extra", "v1.0.0") == []
    go_ok(cli_env, "build", "./...", GOPROXY="off", GOFLAGS="-mod=mod")
    # a workspace whose go.mod cannot be read is never pruned against
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "go.mod").write_text("module example.com/bad\n\nrequire (\n")
    capsys.readouterr()
    assert _cli("prune", str(bad), "--apply", "--yes") == 2
    assert "cannot be read reliably" in capsys.readouterr().err
