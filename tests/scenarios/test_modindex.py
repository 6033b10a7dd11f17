"""go's module index in GOCACHE (gomod_doctor.cache.modindex), with the real go as oracle.

go indexes each module cache directory once and keys the index by the directory's
path and the go version alone. After a repair puts the directory back in order,
go keeps building with the old file list until the entry goes. These tests run the
user's sequence — a file added to a dependency, a build, the fix — and require
``go build ./...`` to pass afterwards, with no ``go clean -cache`` anywhere, and no
GOCACHE entry touched but the one the fix drops.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from gomod_doctor.cache import modindex, ops
from gomod_doctor.cli.main import main
from gomod_doctor.goenv import env as goenv
from goproxy import SAMPLE_REQUIRES, CacheFixture, GoProxy, sample_modules
from gotool import GO, run_go
from gotool import file_stats as snapshot

ALPHA = ("example.com/alpha", "v1.0.0")
ALPHA_LINE = 7  # its require line in the fixture's go.mod
INJECTED = "package alpha\n\nfunc Injected() int { return 7 }\n"


# --------------------------------------------------------------------------- helpers


def go(fx: CacheFixture, *args: str, **env: str) -> tuple[int, str]:
    r = run_go(list(args), fx.workspace, fx.env_with(**env))
    return r.returncode, r.stdout + r.stderr


def alpha_dir(fx: CacheFixture) -> Path:
    return fx.gomodcache / f"{ALPHA[0]}@{ALPHA[1]}"


def inject(fx: CacheFixture, name: str = "injected.go", text: str = INJECTED) -> Path:
    d = alpha_dir(fx)
    os.chmod(d, 0o755)
    (d / name).write_text(text)
    return d / name


def gocache(fx: CacheFixture) -> Path:
    return Path(fx.env["GOCACHE"])


def env_of(fx: CacheFixture) -> goenv.GoEnv:
    return goenv.load(fx.env, go_binary=GO)


def alpha_entry(fx: CacheFixture) -> Path:
    """Where go keeps the index of alpha's directory, computed independently of the
    code under test: GOCACHE/<xx>/<sha256(version + "module index ...")>-a."""
    version = env_of(fx).GOVERSION
    text = f"module index {version} go index v2 {alpha_dir(fx)}\n"
    key = hashlib.sha256(version.encode() + text.encode()).hexdigest()
    return gocache(fx) / key[:2] / f"{key}-a"


def use_env(fx: CacheFixture, monkeypatch: pytest.MonkeyPatch, **extra: str) -> None:
    """This process's environment is the fixture's (for the CLI run in-process)."""
    for key in list(os.environ):
        if key.startswith(("GO", "XDG_")):
            monkeypatch.delenv(key)
    for key, value in fx.env_with(**extra).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(fx.workspace)


def check_json(fx: CacheFixture, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    main(["check", "--format", "json", "--severity", "insecure-setting=off", str(fx.workspace)])
    out = capsys.readouterr()
    assert "internal error" not in out.err, out.err
    findings: list[dict[str, Any]] = json.loads(out.out)["findings"]
    return findings


@pytest.fixture
def fx(sample_cache: CacheFixture) -> CacheFixture:
    """The sample workspace (it imports example.com/alpha), never built yet: its
    GOCACHE holds no module index."""
    assert not alpha_entry(sample_cache).exists()
    return sample_cache


# --------------------------------------------------------------------------- the key


def test_key_and_format_are_gos(fx: CacheFixture) -> None:
    """go's own debug output (GODEBUG=gocachehash=1) names the key of every module it
    indexes: ours is the same, its action file is where we look, and the index it
    points to lists exactly the source files go indexes in the directory."""
    code, out = go(fx, "build", "./...", GODEBUG="gocachehash=1")
    assert code == 0, out
    said = re.findall(
        r'HASH\[moduleIndex\]: "module index (\S+) go index v2 (.*)\\n"\n'
        r"HASH\[moduleIndex\]: ([0-9a-f]{64})",
        out,
    )
    assert len(said) >= len(SAMPLE_REQUIRES), out[-2000:]
    env = env_of(fx)
    sc = modindex.scope(env)
    assert sc.go_versions == (env.GOVERSION,) and sc.gocache == str(gocache(fx))
    for version, modroot, key in said:
        assert version == env.GOVERSION
        assert modindex.action_id(version, modroot).hex() == key
    keys = [(p, v) for p, v in SAMPLE_REQUIRES]
    facts = modindex.gather(sc, str(fx.gomodcache), keys)
    assert set(facts) == set(keys)
    for key, (f,) in facts.items():
        assert Path(f.action_file).is_file()
        assert f.unchanged and not f.stale and f.error is None, (key, f)
        # what go indexed is what it would index now: our reading of the index
        # and our walk of the directory agree with go
        indexed = modindex.parse_index(Path(f.output_file).read_bytes()).files()
        assert indexed == modindex.scan_module(f.modroot), key
    (alpha,) = facts[ALPHA]
    assert alpha.action_file == str(alpha_entry(fx))
    assert modindex.parse_index(Path(alpha.output_file).read_bytes()).files() == {
        "alpha.go",
        "sub/deep/deep.go",
        "cmd/tool/main.go",
    }


def test_corrupt_indexes_are_refused_never_crash() -> None:
    good = _index_bytes()
    assert modindex.parse_index(good).files() == {"a.go", "sub/b.s"}
    for data in (b"", b"go index v1\n" + good[12:], good[:20], good[:-1], good[:-1] + b"\0"):
        with pytest.raises(modindex.IndexFormatError):
            modindex.parse_index(data)
    for i in range(len(good)):  # every single byte flipped: refused or read, never a crash
        try:
            got = modindex.parse_index(good[:i] + bytes([good[i] ^ 0xFF]) + good[i + 1 :])
        except modindex.IndexFormatError:
            continue
        assert isinstance(got, modindex.ModuleIndex)
    ident = modindex.action_id("go1.27.3", "/m/x@v1.0.0")
    line = f"v1 {ident.hex()} {'ab' * 32} {382:20d} {1:20d}\n".encode()
    assert modindex.parse_action_entry(line, ident) == modindex.ActionEntry(
        bytes.fromhex("ab" * 32), 382, 1
    )
    assert modindex.parse_action_entry(line, bytes(32)) is None  # another entry's
    assert modindex.parse_action_entry(line[:-1], ident) is None
    assert modindex.parse_action_entry(line.replace(b"v1", b"v2"), ident) is None


def _index_bytes() -> bytes:
    """A two-package index laid out as go's encoder writes it (write.go)."""
    table = bytearray(b"\x00")
    offsets: dict[str, int] = {"": 0}

    def s(text: str) -> int:
        if text not in offsets:
            offsets[text] = len(table)
            table.extend(bytes([len(text)]) + text.encode())
        return offsets[text]

    def u32(n: int) -> bytes:
        return n.to_bytes(4, "little")

    body = bytearray(b"go index v2\n" + u32(0) + u32(2))
    packages = [("", ["a.go"]), ("sub", ["b.s"])]
    for d, _ in packages:
        body += u32(s(d)) + u32(0)
    for i, (d, files) in enumerate(packages):
        body[20 + 8 * i + 4 : 20 + 8 * i + 8] = u32(len(body))
        body += u32(s("")) + u32(s(d)) + u32(len(files))
        at = len(body)
        body += u32(0) * len(files)
        for j, name in enumerate(files):
            body[at + 4 * j : at + 4 * j + 4] = u32(len(body))
            body += u32(0) * 3 + u32(s(name)) + u32(s("p")) + u32(0) * 4 + u32(0) * 4
    body[12:16] = u32(len(body))
    return bytes(body + table + b"\xff")


# --------------------------------------------------------------------------- the fix


def test_cli_redownload_after_a_build_leaves_a_passing_build(
    fx: CacheFixture, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sequence of the report: a file added to alpha's directory, a build (go
    indexes the directory with the file), `gomod-doctor redownload`: go mod verify
    and go build ./... both pass, and of GOCACHE only alpha's index entry went."""
    inject(fx)
    assert go(fx, "build", "./...") == (0, "")  # go indexes alpha with injected.go
    entry = alpha_entry(fx)
    assert entry.is_file()
    before = snapshot(gocache(fx))
    with GoProxy(sample_modules()) as proxy:
        use_env(fx, monkeypatch, GOPROXY=proxy.url)
        capsys.readouterr()
        assert main(["redownload", f"{ALPHA[0]}@{ALPHA[1]}", "--go", GO]) == 0
    out = capsys.readouterr()
    assert f"dropped go's module index entry {entry}" in out.out, out
    assert "go clean -cache" not in out.err, out.err
    after = snapshot(gocache(fx))
    assert set(before) - set(after) == {str(entry.relative_to(gocache(fx)))}
    assert {k: v for k, v in before.items() if k in after} == after  # nothing else changed
    assert go(fx, "mod", "verify") == (0, "all modules verified\n")
    assert go(fx, "build", "./...") == (0, "")


def test_stale_index_found_then_dropped(
    fx: CacheFixture, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A redownload that leaves the index (as gomod-doctor's did): go build fails on
    the file the index still lists. `check` reports build-cache-stale first, with go's
    words; `drop-index` drops that one entry and go builds again."""
    inject(fx)
    assert go(fx, "build", "./...") == (0, "")
    with GoProxy(sample_modules()) as proxy:
        got = ops.redownload(fx.gomodcache, *ALPHA, go=GO, env=fx.env_with(GOPROXY=proxy.url))
    assert got.ok and got.clear.index.dropped == []  # no index scope given: left alone
    gone = alpha_dir(fx) / "injected.go"
    code, out = go(fx, "build", "./...")
    assert code == 1 and "injected.go: no such file or directory" in out, out

    use_env(fx, monkeypatch)
    findings = check_json(fx, capsys)
    (f,) = [x for x in findings if x["code"] == "build-cache-stale"]
    assert (f["severity"], f["line"], f["module"], f["fixes"]) == (
        "warning",
        ALPHA_LINE,
        ALPHA[0],
        ["drop-index"],
    )
    assert f"'open {gone}: no such file or directory'" in f["message"], f["message"]
    assert "go will build with the indexed file list" in f["message"]
    assert f["data"]["gone"] == ["injected.go"] and f["data"]["unindexed"] == []
    assert f["data"]["indexEntries"] == [str(alpha_entry(fx))]

    before = snapshot(gocache(fx))
    assert main(["drop-index", f"{ALPHA[0]}@{ALPHA[1]}"]) == 0
    after = snapshot(gocache(fx))
    assert set(before) - set(after) == {str(alpha_entry(fx).relative_to(gocache(fx)))}
    assert {k: v for k, v in before.items() if k in after} == after
    assert go(fx, "build", "./...") == (0, "")
    assert [x for x in check_json(fx, capsys) if x["code"] == "build-cache-stale"] == []


def test_stale_index_leaves_a_new_file_out(
    fx: CacheFixture, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file added after go indexed the directory is not built at all: a broken one
    does not even fail the build. build-cache-stale names it; once the entry is
    dropped, go sees the file (and fails on it), as the finding said."""
    assert go(fx, "build", "./...") == (0, "")
    inject(fx, "broken.go", "package alpha\n\nfunc Broken( {\n")
    assert go(fx, "build", "./...") == (0, "")  # the index does not list broken.go
    use_env(fx, monkeypatch)
    (f,) = [x for x in check_json(fx, capsys) if x["code"] == "build-cache-stale"]
    assert f["data"]["unindexed"] == ["broken.go"] and f["data"]["gone"] == []
    assert "does not list files it holds (broken.go)" in f["message"], f["message"]
    assert "leaving the other files out of the build" in f["message"]
    assert main(["drop-index", f"{ALPHA[0]}@{ALPHA[1]}"]) == 0
    code, out = go(fx, "build", "./...")
    assert code == 1 and "broken.go" in out, out


def test_clear_drops_the_entry_and_go_downloads_afresh(fx: CacheFixture) -> None:
    """clear_version with the scope drops the entry (and only it), also in a dry run
    only reports it; the next build downloads and indexes the directory again."""
    inject(fx)
    assert go(fx, "build", "./...") == (0, "")
    sc = modindex.scope(env_of(fx))
    entry = alpha_entry(fx)
    dry = ops.clear_version(fx.gomodcache, *ALPHA, dry_run=True, index=sc)
    assert dry.index.dropped == [str(entry)] and entry.is_file()
    before = snapshot(gocache(fx))
    got = ops.clear_version(fx.gomodcache, *ALPHA, index=sc)
    assert (
        got.ok
        and got.index.dropped == [str(entry)]
        and got.to_json()["ModuleIndex"]
        == {
            "Dropped": [str(entry)],
            "Errors": [],
            "Notes": [],
        }
    )
    after = snapshot(gocache(fx))
    assert set(before) - set(after) == {str(entry.relative_to(gocache(fx)))}
    assert {k: v for k, v in before.items() if k in after} == after
    with GoProxy(sample_modules()) as proxy:
        assert go(fx, "build", "./...", GOPROXY=proxy.url) == (
            0,
            "go: downloading example.com/alpha v1.0.0\n",
        )
    assert go(fx, "mod", "verify") == (0, "all modules verified\n")


def test_unknown_version_or_cache_program_names_go_clean_cache(fx: CacheFixture) -> None:
    env = env_of(fx)
    no_go = goenv.resolve(
        fx.env, goenv_file=None, goroot_env_file=None, goroot=None, go_version=None
    )
    sc = modindex.scope(no_go)
    assert sc.unavailable is not None and "go version is unknown" in sc.unavailable
    got = ops.clear_version(fx.gomodcache, *ALPHA, index=sc)
    assert got.ok and got.index.dropped == []
    (note,) = got.index.notes
    assert "go clean -cache" in note and "example.com/alpha@v1.0.0" in note
    prog = goenv.load({**fx.env, "GOCACHEPROG": "/bin/false"}, go_binary=GO)
    (note,) = modindex.drop(modindex.scope(prog), str(fx.gomodcache), [ALPHA]).notes
    assert "GOCACHEPROG" in note and "go clean -cache" in note
    off = goenv.load({**fx.env, "GODEBUG": "goindex=0"}, go_binary=GO)
    assert modindex.scope(off).unused is not None
    assert modindex.drop(modindex.scope(off), str(fx.gomodcache), [ALPHA]).notes == []
    # GOTOOLCHAIN naming another go: its entry is dropped too
    named = goenv.load({**fx.env, "GOTOOLCHAIN": "go1.99.0+auto"}, go_binary=GO)
    assert modindex.scope(named).go_versions == (env.GOVERSION, "go1.99.0")


def test_a_symlinked_cache_subdirectory_is_left_alone(fx: CacheFixture, tmp_path: Path) -> None:
    """The entry's subdirectory replaced by a link elsewhere: nothing is removed there."""
    inject(fx)
    assert go(fx, "build", "./...") == (0, "")
    entry = alpha_entry(fx)
    elsewhere = tmp_path / "elsewhere"
    os.rename(entry.parent, elsewhere)
    entry.parent.symlink_to(elsewhere)
    got = modindex.drop(modindex.scope(env_of(fx)), str(fx.gomodcache), [ALPHA])
    assert got.dropped == [] and len(got.errors) == 1 and "left alone" in got.errors[0]
    assert "go clean -cache" in got.errors[0]
    assert (elsewhere / entry.name).is_file()


def test_cli_says_when_the_entry_cannot_be_located(
    fx: CacheFixture, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No go command to tell the version: clear still clears, and says that go's index
    entry was not dropped and which command drops it; drop-index fails saying so."""
    inject(fx)
    assert go(fx, "build", "./...") == (0, "")
    use_env(fx, monkeypatch, PATH="/nonexistent")
    capsys.readouterr()
    assert main(["clear", f"{ALPHA[0]}@{ALPHA[1]}"]) == 0
    err = capsys.readouterr().err
    assert "the go version is unknown" in err and "'go clean -cache' clears it" in err, err
    assert alpha_entry(fx).is_file()  # left: nothing says which entry is go's
    assert main(["drop-index", f"{ALPHA[0]}@{ALPHA[1]}"]) == 1
    assert "'go clean -cache'" in capsys.readouterr().err
