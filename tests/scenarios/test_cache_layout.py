"""The go command's module-cache paths, checked against caches go wrote itself,
including the leftovers of a download killed midway."""

from __future__ import annotations

import os
import random
import re
import subprocess
from pathlib import Path

import pytest

from gomod_doctor.cache.layout import (
    CachePathError,
    ExtractedModule,
    Leftover,
    cache_path,
    download_dir,
    extracted_dir,
    extracted_state,
    find_leftovers,
    iter_extracted,
    leftovers,
    module_files,
)
from goproxy import (
    CacheFixture,
    GoProxy,
    ModuleSpec,
    Response,
    make_writable_and_remove,
    wait_until,
    write_workspace,
)
from gotool import GO, isolated_env, run_go


def test_paths_are_where_go_put_them(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    for d in fx.downloads:
        f = module_files(fx.gomodcache, d["Path"], d["Version"])
        assert (f.info, f.mod, f.zip, f.extracted_dir) == (
            d["Info"],
            d["GoMod"],
            d["Zip"],
            d["Dir"],
        )
        for p in (f.info, f.mod, f.zip, f.ziphash, f.lock, f.list):
            assert os.path.isfile(p), p
        assert not os.path.exists(f.partial)
        assert f.download_dir == os.path.dirname(d["Zip"])
        assert f.download_dir == download_dir(fx.gomodcache, d["Path"])
        assert f.zip == cache_path(fx.gomodcache, d["Path"], d["Version"], "zip")
        assert f.extracted_dir == extracted_dir(fx.gomodcache, d["Path"], d["Version"])
        assert f.prefix == f"{d['Path']}@{d['Version']}"
        assert extracted_state(fx.gomodcache, d["Path"], d["Version"]).status == "complete"
        assert leftovers(fx.gomodcache, d["Path"], d["Version"]) == []
    f = module_files(fx.gomodcache, "example.com/Mixed/Big", "v1.3.0-RC1")
    assert f.zip.endswith("/cache/download/example.com/!mixed/!big/@v/v1.3.0-!r!c1.zip")
    assert f.extracted_dir.endswith("/example.com/!mixed/!big@v1.3.0-!r!c1")
    assert find_leftovers(fx.gomodcache) == []
    assert sorted(iter_extracted(fx.gomodcache), key=lambda e: e.dir) == sorted(
        (ExtractedModule(d["Path"], d["Version"], d["Dir"]) for d in fx.downloads),
        key=lambda e: e.dir,
    )


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("v1.0", 'non-canonical module version "v1.0"'),
        ("v1.0.0+build", 'non-canonical module version "v1.0.0+build"'),
        ("latest", 'non-semver module version "latest"'),
    ],
)
def test_versions_go_has_no_path_for(tmp_path: Path, version: str, message: str) -> None:
    with pytest.raises(CachePathError, match=re.escape(message)):
        module_files(tmp_path, "example.com/m", version)


def test_invalid_module_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="malformed module path"):
        download_dir(tmp_path, "not a path")


def test_download_killed_mid_zip(tmp_path: Path) -> None:
    blob = random.Random(7).randbytes(1 << 20)  # incompressible: the zip is over 1 MB
    spec = ModuleSpec("example.com/Big", "v1.2.3", {"big.go": b"package big\n", "blob": blob})
    ws = tmp_path / "ws"
    write_workspace(ws, [spec], [(spec.path, spec.version)])
    with GoProxy([spec]) as proxy:
        zip_url = proxy.module_url(spec.path, "@v/v1.2.3.zip")
        proxy.override(
            zip_url, lambda p, d: Response(body=d.body, hang_after=100_000) if d else None
        )
        env = isolated_env(tmp_path / "goenv", GOPROXY=proxy.url)
        gomodcache = Path(env["GOMODCACHE"])
        files = module_files(gomodcache, spec.path, spec.version)
        proc = subprocess.Popen(
            [GO, "mod", "download", "all"],
            cwd=ws,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert proxy.wait_for_request(zip_url, timeout=10)

            def half_written() -> bool:
                return any(
                    left.kind == "tmp" and os.path.getsize(left.file) >= 100_000
                    for left in find_leftovers(gomodcache)
                )

            assert wait_until(half_written, timeout=10)
        finally:
            proc.kill()
            proc.wait(timeout=30)

    # What go left: the .info and .mod (complete), the lock, the list, and the
    # zip's temp file; no .zip, no .ziphash, no extracted directory.
    names = sorted(os.listdir(files.download_dir))
    tmp = [n for n in names if n.endswith(".tmp")]
    assert len(tmp) == 1
    assert tmp[0].startswith("v1.2.3.zip") and tmp[0][len("v1.2.3.zip") : -4].isdigit()
    assert sorted(set(names) - set(tmp)) == ["list", "v1.2.3.info", "v1.2.3.lock", "v1.2.3.mod"]
    assert not os.path.exists(files.extracted_dir)
    want = [
        Leftover("tmp", os.path.join(files.download_dir, tmp[0]), spec.path, "v1.2.3", of="zip")
    ]
    assert leftovers(gomodcache, spec.path, spec.version) == want
    assert find_leftovers(gomodcache) == want
    assert extracted_state(gomodcache, spec.path, spec.version).status == "absent"

    # The next download cleans up after it.
    with GoProxy([spec]) as proxy:
        res = run_go(["mod", "download", "all"], ws, {**env, "GOPROXY": proxy.url})
    assert res.returncode == 0, res.stderr
    assert find_leftovers(gomodcache) == []
    assert extracted_state(gomodcache, spec.path, spec.version).status == "complete"
    make_writable_and_remove(tmp_path / "goenv")


def test_partial_extraction_and_old_temp_dirs(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    path, version = "example.com/pseudo", "v0.0.0-20240102030405-abcdefabcdef"
    f = module_files(fx.gomodcache, path, version)
    # Simulate a go killed while extracting (after writing .partial), and a temp
    # dir left by go < 1.16.
    Path(f.partial).touch()
    os.chmod(f.extracted_dir, 0o755)
    Path(f.extracted_dir, "stray.go").write_text("package pseudo\n")
    old_tmp = f.extracted_dir + ".tmp-123456789"
    os.mkdir(old_tmp)
    Path(old_tmp, "p.go").write_text("package pseudo\n")

    state = extracted_state(fx.gomodcache, path, version)
    assert (state.status, state.reason) == ("partial", "not completely extracted")
    want = [
        Leftover("partial", f.partial, path, version, dir=f.extracted_dir),
        Leftover("tmp-dir", old_tmp, path, version),
    ]
    assert leftovers(fx.gomodcache, path, version) == want
    assert find_leftovers(fx.gomodcache) == want
    assert ExtractedModule(path, version, f.extracted_dir) in list(iter_extracted(fx.gomodcache))
    assert all(e.dir != old_tmp for e in iter_extracted(fx.gomodcache))

    # go agrees: it treats the directory as absent and extracts the zip again,
    # removing the stray file, the .partial marker and the old temp dir.
    res = run_go(["mod", "download", f"{path}@{version}"], fx.workspace, fx.env)
    assert res.returncode == 0, res.stderr
    assert not os.path.exists(os.path.join(f.extracted_dir, "stray.go"))
    assert extracted_state(fx.gomodcache, path, version).status == "complete"
    assert find_leftovers(fx.gomodcache) == []


def test_missing_ziphash_makes_the_dir_incomplete(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    path, version = "example.com/dep", "v1.1.0"
    f = module_files(fx.gomodcache, path, version)
    os.remove(f.ziphash)
    state = extracted_state(fx.gomodcache, path, version)
    assert (state.status, state.reason) == ("partial", "ziphash file is missing")
    assert leftovers(fx.gomodcache, path, version) == []
    # go re-hashes the zip and rewrites the .ziphash.
    res = run_go(["mod", "download", f"{path}@{version}"], fx.workspace, fx.env)
    assert res.returncode == 0, res.stderr
    assert extracted_state(fx.gomodcache, path, version).status == "complete"


def test_not_a_directory(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    path, version = "example.com/dep", "v1.1.0"
    f = module_files(fx.gomodcache, path, version)
    make_writable_and_remove(f.extracted_dir)
    Path(f.extracted_dir).write_text("oops")
    state = extracted_state(fx.gomodcache, path, version)
    assert (state.status, state.reason) == ("partial", "not a directory")
    assert extracted_state(fx.gomodcache, "example.com/none", "v1.0.0").status == "absent"
