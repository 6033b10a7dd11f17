"""h1: hashes against the real go command: caches, go.sum and odd zips go hashed."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import struct
import sys
import tracemalloc
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gomod_doctor.cache.hashing import (
    ZipError,
    dir_entries,
    hash1,
    hash_dir,
    hash_gomod,
    hash_zip,
    read_zip_members,
    zip_entries,
)
from gomod_doctor.module.escape import escape_path, escape_version
from goproxy import (
    CacheFixture,
    GoProxy,
    ModuleSpec,
    make_writable_and_remove,
    parse_json_stream,
    write_workspace,
)
from gotool import isolated_env, run_go


def _go_sum(fx: CacheFixture) -> dict[tuple[str, str], str]:
    out = {}
    for line in fx.go_sum.read_text().splitlines():
        path, version, h = line.split()
        out[(path, version)] = h
    return out


def _ziphash(gomodcache: Path, path: str, version: str) -> Path:
    at_v = gomodcache / "cache/download" / escape_path(path) / "@v"
    return at_v / f"{escape_version(version)}.ziphash"


# --------------------------------------------------------------------------- real cache


def test_hashes_match_what_go_wrote(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    sums = _go_sum(fx)
    seen = set()
    for d in fx.downloads:
        path, version = d["Path"], d["Version"]
        seen.add(path)
        h = hash_zip(d["Zip"])
        assert h == Path(d["Zip"] + "hash").read_text() == d["Sum"]
        assert h == sums[(path, version)]
        assert hash_zip(d["Zip"], f"{path}@{version}") == h
        assert hash_zip(d["Zip"], verify_crc=True) == h
        assert hash_dir(d["Dir"], f"{path}@{version}") == h
        gomod = Path(d["GoMod"]).read_bytes()
        assert hash_gomod(gomod) == d["GoModSum"] == sums[(path, f"{version}/go.mod")]
        assert hash_gomod(gomod, f"{path}@{version}") == d["GoModSum"]
    # Escaped upper case, +incompatible, pseudo-versions, a /v2 module and its dep.
    assert seen == {
        "example.com/alpha",
        "github.com/Upper/Case",
        "example.com/pseudo",
        "example.com/Mixed/Big",
        "example.com/two/v2",
        "example.com/dep",
    }


def test_entries_of_zip_and_dir_agree_and_show_edits(sample_cache: CacheFixture) -> None:
    d = sample_cache.download("example.com/alpha", "v1.0.0")
    prefix = "example.com/alpha@v1.0.0"
    from_zip = zip_entries(d["Zip"])
    assert from_zip == dir_entries(d["Dir"], prefix)
    assert from_zip[f"{prefix}/empty.txt"] == (0, hashlib.sha256(b"").hexdigest())
    assert from_zip[f"{prefix}/données.txt"] == (3, hashlib.sha256("é\n".encode()).hexdigest())
    assert hash1((n, bytes.fromhex(s)) for n, (_, s) in from_zip.items()) == d["Sum"]

    edited = sample_cache.root / "edited"
    shutil.copytree(d["Dir"], edited)
    os.chmod(edited, 0o755)
    for sub in edited.rglob("*"):
        os.chmod(sub, 0o755 if sub.is_dir() else 0o644)
    (edited / "alpha.go").write_text("package alpha // changed\n")
    (edited / "new.go").write_text("package alpha\n")
    (edited / "LICENSE").unlink()
    got = dir_entries(edited, prefix)
    changed = {n for n in from_zip.keys() & got.keys() if from_zip[n] != got[n]}
    assert changed == {f"{prefix}/alpha.go"}
    assert got.keys() - from_zip.keys() == {f"{prefix}/new.go"}
    assert from_zip.keys() - got.keys() == {f"{prefix}/LICENSE"}
    assert hash_dir(edited, prefix) != d["Sum"]


def _writable_copy_of_module(fx: CacheFixture, path: str, version: str) -> Path:
    d = Path(fx.download(path, version)["Dir"])
    for p in [d, *d.rglob("*")]:
        if p.is_dir():
            os.chmod(p, 0o755)
    return d


def test_symlinks_in_extracted_dir_as_go_mod_verify(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    path, version = "example.com/alpha", "v1.0.0"
    prefix = f"{path}@{version}"
    d = _writable_copy_of_module(fx, path, version)
    want = fx.download(path, version)["Sum"]

    # A symlink to a file with the same content: go follows it, nothing changed.
    outside = fx.root / "outside.go"
    outside.write_bytes((d / "alpha.go").read_bytes())
    (d / "alpha.go").unlink()
    (d / "alpha.go").symlink_to(outside)
    res = run_go(["mod", "verify"], fx.workspace, fx.env)
    assert res.stdout == "all modules verified\n", res.stderr
    assert hash_dir(d, prefix) == want

    # A symlink to a directory is listed as a file, and reading it fails.
    (d / "linkdir").symlink_to(d / "sub")
    res = run_go(["mod", "verify"], fx.workspace, fx.env)
    assert res.returncode != 0
    assert "is a directory" in res.stderr
    with pytest.raises(IsADirectoryError):
        hash_dir(d, prefix)
    (d / "linkdir").unlink()

    # A dangling symlink: go fails to open it, so do we.
    (d / "dangling").symlink_to(fx.root / "nowhere")
    res = run_go(["mod", "verify"], fx.workspace, fx.env)
    assert res.returncode != 0
    assert "no such file or directory" in res.stderr
    with pytest.raises(FileNotFoundError):
        hash_dir(d, prefix)
    (d / "dangling").unlink()
    assert hash_dir(d, prefix) == want


def test_extracted_root_that_is_a_symlink(sample_cache: CacheFixture) -> None:
    fx = sample_cache
    path, version = "example.com/dep", "v1.1.0"
    d = _writable_copy_of_module(fx, path, version)
    moved = fx.root / "moved-dep"
    d.rename(moved)
    d.symlink_to(moved)
    res = run_go(["mod", "verify"], fx.workspace, fx.env)
    assert res.returncode != 0
    assert f"{d} is not a directory" in res.stderr  # filepath.Walk lstat()s the root
    with pytest.raises(NotADirectoryError, match="is not a directory"):
        hash_dir(d, f"{path}@{version}")


def test_non_regular_file_is_an_error_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("x")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(OSError, match="not a regular file"):
        hash_dir(tmp_path, "m@v1.0.0")


def test_hash_gomod_known_value() -> None:
    # The go.mod line go itself writes for a legacy module: "module <path>\n".
    data = b"module github.com/Upper/Case\n"
    lines = f"{hashlib.sha256(data).hexdigest()}  go.mod\n".encode()
    want = "h1:" + base64.b64encode(hashlib.sha256(lines).digest()).decode()
    assert hash_gomod(data) == want


def test_hash1_rejects_newlines() -> None:
    with pytest.raises(ValueError, match="newlines"):
        hash1([("a\nb", b"\0" * 32)])


# --------------------------------------------------------------------------- odd zips


def _zip(entries: list[tuple[str, bytes, int]], **kw: Any) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", **kw) as z:
        warnings.simplefilter("ignore")  # duplicate names are made on purpose
        for name, data, method in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data)
    return buf.getvalue()


class _Unseekable(io.RawIOBase):
    def __init__(self) -> None:
        self.buf = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.buf += bytes(b)
        return len(b)


def _zip_with_data_descriptors(entries: list[tuple[str, bytes]]) -> bytes:
    out = _Unseekable()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:  # type: ignore[arg-type]
        for name, data in entries:
            with z.open(name, "w") as f:
                f.write(data)
    return bytes(out.buf)


def _zip64(entries: list[tuple[str, bytes]]) -> bytes:
    """Every size and offset in zip64 extra fields, with zip64 end records."""
    out = bytearray()
    central = bytearray()
    for name, data in entries:
        raw = name.encode()
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        comp = c.compress(data) + c.flush()
        crc = zlib.crc32(data)
        offset = len(out)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(comp))
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 45, 0x800, 8, 0, 0x21, crc, 2**32 - 1, 2**32 - 1,
            len(raw), len(local_extra),
        )  # fmt: skip
        out += raw + local_extra + comp
        cextra = struct.pack("<HHQQQ", 1, 24, len(data), len(comp), offset)
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0x800, 8, 0, 0x21, crc, 2**32 - 1,
            2**32 - 1, len(raw), len(cextra), 0, 0, 0, 0o644 << 16, 2**32 - 1,
        )  # fmt: skip
        central += raw + cextra
    cd_at = len(out)
    out += central
    eocd64_at = len(out)
    n = len(entries)
    out += struct.pack(
        "<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(central), cd_at
    )  # fmt: skip
    out += struct.pack("<IIQI", 0x07064B50, 0, eocd64_at, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 2**32 - 1, 2**32 - 1, 0)
    return bytes(out)


def _corrupt_crc(data: bytes) -> bytes:
    """Flip a bit of the first member's CRC-32, in its local and central headers."""
    b = bytearray(data)
    b[14] ^= 1
    cd = b.find(b"PK\x01\x02")
    b[cd + 16] ^= 1
    return bytes(b)


def _truncate_first_deflate(data: bytes) -> bytes:
    """Shrink the recorded compressed size of the first member (stream cut short)."""
    b = bytearray(data)
    (csize,) = struct.unpack_from("<I", b, 18)
    struct.pack_into("<I", b, 18, csize // 2)
    cd = b.find(b"PK\x01\x02")
    struct.pack_into("<I", b, cd + 20, csize // 2)
    return bytes(b)


def _odd_zips() -> dict[str, bytes]:
    text = b"package odd\n" + b"// filler line\n" * 5000
    D, S = zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED

    def p(name: str) -> str:
        return f"example.com/odd/{name}@v1.0.0"

    def gomod(name: str) -> tuple[str, bytes, int]:
        return (f"{p(name)}/go.mod", f"module example.com/odd/{name}\n".encode(), D)

    zips = {
        "stored": _zip([gomod("stored"), (f"{p('stored')}/a.go", text, S)]),
        "descriptors": _zip_with_data_descriptors(
            [(n, d) for n, d, _ in (gomod("descriptors"),)]
            + [(f"{p('descriptors')}/a.go", text), (f"{p('descriptors')}/e", b"")]
        ),
        "zip64": _zip64([(n, d) for n, d, _ in (gomod("zip64"),)] + [(f"{p('zip64')}/a.go", text)]),
        "junk": b"JUNK" * 100
        + _zip([gomod("junk"), (f"{p('junk')}/a.go", text, D)], compresslevel=1),
        "comment": b"",
        "dup": _zip(
            [gomod("dup"), (f"{p('dup')}/x.go", b"first\n", D), (f"{p('dup')}/x.go", b"2\n", D)]
        ),
        "dirent": _zip([gomod("dirent"), (f"{p('dirent')}/d/", b"", S)]),
        "unicode": _zip(
            [
                gomod("unicode"),
                (f"{p('unicode')}/é.txt", b"e", D),
                (f"{p('unicode')}/z", b"", D),
                (f"{p('unicode')}/Z.txt", b"Z", D),
                (f"{p('unicode')}/ü/x", b"u", D),
            ]
        ),
        "badcrc": _corrupt_crc(_zip([(f"{p('badcrc')}/a.go", text, D), gomod("badcrc")])),
        "cut": _truncate_first_deflate(_zip([(f"{p('cut')}/a.go", text, D), gomod("cut")])),
        "newline": _zip([gomod("newline"), (f"{p('newline')}/a\nb", b"x", D)]),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.comment = b"an archive comment " * 10
        z.writestr(gomod("comment")[0], gomod("comment")[1])
        z.writestr(f"{p('comment')}/a.go", text)
    zips["comment"] = buf.getvalue()
    return zips


@pytest.fixture(scope="module")
def odd_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    """go downloads (and hashes) every odd zip once; (GOMODCACHE, name -> result)."""
    root = tmp_path_factory.mktemp("odd")
    zips = _odd_zips()
    specs = [
        ModuleSpec(f"example.com/odd/{name}", "v1.0.0", zip_data=data)
        for name, data in zips.items()
    ]
    write_workspace(root / "ws", specs, [(s.path, s.version) for s in specs])
    with GoProxy(specs) as proxy:
        env = isolated_env(root / "goenv", GOPROXY=proxy.url)
        res = run_go(["mod", "download", "-json", "all"], root / "ws", env)
    gomodcache = Path(env["GOMODCACHE"])
    errors = {d["Path"]: d.get("Error", "") for d in parse_json_stream(res.stdout)}
    results: dict[str, Any] = {}
    for s in specs:
        name = s.path.rsplit("/", 1)[1]
        zh = _ziphash(gomodcache, s.path, s.version)
        results[name] = {
            "ziphash": zh.read_text() if zh.exists() else None,
            "zip": root / f"{name}.zip",
            "error": errors[s.path],
        }
        results[name]["zip"].write_bytes(zips[name])
    yield gomodcache, results
    make_writable_and_remove(root)


@pytest.fixture(params=["libdeflate", "streaming"])
def inflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways members are inflated: whole by libdeflate (from Python 3.11), and
    by the streaming inflater alone (which also says what is wrong, in go's words)."""
    from gomod_doctor.cache import hashing as hashing_mod

    if request.param == "streaming":
        monkeypatch.setattr(hashing_mod, "_one_shot", None)
    elif sys.version_info >= (3, 11):
        assert hashing_mod._one_shot is not None, "the deflate package is a dependency"
    return str(request.param)


@pytest.mark.parametrize(
    "name", ["stored", "descriptors", "zip64", "junk", "comment", "dup", "dirent", "unicode"]
)
def test_odd_zip_hash_matches_go(
    odd_cache: tuple[Path, dict[str, Any]], name: str, inflater: str
) -> None:
    _, results = odd_cache
    r = results[name]
    assert r["ziphash"] is not None, r["error"]
    assert hash_zip(r["zip"]) == r["ziphash"]
    assert hash_zip(r["zip"], verify_crc=True) == r["ziphash"]


def test_zip64_records_are_read(odd_cache: tuple[Path, dict[str, Any]]) -> None:
    members = read_zip_members(odd_cache[1]["zip64"]["zip"])
    assert [m.name for m in members] == [
        "example.com/odd/zip64@v1.0.0/go.mod",
        "example.com/odd/zip64@v1.0.0/a.go",
    ]
    assert members[1].size == len(b"package odd\n" + b"// filler line\n" * 5000)


def test_duplicate_names_hash_the_last_content(odd_cache: tuple[Path, dict[str, Any]]) -> None:
    r = odd_cache[1]["dup"]
    assert zip_entries(r["zip"])["example.com/odd/dup@v1.0.0/x.go"] == (
        2,
        hashlib.sha256(b"2\n").hexdigest(),
    )


def test_bad_crc_go_fails_and_we_check_only_on_request(
    odd_cache: tuple[Path, dict[str, Any]],
) -> None:
    r = odd_cache[1]["badcrc"]
    assert r["ziphash"] is None
    assert r["error"].endswith("zip: checksum error")
    with pytest.raises(ZipError, match="zip: checksum error"):
        hash_zip(r["zip"], verify_crc=True)
    # By default the CRC field is not checked: the hash is that of the content,
    # the same as for the zip with the right CRC (flipping the bit back).
    intact = r["zip"].with_name("intact.zip")
    intact.write_bytes(_corrupt_crc(r["zip"].read_bytes()))
    assert hash_zip(intact, verify_crc=True) == hash_zip(r["zip"])


def test_cut_stream_and_newline_names_fail_like_go(
    odd_cache: tuple[Path, dict[str, Any]], inflater: str
) -> None:
    results = odd_cache[1]
    assert results["cut"]["ziphash"] is None
    assert results["cut"]["error"].endswith("unexpected EOF")
    with pytest.raises(ZipError, match="unexpected EOF"):
        hash_zip(results["cut"]["zip"])
    assert results["newline"]["ziphash"] is None
    assert results["newline"]["error"].endswith(
        "dirhash: filenames with newlines are not supported"
    )
    with pytest.raises(ZipError, match="newlines"):
        hash_zip(results["newline"]["zip"])


def test_prefix_check(tmp_path: Path) -> None:
    z = tmp_path / "m.zip"
    z.write_bytes(_zip([("m.com/x@v1.0.0/a", b"a", 8), ("other/b", b"b", 8)]))
    with pytest.raises(ZipError, match=r"zip for m\.com/x@v1\.0\.0 has unexpected file other/b"):
        hash_zip(z, "m.com/x@v1.0.0")


def test_not_a_zip(tmp_path: Path) -> None:
    z = tmp_path / "m.zip"
    z.write_bytes(b"not a zip at all")
    with pytest.raises(ZipError, match="zip: not a valid zip file"):
        hash_zip(z)


def test_large_member_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    # 24 MB of zeros deflate to ~24 KB: inflated in bounded pieces, never whole;
    # a 1.5 MB stored member is read through the window in pieces.
    z = tmp_path / "big.zip"
    z.write_bytes(_zip([("m@v1/zeros", bytes(24 << 20), 8), ("m@v1/rand", os.urandom(3 << 19), 0)]))
    ref = zipfile.ZipFile(z)
    want = hash1((n, hashlib.sha256(ref.read(n)).digest()) for n in ref.namelist())
    tracemalloc.start()
    try:
        got = hash_zip(z)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == want
    assert peak < 6 << 20, peak  # a few 1 MB buffers, whatever the member size
