"""The module-cache engine's facts (quick state, full verification, the memo),
checked against real caches written by go and against ``go mod verify``."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import warnings
import zipfile
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

from gomod_doctor.cache import dirwalk
from gomod_doctor.cache import verify as verify_mod
from gomod_doctor.cache.hashing import hash_dir, hash_zip
from gomod_doctor.cache.layout import extracted_state, leftovers, module_files
from gomod_doctor.cache.memo import Memo, default_memo_path
from gomod_doctor.cache.state import inspect, inspect_many
from gomod_doctor.cache.verify import ModuleVerification, VerifyResult, verify
from gomod_doctor.cache.verify import plan as verify_plan
from gomod_doctor.cache.verify import runner as verify_runner
from goproxy import CacheFixture
from gotool import run_go

ALPHA = ("example.com/alpha", "v1.0.0")
BIG = ("example.com/Mixed/Big", "v1.3.0-RC1")
PSEUDO = ("example.com/pseudo", "v0.0.0-20240102030405-abcdefabcdef")
CASE = ("github.com/Upper/Case", "v2.1.0+incompatible")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
HOUR_AGO_NS = time.time_ns() - 3600 * 10**9
IDLE_CLASS = hasattr(os, "SCHED_IDLE") and hasattr(os, "sched_getscheduler")


# --------------------------------------------------------------------------- helpers


def _mvs(fx: CacheFixture) -> list[tuple[str, str]]:
    return [(d["Path"], d["Version"]) for d in fx.downloads]


def _reqs(fx: CacheFixture, need_dir: bool = True) -> list[tuple[str, str, bool]]:
    return [(p, v, need_dir) for p, v in _mvs(fx)]


def _go_sum(fx: CacheFixture) -> dict[str, str]:
    out = {}
    for line in fx.go_sum.read_text().splitlines():
        path, version, h = line.split()
        out[f"{path} {version}"] = h
    return out


def _go_verify(fx: CacheFixture) -> tuple[int, str]:
    res = run_go(["mod", "verify"], fx.workspace, fx.env)
    return res.returncode, res.stdout + res.stderr


def _age(fx: CacheFixture, ns: int = HOUR_AGO_NS) -> None:
    """Set every file's mtime an hour back, out of the memo's racy window."""
    for root, _dirs, files in os.walk(fx.gomodcache):
        for name in files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                os.utime(p, ns=(ns, ns))


def _writable(path: str | Path) -> None:
    """go leaves extracted trees read-only: open one directory up for a test edit."""
    os.chmod(path, 0o755)


def _edit(path: str) -> None:
    os.chmod(path, 0o644)
    with open(path, "ab") as f:
        f.write(b"// edited\n")


def _by_key(res: VerifyResult) -> dict[tuple[str, str], ModuleVerification]:
    return res.modules


@pytest.fixture
def memo_path(tmp_path: Path) -> str:
    return str(tmp_path / "memo" / "memo.sqlite3")


# --------------------------------------------------------------------------- quick state


def test_quick_state_of_a_clean_cache(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    sums = _go_sum(fx)
    states = inspect_many(fx.gomodcache, _mvs(fx))
    assert list(states) == _mvs(fx)
    for (path, version), st in states.items():
        d = fx.download(path, version)
        assert st.errors == [], st.errors
        assert sorted(st.stats) == ["info", "lock", "mod", "zip", "ziphash"]
        assert st.zip is not None and st.zip.size == os.path.getsize(d["Zip"])
        assert st.ziphash_value == d["Sum"] == sums[f"{path} {version}"]
        assert st.mod_h1 == d["GoModSum"] == sums[f"{path} {version}/go.mod"]
        assert not st.mod_empty and not st.mod_unreadable
        assert st.info_data is not None and st.info_data.version == version
        assert st.info_data.time == "2024-01-02T03:04:05Z"
        assert st.extracted == extracted_state(fx.gomodcache, path, version)
        assert st.extracted.status == "complete"
        assert st.leftovers == leftovers(fx.gomodcache, path, version) == []
        assert st.extracted_dir == d["Dir"]
        assert inspect(fx.gomodcache, path, version) == st
    assert states[ALPHA].go_version == "1.21"
    assert states[CASE].go_version is None  # go synthesized "module ..." only


def test_quick_state_reports_leftovers_partial_and_missing_ziphash(
    sample_cache: CacheFixture,
) -> None:
    fx = sample_cache
    a = module_files(fx.gomodcache, *ALPHA)
    b = module_files(fx.gomodcache, *BIG)
    # alpha: an interrupted extraction that also left the tree short of a file.
    Path(a.partial).touch()
    _writable(a.extracted_dir)
    os.remove(os.path.join(a.extracted_dir, "LICENSE"))
    Path(a.zip + "123456.tmp").write_bytes(b"half a zip")
    # Big: the ziphash and the zip are gone, the extracted tree stays.
    os.remove(b.ziphash)
    os.remove(b.zip)
    states = inspect_many(fx.gomodcache, [ALPHA, BIG])
    sa, sb = states[ALPHA], states[BIG]
    assert sa.partial is not None and sa.has("partial")
    assert sa.extracted.status == "partial"
    assert sa.extracted.reason == "not completely extracted"
    assert [(x.kind, x.of) for x in sa.leftovers] == [("partial", ""), ("tmp", "zip")]
    assert sa.leftovers == leftovers(fx.gomodcache, *ALPHA)
    assert sb.ziphash is None and sb.zip is None and sb.ziphash_value is None
    assert sb.extracted.status == "partial"
    assert sb.extracted.reason == "ziphash file is missing"
    for key in (ALPHA, BIG):
        assert states[key].extracted == extracted_state(fx.gomodcache, *key)
    # go skips a partial directory and a module with neither zip nor ziphash.
    code, out = _go_verify(fx)
    assert (code, out.strip()) == (0, "all modules verified")


def test_missing_ziphash_with_the_zip_present(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    a = module_files(fx.gomodcache, *ALPHA)
    os.remove(a.ziphash)
    st = inspect(fx.gomodcache, *ALPHA)
    assert st.ziphash is None and st.zip is not None
    assert st.extracted.reason == "ziphash file is missing"
    # Unlike a missing zip, go reports this one.
    code, out = _go_verify(fx)
    assert code == 1
    assert f"example.com/alpha v1.0.0: missing ziphash: open {a.ziphash}: no such file" in out
    # The zip and the tree still hash to what go.sum says.
    res = verify(fx.gomodcache, [(*ALPHA, True)], no_memo=True, workers=1)
    m = res.modules[ALPHA]
    assert m.zip_h1 == m.dir_h1 == _go_sum(fx)["example.com/alpha v1.0.0"]


def test_quick_state_of_bad_files(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    a = module_files(fx.gomodcache, *ALPHA)
    b = module_files(fx.gomodcache, *BIG)
    p = module_files(fx.gomodcache, *PSEUDO)
    Path(a.info).write_bytes(b"\xff not json")
    Path(a.mod).write_bytes(b"")
    Path(b.ziphash).write_text("  h1:garbage  \n\n")
    os.remove(b.mod)
    os.mkdir(b.mod)  # a directory where the .mod should be
    Path(p.info).write_text('["a list"]')
    states = inspect_many(fx.gomodcache, [ALPHA, BIG, PSEUDO, ("example.com/x", "v1.0")])
    sa, sb, sp = states[ALPHA], states[BIG], states[PSEUDO]
    assert sa.mod_empty and sa.mod_h1 is not None and sa.go_version is None
    assert sa.info_data is None and sa.info_error is not None
    assert sa.errors == []
    assert sb.ziphash_value == "h1:garbage"
    assert sb.mod_unreadable and sb.mod_h1 is None
    assert sb.errors == [f"read {b.mod}: not a regular file"]
    assert sp.info_error is not None and "not an object" in sp.info_error
    bad = states[("example.com/x", "v1.0")]
    assert bad.files is None
    assert bad.errors == ['non-canonical module version "v1.0"']


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their mode")
def test_quick_state_of_unreadable_files(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    a = module_files(fx.gomodcache, *ALPHA)
    os.chmod(a.mod, 0)
    os.chmod(a.ziphash, 0)
    st = inspect(fx.gomodcache, *ALPHA)
    assert st.mod_unreadable
    assert f"open {a.mod}: permission denied" in st.errors
    assert f"open {a.ziphash}: permission denied" in st.errors
    os.chmod(a.download_dir, 0)
    try:
        st = inspect(fx.gomodcache, *ALPHA)
        assert f"open {a.download_dir}: permission denied" in st.errors
    finally:
        os.chmod(a.download_dir, 0o755)


# --------------------------------------------------------------------------- verification


@pytest.mark.parametrize("workers", [1, 2])
def test_clean_cache_hashes_equal_go_sum_and_ziphash(
    sample_cache: CacheFixture, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    fx = sample_cache
    if workers > 1:  # a pool even for this small cache, walks in it too
        monkeypatch.setattr(verify_mod, "INLINE_BYTES", 0)
        monkeypatch.setattr(verify_mod, "WALK_IN_WORKERS_FILES", 0)
    sums = _go_sum(fx)
    res = verify(fx.gomodcache, _reqs(fx), no_memo=True, workers=workers)
    assert not res.cancelled and res.unfinished == []
    assert res.stats.workers == (0 if workers == 1 else 2)
    for (path, version), m in res.modules.items():
        want = sums[f"{path} {version}"]
        assert m.zip_present and m.dir_checked
        assert (m.zip_h1, m.dir_h1, m.zip_error, m.dir_error) == (want, want, None, None)
        assert m.zip_h1 == Path(module_files(fx.gomodcache, path, version).ziphash).read_text()
        assert m.diff is None
    assert _go_verify(fx) == (0, "all modules verified\n")


def test_split_zips_and_spawned_workers(
    sample_cache: CacheFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Zips split into member ranges hash the same, under the spawn start method."""
    fx = sample_cache
    monkeypatch.setattr(verify_plan, "SPLIT_ZIP_AT", 0)
    monkeypatch.setattr(verify_plan, "ZIP_CHUNK", 1)
    monkeypatch.setattr(verify_mod, "INLINE_BYTES", 0)
    res = verify(
        fx.gomodcache,
        _reqs(fx, need_dir=False),
        no_memo=True,
        workers=2,
        mp_context=multiprocessing.get_context("spawn"),
    )
    sums = _go_sum(fx)
    assert res.stats.tasks > len(fx.downloads)
    for (path, version), m in res.modules.items():
        assert m.zip_h1 == sums[f"{path} {version}"]
        assert not m.dir_checked and m.dir_h1 is None


def test_edited_added_and_removed_files_are_named(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    a = module_files(fx.gomodcache, *ALPHA)
    p = module_files(fx.gomodcache, *PSEUDO)
    b = module_files(fx.gomodcache, *BIG)
    _edit(os.path.join(a.extracted_dir, "données.txt"))
    _writable(os.path.join(p.extracted_dir, "sub"))
    Path(p.extracted_dir, "sub", "new.go").write_text("package sub\n")
    _writable(b.extracted_dir)
    os.remove(os.path.join(b.extracted_dir, "big.go"))
    for workers in (1, 2):
        res = verify(fx.gomodcache, _reqs(fx), no_memo=True, workers=workers)
        ms = res.modules
        for key in (ALPHA, PSEUDO, BIG):
            m = ms[key]
            assert m.zip_h1 == _go_sum(fx)[" ".join(key)]
            assert m.dir_h1 is not None and m.dir_h1 != m.zip_h1
            assert m.dir_h1 == hash_dir(m.dir, f"{key[0]}@{key[1]}")
        assert ms[ALPHA].diff is not None and ms[ALPHA].diff.edited == ["données.txt"]
        assert ms[ALPHA].diff.added == ms[ALPHA].diff.removed == []
        assert ms[PSEUDO].diff is not None and ms[PSEUDO].diff.added == ["sub/new.go"]
        assert ms[BIG].diff is not None and ms[BIG].diff.removed == ["big.go"]
        assert ms[CASE].diff is None and ms[CASE].dir_h1 == ms[CASE].zip_h1
    code, out = _go_verify(fx)
    assert code == 1
    for key in (ALPHA, PSEUDO, BIG):
        assert (
            f"{key[0]} {key[1]}: dir has been modified ({module_files(fx.gomodcache, *key).extracted_dir})"
            in out
        )
    assert "Upper/Case" not in out


@pytest.mark.parametrize("split", [False, True])
def test_directory_files_read_with_their_zip_hash_as_alone(
    sample_cache: CacheFixture, monkeypatch: pytest.MonkeyPatch, split: bool
) -> None:
    """The zip's tasks read each directory file beside its member (equal bytes
    take the member's digest, others are hashed from what was read): the hashes
    and the files named are those of hashing the directory on its own, for a
    same-size edit, a longer file and a symlink too."""
    fx = sample_cache
    if split:
        monkeypatch.setattr(verify_plan, "SPLIT_ZIP_AT", 0)
        monkeypatch.setattr(verify_plan, "ZIP_CHUNK", 1)
    a = module_files(fx.gomodcache, *ALPHA)
    c = module_files(fx.gomodcache, *CASE)
    same = os.path.join(a.extracted_dir, "données.txt")
    os.chmod(same, 0o644)
    data = Path(same).read_bytes()
    Path(same).write_bytes(bytes([data[0] ^ 1]) + data[1:])  # same size, other bytes
    _edit(os.path.join(a.extracted_dir, "sub", "deep", "deep.go"))  # longer
    # a symlink to a copy of the same bytes: go follows it, so the hash is unchanged
    victim = sorted(p for p in Path(c.extracted_dir).rglob("*") if p.is_file())[0]
    copy = Path(fx.root) / "copy-of-victim"
    copy.write_bytes(victim.read_bytes())
    _writable(victim.parent)
    victim.unlink()
    victim.symlink_to(copy)
    hashed: list[str] = []
    task_files = verify_plan._task_files

    def files(groups: list[tuple[str, list[str], list[bool]]]) -> Any:
        hashed.extend(f"{root}/{rel}" for root, rels, _ in groups for rel in rels)
        return task_files(groups)

    monkeypatch.setattr(verify_plan, "_task_files", files)
    res = verify(fx.gomodcache, _reqs(fx), no_memo=True, workers=1)
    for key, m in res.modules.items():
        assert m.dir_h1 == hash_dir(m.dir, f"{key[0]}@{key[1]}")
    ma = res.modules[ALPHA]
    assert ma.diff is not None and ma.diff.edited == ["données.txt", "sub/deep/deep.go"]
    assert res.modules[CASE].diff is None and res.modules[CASE].dir_h1 == res.modules[CASE].zip_h1
    # left to the file tasks: the symlink, and the files of a MiB or more (their
    # members are streamed through the inflater, not kept)
    left = {str(victim)}
    assert left <= set(hashed)
    others = set(hashed) - left
    assert others and all(os.path.getsize(f) >= 1 << 20 for f in others)


def test_walking_and_hashing_by_path(
    sample_cache: CacheFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where directory descriptors cannot be listed, paths give the same facts."""
    fx = sample_cache
    a = module_files(fx.gomodcache, *ALPHA)
    _edit(os.path.join(a.extracted_dir, "sub", "deep", "deep.go"))
    _writable(a.extracted_dir)
    os.symlink("LICENSE", os.path.join(a.extracted_dir, "link"))  # hashed as its target
    want = verify(fx.gomodcache, _reqs(fx), no_memo=True, workers=1)
    monkeypatch.setattr(dirwalk, "WALK_FDS", False)
    got = verify(fx.gomodcache, _reqs(fx), no_memo=True, workers=1)
    assert got.modules == want.modules
    d = got.modules[ALPHA].diff
    assert d is not None and (d.edited, d.added) == (["sub/deep/deep.go"], ["link"])
    assert got.modules[ALPHA].dir_h1 == hash_dir(a.extracted_dir, "example.com/alpha@v1.0.0")


def test_corrupt_zips(sample_cache: CacheFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = sample_cache
    a = module_files(fx.gomodcache, *ALPHA)
    b = module_files(fx.gomodcache, *BIG)
    os.truncate(a.zip, 100)
    data = bytearray(Path(b.zip).read_bytes())
    data[len(data) // 2] ^= 0xFF
    data[len(data) // 2 + 7] ^= 0x55
    Path(b.zip).write_bytes(bytes(data))
    code, out = _go_verify(fx)
    assert code == 1
    assert "example.com/alpha v1.0.0: zip: not a valid zip file" in out
    assert "example.com/Mixed/Big v1.3.0-RC1: " in out
    sums = _go_sum(fx)
    for split in (False, True):
        if split:
            monkeypatch.setattr(verify_plan, "SPLIT_ZIP_AT", 0)
            monkeypatch.setattr(verify_plan, "ZIP_CHUNK", 1)
        res = verify(fx.gomodcache, _reqs(fx), no_memo=True, workers=1)
        ma, mb = res.modules[ALPHA], res.modules[BIG]
        assert ma.zip_present and ma.zip_h1 is None
        assert ma.zip_error == "zip: not a valid zip file"
        assert mb.zip_error is not None or mb.zip_h1 != sums[" ".join(BIG)]
        # The extracted trees are intact; with no zip to compare, no diff.
        assert ma.dir_h1 == sums[" ".join(ALPHA)] and ma.diff is None
        assert mb.dir_h1 == sums[" ".join(BIG)]
        assert res.modules[PSEUDO].zip_h1 == sums[" ".join(PSEUDO)]


def test_errors_are_values(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    a = module_files(fx.gomodcache, *ALPHA)
    b = module_files(fx.gomodcache, *BIG)
    _writable(a.extracted_dir)
    dangling = os.path.join(a.extracted_dir, "dangling")
    os.symlink("/nonexistent/target", dangling)
    os.remove(b.zip)
    os.mkdir(b.zip)  # a directory where the zip should be
    reqs = [*_reqs(fx), ("example.com/x", "v1.0", True), ("not a path", "v1.0.0", True)]
    res = verify(fx.gomodcache, reqs, no_memo=True, workers=1)
    ma, mb = res.modules[ALPHA], res.modules[BIG]
    assert ma.dir_error == f"open {dangling}: no such file or directory"
    assert ma.dir_h1 is None and ma.zip_h1 is not None
    assert mb.zip_error == f"read {b.zip}: not a regular file"
    assert res.modules[("example.com/x", "v1.0")].error == 'non-canonical module version "v1.0"'
    assert res.modules[("not a path", "v1.0.0")].error
    assert _go_verify(fx)[0] == 1
    out = _go_verify(fx)[1]
    assert f"example.com/alpha v1.0.0: open {dangling}: no such file or directory" in out


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their mode")
def test_unreadable_files_are_errors(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    a = module_files(fx.gomodcache, *ALPHA)
    b = module_files(fx.gomodcache, *BIG)
    sub = os.path.join(a.extracted_dir, "sub")
    os.chmod(sub, 0)
    os.chmod(b.zip, 0)
    try:
        res = verify(fx.gomodcache, _reqs(fx), no_memo=True, workers=1)
        assert res.modules[ALPHA].dir_error == f"open {sub}: permission denied"
        assert res.modules[BIG].zip_error == f"open {b.zip}: permission denied"
        code, out = _go_verify(fx)
        assert code == 1
        assert f"example.com/alpha v1.0.0: open {sub}: permission denied" in out
    finally:
        os.chmod(sub, 0o555)
        os.chmod(b.zip, 0o444)


def test_permission_errors_are_values(
    sample_cache: CacheFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As above, but by failing the system calls themselves (works as root too)."""
    fx = sample_cache
    a = module_files(fx.gomodcache, *ALPHA)
    b = module_files(fx.gomodcache, *BIG)
    p = module_files(fx.gomodcache, *PSEUDO)
    sub = os.path.join(a.extracted_dir, "sub")
    p_go = os.path.join(p.extracted_dir, "p.go")
    real_open, real_scandir = os.open, os.scandir

    def denied(name: Any) -> OSError:
        return PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)

    # Opened by path, or by name in a directory (alpha's sub/; pseudo has one too).
    by_path = {b.zip, b.mod, p_go}
    by_name = {("sub", a.extracted_dir), ("p.go", p.extracted_dir)}

    def fake_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: Any = None) -> int:
        if dir_fd is None and path in by_path:
            raise denied(path)
        if dir_fd is not None and any(
            os.fsdecode(path) == name and os.path.samestat(os.fstat(dir_fd), os.stat(d))
            for name, d in by_name
        ):
            raise denied(path)
        return real_open(path, flags, mode, dir_fd=dir_fd)

    def fake_scandir(path: Any = ".") -> Any:
        if path == p.download_dir:
            raise denied(path)
        return real_scandir(path)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)
    res = verify(fx.gomodcache, _reqs(fx), no_memo=True, workers=1)
    assert res.modules[ALPHA].dir_error == f"open {sub}: permission denied"
    assert res.modules[BIG].zip_error == f"open {b.zip}: permission denied"
    assert res.modules[PSEUDO].dir_error == f"open {p_go}: permission denied"
    assert res.modules[CASE].dir_error is None and res.modules[CASE].dir_h1 is not None
    states = inspect_many(fx.gomodcache, [BIG, PSEUDO])
    assert states[BIG].mod_unreadable
    assert states[BIG].errors == [f"open {b.mod}: permission denied"]
    # An unlistable @v directory: its files are still found by name.
    sp = states[PSEUDO]
    assert sp.errors == [f"open {p.download_dir}: permission denied"]
    assert sorted(sp.stats) == ["info", "lock", "mod", "zip", "ziphash"]
    assert sp.extracted.status == "complete"


def test_missing_and_unrequested_dirs(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    a = module_files(fx.gomodcache, *ALPHA)
    shutil.rmtree(a.extracted_dir, onerror=lambda f, p, e: (_writable(p), os.remove(p)))
    res = verify(fx.gomodcache, [(*ALPHA, True), (*BIG, False)], no_memo=True, workers=1)
    ma, mb = res.modules[ALPHA], res.modules[BIG]
    assert ma.zip_h1 is not None and not ma.dir_checked and ma.dir_error is None
    assert mb.zip_h1 is not None and not mb.dir_checked and mb.dir_h1 is None


# --------------------------------------------------------------------------- memo


class _CountingHashes:
    """Counts what the worker functions hash (workers=1 runs them here)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list[str] = []
        self.zips: list[str] = []
        task_files, task_zip = verify_plan._task_files, verify_plan._task_zip

        def files(groups: list[tuple[str, list[str], list[bool]]]) -> Any:
            self.files.extend(f"{root}/{rel}" for root, rels, _ in groups for rel in rels)
            return task_files(groups)

        def zips(path: str, pair: tuple[str, str] | None = None) -> Any:
            self.zips.append(path)
            out = task_zip(path, pair)
            # the files the zip's task read and compared count as hashed too
            if pair is not None:
                self.files.extend(f"{pair[0]}/{rel}" for rel, _ in out[4])
            return out

        monkeypatch.setattr(verify_plan, "_task_files", files)
        monkeypatch.setattr(verify_plan, "_task_zip", zips)

    def reset(self) -> None:
        self.files.clear()
        self.zips.clear()


def test_memo_hits_and_invalidation(
    sample_cache: CacheFixture, memo_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fx = sample_cache
    _age(fx)
    count = _CountingHashes(monkeypatch)
    reqs = _reqs(fx)
    nfiles = sum(len(m.files) for m in fx.modules if (m.path, m.version) in _mvs(fx))

    first = verify(fx.gomodcache, reqs, memo=memo_path, workers=1)
    assert first.stats.memo_used and first.stats.memo_error is None
    assert len(count.zips) == len(reqs) and len(count.files) == nfiles
    assert first.stats.files_hashed == nfiles and first.stats.files_memo == 0

    count.reset()
    second = verify(fx.gomodcache, reqs, memo=memo_path, workers=1)
    assert count.zips == [] and count.files == []
    assert second.stats.zips_memo == second.stats.dirs_memo == len(reqs)
    assert second.stats.files_memo == nfiles and second.stats.bytes_hashed == 0
    for key, m in second.modules.items():
        f = first.modules[key]
        assert (m.zip_h1, m.dir_h1) == (f.zip_h1, f.dir_h1)
        assert m.zip_from_memo and m.dir_from_memo

    # A new mtime on one file: only that file is hashed again, the zip not at all.
    a = module_files(fx.gomodcache, *ALPHA)
    touched = os.path.join(a.extracted_dir, "sub", "deep", "deep.go")
    os.utime(touched, ns=(HOUR_AGO_NS + 10**9, HOUR_AGO_NS + 10**9))
    count.reset()
    third = verify(fx.gomodcache, reqs, memo=memo_path, workers=1)
    assert count.files == [touched] and count.zips == []
    assert third.stats.dirs_memo == len(reqs) - 1 and third.stats.dirs_hashed == 1
    assert third.modules[ALPHA].dir_h1 == first.modules[ALPHA].dir_h1
    count.reset()
    verify(fx.gomodcache, reqs, memo=memo_path, workers=1)
    assert count.files == []  # memoized again under its new identity

    # A touched zip is hashed again; no_memo hashes everything and stores nothing.
    os.utime(a.zip, ns=(HOUR_AGO_NS + 10**9, HOUR_AGO_NS + 10**9))
    count.reset()
    verify(fx.gomodcache, reqs, memo=memo_path, workers=1)
    assert count.zips == [a.zip] and count.files == []
    size = os.path.getsize(memo_path)
    count.reset()
    res = verify(fx.gomodcache, reqs, memo=memo_path, no_memo=True, workers=1)
    assert len(count.zips) == len(reqs) and len(count.files) == nfiles
    assert not res.stats.memo_used and os.path.getsize(memo_path) == size


def test_memo_keeps_the_diff(
    sample_cache: CacheFixture, memo_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A modified tree is named again from the memo alone, with nothing rehashed."""
    fx = sample_cache
    a = module_files(fx.gomodcache, *ALPHA)
    _edit(os.path.join(a.extracted_dir, "alpha.go"))
    _writable(os.path.join(a.extracted_dir, "sub"))
    os.remove(os.path.join(a.extracted_dir, "sub", "deep", "deep.go"))
    _age(fx)
    first = verify(fx.gomodcache, _reqs(fx), memo=memo_path, workers=1)
    count = _CountingHashes(monkeypatch)
    second = verify(fx.gomodcache, _reqs(fx), memo=memo_path, workers=1)
    assert count.files == [] and count.zips == []
    for res in (first, second):
        d = res.modules[ALPHA].diff
        assert d is not None
        assert (d.edited, d.added, d.removed) == (["alpha.go"], [], ["sub/deep/deep.go"])


def test_memo_skips_racily_clean_files(
    sample_cache: CacheFixture, memo_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fx = sample_cache
    _age(fx)
    a = module_files(fx.gomodcache, *ALPHA)
    fresh = os.path.join(a.extracted_dir, "LICENSE")
    os.utime(fresh)  # now: a later write in the same tick could go unseen
    verify(fx.gomodcache, _reqs(fx), memo=memo_path, workers=1)
    count = _CountingHashes(monkeypatch)
    res = verify(fx.gomodcache, _reqs(fx), memo=memo_path, workers=1)
    assert count.files == [fresh] and count.zips == []
    assert res.stats.dirs_memo == len(fx.downloads) - 1


def test_corrupt_or_unusable_memo_is_rebuilt_or_ignored(
    sample_cache: CacheFixture, tmp_path: Path
) -> None:
    fx = sample_cache
    _age(fx)
    sums = _go_sum(fx)
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    res = verify(fx.gomodcache, _reqs(fx), memo=garbage, workers=1)
    assert res.stats.memo_rebuilt and res.stats.memo_used
    assert all(m.zip_h1 == sums[f"{p} {v}"] for (p, v), m in res.modules.items())
    again = verify(fx.gomodcache, _reqs(fx), memo=garbage, workers=1)
    assert again.stats.dirs_memo == len(fx.downloads) and not again.stats.memo_rebuilt

    # A database of another schema is started over.
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('schema', 'something else')")
        db.execute("CREATE TABLE zips (x)")
    db.close()
    res = verify(fx.gomodcache, _reqs(fx), memo=other, workers=1)
    assert res.stats.memo_used and res.stats.memo_error is None
    assert verify(fx.gomodcache, _reqs(fx), memo=other, workers=1).stats.zips_memo == len(
        fx.downloads
    )

    # Rows of the wrong types: misses, never an exception.
    with sqlite3.connect(other) as db:
        db.execute("UPDATE zips SET h1 = 42, names = 'x', digests = x'00'")
        db.execute("UPDATE dirs SET fingerprint = 'x', h1 = 42, sizes = 'x', digests = 7")
    db.close()
    res = verify(fx.gomodcache, _reqs(fx), memo=other, workers=1)
    assert all(m.zip_h1 == sums[f"{p} {v}"] for (p, v), m in res.modules.items())

    # A memo that cannot be created at all.
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    res = verify(fx.gomodcache, _reqs(fx), memo=blocked / "memo.sqlite3", workers=1)
    assert not res.stats.memo_used and res.stats.memo_error
    assert all(m.zip_h1 == sums[f"{p} {v}"] for (p, v), m in res.modules.items())


_OTHER_PROCESS = """
import json, sys
from gomod_doctor.cache.verify import verify
cache, memo = sys.argv[1], sys.argv[2]
reqs = json.loads(sys.argv[3])
out = []
for _ in range(3):
    r = verify(cache, [tuple(x) for x in reqs], memo=memo, workers=1)
    out.append([r.stats.memo_error, sorted(m.dir_h1 or "" for m in r.modules.values())])
print(json.dumps(out))
"""


def test_memo_shared_by_concurrent_users(sample_cache: CacheFixture, memo_path: str) -> None:
    """Threads (each with its connection) and another process, on a fresh memo."""
    fx = sample_cache
    _age(fx)
    results: list[VerifyResult] = []
    errors: list[BaseException] = []
    other = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _OTHER_PROCESS,
            str(fx.gomodcache),
            memo_path,
            json.dumps(_reqs(fx)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )

    def run() -> None:
        try:
            for _ in range(3):
                results.append(verify(fx.gomodcache, _reqs(fx), memo=memo_path, workers=1))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out, _ = other.communicate(timeout=60)
    assert errors == [] and other.returncode == 0
    assert [r.stats.memo_error for r in results if r.stats.memo_error] == []
    h = sorted(m.dir_h1 or "" for m in results[0].modules.values())
    assert all(sorted(m.dir_h1 or "" for m in r.modules.values()) == h for r in results)
    assert json.loads(out) == [[None, h]] * 3


def test_default_memo_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_memo_path() == str(tmp_path / "xdg" / "gomod-doctor" / "memo.sqlite3")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_memo_path() == str(
        tmp_path / "home" / ".cache" / "gomod-doctor" / "memo.sqlite3"
    )
    with Memo() as m:
        assert m.usable and os.path.exists(m.path)


# --------------------------------------------------------------------------- progress, cancel


def test_background_verification_workers(
    sample_cache: CacheFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """background=True (the language server's): cores - 1 worker processes, at least
    one (so that the hashing leaves the caller's process even on 2 cores), each at a
    lower CPU priority; the foreground pool keeps the caller's priority. Same hashes."""
    fx = sample_cache
    monkeypatch.setattr(verify_mod, "INLINE_BYTES", 0)
    for cores, workers in ((1, 1), (2, 1), (8, 7)):
        monkeypatch.setattr(verify_runner, "usable_cores", lambda c=cores: c)
        assert verify_mod.background_workers() == workers
    pools: list[Any] = []

    class Recording(verify_mod.ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.niceness = self.submit(os.nice, 0)  # a worker's, once it started
            self.policy = self.submit(os.sched_getscheduler, 0) if IDLE_CLASS else None
            pools.append(self)

    monkeypatch.setattr(verify_mod, "ProcessPoolExecutor", Recording)
    monkeypatch.setattr(verify_runner, "usable_cores", lambda: 2)
    background = verify(fx.gomodcache, _reqs(fx), no_memo=True, background=True)
    foreground = verify(fx.gomodcache, _reqs(fx), no_memo=True, workers=2)
    assert (background.stats.workers, foreground.stats.workers) == (1, 2)
    bg, fg = pools
    mine = os.nice(0)
    assert bg.niceness.result() == max(mine, verify_runner.BACKGROUND_NICE)
    assert fg.niceness.result() == mine
    if IDLE_CLASS:  # Linux: the idle scheduling class
        assert bg.policy.result() == os.SCHED_IDLE
        assert fg.policy.result() == os.sched_getscheduler(0) != os.SCHED_IDLE
    assert background.modules == foreground.modules
    assert all(m.zip_h1 and m.dir_h1 == m.zip_h1 for m in background.modules.values())


def test_verify_in_background_process(
    sample_cache: CacheFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The language server's verification runs in a process of its own: the same
    results, its progress relayed, a cancel honoured, a failure raised."""
    fx = sample_cache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # (the child's memo)
    calls: list[tuple[int, int]] = []
    res = verify_mod.verify_in_background(
        fx.gomodcache, _reqs(fx), progress=lambda d, t, c: calls.append((d, t))
    )
    direct = verify(fx.gomodcache, _reqs(fx), no_memo=True)
    assert not res.cancelled
    assert {k: (m.zip_h1, m.dir_h1) for k, m in res.modules.items()} == {
        k: (m.zip_h1, m.dir_h1) for k, m in direct.modules.items()
    }
    assert calls and calls[-1][0] == calls[-1][1] > 0
    assert (tmp_path / "xdg" / "gomod-doctor" / "memo.sqlite3").exists()

    stop = threading.Event()
    stop.set()
    assert verify_mod.verify_in_background(fx.gomodcache, _reqs(fx), cancel=stop).cancelled

    fork = multiprocessing.get_context("fork")

    def broken(*args: Any, **kwargs: Any) -> VerifyResult:
        raise OSError("no")

    monkeypatch.setattr(verify_mod, "verify", broken)
    with pytest.raises(RuntimeError, match="the verification failed: OSError: no"):
        verify_mod.verify_in_background(fx.gomodcache, _reqs(fx), mp_context=fork)

    # A cancelled one that does not answer (starved of CPU) is given up after a grace.
    def stuck(*args: Any, **kwargs: Any) -> VerifyResult:
        time.sleep(60)
        raise AssertionError("not reached")

    monkeypatch.setattr(verify_mod, "verify", stuck)
    monkeypatch.setattr(verify_mod, "CANCEL_GRACE", 0.3)
    t0 = time.monotonic()
    res = verify_mod.verify_in_background(fx.gomodcache, _reqs(fx), cancel=stop, mp_context=fork)
    assert time.monotonic() - t0 < 3.0
    assert res.cancelled and not res.modules and sorted(res.unfinished) == sorted(_mvs(fx))


def _ticks(path: Path, seconds: float) -> None:
    """Append a line to ``path`` every 10 ms for ``seconds`` of running time."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with open(path, "a") as f:
            f.write("t\n")
        time.sleep(0.01)


def _state(pid: int) -> str:
    """The process's state letter (``T``: stopped), from /proc."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2]


def _until_true(cond: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states in /proc")
def test_background_verification_is_paused_while_an_analysis_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """cache.background.paused(): the verification process and its workers are
    stopped for the body's duration (SIGSTOP to its own process group), and go on
    afterwards; the result is the verification's as usual."""
    from gomod_doctor import background

    fork = multiprocessing.get_context("fork")
    leader, worker, worker_pid = tmp_path / "leader", tmp_path / "worker", tmp_path / "pid"

    def slow(*args: Any, **kwargs: Any) -> VerifyResult:
        p = fork.Process(target=_ticks, args=(worker, 1.5))  # (as a pool worker is)
        p.start()
        worker_pid.write_text(str(p.pid))
        _ticks(leader, 1.5)
        p.join()
        return VerifyResult({})

    monkeypatch.setattr(verify_mod, "verify", slow)
    box: dict[str, Any] = {}
    t = threading.Thread(
        target=lambda: box.setdefault(
            "result", verify_mod.verify_in_background(tmp_path, [], mp_context=fork)
        )
    )
    t.start()
    deadline = time.monotonic() + 20
    while (_lines(leader) < 5 or _lines(worker) < 5) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _lines(leader) >= 5 and _lines(worker) >= 5
    [group] = background._procs
    with background.paused():
        with background.paused():  # (nested: one pause)
            worker_id = int(worker_pid.read_text())
            assert _until_true(lambda: _state(group) == "T" and _state(worker_id) == "T")
            time.sleep(0.05)  # a tick in flight lands
            before = (_lines(leader), _lines(worker))
            time.sleep(0.3)
            assert (_lines(leader), _lines(worker)) == before
        assert _state(group) == "T"  # still inside the outer pause
    time.sleep(0.2)
    assert _lines(leader) > before[0] and _lines(worker) > before[1]
    t.join(30)
    assert not t.is_alive() and box["result"].modules == {}
    assert background._procs == {}
    with background.paused():  # nothing running: nothing to do
        pass


_FORKSERVER_PRIORITY = """
import json, os, threading
from multiprocessing import forkserver
from gomod_doctor.cache import verify
ev = threading.Event()
threading.Thread(target=ev.wait, daemon=True).start()  # a process with threads
verify.prepare_background()
pid = forkserver._forkserver._forkserver_pid
print(json.dumps([os.getpriority(os.PRIO_PROCESS, pid), os.sched_getscheduler(pid)]))
"""


@pytest.mark.skipif(not IDLE_CLASS, reason="the idle scheduling class is Linux's")
def test_the_fork_server_runs_at_the_background_priority() -> None:
    """The fork server that background verifications start from (prepared by the
    language server) runs at their low priority from the start: its own imports and
    each verification's first steps never compete with an edit's analysis."""
    r = subprocess.run(
        [sys.executable, "-c", _FORKSERVER_PRIORITY], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    nice, policy = json.loads(r.stdout)
    assert nice == max(os.nice(0), verify_runner.BACKGROUND_NICE)
    assert policy == os.SCHED_IDLE


def test_progress_is_monotonic(sample_cache: CacheFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = sample_cache
    monkeypatch.setattr(verify_plan, "BATCH_FILES", 1)
    monkeypatch.setattr(verify_mod, "INLINE_BYTES", 0)
    for workers in (1, 2):
        calls: list[tuple[int, int, str]] = []

        def progress(d: int, t: int, c: str, calls: list[tuple[int, int, str]] = calls) -> None:
            calls.append((d, t, c))

        res = verify(fx.gomodcache, _reqs(fx), no_memo=True, workers=workers, progress=progress)
        assert not res.cancelled
        assert len(calls) > len(fx.downloads)
        totals = {t for _, t, _ in calls}
        assert len(totals) == 1
        total = totals.pop()
        zips = sum(os.path.getsize(d["Zip"]) for d in fx.downloads)
        assert total > zips
        dones = [d for d, _, _ in calls]
        assert dones == sorted(dones) and dones[-1] == total
        labels = {f"{p}@{v}" for p, v in _mvs(fx)}
        assert {c for _, _, c in calls if c} <= labels


def test_cancellation_stops_early(
    sample_cache: CacheFixture, memo_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fx = sample_cache
    _age(fx)
    monkeypatch.setattr(verify_plan, "BATCH_FILES", 1)
    monkeypatch.setattr(verify_mod, "INLINE_BYTES", 0)

    # Cancelled before anything starts: nothing is verified.
    res = verify(fx.gomodcache, _reqs(fx), memo=memo_path, workers=1, cancel=lambda: True)
    assert res.cancelled and res.modules == {} and len(res.unfinished) == len(fx.downloads)

    for workers in (1, 2):
        stop = threading.Event()

        def progress(done: int, total: int, current: str, stop: threading.Event = stop) -> None:
            if done:
                stop.set()

        t0 = time.perf_counter()
        res = verify(
            fx.gomodcache,
            _reqs(fx),
            no_memo=True,
            workers=workers,
            cancel=stop,
            progress=progress,
        )
        assert time.perf_counter() - t0 < 10
        assert res.cancelled and res.unfinished
        assert res.stats.files_hashed < sum(len(m.files) for m in fx.modules)
        for m in res.modules.values():  # what finished is complete and right
            assert m.zip_h1 is not None and m.zip_h1 == m.dir_h1

    # What a cancelled run finished is memoized; the next run completes.
    stop = threading.Event()
    res = verify(
        fx.gomodcache,
        _reqs(fx),
        memo=memo_path,
        workers=1,
        cancel=stop,
        progress=lambda d, t, c: stop.set() if d else None,
    )
    assert res.cancelled
    full = verify(fx.gomodcache, _reqs(fx), memo=memo_path, workers=1)
    assert not full.cancelled and len(full.modules) == len(fx.downloads)
    assert full.stats.files_memo + full.stats.zips_memo > 0


class _BrokenPool(Executor):
    """An executor whose every task dies, as with a worker killed by the OOM killer."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        f: Future[Any] = Future()
        f.set_exception(BrokenProcessPool("a worker died"))
        return f


def test_callers_executor_and_a_broken_pool(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    sums = _go_sum(fx)
    with ThreadPoolExecutor(2) as pool:
        res = verify(fx.gomodcache, _reqs(fx), no_memo=True, executor=pool)
    assert res.stats.workers == 2 and not res.stats.pool_broken
    assert all(m.zip_h1 == m.dir_h1 == sums[f"{p} {v}"] for (p, v), m in res.modules.items())
    res = verify(fx.gomodcache, _reqs(fx), no_memo=True, executor=_BrokenPool())
    assert res.stats.pool_broken and not res.cancelled
    assert all(m.zip_h1 == m.dir_h1 == sums[f"{p} {v}"] for (p, v), m in res.modules.items())
    empty = verify(fx.gomodcache, [], no_memo=True)
    assert empty.modules == {} and not empty.cancelled


def _odd_zip(path: Path, prefix: str) -> None:
    """Duplicate names, a stored member, a directory entry, an empty file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(f"{prefix}/go.mod", b"module x\n", zipfile.ZIP_DEFLATED)
            z.writestr(f"{prefix}/dup.txt", b"first\n", zipfile.ZIP_DEFLATED)
            z.writestr(f"{prefix}/stored.bin", bytes(range(256)) * 100, zipfile.ZIP_STORED)
            z.writestr(f"{prefix}/dir/", b"")
            z.writestr(f"{prefix}/empty", b"", zipfile.ZIP_DEFLATED)
            z.writestr(f"{prefix}/dup.txt", b"second\n", zipfile.ZIP_DEFLATED)


@pytest.mark.parametrize("split", [False, True])
def test_odd_zips_hash_as_hash_zip(
    tmp_path: Path, split: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if split:
        monkeypatch.setattr(verify_plan, "SPLIT_ZIP_AT", 0)
        monkeypatch.setattr(verify_plan, "ZIP_CHUNK", 1)
    cache = tmp_path / "mod"
    odd = module_files(cache, "example.com/odd", "v1.0.0")
    _odd_zip(Path(odd.zip), "example.com/odd@v1.0.0")
    empty = module_files(cache, "example.com/empty", "v1.0.0")
    Path(empty.download_dir).mkdir(parents=True)
    zipfile.ZipFile(empty.zip, "w").close()
    res = verify(
        cache,
        [("example.com/odd", "v1.0.0", True), ("example.com/empty", "v1.0.0", False)],
        no_memo=True,
        workers=1,
    )
    for f in (odd, empty):
        m = res.modules[(f.path, f.version)]
        assert m.zip_h1 == hash_zip(f.zip) and m.zip_error is None
    assert not res.modules[("example.com/odd", "v1.0.0")].dir_checked


def test_hashes_agree_with_hashing_module(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    res = verify(fx.gomodcache, _reqs(fx), no_memo=True, workers=1)
    for (path, version), m in res.modules.items():
        assert m.zip_h1 == hash_zip(m.zip)
        assert m.dir_h1 == hash_dir(m.dir, f"{path}@{version}")


_START_IN = """
import json, sys, threading
from gomod_doctor.cache.verify.runner import default_context
threading.Thread(target=threading.Event().wait, daemon=True).start()  # as in a server
ctx = default_context()
p = ctx.Process(target=sys.exit, args=(7,))
try:
    p.start()
    p.join(30)
    out = {"method": ctx.get_start_method(), "exit": p.exitcode}
except OSError as e:
    out = {"method": ctx.get_start_method(), "error": str(e)}
print(json.dumps(out))
"""


@pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here"
)
def test_a_long_tmpdir_never_stops_background_processes(tmp_path: Path) -> None:
    """The fork server listens on a Unix socket under TMPDIR, whose path may not be
    longer than 107 bytes: under a longer TMPDIR the processes of a server (a process
    with threads) are spawned instead; at the limit the fork server still starts."""
    fits = verify_runner.UNIX_PATH_MAX - len("/pymp-12345678/listener-12345678")

    def start_under(length: int) -> dict[str, Any]:
        d = tmp_path / ("t" * max(1, length - len(str(tmp_path)) - 1))
        d.mkdir(exist_ok=True)
        assert len(str(d)) == length
        env = {**os.environ, "TMPDIR": str(d)}
        done = subprocess.run(
            [sys.executable, "-c", _START_IN], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        out: dict[str, Any] = json.loads(done.stdout)
        return out

    if len(str(tmp_path)) + 2 > fits:
        pytest.skip("the test's own temp dir is too long to build a fitting TMPDIR under it")
    assert verify_runner.forkserver_fits("/" + "t" * (fits - 1))
    assert not verify_runner.forkserver_fits("/" + "t" * fits)
    assert start_under(fits) == {"method": "forkserver", "exit": 7}
    assert start_under(fits + 1) == {"method": "spawn", "exit": 7}
    # the check is not idle: the fork server itself cannot start there
    d = tmp_path / ("t" * (fits + 1 - len(str(tmp_path)) - 1))
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import multiprocessing as m; m.set_start_method('forkserver');"
            "p = m.Process(target=print); p.start(); p.join()",
        ],
        env={**os.environ, "TMPDIR": str(d)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode != 0 and "AF_UNIX path too long" in probe.stderr
