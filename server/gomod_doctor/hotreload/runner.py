"""The hot-reload runner behind ``gomod-doctor watch -- CMD``.

One asyncio loop owns the command and the cycles. The watcher (a
:class:`~gomod_doctor.fswatch.process.WatchProcess` over the workspace's watch
targets, :mod:`gomod_doctor.watchset`, plus the replacement directories'
packages and the embedded files) reports changes from a thread; they are
classified there (:func:`gomod_doctor.hotreload.rules.classify`: what is not
relevant never starts the debounce timer), debounced on the loop, and each batch
runs one cycle:

1. the workspace is read again and checked (the engine's quick mode, offline:
   local findings only), and the watch targets recomputed from the same facts;
2. error findings: they are reported and the command keeps running;
3. otherwise SIGINT to the command's process group, SIGKILL after the kill
   timeout, and the command starts again;
4. one status line: what changed, the verdict, the restart time.

The command runs in a process group of its own, with this process's standard
streams; on SIGINT/SIGTERM/SIGHUP the group is stopped the same way and the runner
exits. POSIX only (process groups).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gomod_doctor import engine, watchset
from gomod_doctor.config import Config, ConfigError, load_file
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.fswatch.process import WatchProcess
from gomod_doctor.fswatch.roots import FileChange, Root
from gomod_doctor.fswatch.watcher import Debouncer, WatchSummary
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.hotreload.rules import ChangeClass, Rules, classify, load_rules
from gomod_doctor.watchset import Key
from gomod_doctor.workspace.discover import WorkspaceError, locate
from gomod_doctor.workspace.graphmemo import GraphStore
from gomod_doctor.workspace.imports import ModuleImports, scan_module_imports

__all__ = ["DEBOUNCE", "KILL_TIMEOUT", "Options", "Runner"]

DEBOUNCE = 0.3  # seconds
KILL_TIMEOUT = 5.0  # seconds
MAX_DELAY_FACTOR = 10  # a batch fires at the latest this many debounce periods after its first
_GROUP_POLL = 0.02  # seconds between checks that the stopped group is gone


@dataclass(frozen=True)
class Options:
    command: tuple[str, ...]
    directory: Path
    exts: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    debounce: float = DEBOUNCE
    kill_timeout: float = KILL_TIMEOUT
    check: bool = True


@dataclass
class _Analysis:
    targets: watchset.Targets
    rules: Rules
    roots: set[Root]
    errors: list[Finding] = field(default_factory=list)
    problem: str | None = None  # the workspace could not be read at all
    workspace_dirs: frozenset[Path] = frozenset()  # the workspace modules' roots


def _describe(changes: set[tuple[ChangeClass, FileChange]], cwd: Path) -> str:
    paths = sorted({str(p) for _c, (_k, p) in changes})
    shown = []
    for p in paths[:3]:
        rel = os.path.relpath(p, cwd)
        shown.append(p if rel.startswith("..") and len(rel) > len(p) else rel)
    more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
    kinds = {k for _c, (k, _p) in changes}
    verb = next(iter(kinds)) if len(kinds) == 1 else "changed"
    return f"{', '.join(shown)}{more} {verb}"


class Runner:
    """Run ``options.command``, restart it on relevant changes; :meth:`run` blocks."""

    def __init__(
        self,
        options: Options,
        env: GoEnv,
        *,
        report: Callable[[list[Finding]], None],
        status: Callable[[str], None],
        config: Config | None = None,
    ) -> None:
        self.options = options
        self.env = env
        self._report = report
        self._status = status
        self._config = config
        self._transitive = engine.TransitiveMemo(GraphStore())
        self._states = engine.StateMemo()
        self._analysis: _Analysis | None = None
        self._pending: set[tuple[ChangeClass, FileChange]] = set()
        #: module versions whose module-cache files changed while watching
        self._suspects: set[Key] = set()
        self._cycle: asyncio.Task[None] | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._expected_exit: set[int] = set()
        self._stop = asyncio.Event()
        self._stop_signal = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._debouncer: Debouncer | None = None
        self._watcher: WatchProcess | None = None
        self._gen = 0  # bumped by every relevant change
        self._analysing: asyncio.Future[_Analysis] | None = None
        self._analysing_gen = -1
        self._clear_graph = self._clear_states = False
        self._fired = False
        self._reapers: set[asyncio.Future[None]] = set()

    # ---------------------------------------------------------------- analysis

    def _analyse(
        self,
        prev: watchset.Targets | None,
        clear_graph: bool,
        clear_states: bool,
        suspects: frozenset[Key] = frozenset(),
    ) -> _Analysis:
        """Read the workspace; its error findings (when checking); the targets.

        ``suspects``: module versions whose files in the module cache changed while
        watching (go never changes them: an edit, or a download that replaced
        them). The quick check cannot see an edit; these are verified in full
        (their hashes against go.sum and the cache's own), so that a dependency
        edited in the cache keeps the old process, as a broken go.sum does.

        The memos are kept across cycles like the language server's, and cleared as
        the changes say: the cache states and the module graph when a go.mod, go.sum,
        go.work, a directory or a cache entry changed; the transitive import graph
        also when a file outside the workspace's modules changed (a workspace
        ``.go`` file's imports are in the graph's key)."""
        genv = self.env
        try:
            loc = locate(
                self.options.directory,
                gowork=genv.gowork_setting or genv.GOWORK,
                goroot=genv.GOROOT or None,
            )
        except WorkspaceError as e:
            old = prev if prev is not None else watchset.Targets()
            rules = self._analysis.rules if self._analysis else Rules(self.options.directory)
            return _Analysis(old, rules, set(old.roots), problem=str(e))
        if clear_graph:
            self._transitive.clear()  # the graph store on disk checks what it read
        if clear_states:
            self._states.clear()
        facts, _ = engine.gather(
            loc,
            genv,
            verify="quick",
            transitive_memo=self._transitive,
            state_memo=self._states,
        )
        errors: list[Finding] = []
        wanted = engine.wanted_versions(facts.needs)
        if self.options.check:
            try:
                config = self._config or load_file(loc.root)
            except ConfigError as e:
                config = Config()
                self._status(str(e))
            verify = sorted(k for k in suspects if k in wanted)
            if verify and facts.env.GOMODCACHE:
                from gomod_doctor.cache import verify as cache_verify  # (heavy: lazily)

                full = cache_verify.verify(facts.env.GOMODCACHE, [(*k, True) for k in verify])
                facts.full = dict(full.modules)
                facts.verify_level = "full"
            result = engine.run(facts, config)
            errors = [f for f in result.findings if f.severity == Severity.ERROR]
        sources: dict[Path, ModuleImports] = {}
        for d, info in facts.dirs.items():
            if d not in facts.imports and info.exists:
                sources[d] = scan_module_imports(d)
        targets = watchset.compute(facts, wanted, watch_cache=True, sources=sources, prev=prev)
        files = {d: i.files for d, i in {**facts.imports, **sources}.items()}
        rules = load_rules(
            loc.root,
            targets,
            module_roots=[*facts.imports, *sources],
            globs=self.options.ignore,
            exts=self.options.exts,
            sources=files,
        )
        roots = set(targets.roots) | rules.extra_roots()
        # a replacement directory that is moved away: its parent sees it go
        for d in facts.dirs:
            if d.parent.is_dir():
                roots.add(Root(d.parent, False))
        return _Analysis(targets, rules, roots, errors, workspace_dirs=frozenset(facts.imports))

    def _kick(self) -> None:
        """Start an analysis of what is on disk now, unless one is running: the check
        runs while the changes are debounced (its result is used when no change came
        after it started)."""
        if self._analysing is not None and not self._analysing.done():
            return
        if self._stop.is_set():
            return
        prev = self._analysis
        clear_graph, clear_states = self._clear_graph, self._clear_states
        self._clear_graph = self._clear_states = False
        self._analysing_gen = self._gen
        task = asyncio.ensure_future(
            asyncio.to_thread(
                self._analyse,
                prev.targets if prev else None,
                clear_graph,
                clear_states,
                frozenset(self._suspects),
            )
        )
        self._analysing = task
        task.add_done_callback(self._analysed)

    def _analysed(self, task: asyncio.Future[_Analysis]) -> None:
        if not task.cancelled() and task.exception() is None and self._analysing_gen != self._gen:
            self._kick()  # changes came meanwhile: the next one covers them

    async def _current_analysis(self) -> _Analysis:
        """An analysis started after every change seen so far."""
        want = self._gen
        while True:
            if self._stop.is_set():
                raise asyncio.CancelledError
            task = self._analysing
            if task is None or (task.done() and self._analysing_gen < want):
                self._analysing = None
                self._kick()
                continue
            gen = self._analysing_gen
            try:
                a = await asyncio.shield(task)
            except Exception:
                if self._analysing is task:
                    self._analysing = None
                raise
            if gen >= want:
                return a

    # ---------------------------------------------------------------- watching

    def _on_changes(self, changes: set[FileChange]) -> None:
        """In the watcher's reader thread: keep what matters, hand it to the loop."""
        a, loop = self._analysis, self._loop
        if a is None or loop is None:
            return
        classes: set[tuple[ChangeClass, FileChange]] = set()
        for kind, p in changes:
            c = classify(a.targets, a.rules, kind, p)
            if c is not None:
                classes.add((c, (kind, p)))
        if classes:
            with contextlib.suppress(RuntimeError):  # a closed loop: exiting
                loop.call_soon_threadsafe(self._changed, classes)

    def _changed(self, classes: set[tuple[ChangeClass, FileChange]]) -> None:
        if self._debouncer is None or self._stop.is_set():
            return
        a = self._analysis
        ws = a.workspace_dirs if a is not None else frozenset()
        for c, (_k, p) in classes:
            if c == "cache" and a is not None:
                self._suspects |= a.targets.cache_keys(p) or set()
            if c != "source":
                self._clear_graph = self._clear_states = True
            elif not any(d in p.parents for d in ws):
                self._clear_graph = True
        self._gen += 1
        self._pending |= classes
        self._debouncer.add({fc for _c, fc in classes})
        if self.options.check or any(c != "source" for c, _ in classes):
            self._kick()

    def _on_ready(self, s: WatchSummary) -> None:
        self._status(f"watching {s.roots} directories")

    def _fire(self, _changes: set[FileChange]) -> None:
        self._fired = True
        if self._cycle is None or self._cycle.done():
            self._cycle = asyncio.ensure_future(self._run_cycles())

    async def _run_cycles(self) -> None:
        while self._fired and not self._stop.is_set():
            self._fired = False
            batch, self._pending = self._pending, set()
            if not batch:
                continue
            try:
                await self._one_cycle(batch)
            except Exception as e:  # never let a cycle end the runner
                self._status(f"internal error: {type(e).__name__}: {e}")

    async def _one_cycle(self, batch: set[tuple[ChangeClass, FileChange]]) -> None:
        what = _describe(batch, Path.cwd())
        classes = {c for c, _ in batch}
        prev = self._analysis
        check = self.options.check
        if check or classes & {"modfile", "dir"} or prev is None:
            a = await self._current_analysis()
            self._analysis = a
            if self._watcher is not None:
                self._watcher.set_roots(a.roots)
            if (
                classes == {"dir"}
                and prev is not None
                and a.problem is None
                and not a.errors
                and a.targets.signature == prev.targets.signature
            ):
                return  # a directory that changes nothing the build reads
        else:
            a = prev
        if a.problem is not None:
            self._status(f"{what} | {a.problem} | old process kept")
            return
        if a.errors:
            self._report(a.errors)
            n = len(a.errors)
            self._status(f"{what} | check: {n} error{'s' if n != 1 else ''} | old process kept")
            return
        verdict = "check: ok" if check else "check: off"
        t0 = time.monotonic()
        await self._stop_command()
        if self._stop.is_set():
            return
        await self._start_command()
        self._status(f"{what} | {verdict} | restarted in {time.monotonic() - t0:.2f} s")

    # ---------------------------------------------------------------- the command

    async def _start_command(self) -> None:
        kwargs: dict[str, object] = {}
        if sys.version_info >= (3, 11):
            kwargs["process_group"] = 0
        else:  # pragma: no cover - Python 3.10
            kwargs["preexec_fn"] = os.setpgrp
        try:
            proc = await asyncio.create_subprocess_exec(*self.options.command, **kwargs)  # type: ignore[arg-type]
        except OSError as e:
            self._proc = None
            self._status(f"cannot start {shlex.join(self.options.command)}: {e.strerror or e}")
            return
        self._proc = proc
        self._reapers.add(asyncio.ensure_future(self._watch_exit(proc)))

    async def _watch_exit(self, proc: asyncio.subprocess.Process) -> None:
        code = await proc.wait()
        self._reapers = {t for t in self._reapers if not t.done()}
        if proc.pid in self._expected_exit:
            self._expected_exit.discard(proc.pid)
            return
        if not self._stop.is_set():
            self._status(f"the command exited ({_exit_text(code)}); waiting for a change")

    async def _stop_command(self) -> None:
        """SIGINT to the process group; SIGKILL after the kill timeout; until the
        whole group is gone."""
        proc = self._proc
        self._proc = None
        if proc is None:
            return
        pgid = proc.pid
        self._expected_exit.add(proc.pid)
        if proc.returncode is None or _group_alive(pgid):
            _signal_group(pgid, signal.SIGINT)
            deadline = time.monotonic() + self.options.kill_timeout
            while time.monotonic() < deadline:
                if proc.returncode is not None and not _group_alive(pgid):
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(proc.wait()), _GROUP_POLL)
            else:
                _signal_group(pgid, signal.SIGKILL)
        await proc.wait()
        deadline = time.monotonic() + self.options.kill_timeout
        while _group_alive(pgid) and time.monotonic() < deadline:
            _signal_group(pgid, signal.SIGKILL)  # members left behind: gone in a moment
            await asyncio.sleep(_GROUP_POLL)

    # ---------------------------------------------------------------- main

    def run(self) -> int:
        return asyncio.run(self._main())

    def _on_signal(self, signum: int) -> None:
        self._stop_signal = signum
        self._stop.set()

    async def _main(self) -> int:
        loop = asyncio.get_running_loop()
        self._loop = loop
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(sig, self._on_signal, sig)
        debounce_ms = max(1, int(self.options.debounce * 1000))
        self._debouncer = Debouncer(
            loop,
            self._fire,
            delay_ms=debounce_ms,
            max_delay_ms=debounce_ms * MAX_DELAY_FACTOR,
        )
        a = await asyncio.to_thread(self._analyse, None, False, False)
        self._analysis = a
        self._watcher = WatchProcess(
            self._on_changes, on_log=self._status, on_ready=self._on_ready, own_session=True
        )
        self._watcher.set_roots(a.roots)
        if a.problem is not None:
            self._status(a.problem)
        elif a.errors:
            self._report(a.errors)
        await self._start_command()
        self._status(f"started {shlex.join(self.options.command)}")
        try:
            await self._stop.wait()
        finally:
            self._debouncer.close()
            self._watcher.close()
            if self._cycle is not None:
                self._cycle.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._cycle
            await self._stop_command()
        return 128 + self._stop_signal if self._stop_signal else 0


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"status {code}"
