"""File watching in a child process, so that setting watches up never stalls the
server.

watchfiles' ``RustNotify`` adds every watch of its roots before its constructor
returns, holding the interpreter lock: for the extracted directories of a few
hundred modules that is ten thousand inotify watches and half a second during
which the server's event loop cannot run (an edit's diagnostics would wait). Here
the :class:`~gomod_doctor.fswatch.watcher.FileWatcher` runs in a child process of its own,
and :class:`WatchProcess` (the same interface: ``set_roots``, ``close``) talks to it
over pipes, one JSON object per line:

* to the child: ``{"roots": [[path, recursive], ...]}``; end of input means exit
  (so the child never outlives the server, whatever way the server ends);
* from the child: ``{"changes": [[kind, path], ...]}``, ``{"log": text}``,
  ``{"ready": {roots, polled, watches, budget}}``.

:meth:`WatchProcess.close` ends the child at once (terminate), without waiting.

The child runs at a lower CPU priority (:data:`WATCH_NICE`): a change it reports
can wait a few milliseconds more, the editor's requests cannot. (Where watchfiles
watches, i.e. without inotify, the kernel may also hand it an event for every file
the background verification opens.)

Should the child fail to start or die, the watcher runs in this process instead
(and says so through ``on_log``): watching degrades, it never stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from gomod_doctor import background
from gomod_doctor.fswatch.watcher import (
    ChangeKind,
    FileChange,
    FileWatcher,
    Root,
    WatchSummary,
)

__all__ = ["WatchProcess", "child_main"]

_KINDS: frozenset[str] = frozenset(("added", "modified", "deleted"))
_CHILD = "import sys; from gomod_doctor.fswatch.process import child_main; sys.exit(child_main())"
WATCH_NICE = 10  # the child's niceness (at least)
#: the directory this package is imported from (the child's working directory)
_HOME = str(Path(__file__).resolve().parents[2])


class WatchProcess:
    """A :class:`FileWatcher` in a child process; callbacks run in a reader thread.

    ``own_session``: the child runs in a session of its own, so that a terminal's
    Ctrl+C (sent to the caller's process group) does not end it before the caller
    closes it (the end of its input still does)."""

    def __init__(
        self,
        on_changes: Callable[[set[FileChange]], None],
        *,
        on_log: Callable[[str], None] | None = None,
        on_ready: Callable[[WatchSummary], None] | None = None,
        python: str | None = None,
        own_session: bool = False,
    ) -> None:
        self._on_changes = on_changes
        self._on_log = on_log or (lambda m: None)
        self._on_ready = on_ready
        self._lock = threading.Lock()
        self._closed = False
        self._roots: set[Root] | None = None
        self._local: FileWatcher | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        try:
            # -c with the working directory where this package is imported from:
            # never ``-m`` from the workspace, whose own files could shadow ours.
            self._proc = subprocess.Popen(
                [python or sys.executable, "-c", _CHILD],
                cwd=_HOME,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                start_new_session=own_session,
            )
        except OSError as e:
            self._fall_back(f"file watching: cannot start the watcher process ({e})")
            return
        # (paused while an analysis runs; taken off before it is reaped)
        background.add(self._proc.pid, group=False)
        threading.Thread(
            target=self._read, args=(self._proc,), name="gomod-doctor-watch-reader", daemon=True
        ).start()

    # ---------------------------------------------------------------- public

    def set_roots(self, roots: Iterable[Root]) -> None:
        wanted = set(roots)
        with self._lock:
            if self._closed:
                return
            self._roots = wanted
            local, proc = self._local, self._proc
            if local is None and proc is not None:
                line = json.dumps({"roots": [[str(r.path), r.recursive] for r in sorted(wanted)]})
                try:
                    assert proc.stdin is not None
                    proc.stdin.write(line.encode("utf-8", "surrogateescape") + b"\n")
                    proc.stdin.flush()
                    return
                except (OSError, ValueError):
                    pass  # the child is gone: the reader falls back (and re-sends these)
        if local is not None:
            local.set_roots(wanted)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            proc, local = self._proc, self._local
        if local is not None:
            local.close()
        if proc is not None:
            # The child keeps nothing worth a goodbye (and may be busy adding
            # watches): end it now, and reap it without making the caller wait.
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
            background.discard(proc.pid)
            with contextlib.suppress(OSError):
                proc.terminate()
            threading.Thread(target=proc.wait, name="gomod-doctor-watch-reap", daemon=True).start()

    # ---------------------------------------------------------------- internals

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if isinstance(msg, dict):
                self._dispatch(msg)
        background.discard(proc.pid)
        proc.wait()
        with self._lock:
            closed = self._closed
        if not closed:
            self._fall_back(
                f"file watching: the watcher process exited ({proc.returncode}); "
                "watching in the server instead"
            )

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if "changes" in msg:
            changes: set[FileChange] = set()
            for item in msg["changes"]:
                if isinstance(item, list) and len(item) == 2 and item[0] in _KINDS:
                    kind: ChangeKind = item[0]
                    changes.add((kind, Path(item[1])))
            if changes:
                self._on_changes(changes)
        elif "log" in msg:
            self._on_log(str(msg["log"]))
        elif "ready" in msg and self._on_ready is not None:
            r = msg["ready"]
            self._on_ready(WatchSummary(r["roots"], r["polled"], r["watches"], r["budget"]))

    def _fall_back(self, why: str) -> None:
        self._on_log(why)
        with self._lock:
            if self._closed or self._local is not None:
                return
            self._local = FileWatcher(
                self._on_changes, on_log=self._on_log, on_ready=self._on_ready
            )
            roots = self._roots
        if roots is not None:
            self._local.set_roots(roots)


# --------------------------------------------------------------------------- the child


def child_main(stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> int:
    """The watcher process: roots in, changes out, until the end of its input."""
    inp = stdin if stdin is not None else sys.stdin.buffer
    out = stdout if stdout is not None else sys.stdout.buffer
    lock = threading.Lock()
    if stdin is None:  # the child process (not a test's call in its own process)
        with contextlib.suppress(AttributeError, OSError):
            os.nice(max(0, WATCH_NICE - os.nice(0)))
        # A process group of its own (in the caller's session): should the caller die
        # while it is paused (gomod_doctor.background), the group is orphaned and the
        # kernel ends the stop (SIGHUP, SIGCONT) instead of leaving it stopped.
        background.own_group()

    def send(obj: object) -> None:
        data = json.dumps(obj).encode("utf-8", "surrogateescape") + b"\n"
        with lock:
            try:
                out.write(data)
                out.flush()
            except (OSError, ValueError):
                pass  # the server is gone: the end of input follows

    watcher = FileWatcher(
        lambda changes: send({"changes": [[k, str(p)] for k, p in sorted(changes)]}),
        on_log=lambda m: send({"log": m}),
        on_ready=lambda s: send(
            {
                "ready": {
                    "roots": s.roots,
                    "polled": s.polled,
                    "watches": s.watches,
                    "budget": s.budget,
                }
            }
        ),
    )
    try:
        for raw in inp:
            try:
                msg = json.loads(raw)
                roots = {Root(Path(p), bool(rec)) for p, rec in msg["roots"]}
            except (ValueError, KeyError, TypeError):
                send({"log": "file watching: a malformed request to the watcher process"})
                continue
            watcher.set_roots(roots)
    finally:
        watcher.close()
    return 0


if __name__ == "__main__":
    sys.exit(child_main())
