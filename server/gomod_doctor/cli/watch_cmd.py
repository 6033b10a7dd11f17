"""``gomod-doctor watch [OPTIONS] -- CMD [ARGS...]``: the hot-reload runner's
command line (the runner is :mod:`gomod_doctor.hotreload`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from gomod_doctor.config import ConfigError, WatchConfig, load_file, parse_duration
from gomod_doctor.findings import Finding
from gomod_doctor.goenv import env as goenv
from gomod_doctor.workspace.discover import WorkspaceError, locate

PREFIX = "gomod-doctor watch"


def register(sub: Any) -> None:
    w = sub.add_parser(
        "watch",
        help="run a command and restart it when the build's files change (after a check)",
        usage="gomod-doctor watch [OPTIONS] -- CMD [ARGS...]",
        description="Run CMD in a process group of its own; when a file its build reads "
        "changes (the workspace's packages, local replacement directories, go.mod, go.sum, "
        "go.work, the needed module-cache entries), check the workspace (quick, offline) and, "
        "unless the check finds errors, restart CMD. Options also come from the [watch] "
        "table of gomod-doctor.toml; the command line wins.",
    )
    w.add_argument(
        "--ext",
        action="append",
        default=[],
        metavar="EXT",
        help="also restart on files with this extension (or name) in the watched packages; "
        "repeatable, comma-separated",
    )
    w.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="GLOB",
        help="ignore changes to paths (relative to the workspace root) or names matching "
        "GLOB; repeatable",
    )
    w.add_argument(
        "--debounce",
        metavar="DURATION",
        help="coalesce the changes of this long (e.g. 300ms, 1s; a bare number is in ms; "
        "default 300ms)",
    )
    w.add_argument(
        "--kill-timeout",
        metavar="DURATION",
        help="SIGKILL the command this long after SIGINT (a bare number is in seconds; default 5s)",
    )
    w.add_argument(
        "--no-check",
        action="store_true",
        default=None,
        help="restart without checking the workspace first",
    )
    w.set_defaults(func=cmd_watch, command_argv=[])


def split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """``watch [OPTIONS] -- CMD...``: the options part and the command."""
    if argv and argv[0] == "watch" and "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


def _print_findings(findings: list[Finding]) -> None:
    from gomod_doctor.report.formats import render_text

    sys.stderr.write(render_text(findings, colour=sys.stderr.isatty() and not _no_colour()))
    sys.stderr.flush()


def _no_colour() -> bool:
    return bool(os.environ.get("NO_COLOR"))


def _status(message: str) -> None:
    sys.stderr.write(f"{PREFIX}: {message}\n")
    sys.stderr.flush()


def supported() -> bool:
    """Process groups (POSIX) are what stopping a command cleanly needs."""
    return os.name == "posix"


def cmd_watch(args: argparse.Namespace) -> int:
    from gomod_doctor.cli.main import UsageError

    if not supported():
        print(
            f"{PREFIX}: not supported on {sys.platform} yet (it needs POSIX process groups)",
            file=sys.stderr,
        )
        return 2
    command: list[str] = list(args.command_argv)
    if not command:
        raise UsageError("gomod-doctor watch: want a command after --: watch [OPTIONS] -- CMD")
    from gomod_doctor.hotreload.runner import DEBOUNCE, KILL_TIMEOUT, Options, Runner

    genv = goenv.load(dict(os.environ))
    cwd = Path.cwd()
    try:
        loc = locate(cwd, gowork=genv.gowork_setting or genv.GOWORK, goroot=genv.GOROOT or None)
        file_config = load_file(loc.root)
    except WorkspaceError:
        file_config = None
    wc = file_config.watch if file_config is not None else WatchConfig()
    try:
        debounce = (
            parse_duration(args.debounce, unit="ms", where="--debounce")
            if args.debounce is not None
            else wc.debounce
        )
        kill = (
            parse_duration(args.kill_timeout, unit="s", where="--kill-timeout")
            if args.kill_timeout is not None
            else wc.kill_timeout
        )
    except ConfigError as e:
        raise UsageError(str(e)) from None
    exts = [e.strip() for arg in args.ext for e in arg.split(",") if e.strip()]
    check = not args.no_check if args.no_check is not None else wc.check
    options = Options(
        command=tuple(command),
        directory=cwd,
        exts=(*wc.ext, *exts),
        ignore=(*wc.ignore, *args.ignore),
        debounce=DEBOUNCE if debounce is None else debounce,
        kill_timeout=KILL_TIMEOUT if kill is None else kill,
        check=True if check is None else check,
    )
    runner = Runner(options, genv, report=_print_findings, status=_status)
    return runner.run()
