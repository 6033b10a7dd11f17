"""The small-file memo (cache/smallfacts.py): what a module cache's ``.mod``, ``.info``,
``.ziphash`` and ``@v/list`` files said is kept across processes and used only while
each file keeps its identity; racily fresh files are never kept."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from gomod_doctor import engine
from gomod_doctor.cache import layout
from gomod_doctor.cache.hashing import hash_gomod
from gomod_doctor.cache.smallfacts import MISS, SmallFacts, ident_of
from gomod_doctor.cache.state import inspect_many
from gomod_doctor.goenv import env as goenv
from gomod_doctor.workspace import gomods, snapshot
from gomod_doctor.workspace import latest as latest_mods
from gomod_doctor.workspace.discover import locate
from goproxy import CacheFixture, ModuleSpec, download_every_version

MakeCache = Callable[..., CacheFixture]
OLD = time.time() - 3600  # an hour ago: outside the racy window


def _aged(fx: CacheFixture) -> str:
    """The fixture's module cache, its download files back-dated (as a real cache's
    are)."""
    for dirpath, _dirs, files in os.walk(fx.gomodcache / "cache" / "download"):
        for name in files:
            os.utime(os.path.join(dirpath, name), (OLD, OLD))
    return str(fx.gomodcache)


def _keys(fx: CacheFixture) -> list[tuple[str, str]]:
    return [(d["Path"], d["Version"]) for d in fx.downloads]


def _rewrite(path: Path, data: bytes, *, keep_identity: bool = False) -> None:
    """Write ``data`` in place (same inode); with ``keep_identity``, put the mtime back."""
    st = path.stat()
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:
        f.write(data)
        f.truncate()
    if keep_identity:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_stored_states_are_the_read_ones_and_survive_the_process(
    sample_cache: CacheFixture, tmp_path: Path
) -> None:
    fx = sample_cache
    cache = _aged(fx)
    read = inspect_many(cache, _keys(fx))
    store = SmallFacts(cache, tmp_path / "memo")
    assert inspect_many(cache, _keys(fx), store) == read
    store.save()
    assert store.error is None and os.path.isfile(store.file)

    again = SmallFacts(cache, tmp_path / "memo")  # as a new process finds it
    assert inspect_many(cache, _keys(fx), again) == read
    for d in fx.downloads:
        files = layout.module_files(cache, d["Path"], d["Version"])
        ident = ident_of(os.stat(files.mod))
        h1, _go, empty = again.get("mod", files.mod, ident)
        assert h1 == d["GoModSum"] and not empty  # go's own hash of the .mod
        assert again.get("ziphash", files.ziphash, ident_of(os.stat(files.ziphash))) == d["Sum"]
        assert again.get("info", files.info, ident_of(os.stat(files.info))) is not MISS


def test_a_changed_file_is_read_again_and_an_unchanged_identity_is_trusted(
    sample_cache: CacheFixture, tmp_path: Path
) -> None:
    fx = sample_cache
    cache = _aged(fx)
    store = SmallFacts(cache, tmp_path / "memo")
    key = ("example.com/alpha", "v1.0.0")
    before = inspect_many(cache, [key], store)[key]
    store.save()
    files = layout.module_files(cache, *key)

    # a .mod edited in place: its size and mtime change, so it is read again
    edited = Path(files.mod).read_bytes() + b"// edited\n"
    _rewrite(Path(files.mod), edited)
    after = inspect_many(cache, [key], SmallFacts(cache, tmp_path / "memo"))[key]
    assert after.mod_h1 == hash_gomod(edited) != before.mod_h1

    # what the memo trusts, as documented: the same size, mtime and inode are the
    # same content (an edit that keeps all three is not seen)
    zh = Path(files.ziphash)
    old = zh.read_bytes()
    forged = old.replace(b"h1:", b"h2:")
    assert len(forged) == len(old) and forged != old
    _rewrite(zh, forged, keep_identity=True)
    trusted = inspect_many(cache, [key], SmallFacts(cache, tmp_path / "memo"))[key]
    assert trusted.ziphash_value == before.ziphash_value
    assert inspect_many(cache, [key])[key].ziphash_value == forged.decode().strip()
    # but a change of mode is one (a file made unreadable must be read to say so)
    os.chmod(zh, 0o400)
    again = inspect_many(cache, [key], SmallFacts(cache, tmp_path / "memo"))[key]
    assert again.ziphash_value == forged.decode().strip()


def test_racily_fresh_files_are_not_kept(sample_cache: CacheFixture, tmp_path: Path) -> None:
    fx = sample_cache
    cache = _aged(fx)
    key = ("example.com/alpha", "v1.0.0")
    files = layout.module_files(cache, *key)
    os.utime(files.mod)  # written just now: not kept; the old .info beside it is
    store = SmallFacts(cache, tmp_path / "memo")
    inspect_many(cache, [key], store)
    assert store.get("mod", files.mod, ident_of(os.stat(files.mod))) is MISS
    assert store.get("info", files.info, ident_of(os.stat(files.info))) is not MISS


def test_a_corrupt_or_foreign_store_is_empty(sample_cache: CacheFixture, tmp_path: Path) -> None:
    fx = sample_cache
    cache = _aged(fx)
    key = ("example.com/alpha", "v1.0.0")
    expected = inspect_many(cache, [key])
    store = SmallFacts(cache, tmp_path / "memo")
    inspect_many(cache, [key], store)
    store.save()
    blob = Path(store.file).read_bytes()

    Path(store.file).write_bytes(b"\x00not marshal")
    assert inspect_many(cache, [key], SmallFacts(cache, tmp_path / "memo")) == expected

    # another module cache's file under this one's name: nothing of it is used
    other = SmallFacts(cache + "-other", tmp_path / "memo")
    Path(other.file).write_bytes(blob)
    files = layout.module_files(cache, *key)
    assert other.get("mod", files.mod, ident_of(os.stat(files.mod))) is MISS


def _spec(path: str, version: str, extra: str = "") -> ModuleSpec:
    gomod = f"module {path}\n\ngo 1.21\n{extra}"
    return ModuleSpec(path, version, {"go.mod": gomod.encode(), "r.go": b"package r\n"})


def test_latest_answers_are_kept_while_the_list_and_the_mod_are_unchanged(
    make_cache: MakeCache, tmp_path: Path
) -> None:
    modules = [
        _spec("example.com/r", "v1.0.0"),
        _spec("example.com/r", "v1.1.0", "\nretract v1.0.0 // broken\n"),
    ]
    fx = download_every_version(make_cache(modules, [("example.com/r", "v1.0.0")]), modules)
    cache = _aged(fx)
    read = latest_mods.read_latest(cache, "example.com/r")
    assert read is not None and read.version == "v1.1.0"
    assert [(r.low, r.rationale) for r in read.retract] == [("v1.0.0", "broken")]

    store = SmallFacts(cache, tmp_path / "memo")
    latest_mods._answers.clear()
    assert latest_mods.read_latest(cache, "example.com/r", store=store) == read
    store.save()
    latest_mods._answers.clear()  # as in a new process
    assert (
        latest_mods.read_latest(cache, "example.com/r", store=SmallFacts(cache, tmp_path / "memo"))
        == read
    )

    # the latest .mod edited (deprecated now): its identity changed, it is read again
    mod = Path(read.gomod)
    _rewrite(mod, mod.read_bytes().replace(b"module", b"// Deprecated: use s\nmodule", 1))
    latest_mods._answers.clear()
    again = latest_mods.read_latest(
        cache, "example.com/r", store=SmallFacts(cache, tmp_path / "memo")
    )
    assert again is not None and again.deprecated == "use s"


def test_no_memo_keeps_nothing(sample_cache: CacheFixture, tmp_path: Path) -> None:
    fx = sample_cache
    _aged(fx)
    xdg = tmp_path / "xdg"
    env = {**fx.env, "XDG_CACHE_HOME": str(xdg)}
    genv = goenv.load(env)
    loc = locate(fx.workspace, gowork="", goroot=genv.GOROOT)
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(xdg)
    try:
        engine.gather(loc, genv, verify="quick", no_memo=True)
        assert not (xdg / "gomod-doctor" / "smallfiles").exists()
        facts, _ = engine.gather(loc, genv, verify="quick")
        assert facts.cache and len(os.listdir(xdg / "gomod-doctor" / "smallfiles")) == 1
    finally:
        if old is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = old


def test_go_mod_summaries_are_kept_for_the_module_graph(
    sample_cache: CacheFixture, tmp_path: Path
) -> None:
    fx = sample_cache
    cache = _aged(fx)
    key = ("example.com/alpha", "v1.0.0")
    mod = layout.module_files(cache, *key).mod
    gomods._memo.clear()
    read = gomods.read_file(mod, "go.mod", "go.mod")
    store = SmallFacts(cache, tmp_path / "memo")
    gomods._memo.clear()
    assert gomods.read_file(mod, "go.mod", "go.mod", store) == read
    store.save()
    gomods._memo.clear()  # as in a new process
    again = SmallFacts(cache, tmp_path / "memo")
    assert again.get("gomod", mod, ident_of(os.stat(mod))) is not MISS
    assert gomods.read_file(mod, "go.mod", "go.mod", again) == read

    # the whole graph, as go loads it, is the same from the store
    genv = goenv.load(fx.env)
    loc = locate(fx.workspace, gowork="", goroot=genv.GOROOT)
    snap = snapshot.load(loc, env=genv.as_dict())
    gomods._memo.clear()
    plain = gomods.graph_of(snap, cache)
    gomods._memo.clear()
    stored = gomods.graph_of(snap, cache, store=SmallFacts(cache, tmp_path / "memo"))
    assert plain is not None and stored is not None
    assert stored.build_list() == plain.build_list()
