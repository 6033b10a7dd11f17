"""``gomod-doctor watch``'s measurement, on the corpus's workspace.

* ``watch-restart``: ``sigint_ms``, the time from saving a ``.go`` file of the
  workspace (``deps.go``, a comment line appended) to the SIGINT that stops the
  running command, net of the debounce (``--debounce 300ms``): the watcher's latency
  plus the quick check of the workspace (250 modules) plus the signal. The command
  is a small Python program that notes the (system-wide monotonic) time at which
  SIGINT reaches it, and exits. Each run is one watcher session (started, untimed,
  then :data:`EDITS` saves, each after the restart of the one before); the figure is
  the median of its saves. The file is restored afterwards.
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.harness import BenchError, Context, Sample, Target, register
from bench.measures import _doctor

EDITS = 5
DEBOUNCE_MS = 300
TIMEOUT = 120.0

#: The command: notes its start and the moment SIGINT arrives (monotonic seconds).
_COMMAND = """
import os, signal, sys, time
log = sys.argv[1]
def note(what):
    with open(log, "a") as f:
        f.write(f"{what} {time.monotonic()!r}\\n")
def stop(*_):
    note("sigint")
    os._exit(0)
signal.signal(signal.SIGINT, stop)
note("start")
while True:
    time.sleep(3600)
"""


def _events(log: Path, what: str) -> list[float]:
    try:
        lines = log.read_text().splitlines()
    except FileNotFoundError:
        return []
    return [float(x.split()[1]) for x in lines if x.startswith(what + " ")]


def _wait(pred: Callable[[], object], what: str, proc: subprocess.Popen[bytes], err: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if pred():
            return
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    tail = err.read_text(errors="replace").strip().splitlines()[-5:]
    raise BenchError(f"watch: no {what}: " + " | ".join(tail))


@register(
    "watch-restart",
    "watch: save to SIGINT, net of debounce",
    target=Target(100, metric="sigint_ms"),
)
def watch_restart(ctx: Context) -> Sample:
    ws = ctx.corpus.workspace
    src = ws / "deps.go"
    original = src.read_bytes()
    scratch = ctx.scratch("watch")
    log = scratch / "command.log"
    err = scratch / "stderr.txt"
    env = ctx.corpus.go_env(XDG_CACHE_HOME=str(scratch / "xdg"), PYTHONUNBUFFERED="1")
    argv = [
        *_doctor(),
        "watch",
        "--debounce",
        f"{DEBOUNCE_MS}ms",
        "--",
        sys.executable,
        "-c",
        _COMMAND,
        str(log),
    ]
    t0 = time.perf_counter()
    with open(err, "wb") as errf:
        proc = subprocess.Popen(argv, cwd=ws, env=env, stdin=subprocess.DEVNULL, stderr=errf)
    figures: list[float] = []
    try:
        _wait(lambda: _events(log, "start"), "start", proc, err)
        _wait(lambda: b": watching " in err.read_bytes(), "watches", proc, err)
        time.sleep(0.5)  # let the first analysis's memos settle
        for i in range(EDITS):
            starts = len(_events(log, "start"))
            sigints = len(_events(log, "sigint"))
            saved = time.monotonic()
            src.write_bytes(original + f"\n// watch bench {i}\n".encode())
            _wait(lambda n=sigints: len(_events(log, "sigint")) > n, "SIGINT", proc, err)
            figures.append((_events(log, "sigint")[-1] - saved) * 1000 - DEBOUNCE_MS)
            _wait(lambda n=starts: len(_events(log, "start")) > n, "restart", proc, err)
            time.sleep(0.2)
        if b"error[" in err.read_bytes():
            raise BenchError("watch: the check found errors in the corpus workspace")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        src.write_bytes(original)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 128 + signal.SIGINT):
        raise BenchError(f"watch exited {proc.returncode}")
    return Sample(
        wall,
        metrics={
            "sigint_ms": statistics.median(figures),
            "sigint_max_ms": max(figures),
        },
    )
