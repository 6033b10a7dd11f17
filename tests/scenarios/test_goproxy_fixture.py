"""The test GOPROXY server and the caches built through it, checked with real go."""

from __future__ import annotations

import json
import os
import re
import stat
import urllib.request
import zipfile
from pathlib import Path

import pytest

from gomod_doctor.module.escape import escape_version
from goproxy import (
    SAMPLE_REQUIRES,
    CacheFixture,
    GoProxy,
    ModuleSpec,
    Response,
    build_cache,
    make_writable_and_remove,
    refused_url,
    sample_modules,
    write_workspace,
)
from gotool import isolated_env, run_go

ALPHA = ModuleSpec("example.com/alpha", "v1.0.0", {"alpha.go": b"package alpha\n"})


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _workspace(
    tmp_path: Path, proxy: GoProxy, mods: list[ModuleSpec]
) -> tuple[Path, dict[str, str]]:
    ws = tmp_path / "ws"
    write_workspace(ws, mods, [(m.path, m.version) for m in mods])
    return ws, isolated_env(tmp_path / "goenv", GOPROXY=proxy.url)


def test_protocol_endpoints(goproxy: GoProxy) -> None:
    upper = ModuleSpec("github.com/Upper/Case", "v1.0.0-RC1", {"c.go": b"package Case\n"})
    pseudo = ModuleSpec("github.com/Upper/Case", "v0.0.0-20240101000000-0123456789ab")
    goproxy.add(upper, pseudo)
    base = f"{goproxy.url}/github.com/!upper/!case"
    assert _get(f"{base}/@v/list") == (200, b"v1.0.0-RC1\n")  # no pseudo-versions
    status, info = _get(f"{base}/@v/v1.0.0-!r!c1.info")
    assert status == 200
    assert json.loads(info) == {"Version": "v1.0.0-RC1", "Time": "2024-01-02T03:04:05Z"}
    assert _get(f"{base}/@v/v1.0.0-!r!c1.mod") == (
        200,
        b"module github.com/Upper/Case\n\ngo 1.21\n",
    )
    status, data = _get(f"{base}/@v/v1.0.0-!r!c1.zip")
    assert (status, data) == (200, upper.zip_bytes())
    status, latest = _get(f"{base}/@latest")
    assert status == 200
    assert json.loads(latest)["Version"] == "v1.0.0-RC1"
    status, body = _get(f"{goproxy.url}/github.com/Upper/Case/@v/list")  # not escaped
    assert status == 404
    assert body.startswith(b"not found:")
    assert _get(f"{base}/@v/v9.9.9.info")[0] == 404
    assert goproxy.requests[0] == "/github.com/!upper/!case/@v/list"
    assert "/github.com/!upper/!case/@v/v1.0.0-!r!c1.zip" in goproxy.requests


def test_zip_follows_module_zip_layout(goproxy: GoProxy, tmp_path: Path) -> None:
    legacy = ModuleSpec("example.com/old", "v3.0.0+incompatible", {"old.go": b"package old\n"})
    goproxy.add(ALPHA, legacy)
    for spec, has_gomod in ((ALPHA, True), (legacy, False)):
        path = tmp_path / f"{spec.path.replace('/', '_')}.zip"
        path.write_bytes(spec.zip_bytes())
        names = zipfile.ZipFile(path).namelist()
        assert all(n.startswith(f"{spec.path}@{spec.version}/") for n in names)
        assert (f"{spec.path}@{spec.version}/go.mod" in names) is has_gomod
    # go synthesizes "module <path>" for a module without go.mod; so do we.
    assert legacy.mod_bytes() == b"module example.com/old\n"


def test_go_downloads_verifies_and_builds(goproxy: GoProxy, tmp_path: Path) -> None:
    mods = sample_modules()
    goproxy.add(*mods)
    ws = tmp_path / "ws"
    write_workspace(ws, mods, SAMPLE_REQUIRES)
    env = isolated_env(tmp_path / "goenv", GOPROXY=goproxy.url)
    res = run_go(["mod", "download", "-json", "all"], ws, env)
    assert res.returncode == 0, res.stderr
    res = run_go(["mod", "verify"], ws, env)
    assert (res.returncode, res.stdout) == (0, "all modules verified\n"), res.stderr
    res = run_go(["build", "./..."], ws, env)
    assert res.returncode == 0, res.stderr
    # go fetched .mod, .info and .zip of every module, with escaped paths and versions.
    for path, version in [*SAMPLE_REQUIRES, ("example.com/dep", "v1.1.0")]:
        spec = next(m for m in mods if (m.path, m.version) == (path, version))
        for suffix in ("mod", "info", "zip"):
            want = goproxy.module_url(spec.path, f"@v/{escape_version(version)}.{suffix}")
            assert want in goproxy.requests
    assert "/example.com/!mixed/!big/@v/v1.3.0-!r!c1.zip" in goproxy.requests


def test_unknown_module_gives_gos_not_found_error(goproxy: GoProxy, tmp_path: Path) -> None:
    missing = ModuleSpec("example.com/missing", "v1.0.0")  # never added to the proxy
    ws, env = _workspace(tmp_path, goproxy, [missing])
    res = run_go(["mod", "download", "all"], ws, env)
    assert res.returncode != 0
    # go asks for .info or .mod first, depending on the command.
    base = re.escape(f"{goproxy.url}/example.com/missing/@v/v1.0.0.")
    want = (
        rf"go: example.com/missing@v1.0.0: reading {base}(info|mod): 404 Not Found\n"
        r"\tserver response: not found: /example.com/missing/@v/v1\.0\.0\.(info|mod)\n"
    )
    assert re.fullmatch(want, res.stderr), res.stderr


@pytest.mark.parametrize(
    ("answer", "expect"),
    [
        (Response(500, b"boom"), "500 Internal Server Error"),
        (Response(503, b"later"), "503 Service Unavailable"),
        (Response(410, b"gone"), "410 Gone"),
        (lambda p, d: Response(body=d.body, truncate_at=50), "unexpected EOF"),
        (Response(reset=True), "connection reset by peer"),
        (Response(body=b"this is not a zip"), "zip: not a valid zip file"),
    ],
)
def test_fault_injection_on_zip(
    goproxy: GoProxy, tmp_path: Path, answer: object, expect: str
) -> None:
    goproxy.add(ALPHA)
    zip_url = goproxy.module_url(ALPHA.path, "@v/v1.0.0.zip")
    goproxy.override(zip_url, answer)  # type: ignore[arg-type]
    ws, env = _workspace(tmp_path, goproxy, [ALPHA])
    res = run_go(["mod", "download", "all"], ws, env, timeout=30)
    assert res.returncode != 0
    assert expect in res.stderr, res.stderr
    # go keeps no zip from a failed download.
    at_v = Path(env["GOMODCACHE"]) / "cache/download/example.com/alpha/@v"
    assert not (at_v / "v1.0.0.zip").exists()
    assert [p.name for p in at_v.glob("*.tmp")] == []


def test_refused_and_slow(goproxy: GoProxy, tmp_path: Path) -> None:
    ws, env = _workspace(tmp_path, goproxy, [ALPHA])
    res = run_go(["mod", "download", "all"], ws, {**env, "GOPROXY": refused_url()}, timeout=30)
    assert res.returncode != 0
    assert "connection refused" in res.stderr
    goproxy.add(ALPHA)

    def slow(path: str, default: Response | None) -> Response | None:
        if default is None:
            return None
        return Response(body=default.body, chunk_size=256, chunk_delay=0.001, delay=0.1)

    goproxy.override(lambda p: p.endswith(".zip"), slow)
    res = run_go(["mod", "download", "all"], ws, env, timeout=30)
    assert res.returncode == 0, res.stderr


def test_build_cache_is_memoized_and_copies_are_private(
    make_cache: object, cache_store: Path
) -> None:
    mods = [ALPHA]
    first: CacheFixture = make_cache(mods)  # type: ignore[operator]
    second: CacheFixture = make_cache(mods)  # type: ignore[operator]
    assert len([p for p in cache_store.iterdir() if p.is_dir()]) >= 1
    assert first.root != second.root
    for fx in (first, second):
        assert fx.gomodcache.is_relative_to(fx.root)
        d = fx.download(ALPHA.path, ALPHA.version)
        assert d["Dir"] == str(fx.gomodcache / "example.com/alpha@v1.0.0")
        assert Path(d["Zip"]).is_file()
        assert "example.com/alpha v1.0.0 h1:" in fx.go_sum.read_text()
        res = run_go(["mod", "verify"], fx.workspace, fx.env)
        assert res.stdout == "all modules verified\n", res.stderr
    # Changing one copy does not touch the other.
    make_writable_and_remove(first.gomodcache / "example.com/alpha@v1.0.0")
    assert (second.gomodcache / "example.com/alpha@v1.0.0/alpha.go").is_file()


def test_cache_is_real_and_read_only(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    res = run_go(["mod", "verify"], fx.workspace, fx.env)
    assert res.stdout == "all modules verified\n", res.stderr
    res = run_go(["build", "./..."], fx.workspace, fx.env)
    assert res.returncode == 0, res.stderr
    d = fx.download("github.com/Upper/Case", "v2.1.0+incompatible")
    assert d["Dir"].endswith("github.com/!upper/!case@v2.1.0+incompatible")
    mode = os.stat(d["Dir"]).st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert fx.env["GOPROXY"] == "off"


def test_build_cache_without_store(tmp_path: Path) -> None:
    fx = build_cache(tmp_path / "c", [ALPHA])
    assert (fx.gomodcache / "cache/download/example.com/alpha/@v/v1.0.0.ziphash").is_file()
    make_writable_and_remove(fx.root)
    assert not fx.root.exists()
