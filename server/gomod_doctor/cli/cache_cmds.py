"""The module-cache subcommands: ``clear``, ``download``, ``redownload``, ``prune``,
``drop-index``.

``register(subparsers)`` adds them to the ``gomod-doctor`` parser; each sets
``args.func(args) -> int`` (exit status: 0 done, 1 some item failed, 2 usage
error or refused). All the work is done by :mod:`gomod_doctor.cache.ops`.

Broad deletions (``clear MODULE``, ``clear --all``, ``prune --apply``) ask for
confirmation on a terminal; ``--yes`` answers it, and without a terminal and
without ``--yes`` they are refused. ``--dry-run`` shows what would be removed.

``clear``, ``redownload`` and ``prune`` also drop go's module index entry (in
GOCACHE) of each directory they remove, as ``drop-index`` does alone: go keys
it by the directory's path, so a directory downloaded again would otherwise be
built with its old file list (:mod:`gomod_doctor.cache.modindex`).

What a workspace needs from the cache (for ``prune`` and ``download
--missing``) comes from :func:`gomod_doctor.workspace.cacheneeds.workspace_needs`:
the go.mod requirements (plus replacements) of the workspace modules, and the
go.mod-only needs found by walking the cached go.mod files.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gomod_doctor.cache import modindex, ops
from gomod_doctor.goenv import env as goenv
from gomod_doctor.units import human_bytes
from gomod_doctor.workspace.cacheneeds import WorkspaceNeeds, workspace_needs
from gomod_doctor.workspace.discover import WorkspaceError

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "WorkspaceNeeds",
    "register",
    "split_module_arg",
    "workspace_needs",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class _Refuse(Exception):
    """Stop with exit status 2 and this message."""


# --------------------------------------------------------------------------- helpers


def _err(message: str) -> None:
    text = message if message.startswith(("go:", "gomod-doctor:")) else f"gomod-doctor: {message}"
    print(text, file=sys.stderr)


def _is_tty() -> bool:
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _ask(prompt: str) -> bool:
    print(prompt + " [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")


def _confirm(args: argparse.Namespace, what: str) -> None:
    """Raise :class:`_Refuse` unless the user agrees to ``what``."""
    if args.yes:
        return
    if not _is_tty():
        raise _Refuse(
            f"refusing to {what} without confirmation: pass --yes "
            "(or --dry-run to see what would be removed)"
        )
    if not _ask(f"gomod-doctor: {what}?"):
        raise _Refuse("cancelled")


def _progress(args: argparse.Namespace) -> ops.ProgressFn:
    live = not getattr(args, "json", False) and _stderr_tty()

    def show(message: str, done: int, total: int) -> None:
        if message.startswith(ops.WAITING_FOR_LOCK):
            print(f"gomod-doctor: {message}", file=sys.stderr, flush=True)
        elif live:
            print(f"\r\x1b[K[{done}/{total}] {message}"[:200], end="", file=sys.stderr)
            print("", end="\n" if done == total else "", file=sys.stderr, flush=True)

    return show


def _stderr_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def split_module_arg(arg: str) -> tuple[str, str | None]:
    """``M@V`` -> (M, V); ``M`` -> (M, None). Validated: raises ops.OperationError."""
    if arg.startswith("-"):
        raise ops.OperationError(f"invalid argument {arg!r}: must not start with '-'")
    path, at, version = arg.partition("@")
    if at:
        ops.validate_module_version(path, version)
        return path, version
    ops.validate_module(path)
    return path, None


@dataclass
class _Ctx:
    environ: dict[str, str]
    genv: goenv.GoEnv
    gomodcache: str

    @property
    def index(self) -> modindex.IndexScope:
        """Where the go on PATH keeps its module index."""
        return modindex.scope(self.genv)


def _context(args: argparse.Namespace) -> _Ctx:
    environ = dict(os.environ)
    genv = goenv.load(environ)
    gomodcache = args.gomodcache or genv.GOMODCACHE
    if not gomodcache:
        why = f" ({genv.gopath_error})" if genv.gopath_error else ""
        raise _Refuse(f"no module cache: GOMODCACHE is not set{why}")
    if not os.path.isabs(gomodcache):
        raise _Refuse(f"GOMODCACHE entry is relative; must be absolute path: {gomodcache!r}")
    return _Ctx(environ, genv, gomodcache)


def _go_binary(args: argparse.Namespace, ctx: _Ctx) -> str:
    go = args.go or goenv.find_go_binary(ctx.environ)
    if not go:
        raise _Refuse("no go command found on PATH (use --go)")
    return str(go)


def _go_env(ctx: _Ctx) -> dict[str, str]:
    env = dict(ctx.environ)
    env["GOMODCACHE"] = ctx.gomodcache
    return env


def _print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def _report_op(args: argparse.Namespace, result: ops.OpResult, *, verb: tuple[str, str]) -> int:
    """``verb``: (what a dry run would do, what was done), e.g. ("remove", "removed")."""
    if args.json:
        _print_json(result.to_json())
    else:
        said = f"would {verb[0]}" if result.dry_run else verb[1]
        for v in result.versions:
            print(f"{said} {v}")
        for v in result.mod_only:
            print(f"{said} {v} (zip and extracted files; go.mod kept)")
        if not result.versions and not result.mod_only and not result.removed:
            print("nothing to remove")
        else:
            print(
                f"{'would free' if result.dry_run else 'freed'} {human_bytes(result.bytes_freed, short=True)}"
            )
    _report_index(args, result.index, dry_run=result.dry_run)
    for e in result.errors:
        _err(e.message)
    if result.cancelled:
        _err("cancelled")
    return EXIT_OK if result.ok else EXIT_FAILED


def _report_index(args: argparse.Namespace, index: modindex.DropResult, *, dry_run: bool) -> None:
    """The module index entries dropped (on stdout, unless JSON shows them), and on
    stderr those that could not be (naming ``go clean -cache``)."""
    if not args.json:
        said = "would drop" if dry_run else "dropped"
        for f in index.dropped:
            print(f"{said} go's module index entry {f}")
    for e in index.errors:
        _err(e)
    for n in index.notes:
        _err(f"warning: {n}")


def _report_download(args: argparse.Namespace, report: ops.DownloadReport) -> int:
    if args.json:
        _print_json(report.to_json())
    else:
        for m in report.modules:
            if m.ok:
                print(f"downloaded {m.path}@{m.version}")
        for s in report.skipped:
            print(f"already in the cache: {s}")
        if not report.modules and not report.skipped and not report.errors:
            print("nothing to download")
    return _errors_only(report)


def _run(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except (_Refuse, ops.OperationError, WorkspaceError) as e:
            _err(str(e))
            return EXIT_USAGE

    return run


# --------------------------------------------------------------------------- needs


def _needs_or_refuse(ctx: _Ctx, paths: Sequence[str]) -> WorkspaceNeeds:
    wn = workspace_needs(paths, gomodcache=ctx.gomodcache, environ=ctx.environ, genv=ctx.genv)
    if wn.problems:
        for p in wn.problems:
            _err(p)
        raise _Refuse("the workspace's requirements cannot be read reliably; fix the errors above")
    return wn


# --------------------------------------------------------------------------- commands


def _cmd_clear(args: argparse.Namespace) -> int:
    if args.all and args.targets:
        raise _Refuse("clear: give module versions, modules or --all, not both")
    if not args.all and not args.targets:
        raise _Refuse("clear: nothing to clear (give MODULE@VERSION, MODULE or --all)")
    targets = [split_module_arg(t) for t in args.targets]
    ctx = _context(args)
    progress = _progress(args)
    cancel = threading.Event()
    if args.all:
        if not args.dry_run:
            size = ops.estimate_bytes(ctx.gomodcache)
            _confirm(
                args,
                f"remove the whole module cache {ctx.gomodcache} ({human_bytes(size, short=True)})",
            )
        result = ops.clear_all(
            ctx.gomodcache,
            dry_run=args.dry_run,
            cancel=cancel,
            progress=progress,
            index=ctx.index,
        )
        if args.json:
            _print_json(result.to_json())
        else:
            would = "would free" if args.dry_run else "freed"
            print(
                f"{would} {human_bytes(result.bytes_freed, short=True)} ({len(result.removed)} entries)"
            )
        _report_index(args, result.index, dry_run=args.dry_run)
        for e in result.errors:
            _err(e.message)
        return EXIT_OK if result.ok else EXIT_FAILED
    modules = [p for p, v in targets if v is None]
    if modules and not args.dry_run:
        size = sum(ops.estimate_bytes(ctx.gomodcache, p) for p in modules)
        _confirm(
            args,
            f"remove every cached version of {', '.join(modules)} ({human_bytes(size, short=True)})",
        )
    total = _clear(args, ctx, targets, cancel, progress)
    return _report_op(args, total, verb=("remove", "removed"))


def _clear(
    args: argparse.Namespace,
    ctx: _Ctx,
    targets: Iterable[tuple[str, str | None]],
    cancel: threading.Event,
    progress: ops.ProgressFn | None,
) -> ops.OpResult:
    """Clear each ``(module, version)`` (every version where ``version`` is None), with
    go's module index entries; one result for all."""
    total = ops.OpResult(dry_run=args.dry_run)
    for path, version in targets:
        common: dict[str, Any] = {
            "dry_run": args.dry_run,
            "lock_timeout": args.lock_timeout,
            "cancel": cancel,
            "progress": progress,
            "index": ctx.index,
        }
        if version is None:
            r = ops.clear_module(ctx.gomodcache, path, **common)
        else:
            r = ops.clear_version(ctx.gomodcache, path, version, **common)
        _merge(total, r)
    return total


def _merge(into: ops.OpResult, r: ops.OpResult) -> None:
    into.removed += r.removed
    into.errors += r.errors
    into.versions += r.versions
    into.kept += r.kept
    into.mod_only += r.mod_only
    into.notes += r.notes
    into.cancelled = into.cancelled or r.cancelled
    into.index.extend(r.index)


def _module_versions(verb: str, args: Sequence[str]) -> list[tuple[str, str]]:
    """``MODULE@VERSION`` arguments, validated; a version is required."""
    wanted: list[tuple[str, str]] = []
    for arg in args:
        path, version = split_module_arg(arg)
        if version is None:
            raise _Refuse(f"{verb}: {arg}: give a version (MODULE@VERSION)")
        wanted.append((path, version))
    return wanted


def _cmd_download(args: argparse.Namespace) -> int:
    if args.missing is not None and args.modules:
        raise _Refuse("download: give MODULE@VERSION arguments or --missing, not both")
    if args.missing is None and not args.modules:
        raise _Refuse("download: nothing to download (give MODULE@VERSION or --missing)")
    wanted = _module_versions("download", args.modules)
    ctx = _context(args)
    go = _go_binary(args, ctx)
    cwd = os.getcwd() if args.in_module else None
    common: dict[str, Any] = {
        "go": go,
        "env": _go_env(ctx),
        "timeout": args.timeout,
        "progress": _progress(args),
        "cancel": threading.Event(),
    }
    if args.missing is not None:
        wn = workspace_needs(
            [args.missing], gomodcache=ctx.gomodcache, environ=ctx.environ, genv=ctx.genv
        )
        for p in wn.problems:
            _err(f"warning: {p}")
        if args.in_module and wn.module_dirs:
            cwd = str(wn.module_dirs[0])
        report = ops.download_missing(ctx.gomodcache, sorted(wn.required), cwd=cwd, **common)
    else:
        report = ops.download(wanted, cwd=cwd, gomodcache=ctx.gomodcache, **common)
    return _report_download(args, report)


def _cmd_redownload(args: argparse.Namespace) -> int:
    wanted = _module_versions("redownload", args.modules)
    ctx = _context(args)
    go = _go_binary(args, ctx)
    if ctx.genv.GOPROXY.strip() == "off":
        raise _Refuse("redownload: GOPROXY=off: go could not download again; nothing cleared")
    progress = _progress(args)
    cancel = threading.Event()
    cleared = _clear(args, ctx, wanted, cancel, progress)
    if args.dry_run:
        return _report_op(args, cleared, verb=("remove and download again", ""))
    failed = {e.item for e in cleared.errors}
    again = [(p, v) for p, v in wanted if f"{p}@{v}" not in failed]
    report = ops.download(
        again,
        go=go,
        env=_go_env(ctx),
        cwd=os.getcwd() if args.in_module else None,
        gomodcache=ctx.gomodcache,
        timeout=args.timeout,
        cancel=cancel,
        progress=progress,
    )
    for e in cleared.errors:
        _err(e.message)
    if args.json:
        _print_json({"Clear": cleared.to_json(), "Download": report.to_json()})
        code = _errors_only(report)
    else:
        code = _report_download(args, report)
    _report_index(args, cleared.index, dry_run=False)
    return EXIT_OK if cleared.ok and code == EXIT_OK else EXIT_FAILED


def _errors_only(report: ops.DownloadReport) -> int:
    """go's errors of a download on stderr; the exit status."""
    for m in report.modules:
        if not m.ok:
            _err(m.error)
    for e in report.errors:
        _err(e)
    return EXIT_OK if report.ok else EXIT_FAILED


def _cmd_prune(args: argparse.Namespace) -> int:
    dry_run = not args.apply or args.dry_run
    ctx = _context(args)
    wn = _needs_or_refuse(ctx, args.paths or ["."])
    progress = _progress(args)
    if not dry_run:
        preview = ops.prune(ctx.gomodcache, wn.needs.full, keep_mod=wn.needs.mod_only)
        if not preview.versions and not preview.mod_only:
            return _report_op(args, preview, verb=("prune", "pruned"))
        n = len(preview.versions) + len(preview.mod_only)
        _confirm(
            args, f"prune {n} module versions ({human_bytes(preview.bytes_freed, short=True)})"
        )
    result = ops.prune(
        ctx.gomodcache,
        wn.needs.full,
        keep_mod=wn.needs.mod_only,
        dry_run=dry_run,
        lock_timeout=args.lock_timeout,
        cancel=threading.Event(),
        progress=progress,
        index=ctx.index,
    )
    code = _report_op(args, result, verb=("prune", "pruned"))
    if dry_run and not args.json and (result.versions or result.mod_only):
        print("(dry run: pass --apply to remove them)")
    return code


def _cmd_drop_index(args: argparse.Namespace) -> int:
    wanted = _module_versions("drop-index", args.modules)
    ctx = _context(args)
    sc = ctx.index
    if sc.unused is not None:
        print(f"nothing to drop: {sc.unused}")
        return EXIT_OK
    result = modindex.drop(sc, ctx.gomodcache, wanted, dry_run=args.dry_run)
    if args.json:
        _print_json(result.to_json())
    elif not result.dropped and not result.notes and not result.errors:
        print("no module index entry to drop")
    _report_index(args, result, dry_run=args.dry_run)
    return EXIT_FAILED if result.errors or result.notes else EXIT_OK


# --------------------------------------------------------------------------- parser


def _common(p: argparse.ArgumentParser, *, lock: bool = True) -> None:
    p.add_argument(
        "--gomodcache", metavar="DIR", help="the module cache (default: go's GOMODCACHE)"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    if lock:
        p.add_argument(
            "--lock-timeout",
            type=float,
            default=30.0,
            metavar="SECONDS",
            help="how long to wait for a go command holding a version's lock (default 30)",
        )


def _go_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--go", metavar="PATH", help="the go command to run (default: go on PATH)")
    p.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="stop go mod download after this long (default 600)",
    )
    p.add_argument(
        "--in-module",
        action="store_true",
        help="run go in the module (so it records sums in go.sum) instead of a temp dir",
    )


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``clear``, ``download``, ``redownload``, ``drop-index`` and ``prune`` to
    ``subparsers``."""
    c = subparsers.add_parser(
        "clear",
        help="remove module versions from the module cache",
        description="Remove MODULE@VERSION, every version of MODULE, or (--all) the whole "
        "module cache, as 'go clean -modcache' does. Never touches anything outside "
        "GOMODCACHE.",
    )
    c.add_argument("targets", nargs="*", metavar="MODULE[@VERSION]")
    c.add_argument("--all", action="store_true", help="empty the whole module cache")
    c.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    c.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    _common(c)
    c.set_defaults(func=_run(_cmd_clear))

    d = subparsers.add_parser(
        "download",
        help="download module versions into the module cache (go mod download)",
    )
    d.add_argument("modules", nargs="*", metavar="MODULE@VERSION")
    d.add_argument(
        "--missing",
        nargs="?",
        const=".",
        metavar="PATH",
        help="download what the workspace at PATH (default .) needs and the cache lacks",
    )
    _common(d, lock=False)
    _go_opts(d)
    d.set_defaults(func=_run(_cmd_download))

    r = subparsers.add_parser(
        "redownload", help="remove module versions from the cache and download them again"
    )
    r.add_argument("modules", nargs="+", metavar="MODULE@VERSION")
    r.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    _common(r)
    _go_opts(r)
    r.set_defaults(func=_run(_cmd_redownload))

    x = subparsers.add_parser(
        "drop-index",
        help="drop go's module index entry (in GOCACHE) of module versions' directories",
        description="Remove the GOCACHE entry in which the go command keeps its index of "
        "the module cache directory of each MODULE@VERSION (the build-cache-stale fix). "
        "go indexes the directory afresh on its next build. No other GOCACHE entry is "
        "touched.",
    )
    x.add_argument("modules", nargs="+", metavar="MODULE@VERSION")
    x.add_argument("--dry-run", action="store_true", help="only show what would be dropped")
    _common(x, lock=False)
    x.set_defaults(func=_run(_cmd_drop_index))

    p = subparsers.add_parser(
        "prune",
        help="remove the cached module versions no given workspace needs (dry run by default)",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="workspaces (default: .)")
    p.add_argument("--apply", action="store_true", help="really remove (default: dry run)")
    p.add_argument("--dry-run", action="store_true", help="only show (the default)")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    _common(p)
    p.set_defaults(func=_run(_cmd_prune))
