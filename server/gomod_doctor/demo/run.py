"""``gomod-doctor demo``: six local module problems, found, then fixed offline.

The demo builds the example of :mod:`gomod_doctor.demo.example` in a temporary
directory (a workspace, a module cache damaged six ways, a ``file://`` GOPROXY
with the pristine modules), runs the engine on it as ``check --verify full``
does, and prints the findings. With a go command on PATH it then applies the
fixes the findings name (the cache operations run the real ``go mod download``
against the file:// proxy; go.sum and go.mod get minimal text edits), checks
again, and has ``go mod verify`` confirm. Without go it prints how to apply them.

Everything runs in the example's isolated environment: the user's HOME, GOPATH,
module cache and go env are never read or written, and nothing uses the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from gomod_doctor import engine
from gomod_doctor.cache import ops
from gomod_doctor.demo import example
from gomod_doctor.demo.modules import make_writable
from gomod_doctor.findings import Finding
from gomod_doctor.goenv import env as goenv
from gomod_doctor.gosum.parser import parse_sum, resolve_conflicts
from gomod_doctor.modfile.edit import comment_out_replace
from gomod_doctor.modfile.rules import parse_mod
from gomod_doctor.position import TextEdit, apply_edits
from gomod_doctor.report.formats import render_text
from gomod_doctor.workspace.discover import locate

__all__ = ["Plan", "plan_fixes", "run_demo"]

#: Codes whose fix is to clear the module version and download it again.
REDOWNLOAD_CODES = frozenset({"cache-modified", "cache-incomplete", "cache-corrupt"})

_BOLD = "\033[1m"
_DIM = "\033[2m"
_RESET = "\033[0m"


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class SumFix:
    """A go.sum line whose hash differs from the one the module cache vouches for."""

    gosum: str
    line: int
    module: str
    version: str
    gomod: bool
    wrong: str
    cache: str

    @property
    def version_field(self) -> str:
        return self.version + ("/go.mod" if self.gomod else "")


@dataclass(frozen=True)
class ReplaceFix:
    """A directory replacement whose directory is gone."""

    gomod: str
    line: int
    module: str
    version: str
    new_path: str


@dataclass
class Plan:
    """What the findings ask for, in the order it is applied."""

    redownload: list[tuple[str, str]] = field(default_factory=list)
    download: list[tuple[str, str]] = field(default_factory=list)
    sums: list[SumFix] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    replaces: list[ReplaceFix] = field(default_factory=list)
    #: findings the demo has no fix for
    other: list[Finding] = field(default_factory=list)


def _add(items: list[tuple[str, str]], item: tuple[str, str]) -> None:
    if item not in items:
        items.append(item)


def plan_fixes(findings: list[Finding]) -> Plan:
    """The fixes the language server's quick fixes would apply for ``findings``."""
    plan = Plan()
    for f in findings:
        d = f.data
        if f.code in REDOWNLOAD_CODES:
            _add(plan.redownload, (d["module"], d["version"]))
        elif f.code == "cache-missing":
            _add(plan.download, (d["module"], d["version"]))
        elif f.code == "cache-missing-summary":
            for m in d["modules"]:
                _add(plan.download, (m["module"], m["version"]))
        elif f.code == "sum-mismatch":
            # The cache agrees with itself: redownload to re-verify it against the
            # proxy, then the go.sum line is the one to change.
            _add(plan.redownload, (d["module"], d["version"]))
            fix = SumFix(
                d["goSumPath"],
                d["goSumLine"],
                d["module"],
                d["version"],
                bool(d["goMod"]),
                d["goSumHash"],
                d["cacheHash"],
            )
            if fix not in plan.sums:
                plan.sums.append(fix)
        elif f.code == "sum-conflict":
            if f.path not in plan.conflicts:
                plan.conflicts.append(f.path)
        elif f.code == "replace-missing":
            plan.replaces.append(
                ReplaceFix(f.path, f.range.start.line, d["module"], d["version"], d["newPath"])
            )
        else:
            plan.other.append(f)
    # A version being redownloaded is downloaded by that already.
    plan.download = [m for m in plan.download if m not in plan.redownload]
    return plan


# --------------------------------------------------------------------------- output


class _Out:
    def __init__(self, stream: TextIO, colour: bool, root: Path, cwd: Path) -> None:
        self.stream = stream
        self.colour = colour
        self.root = str(root)
        self.cwd = cwd

    def show(self, text: str) -> str:
        """``text`` with the demo's temporary directory written as ``$DEMO``."""
        return text.replace(self.root, "$DEMO")

    def line(self, text: str = "", *, raw: bool = False, end: str = "\n") -> None:
        self.stream.write((text if raw else self.show(text)) + end)

    def heading(self, text: str) -> None:
        self.line()
        self.line(f"{_BOLD}{text}{_RESET}" if self.colour else text)

    def command(self, text: str) -> None:
        self.line(f"{_BOLD}$ {text}{_RESET}" if self.colour else f"$ {text}")

    def note(self, text: str, *, end: str = "\n") -> None:
        self.line(f"{_DIM}{text}{_RESET}" if self.colour else text, end=end)

    def file(self, rel: str, text: str) -> None:
        self.line(f"--- {rel}")
        for n, ln in enumerate(text.splitlines(), 1):
            self.line(f"{n:3} | {ln}")

    def findings(self, findings: list[Finding]) -> None:
        self.stream.write(
            self.show(render_text(findings, colour=self.colour, cwd=str(self.cwd), hints=True))
        )

    def rel(self, path: str | os.PathLike[str]) -> str:
        return os.path.relpath(path, self.cwd)


def _short(h: str) -> str:
    return h if len(h) <= 16 else h[:12] + "…"


# --------------------------------------------------------------------------- steps


def _check(ex: example.Example) -> list[Finding]:
    """``gomod-doctor check --verify full`` in the example's environment (no memo:
    the memo lives in the user's cache directory)."""
    genv = goenv.load(ex.env)
    facts, _ = engine.gather(locate(ex.gomod), genv, verify="full", no_memo=True)
    result = engine.run(facts)
    for msg in result.internal_errors:
        print(f"gomod-doctor: {msg}", file=sys.stderr)
    return result.findings


def _intro(out: _Out, ex: example.Example) -> None:
    out.line("gomod-doctor demo: six local Go module problems, found and fixed")
    out.line()
    out.line("Everything happens in a new temporary directory,")
    out.line(f"  $DEMO = {ex.root}", raw=True)
    out.line("and nothing uses the network: $DEMO/proxy is a GOPROXY on disk holding the")
    out.line(f"pristine modules (GOPROXY={ex.env['GOPROXY']}). GOPATH, the module cache,")
    out.line("GOCACHE, GOENV and HOME are under $DEMO too, with GOTOOLCHAIN=local and")
    out.line("GOSUMDB=off: your own module cache and go env are never touched.")
    out.line()
    out.line(f"The module {example.APP} in $DEMO/app requires and imports five modules:")
    out.line()
    out.file("go.mod", ex.gomod.read_text(encoding="utf-8"))
    out.line()
    out.file("go.sum", ex.gosum.read_text(encoding="utf-8"))
    out.line()
    g, q, u, lg = example.GREET, example.QUOTE, example.UNITS, example.LEGACY
    rows = [
        (example.COLOR, "never downloaded: only the proxy has it"),
        (g, "greet.go edited in place, in its extracted directory"),
        (q, f"download interrupted: half a zip in {q.version}{example.QUOTE_TMP_SUFFIX}"),
        (u, "intact in the cache, but go.sum has another hash for it"),
        (lg, "replaced by ../legacy, a directory deleted since"),
    ]
    out.line(f"The module cache, {ex.gomodcache}, was then damaged:")
    width = max(len(f"{m.path} {m.version}") for m, _ in rows)
    for m, what in rows:
        out.line(f"  {m.path + ' ' + m.version:<{width}}  {what}")
    out.line("and a merge left conflict markers in go.sum.")


def _mods(mods: list[tuple[str, str]]) -> str:
    return " ".join(f"{p}@{v}" for p, v in mods)


def _read(path: str) -> str:
    """A file's text as go reads it (no newline translation)."""
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def _sum_edit(s: SumFix, new_hash: str) -> str | None:
    """go.sum's text with the line of ``s`` given ``new_hash`` (None: the line changed)."""
    text = _read(s.gosum)
    want = (s.line, s.module, s.version, s.gomod, s.wrong)
    for e in parse_sum(text, s.gosum).entries:
        if (e.line, e.module, e.version, e.gomod, e.hash) == want:
            return apply_edits(text, [TextEdit(e.hash_range, new_hash)])
    return None


def _conflict_edit(path: str) -> tuple[str, list[int]]:
    """go.sum's text with its conflicts resolved, and the marker lines dropped."""
    text = _read(path)
    markers = [n for region in parse_sum(text, path).conflicts for n in region.marker_lines]
    return resolve_conflicts(text), markers


def _replace_edit(r: ReplaceFix) -> tuple[str, str, str] | None:
    """go.mod's text with the replace commented out, and the line before and after."""
    text = _read(r.gomod)
    mod = parse_mod(text, r.gomod)
    for rep in mod.replace:
        if (rep.old_path, rep.old_version, rep.new_path) == (r.module, r.version, r.new_path):
            new = apply_edits(text, comment_out_replace(mod, rep))
            n = rep.syntax.start.line - 1
            return new, text.splitlines()[n], new.splitlines()[n]
    return None


def _diff(out: _Out, old: str, new: str) -> None:
    out.line(f"    - {old}")
    out.line(f"    + {new}")


def _how_to(out: _Out, plan: Plan) -> None:
    """The fixes, as commands and edits for the user to apply."""
    if plan.redownload:
        out.line(f"  gomod-doctor redownload {_mods(plan.redownload)}")
    if plan.download:
        out.line(f"  gomod-doctor download {_mods(plan.download)}")
    for s in plan.sums:
        out.line(
            f"  then, if go reports {s.module} {s.version_field} as the cache has it, "
            f"edit {out.rel(s.gosum)} line {s.line}:"
        )
        _diff(
            out,
            f"{s.module} {s.version_field} {s.wrong}",
            f"{s.module} {s.version_field} {s.cache}",
        )
        out.line(
            f"    (or delete the line and run 'go mod download {s.module}@{s.version}' "
            "in the module)"
        )
    for c in plan.conflicts:
        _, markers = _conflict_edit(c)
        out.line(
            f"  resolve the merge conflict in {out.rel(c)}: keep both sides, delete the "
            f"marker lines {', '.join(map(str, markers))}"
        )
    for r in plan.replaces:
        out.line(
            f"  disable the replace in {out.rel(r.gomod)} line {r.line} "
            f"({r.new_path} is gone), or delete it:"
        )
        edit = _replace_edit(r)
        if edit is not None:
            _diff(out, edit[1], edit[2])


def _report_download(out: _Out, report: ops.DownloadReport, verb: str) -> bool:
    for m in report.modules:
        if m.ok:
            out.line(f"    {m.path}@{m.version}: {verb}, {m.sum}")
        else:
            out.line(f"    {m.path}@{m.version}: {m.error}")
    for e in report.errors:
        if not report.modules or all(m.error != e for m in report.modules):
            out.line(f"    {e}")
    return report.ok


def _apply(out: _Out, ex: example.Example, plan: Plan, go: str) -> bool:
    """Apply ``plan``, saying what each step does; False if something failed."""
    ok = True
    sums: dict[tuple[str, str], str] = {}
    gomodsums: dict[tuple[str, str], str] = {}
    cache = str(ex.gomodcache)
    if plan.redownload:
        out.line()
        out.note("Clear what the cache holds wrongly (under go's own lock) and download it again")
        again = "from the proxy with go"
        if plan.sums:
            names = ", ".join(sorted({f.module for f in plan.sums}))
            again += f" (for {names}, this re-verifies the cache)"
        out.note(again + ":")
        out.command(f"gomod-doctor redownload {_mods(plan.redownload)}")
        for path, version in plan.redownload:
            try:
                got = ops.redownload(cache, path, version, go=go, env=ex.env)
            except ops.OperationError as refused:
                out.line(f"    {path}@{version}: {refused}")
                ok = False
                continue
            for item in got.clear.errors:
                out.line(f"    {path}@{version}: {item}")
            ok = _report_download(out, got.download, "cleared and downloaded again") and ok
            ok = got.clear.ok and ok
            for m in got.download.modules:
                if m.ok:
                    sums[(m.path, m.version)] = m.sum
                    gomodsums[(m.path, m.version)] = m.gomodsum
    if plan.download:
        out.line()
        out.note("Download what the cache lacks:")
        out.command(f"gomod-doctor download {_mods(plan.download)}")
        try:
            report = ops.download(plan.download, go=go, env=ex.env, gomodcache=cache)
        except ops.OperationError as e:
            report = ops.DownloadReport(errors=[str(e)])
        ok = _report_download(out, report, "downloaded") and ok

    for s in plan.sums:
        verified = (gomodsums if s.gomod else sums).get((s.module, s.version), "")
        out.line()
        if not verified:
            out.line(f"{out.rel(s.gosum)} line {s.line}: not changed, the redownload failed")
            ok = False
            continue
        if verified == s.cache:
            out.note(f"The proxy serves {s.module} {s.version} with the hash the cache had")
            out.note(f"({_short(verified)}), so go.sum's line is the wrong one.", end=" ")
        else:
            out.note(f"The proxy serves {s.module} {s.version} as {_short(verified)}, not as the")
            out.note(f"cache had it ({_short(s.cache)}); go.sum's line is wrong too.", end=" ")
        out.line(f"Edit {out.rel(s.gosum)} line {s.line}:")
        new_sum = _sum_edit(s, verified)
        if new_sum is None:
            out.line("    the line has changed since the check; not edited")
            ok = False
            continue
        _write(s.gosum, new_sum)
        _diff(
            out,
            f"{s.module} {s.version_field} {s.wrong}",
            f"{s.module} {s.version_field} {verified}",
        )

    for c in plan.conflicts:
        new_text, markers = _conflict_edit(c)
        out.line()
        out.note(f"Resolve the merge conflict in {out.rel(c)}: keep both sides, drop the markers:")
        _write(c, new_text)
        out.line(f"    deleted marker lines {', '.join(map(str, markers))}")

    for r in plan.replaces:
        out.line()
        out.note(f"Disable the replace whose directory is gone, {out.rel(r.gomod)} line {r.line}:")
        edit = _replace_edit(r)
        if edit is None:
            out.line("    the replace has changed since the check; not edited")
            ok = False
            continue
        _write(r.gomod, edit[0])
        _diff(out, edit[1], edit[2])
    return ok


def _go_mod_verify(out: _Out, ex: example.Example, go: str) -> bool:
    out.line()
    out.note("And the go command agrees:")
    out.command("go mod verify")
    try:
        proc = subprocess.run(
            [go, "mod", "verify"],
            cwd=ex.app,
            env={**ex.env, "PWD": str(ex.app)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        out.line(f"cannot run {go}: {e}")
        return False
    for ln in (proc.stdout + proc.stderr).splitlines():
        out.line(ln)
    return proc.returncode == 0


def demo(root: Path, stream: TextIO, *, colour: bool, path: str) -> int:
    """Run the demo in the empty directory ``root``; go is looked up on ``path``."""
    t0 = time.monotonic()
    ex = example.build(root, path=path)
    out = _Out(stream, colour, ex.root, ex.app)
    go = shutil.which("go", path=path)
    _intro(out, ex)

    out.heading("Step 1. Check")
    out.note("--verify full rehashes each needed zip and extracted directory with go's h1")
    out.note("hash: that is what finds the edited file (the quick default only looks at")
    out.note("the files' presence, sizes and the small files).")
    out.command("gomod-doctor check --verify full")
    findings = _check(ex)
    out.findings(findings)
    plan = plan_fixes(findings)

    if go is None:
        out.heading("Step 2. How to fix them")
        out.line("The check needed no go command, but the fixes do, and there is no go command")
        out.line("on PATH: the demo stops here (with go, it applies the fixes and checks again).")
        out.line("In your own workspace, these are the fixes:")
        out.line()
        _how_to(out, plan)
        return 0

    out.heading("Step 2. Fix them")
    out.note(f"With {go} and the file:// proxy, nothing leaves $DEMO.")
    ok = _apply(out, ex, plan, go)

    out.heading("Step 3. Check again")
    out.command("gomod-doctor check --verify full")
    after = _check(ex)
    out.findings(after)
    ok = not after and ok
    ok = _go_mod_verify(out, ex, go) and ok
    out.line()
    out.note(f"Done in {time.monotonic() - t0:.1f}s; $DEMO is removed now.")
    return 0 if ok else 1


def run_demo(
    stream: TextIO | None = None,
    *,
    colour: bool | None = None,
    environ: dict[str, str] | None = None,
    keep: Callable[[Path], None] | None = None,
) -> int:
    """``gomod-doctor demo``: the demo in a temporary directory, removed afterwards.

    ``environ`` (default: this process's) only provides PATH, to find go, and
    NO_COLOR; ``keep`` is called with the directory before it is removed (tests).
    """
    environ = dict(os.environ) if environ is None else environ
    stream = sys.stdout if stream is None else stream
    if colour is None:
        colour = stream.isatty() and not environ.get("NO_COLOR")
    with tempfile.TemporaryDirectory(prefix="gomod-doctor-demo-") as tmp:
        try:
            return demo(Path(tmp), stream, colour=colour, path=environ.get("PATH", os.defpath))
        finally:
            if keep is not None:
                keep(Path(tmp))
            make_writable(tmp)
