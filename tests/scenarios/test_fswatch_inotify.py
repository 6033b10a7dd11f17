"""The Linux inotify groups of the file watcher: reads below a watched root queue
nothing in the kernel, and every change is delivered as watchfiles delivers it."""

from __future__ import annotations

import os
import shutil
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gomod_doctor.fswatch import inotify
from gomod_doctor.fswatch.inotify import InotifyGroup
from gomod_doctor.fswatch.watcher import FileChange, FileWatcher, Root

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")

QUIET = 0.4  # seconds without a delivery that count as "nothing came"


class Sink:
    def __init__(self) -> None:
        self.changes: set[FileChange] = set()
        self.batches = 0
        self.errors: list[BaseException] = []
        self.cond = threading.Condition()

    def deliver(self, changes: set[FileChange]) -> None:
        with self.cond:
            self.changes |= changes
            self.batches += 1
            self.cond.notify_all()

    def on_error(self, _group: object, e: BaseException) -> None:
        with self.cond:
            self.errors.append(e)
            self.cond.notify_all()

    def wait(self, want: Callable[[set[FileChange]], bool], timeout: float = 10.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: want(self.changes), timeout)

    def take(self) -> set[FileChange]:
        with self.cond:
            out, self.changes = self.changes, set()
            return out


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "example.com" / "m@v1.0.0"
    (root / "a" / "b").mkdir(parents=True)
    for i in range(40):
        (root / "a" / "b" / f"f{i}.go").write_text(f"package b // {i}\n")
    (root / "go.mod").write_text("module example.com/m\n")
    return root


def _group(roots: set[Path], sink: Sink, *, recursive: bool = True) -> Iterator[InotifyGroup]:
    g = InotifyGroup(
        frozenset(roots), recursive=recursive, deliver=sink.deliver, on_error=sink.on_error
    )
    g.start()
    assert g.started.wait(10)
    try:
        yield g
    finally:
        g.stop()
        g.thread.join(5)


@pytest.fixture
def watched(tree: Path) -> Iterator[tuple[Path, Sink, InotifyGroup]]:
    sink = Sink()
    for g in _group({tree}, sink):
        yield tree, sink, g


def _masks(fd: int) -> list[int]:
    """The event masks of the watches of inotify descriptor ``fd``, as the kernel
    has them (from /proc)."""
    assert os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:inotify"
    out = []
    with open(f"/proc/self/fdinfo/{fd}") as f:
        for line in f:
            if line.startswith("inotify wd:"):
                field = next(p for p in line.split() if p.startswith("mask:"))
                out.append(int(field[5:], 16))
    return out


def test_inotify_is_used_on_linux() -> None:
    assert inotify.available()


def test_reading_files_queues_nothing(watched: tuple[Path, Sink, InotifyGroup]) -> None:
    root, sink, g = watched
    masks = _masks(g.fileno())
    assert len(masks) == g.watches == 3  # the root, a, a/b
    IN_ACCESS, IN_CLOSE_NOWRITE, IN_OPEN = 0x1, 0x10, 0x20
    assert all(m & (IN_ACCESS | IN_CLOSE_NOWRITE | IN_OPEN) == 0 for m in masks), masks
    # what a verification does: list every directory, read every file
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            (Path(dirpath) / name).read_bytes()
    time.sleep(QUIET)
    assert sink.batches == 0 and not sink.changes
    # the control: a write below the same root is delivered
    (root / "a" / "b" / "f1.go").write_text("package b // edited\n")
    assert sink.wait(lambda c: ("modified", root / "a" / "b" / "f1.go") in c), sink.changes


def test_each_kind_of_change(watched: tuple[Path, Sink, InotifyGroup]) -> None:
    root, sink, _ = watched
    b = root / "a" / "b"
    (b / "new.go").write_text("package b\n")
    assert sink.wait(lambda c: ("added", b / "new.go") in c), sink.changes
    (b / "f2.go").chmod(0o444)
    assert sink.wait(lambda c: ("modified", b / "f2.go") in c), sink.changes
    (b / "f3.go").unlink()
    assert sink.wait(lambda c: ("deleted", b / "f3.go") in c), sink.changes
    (b / "f4.go").rename(b / "g4.go")
    assert sink.wait(lambda c: {("deleted", b / "f4.go"), ("added", b / "g4.go")} <= c)
    # a directory made later is watched too, and so is one made inside it
    (root / "c" / "d").mkdir(parents=True)
    assert sink.wait(lambda c: ("added", root / "c") in c), sink.changes
    time.sleep(0.1)
    (root / "c" / "d" / "x.go").write_text("package d\n")
    assert sink.wait(lambda c: ("added", root / "c" / "d" / "x.go") in c), sink.changes


def test_directories_moved_in_and_out(tree: Path, tmp_path: Path) -> None:
    sink = Sink()
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    for g in _group({tree}, sink):
        # moved in (as go moves an extracted module into place): watched from then on
        outside.rename(tree / "moved")
        assert sink.wait(lambda c: ("added", tree / "moved") in c), sink.changes
        time.sleep(0.1)
        (tree / "moved" / "sub" / "y.go").write_text("package sub\n")
        assert sink.wait(lambda c: ("added", tree / "moved" / "sub" / "y.go") in c)
        # moved out: deleted, and what happens to it afterwards is not under the root
        gone = tmp_path / "elsewhere"
        (tree / "a").rename(gone)
        assert sink.wait(lambda c: ("deleted", tree / "a") in c), sink.changes
        watches = g.watches
        time.sleep(QUIET)
        sink.take()
        (gone / "b" / "f5.go").write_text("package b // edited elsewhere\n")
        time.sleep(QUIET)
        assert not sink.changes
        assert watches == 3  # the root, moved, moved/sub


def test_a_flat_root_sees_its_entries_only(tree: Path) -> None:
    sink = Sink()
    for _ in _group({tree}, sink, recursive=False):
        (tree / "a" / "b" / "f1.go").write_text("package b // edited\n")
        (tree / "go.sum").write_text("")
        assert sink.wait(lambda c: ("added", tree / "go.sum") in c), sink.changes
        time.sleep(QUIET)
        assert all(p.parent == tree for _, p in sink.changes), sink.changes


def test_a_root_removed(tree: Path) -> None:
    sink = Sink()
    for _ in _group({tree}, sink):
        shutil.rmtree(tree)
        assert sink.wait(lambda c: ("deleted", tree) in c), sink.changes
        assert sink.wait(lambda c: ("deleted", tree / "a" / "b" / "f0.go") in c)


def test_a_missing_root_is_the_owners_to_handle(tmp_path: Path) -> None:
    sink = Sink()
    g = InotifyGroup(
        frozenset({tmp_path / "absent"}),
        recursive=True,
        deliver=sink.deliver,
        on_error=sink.on_error,
    )
    g.start()
    assert g.started.wait(10)
    g.thread.join(5)
    assert isinstance(g.error, FileNotFoundError) and sink.errors == [g.error]
    assert g.fileno() == -1 and g.watches == 0  # nothing left watched


def test_lost_events_say_every_root_may_have_changed(tree: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    sink = Sink()
    for g in _group({tree, other}, sink):
        out: set[FileChange] = set()
        IN_Q_OVERFLOW = 0x4000
        g._parse(struct.pack("iIII", -1, IN_Q_OVERFLOW, 0, 0), out)
        assert out == {("modified", tree), ("modified", other)}


@pytest.mark.parametrize("native", [True, False], ids=["inotify", "watchfiles"])
def test_the_file_watcher_delivers_the_same_either_way(tree: Path, native: bool) -> None:
    """What the inotify groups deliver is what watchfiles' groups deliver (the
    latter serve platforms without inotify)."""
    sink = Sink()
    ready = threading.Event()
    w = FileWatcher(sink.deliver, native=native, on_ready=lambda _s: ready.set())
    try:
        w.set_roots({Root(tree, True), Root(tree.parent, False)})
        assert ready.wait(10) and w.wait_idle()
        b = tree / "a" / "b"
        (b / "f1.go").write_text("package b // edited\n")
        (b / "f2.go").unlink()
        (b / "new.go").write_text("package b\n")
        (b / "new.go.swp").write_text("editor junk")  # dropped by the watcher
        (tree.parent / "m@v1.0.0.partial").write_text("")  # likewise
        (tree.parent / "n@v1.0.0").mkdir()
        want = {
            ("modified", b / "f1.go"),
            ("deleted", b / "f2.go"),
            ("added", b / "new.go"),
            ("added", tree.parent / "n@v1.0.0"),
        }
        assert sink.wait(lambda c: want <= c), sink.changes
        time.sleep(QUIET)
        assert {p for _, p in sink.changes} == {p for _, p in want}, sink.changes
    finally:
        w.close()


@pytest.mark.parametrize("native", [True, False], ids=["inotify", "watchfiles"])
def test_a_root_made_again_is_watched_again(tree: Path, native: bool) -> None:
    """A module version's extracted directory that a redownload replaces (deleted,
    then extracted again) is watched again: a later edit in it is seen. Its parent is
    watched flat, as the watch set has it."""
    sink = Sink()
    w = FileWatcher(sink.deliver, native=native)
    try:
        w.set_roots({Root(tree, True), Root(tree.parent, False)})
        assert w.wait_idle()
        shutil.rmtree(tree)
        assert sink.wait(lambda c: ("deleted", tree) in c), sink.changes
        (tree / "a" / "b").mkdir(parents=True)
        assert sink.wait(lambda c: ("added", tree) in c), sink.changes
        edited = tree / "a" / "b" / "f1.go"
        sink.take()

        def seen(c: set[FileChange]) -> bool:
            return ("added", edited) in c or ("modified", edited) in c

        deadline = time.monotonic() + 10
        n = 0
        # the new watches take a moment: write until a write is seen
        while time.monotonic() < deadline and not seen(sink.changes):
            edited.write_text(f"package b // {n}\n")
            n += 1
            sink.wait(seen, timeout=0.5)
        assert seen(sink.changes), sink.changes
    finally:
        w.close()
