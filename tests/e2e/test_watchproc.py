"""The watcher child process: changes under its roots reach the server's callback,
closing it ends the child, and a child that cannot run leaves watching in-process."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

from gomod_doctor import background
from gomod_doctor.fswatch.process import WatchProcess
from gomod_doctor.fswatch.watcher import FileChange, Root, WatchSummary


class Sink:
    def __init__(self) -> None:
        self.changes: set[FileChange] = set()
        self.logs: list[str] = []
        self.ready: list[WatchSummary] = []
        self.event = threading.Event()

    def on_changes(self, changes: set[FileChange]) -> None:
        self.changes |= changes
        self.event.set()

    def wait_for(self, want: FileChange, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while want not in self.changes and time.monotonic() < deadline:
            self.event.wait(0.1)
            self.event.clear()
        return want in self.changes


def _until(cond: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(cond) and cond():
            return True
        time.sleep(0.05)
    return False


def test_changes_deep_in_a_recursive_root_come_back(tmp_path: Path) -> None:
    deep = tmp_path / "mod@v1.0.0" / "a" / "b"
    deep.mkdir(parents=True)
    flat = tmp_path / "flat"
    flat.mkdir()
    sink = Sink()
    w = WatchProcess(sink.on_changes, on_log=sink.logs.append, on_ready=sink.ready.append)
    try:
        w.set_roots({Root(tmp_path / "mod@v1.0.0", True), Root(flat, False)})
        assert _until(lambda: sink.ready), sink.logs
        assert sink.ready[-1].roots == 2 and sink.ready[-1].polled == 0
        (deep / "edited.go").write_text("package b\n")
        assert sink.wait_for(("added", deep / "edited.go")), (sink.changes, sink.logs)
        (flat / "go.mod").write_text("module x\n")
        assert sink.wait_for(("added", flat / "go.mod")), (sink.changes, sink.logs)
        proc = w._proc
        assert proc is not None and proc.poll() is None
    finally:
        w.close()
    assert proc.wait(5) is not None  # closing ended it
    assert not any("exited" in m for m in sink.logs)


def test_a_child_that_cannot_run_leaves_watching_in_process(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    sink = Sink()
    w = WatchProcess(sink.on_changes, on_log=sink.logs.append, python=str(tmp_path / "no-python"))
    try:
        w.set_roots({Root(root, False)})
        assert any("cannot start the watcher process" in m for m in sink.logs)
        assert _until(lambda: w._local is not None and w._local.roots() == {Root(root, False)})
        assert w._local is not None and w._local.wait_idle()
        (root / "new.go").write_text("package p\n")
        assert sink.wait_for(("added", root / "new.go"))
    finally:
        w.close()


def test_a_child_that_dies_is_replaced_in_process(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    sink = Sink()
    w = WatchProcess(sink.on_changes, on_log=sink.logs.append, on_ready=sink.ready.append)
    try:
        w.set_roots({Root(root, False)})
        assert _until(lambda: sink.ready)
        assert w._proc is not None
        w._proc.kill()
        assert _until(lambda: any("watcher process exited" in m for m in sink.logs)), sink.logs
        assert _until(lambda: w._local is not None and w._local.roots() == {Root(root, False)})
        assert w._local is not None and w._local.wait_idle()
        (root / "after.go").write_text("package p\n")
        assert sink.wait_for(("added", root / "after.go"))
    finally:
        w.close()


def _state(pid: int) -> str:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2]


def test_the_watcher_is_paused_during_an_analysis_and_misses_nothing(tmp_path: Path) -> None:
    """background.paused() stops the watcher process (the language server pauses it
    while an edit's analysis runs); a change made meanwhile is reported once it goes
    on; a closed watcher is no longer paused."""
    root = tmp_path / "w"
    root.mkdir()
    sink = Sink()
    w = WatchProcess(sink.on_changes, on_log=sink.logs.append, on_ready=sink.ready.append)
    try:
        w.set_roots({Root(root, True)})
        assert _until(lambda: sink.ready), sink.logs
        proc = w._proc
        assert proc is not None
        with background.paused():
            assert _until(lambda: _state(proc.pid) == "T", 5)  # (a signal takes a moment)
            (root / "during.go").write_text("package w\n")
            time.sleep(0.3)
            assert ("added", root / "during.go") not in sink.changes
        assert _until(lambda: _state(proc.pid) != "T", 5)
        assert sink.wait_for(("added", root / "during.go")), (sink.changes, sink.logs)
    finally:
        w.close()
    assert proc.pid not in background._procs
    with background.paused():
        pass
    assert proc.wait(5) is not None


_PAUSED_THEN_KILLED = """
import sys, time
from gomod_doctor import background
from gomod_doctor.fswatch.process import WatchProcess

w = WatchProcess(lambda changes: None)
print(w._proc.pid, flush=True)
time.sleep(1.0)  # (the child sets itself up)
with background.paused():
    print("paused", flush=True)
    time.sleep(60)  # killed here
"""


def test_a_watcher_paused_when_its_server_dies_does_not_stay_stopped(tmp_path: Path) -> None:
    """The watcher runs in a process group of its own: a server killed while it is
    paused leaves an orphaned group, which the kernel continues and hangs up, so that
    no stopped process is left behind."""
    import os
    import signal
    import subprocess
    import sys

    server = subprocess.Popen(
        [sys.executable, "-c", _PAUSED_THEN_KILLED], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        pid = int(server.stdout.readline())
        assert server.stdout.readline().strip() == "paused"
        assert _until(lambda: _state(pid) == "T", 5)
        server.send_signal(signal.SIGKILL)
        server.wait(10)

        def gone() -> bool:
            try:
                return _state(pid) in ("Z", "X")
            except OSError:
                return True

        assert _until(gone, 10), f"the watcher is left in state {_state(pid)}"
    finally:
        if server.poll() is None:
            server.kill()
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
