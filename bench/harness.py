"""The measuring harness: a registry of named measurements, child processes timed
fairly, medians, targets, the machine, the table.

A measurement is a function ``run(ctx) -> Sample`` registered with
:func:`register` under a name, with an optional target and ``setup`` /
``teardown`` hooks. :func:`measure` runs the selected ones interleaved (round
``i`` runs each measurement once, in registration order) after ``warmup``
untimed runs of each, so that load that comes and goes hits them alike. Most
measurements spawn a process through :meth:`Context.spawn`, which times it with
``os.wait4``: wall time from spawn to exit, CPU time (user + system) and peak RSS
of the process and of every descendant it waited for (worker processes
included). A measurement may also report metrics of its own (latencies, sizes) in
:attr:`Sample.metrics`; targets can be set on those too.

Adding a measurement: write ``run(ctx) -> Sample`` in a module of this package,
decorate it with ``@register("name", "label", target=Target(...))``, and add the
module to ``MEASUREMENT_MODULES`` in :mod:`bench.run`. For example, a language
server measurement would start the server (``ctx.corpus`` has the workspace and
``ctx.corpus.go_env()`` its environment), time didOpen/didChange/hover round
trips, and return ``Sample(wall, cpu, peak_rss(pid), {"hover_ms": ...})`` with
``Target(50, metric="hover_ms")``.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.corpus import Corpus


class BenchError(Exception):
    """A run did not do what it should (wrong exit code or output): no figure."""


@dataclass
class Sample:
    """One timed run: seconds of wall and CPU time, peak RSS in bytes, and any
    metrics of the measurement's own (name -> value)."""

    wall: float
    cpu: float = 0.0
    rss: int = 0
    metrics: dict[str, float] = field(default_factory=dict)

    def get(self, metric: str) -> float:
        if metric == "wall":
            return self.wall
        if metric == "cpu":
            return self.cpu
        if metric == "rss":
            return float(self.rss)
        return self.metrics[metric]


@dataclass(frozen=True)
class Target:
    """``metric`` (median) at most ``limit``, in seconds (or the metric's unit), or
    times the ``base_metric`` (default: the same metric) of measurement
    ``relative_to``."""

    limit: float
    relative_to: str | None = None
    metric: str = "wall"
    base_metric: str | None = None

    def describe(self, labels: Mapping[str, str]) -> str:
        what = "" if self.metric == "wall" else f"{self.metric} "
        if self.relative_to is None:
            unit = " s" if self.metric in ("wall", "cpu") else ""
            return f"{what}≤ {self.limit:g}{unit}"
        base = labels.get(self.relative_to, self.relative_to)
        if self.base_metric not in (None, self.metric):
            base += f" ({self.base_metric})"
        return f"{what}≤ {self.limit:g} × {base}"


@dataclass
class Context:
    """What measurements get: the corpus, a scratch directory, the interpreter."""

    corpus: Corpus
    tmp: Path
    runs: int
    python: str = sys.executable
    state: dict[str, Any] = field(default_factory=dict)  # for setup -> run -> teardown

    def scratch(self, name: str) -> Path:
        """A fresh empty directory under the scratch directory."""
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.tmp))

    def spawn(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str | os.PathLike[str] | None = None,
        expect_exit: int | None = 0,
        timeout: float = 1800.0,
    ) -> tuple[Sample, str, str]:
        """Run ``argv`` to its end; its sample, stdout and stderr. Output goes to
        files (no pipe for the child to block on, no reader thread to share the CPU
        with)."""
        out_path = self.tmp / "stdout.txt"
        err_path = self.tmp / "stderr.txt"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )
            status, ru = _wait4(proc, timeout)
            wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code  # reaped here: Popen must not wait for it again
        stdout = out_path.read_text(errors="replace")
        stderr = err_path.read_text(errors="replace")
        if expect_exit is not None and code != expect_exit:
            tail = (stderr or stdout).strip().splitlines()[-5:]
            raise BenchError(f"{Path(argv[0]).name} exited {code}: " + " | ".join(tail))
        sample = Sample(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024)
        return sample, stdout, stderr


def _wait4(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, Any]:
    """Reap ``proc`` with ``os.wait4`` (its rusage, descendants included); kill it
    after ``timeout`` seconds."""
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        proc.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    if expired.is_set():
        raise BenchError(f"timed out after {timeout:.0f} s")
    return status, ru


def peak_rss(pid: int) -> int:
    """Peak resident memory (bytes) of a live process (``VmHWM``), for a
    measurement of a long-lived one such as the language server; 0 if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


Run = Callable[[Context], Sample]
Hook = Callable[[Context], None]


@dataclass
class Measurement:
    name: str
    label: str
    run: Run
    target: Target | None = None
    setup: Hook | None = None
    teardown: Hook | None = None
    warmup: int = 1
    default: bool = True
    note: str = ""
    #: targets besides ``target`` (a measurement judged on several metrics)
    more_targets: tuple[Target, ...] = ()

    @property
    def targets(self) -> tuple[Target, ...]:
        return ((self.target,) if self.target is not None else ()) + self.more_targets


REGISTRY: dict[str, Measurement] = {}


def register(
    name: str,
    label: str,
    *,
    target: Target | None = None,
    setup: Hook | None = None,
    teardown: Hook | None = None,
    warmup: int = 1,
    default: bool = True,
    note: str = "",
    more_targets: tuple[Target, ...] = (),
) -> Callable[[Run], Run]:
    """Decorator: register ``run`` as measurement ``name`` (shown as ``label``)."""

    def deco(run: Run) -> Run:
        if name in REGISTRY:
            raise ValueError(f"measurement {name!r} registered twice")
        REGISTRY[name] = Measurement(
            name, label, run, target, setup, teardown, warmup, default, note, more_targets
        )
        return run

    return deco


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    m: Measurement
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None

    def median(self, metric: str = "wall") -> float:
        return statistics.median(s.get(metric) for s in self.samples)

    def spread(self, metric: str = "wall") -> tuple[float, float]:
        values = [s.get(metric) for s in self.samples]
        return min(values), max(values)

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.samples)


def judge(
    r: Result, results: Mapping[str, Result], target: Target | None = None
) -> tuple[float | None, bool | None]:
    """(the value compared with the limit, met?) for a result's target (default: its
    first)."""
    t = target if target is not None else r.m.target
    if t is None or not r.ok:
        return None, None if t is None else False
    value = r.median(t.metric)
    if t.relative_to is not None:
        base = results.get(t.relative_to)
        if base is None or not base.ok:
            return None, None
        value /= base.median(t.base_metric or t.metric)
    return value, value <= t.limit


def measure(
    ctx: Context,
    selected: Iterable[Measurement],
    log: Callable[[str], None] = print,
) -> dict[str, Result]:
    """Set up, warm up, then run the measurements round by round; tear down."""
    results = {m.name: Result(m) for m in selected}

    def attempt(r: Result, what: str, hook: Callable[[Context], Any] | None) -> Any:
        if r.error is not None or hook is None:
            return None
        try:
            return hook(ctx)
        except BenchError as e:
            r.error = f"{what}: {e}"
            log(f"  {r.m.name}: {r.error}")
        return None

    for r in results.values():
        if r.m.setup is not None:
            log(f"  setup: {r.m.name}")
            attempt(r, "setup", r.m.setup)
    for r in results.values():
        for _ in range(r.m.warmup):
            attempt(r, "warm-up", r.m.run)
    for i in range(ctx.runs):
        line = []
        for r in results.values():
            s = attempt(r, f"run {i + 1}", r.m.run)
            if s is not None:
                r.samples.append(s)
                line.append(f"{r.m.name} {s.wall:.3f}s")
        log(f"  round {i + 1}/{ctx.runs}: " + ", ".join(line))
    for r in results.values():
        attempt(r, "teardown", r.m.teardown)
    return results


# --------------------------------------------------------------------------- machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_bytes() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def busy(load: str, cores: int) -> bool:
    """Whether a 1-minute load average says other work shared the machine."""
    try:
        return float(load.split()[0]) > 0.75 * cores
    except (ValueError, IndexError):
        return False


def machine(go_version: str) -> dict[str, Any]:
    from gomod_doctor import __version__
    from gomod_doctor.cache import hashing

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "ram_gib": round(_ram_bytes() / (1 << 30), 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "go": go_version,
        "gomod_doctor": __version__,
        "inflate": hashing.INFLATE_BACKEND,
    }


# --------------------------------------------------------------------------- table


def _secs(x: float) -> str:
    return f"{x:.3f}" if x < 10 else f"{x:.2f}"


def table(results: Mapping[str, Result], baseline: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The table of medians, and the same as records (for JSON)."""
    labels = {name: r.m.label for name, r in results.items()}
    base = results.get(baseline) if baseline else None
    head = (
        "measurement",
        "wall s (min-max)",
        "CPU s",
        "peak RSS",
        "wall × go",
        "CPU × go",
        "target (wall)",
        "result",
    )
    rows: list[tuple[str, ...]] = []
    records: list[dict[str, Any]] = []
    for name, r in results.items():
        rec: dict[str, Any] = {"name": name, "label": r.m.label, "runs": len(r.samples)}
        target = "; ".join(t.describe(labels) for t in r.m.targets)
        shown = target or ("baseline" if r is base else "")
        if not r.ok:
            rows.append((r.m.label, "error", "", "", "", "", shown, "ERROR"))
            rec["error"] = r.error
            rec["target"] = target or None
            rec["met"] = False if target else None
            records.append(rec)
            continue
        wall, cpu = r.median("wall"), r.median("cpu")
        lo, hi = r.spread("wall")
        ratio = cpu_ratio = ""
        if base is not None and base.ok:
            rec["ratio_to_baseline"] = wall / base.median("wall")
            rec["cpu_ratio_to_baseline"] = cpu / base.median("cpu")
            ratio = f"{rec['ratio_to_baseline']:.3f}"
            cpu_ratio = f"{rec['cpu_ratio_to_baseline']:.3f}"
        verdicts: list[str] = []
        judged: list[dict[str, Any]] = []
        for t in r.m.targets:
            value, ok = judge(r, results, t)
            v = "n/a" if ok is None else "met" if ok else "NOT MET"
            if value is not None and (t.relative_to is not None or t.metric != "wall"):
                v += f" ({value:.3g})"
            verdicts.append(v)
            judged.append({"target": t.describe(labels), "value": value, "met": ok})
        verdict = "; ".join(verdicts)
        oks = [j["met"] for j in judged]
        met = None if not oks or None in oks else all(oks)
        if len(judged) > 1:
            rec["targets"] = judged
        rows.append(
            (
                r.m.label,
                f"{_secs(wall)} ({_secs(lo)}-{_secs(hi)})",
                _secs(cpu),
                f"{r.median('rss') / (1 << 20):.0f} MiB",
                ratio,
                cpu_ratio,
                shown,
                verdict,
            )
        )
        rec.update(
            wall_median=wall,
            wall_runs=[s.wall for s in r.samples],
            cpu_median=cpu,
            cpu_runs=[s.cpu for s in r.samples],
            rss_median=r.median("rss"),
            target=target or None,
            met=met,
        )
        metrics = sorted({k for s in r.samples for k in s.metrics})
        if metrics:
            rec["metrics"] = {k: r.median(k) for k in metrics}
        records.append(rec)
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [head, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for rec in records:
        if rec.get("metrics"):
            lines.append(
                f"  {rec['label']}: " + ", ".join(f"{k} {v:.4g}" for k, v in rec["metrics"].items())
            )
    return "\n".join(lines), records
