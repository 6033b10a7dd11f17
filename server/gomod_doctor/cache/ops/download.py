"""Downloading with the go command: ``go mod download -json`` for the versions
asked, redownloading (clear, then download, then compare)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gomod_doctor.cache import modindex
from gomod_doctor.cache.ops.clear import clear_version
from gomod_doctor.cache.ops.model import (
    OperationError,
    OpResult,
    ProgressFn,
    validate_module_version,
)
from gomod_doctor.cache.ops.prune import missing_versions
from gomod_doctor.goenv.env import split_goflags
from gomod_doctor.module.paths import ModuleVersion

# --------------------------------------------------------------------------- download


@dataclass
class DownloadResult:
    """One module as ``go mod download -json`` reported it (``error``: go's words)."""

    path: str
    version: str
    error: str = ""
    info: str = ""
    gomod: str = ""
    zip: str = ""
    dir: str = ""
    sum: str = ""
    gomodsum: str = ""
    #: what go reported when it is not what was asked (a replacement)
    reported_path: str = ""
    reported_version: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def to_json(self) -> dict[str, str]:
        d = {
            "Path": self.path,
            "Version": self.version,
            "Error": self.error,
            "Info": self.info,
            "GoMod": self.gomod,
            "Zip": self.zip,
            "Dir": self.dir,
            "Sum": self.sum,
            "GoModSum": self.gomodsum,
        }
        return {k: v for k, v in d.items() if v or k in ("Path", "Version")}


@dataclass
class DownloadReport:
    """What a ``go mod download`` run did, per module, plus anything else go said."""

    modules: list[DownloadResult] = field(default_factory=list)
    #: errors not tied to one module (go's stderr, a timeout, a missing binary)
    errors: list[str] = field(default_factory=list)
    #: modules not downloaded because the cache already held them
    skipped: list[ModuleVersion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)
    returncode: int | None = None
    stderr: str = ""
    timed_out: bool = False
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and all(m.ok for m in self.modules)

    def to_json(self) -> dict[str, Any]:
        return {
            "Modules": [m.to_json() for m in self.modules],
            "Errors": list(self.errors),
            "Skipped": [str(m) for m in self.skipped],
            "Notes": list(self.notes),
            "TimedOut": self.timed_out,
            "Cancelled": self.cancelled,
        }


def _parse_json_stream(text: str) -> tuple[list[dict[str, Any]], str]:
    """The JSON objects go printed, one after another, and any text left over."""
    dec = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out, ""
        try:
            obj, i = dec.raw_decode(text, i)
        except ValueError:
            return out, text[i:]
        if isinstance(obj, dict):
            out.append(obj)


def _outside_goflags(goflags: str) -> tuple[str, list[str]]:
    """GOFLAGS for a go command run outside any module: ``-modfile`` names the main
    module's go.mod and makes go fail there, so it is dropped."""
    flags, err = split_goflags(goflags)
    if err is not None:
        return goflags, []  # let go report it in its own words
    kept: list[str] = []
    dropped: list[str] = []
    for f in flags:
        name = f.lstrip("-").split("=", 1)[0]
        (dropped if name == "modfile" else kept).append(f)
    return " ".join(kept), dropped


def _inside_module(d: str) -> str | None:
    cur = os.path.abspath(d)
    while True:
        if os.path.isfile(os.path.join(cur, "go.mod")):
            return os.path.join(cur, "go.mod")
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()


def _run(
    argv: list[str],
    *,
    cwd: str,
    env: Mapping[str, str],
    timeout: float,
    cancel: threading.Event | None,
    report: DownloadReport,
) -> tuple[str, str] | None:
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as e:
        report.errors.append(f"cannot run {argv[0]}: {e.strerror or e}")
        return None
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                out, err = proc.communicate(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.is_set():
                    report.cancelled = True
                elif time.monotonic() >= deadline:
                    report.timed_out = True
                else:
                    continue
                _kill_group(proc)
                out, err = proc.communicate()
                break
    except BaseException:
        _kill_group(proc)
        with contextlib.suppress(Exception):
            proc.communicate(timeout=5)
        raise
    report.returncode = proc.returncode
    report.stderr = err
    return out, err


def download(
    modules: Sequence[tuple[str, str]],
    *,
    go: str,
    env: Mapping[str, str],
    cwd: str | None = None,
    gomodcache: str | os.PathLike[str] | None = None,
    toolchain: str | None = "local",
    timeout: float = 600.0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> DownloadReport:
    """Download module versions with the real ``go mod download -json M@V ...``.

    Every module is validated first (:class:`OperationError`, nothing started).
    ``env`` is the whole environment for go; ``GOTOOLCHAIN`` is set to
    ``toolchain`` (default ``local``; ``None`` keeps env's) and ``GOMODCACHE`` to
    ``gomodcache`` if given. Without ``cwd`` go runs in a fresh temp directory
    outside any module (with ``GOWORK=off`` and without ``-modfile`` in GOFLAGS),
    so a broken go.mod cannot interfere; with ``cwd`` it runs there (e.g. to have
    go record the sums in that module's go.sum). Errors are go's, per module.
    """
    wanted: list[tuple[str, str]] = []
    for p, v in modules:
        validate_module_version(p, v)
        if (p, v) not in wanted:
            wanted.append((p, v))
    if not isinstance(go, str) or not go or go.startswith("-") or "\0" in go:
        raise OperationError(f"invalid go command {go!r}")
    report = DownloadReport()
    total = len(wanted)
    if not wanted:
        return report
    run_env = dict(env)
    if toolchain is not None:
        run_env["GOTOOLCHAIN"] = toolchain
    if gomodcache is not None:
        run_env["GOMODCACHE"] = os.fspath(gomodcache)
    argv = [go, "mod", "download", "-json", *(f"{p}@{v}" for p, v in wanted)]
    report.argv = argv
    if progress is not None:
        progress(f"downloading {total} module{'s' if total != 1 else ''}", 0, total)
    with contextlib.ExitStack() as stack:
        if cwd is None:
            run_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="gomod-doctor-"))
            run_env["GOWORK"] = "off"
            flags, dropped = _outside_goflags(run_env.get("GOFLAGS", ""))
            if dropped:
                run_env["GOFLAGS"] = flags
                report.notes.append(f"ignored {' '.join(dropped)} from GOFLAGS (no main module)")
            found = _inside_module(run_dir)
            if found is not None:
                report.notes.append(f"the temporary directory is inside the module of {found}")
        else:
            run_dir = cwd
        run_env["PWD"] = run_dir
        ran = _run(argv, cwd=run_dir, env=run_env, timeout=timeout, cancel=cancel, report=report)
    if ran is None:
        report.modules = [DownloadResult(p, v, error=report.errors[-1]) for p, v in wanted]
        return report
    out, err = ran
    objects, rest = _parse_json_stream(out)
    _attach(report, wanted, objects)
    stderr_lines = [ln for ln in err.splitlines() if ln.strip()]
    if report.timed_out:
        report.errors.append(f"go mod download timed out after {timeout:g}s")
    elif report.cancelled:
        report.errors.append("go mod download cancelled")
    elif report.returncode != 0 and all(m.ok for m in report.modules):
        report.errors.append(
            "\n".join(stderr_lines) or f"go exited with status {report.returncode}"
        )
    elif report.returncode != 0 and stderr_lines:
        # e.g. an error matching an argument that go reports after the JSON
        report.notes.extend(stderr_lines)
    if rest.strip():
        report.notes.append(f"unexpected output from go: {rest.strip()[:500]}")
    for i, m in enumerate(report.modules, 1):
        if progress is not None:
            state = f"error: {m.error}" if m.error else "ok"
            progress(f"{m.path}@{m.version}: {state}", i, total)
    return report


def _attach(
    report: DownloadReport, wanted: list[tuple[str, str]], objects: list[dict[str, Any]]
) -> None:
    def text(o: dict[str, Any], k: str) -> str:
        v = o.get(k, "")
        return v if isinstance(v, str) else ""

    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for obj in objects:
        by_key.setdefault((text(obj, "Path"), text(obj, "Version")), obj)
    positional = len(objects) == len(wanted)
    for i, (p, v) in enumerate(wanted):
        o = by_key.get((p, v)) or (objects[i] if positional else None)
        if o is None:
            why = "go reported nothing for this module"
            if report.timed_out:
                why = "not downloaded: go mod download timed out"
            elif report.cancelled:
                why = "not downloaded: cancelled"
            elif report.stderr.strip():
                why = report.stderr.strip().splitlines()[-1]
            report.modules.append(DownloadResult(p, v, error=why))
            continue
        r = DownloadResult(
            p,
            v,
            error=text(o, "Error"),
            info=text(o, "Info"),
            gomod=text(o, "GoMod"),
            zip=text(o, "Zip"),
            dir=text(o, "Dir"),
            sum=text(o, "Sum"),
            gomodsum=text(o, "GoModSum"),
        )
        if (text(o, "Path"), text(o, "Version")) != (p, v):
            r.reported_path, r.reported_version = text(o, "Path"), text(o, "Version")
        report.modules.append(r)


def download_missing(
    gomodcache: str | os.PathLike[str],
    modules: Iterable[tuple[str, str]],
    *,
    go: str,
    env: Mapping[str, str],
    cwd: str | None = None,
    toolchain: str | None = "local",
    timeout: float = 600.0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> DownloadReport:
    """Download those of ``modules`` the cache does not hold completely."""
    mods = list(dict.fromkeys(modules))
    missing = missing_versions(gomodcache, mods)
    report = download(
        missing,
        go=go,
        env=env,
        cwd=cwd,
        gomodcache=gomodcache,
        toolchain=toolchain,
        timeout=timeout,
        cancel=cancel,
        progress=progress,
    )
    report.skipped = [ModuleVersion(p, v) for p, v in mods if (p, v) not in set(missing)]
    return report


@dataclass
class RedownloadResult:
    clear: OpResult
    download: DownloadReport

    @property
    def ok(self) -> bool:
        return self.clear.ok and self.download.ok


def redownload(
    gomodcache: str | os.PathLike[str],
    path: str,
    version: str,
    *,
    go: str,
    env: Mapping[str, str],
    cwd: str | None = None,
    toolchain: str | None = "local",
    timeout: float = 600.0,
    lock_timeout: float = 30.0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    index: modindex.IndexScope | None = None,
) -> RedownloadResult:
    """Clear ``path@version`` from the cache (with ``index``: and go's module index
    entry of its directory), then download it again.

    Refused (nothing cleared) when ``env`` has ``GOPROXY=off``: go could not
    download it again. The download is skipped if the clear failed.
    """
    validate_module_version(path, version)
    if env.get("GOPROXY", "").strip() == "off":
        raise OperationError(
            f"{path}@{version}: GOPROXY=off: go could not download it again; not clearing it"
        )
    cleared = clear_version(
        gomodcache,
        path,
        version,
        lock_timeout=lock_timeout,
        cancel=cancel,
        progress=progress,
        index=index,
    )
    if cleared.errors or cleared.cancelled:  # (an index entry left is said, not fatal)
        return RedownloadResult(cleared, DownloadReport(errors=["not downloaded: clear failed"]))
    got = download(
        [(path, version)],
        go=go,
        env=env,
        cwd=cwd,
        gomodcache=gomodcache,
        toolchain=toolchain,
        timeout=timeout,
        cancel=cancel,
        progress=progress,
    )
    return RedownloadResult(cleared, got)
