"""The import-graph memo: a stored transitive import graph is used only while every
path its walk depended on is unchanged, and is never trusted for racily fresh files."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gomod_doctor.workspace.graphmemo import GraphStore
from gomod_doctor.workspace.imports import BuildModule, TransitiveImports, transitive_imports

OLD = time.time() - 3600  # an hour ago: well outside the racy window


def _write(root: Path, rel: str, *imports: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("package p\n\nimport (\n" + "".join(f'\t"{i}"\n' for i in imports) + ")\n")
    return p


def _age(root: Path) -> None:
    """Back-date everything under ``root`` (as a module cache's files are)."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(dirpath, name), (OLD, OLD))
        os.utime(dirpath, (OLD, OLD))


def _same(a: TransitiveImports, b: TransitiveImports) -> None:
    assert a.needed == b.needed
    assert list(a.needed) == list(b.needed)
    assert a.providers == b.providers
    assert a.importers == b.importers and list(a.importers) == list(b.importers)
    assert a.unread == b.unread
    assert a.errors == b.errors


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, dict[str, BuildModule]]:
    cache = tmp_path / "cache"
    _write(cache / "a", "a.go", "x.org/b/sub", "x.org/a/inner")
    _write(cache / "a", "inner/i.go", "x.org/c")
    _write(cache / "b", "sub/s.go", "x.org/gone/pkg")
    _write(cache / "c", "c.go")
    _write(cache / "d", "d.go")
    (cache / "b" / "sub" / "unreadable.go").mkdir()  # listed, not a regular file
    _age(cache)
    build = {
        "x.org/a": BuildModule("v1.0.0", cache / "a"),
        "x.org/b": BuildModule("v1.1.0", cache / "b"),
        "x.org/c": BuildModule("v1.2.0", cache / "c"),
        "x.org/d": BuildModule("v1.0.0", cache / "d"),
        "x.org/gone": BuildModule("v1.0.0", cache / "absent"),
    }
    return cache, build


def _walk_and_store(
    store: GraphStore, build: dict[str, BuildModule], key: bytes = b"k"
) -> TransitiveImports:
    observed: list[str] = []
    started = time.time_ns()
    g = transitive_imports(["x.org/a"], build, observe=observed.append)
    store.save("ws", key, observed, g, started)
    return g


def test_stored_graph_is_the_walked_one(
    tmp_path: Path, tree: tuple[Path, dict[str, BuildModule]]
) -> None:
    _cache, build = tree
    store = GraphStore(tmp_path / "memo")
    walked = _walk_and_store(store, build)
    assert sorted(walked.needed) == ["x.org/a", "x.org/b", "x.org/c", "x.org/gone"]
    loaded = store.load("ws", b"k")
    assert loaded is not None
    _same(loaded, walked)
    # other inputs, or another workspace: not this graph
    assert store.load("ws", b"other") is None
    assert store.load("other-ws", b"k") is None


@pytest.mark.parametrize(
    "change",
    ["edit-file", "new-file", "remove-file", "new-package-dir", "appear-module", "nested-gomod"],
)
def test_any_change_the_walk_depended_on_is_a_miss(
    tmp_path: Path, tree: tuple[Path, dict[str, BuildModule]], change: str
) -> None:
    cache, build = tree
    store = GraphStore(tmp_path / "memo")
    _walk_and_store(store, build)
    assert store.load("ws", b"k") is not None
    if change == "edit-file":  # same size is not enough to hide it: mtime and size differ
        _write(cache / "c", "c.go", "x.org/d")
    elif change == "new-file":
        _write(cache / "c", "more.go", "x.org/d")
    elif change == "remove-file":
        (cache / "a" / "inner" / "i.go").unlink()
    elif change == "new-package-dir":  # x.org/c/... is not imported, but c's root is listed
        _write(cache / "a", "inner/extra.go", "x.org/d")
    elif change == "appear-module":  # the walk stopped at x.org/gone: not on disk
        _write(cache / "absent", "pkg/p.go", "x.org/d")
    elif change == "nested-gomod":
        (cache / "a" / "inner" / "go.mod").write_text("module x.org/a/inner\n")
    assert store.load("ws", b"k") is None
    # walking again sees the change
    again = _walk_and_store(store, build, b"k2")
    if change in ("edit-file", "new-file", "new-package-dir", "appear-module"):
        assert "x.org/d" in again.needed


def test_racily_fresh_files_are_not_stored(
    tmp_path: Path, tree: tuple[Path, dict[str, BuildModule]]
) -> None:
    cache, build = tree
    _write(cache / "c", "c.go")  # written now: within the racy window
    store = GraphStore(tmp_path / "memo")
    _walk_and_store(store, build)
    assert store.load("ws", b"k") is None
    assert not (tmp_path / "memo").exists() or not any((tmp_path / "memo").iterdir())


def test_corrupt_or_foreign_file_is_a_miss(
    tmp_path: Path, tree: tuple[Path, dict[str, BuildModule]]
) -> None:
    _cache, build = tree
    store = GraphStore(tmp_path / "memo")
    _walk_and_store(store, build)
    (stored,) = (tmp_path / "memo").iterdir()
    for junk in (b"", b"not marshal", stored.read_bytes()[:-7], b"\xe9\x00\x00\x00"):
        stored.write_bytes(junk)
        assert store.load("ws", b"k") is None


def test_unwritable_store_is_ignored(
    tmp_path: Path, tree: tuple[Path, dict[str, BuildModule]]
) -> None:
    _cache, build = tree
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = GraphStore(blocker / "memo")  # below a regular file: cannot be created
    _walk_and_store(store, build)
    assert store.error is not None
    assert store.load("ws", b"k") is None


def test_a_new_process_reuses_the_stored_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a second ``check`` does: the walk is skipped, the findings are the same;
    with ``--no-memo`` nothing is stored."""
    from gomod_doctor import engine
    from gomod_doctor.cli.main import main
    from gotool import isolated_env

    env = isolated_env(tmp_path / "goenv", XDG_CACHE_HOME=str(tmp_path / "xdg"))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    cache = Path(env["GOMODCACHE"])
    _write(cache / "x.org" / "a@v1.0.0", "a.go", "x.org/b")
    _write(cache / "x.org" / "b@v1.0.0", "b.go")
    _age(cache)
    ws = tmp_path / "ws"
    _write(ws, "main.go", "x.org/a")
    (ws / "go.mod").write_text(
        "module example.com/ws\n\ngo 1.21\n\nrequire (\n\tx.org/a v1.0.0\n\tx.org/b v1.0.0\n)\n"
    )
    walks: list[int] = []
    real = engine.transitive_imports

    def counting(*args: object, **kw: object) -> TransitiveImports:
        walks.append(1)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "transitive_imports", counting)
    memo_dir = tmp_path / "xdg" / "gomod-doctor" / "imports"

    def check(*extra: str) -> str:
        main(["check", "--format", "json", "--offline", *extra, str(ws)])
        return capsys.readouterr().out

    first = check("--no-memo")
    assert len(walks) == 1 and not memo_dir.exists()
    assert "x.org/b" in first  # b's zip is needed through a's import (and missing)
    assert check() == first and len(walks) == 2
    assert len(list(memo_dir.iterdir())) == 1
    assert check() == first and len(walks) == 2  # the stored graph: no walk
    _write(cache / "x.org" / "a@v1.0.0", "a.go")  # a no longer imports b
    second = check()
    assert len(walks) == 3 and second != first
