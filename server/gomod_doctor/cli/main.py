"""The ``gomod-doctor`` command: a thin adapter over the engine."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gomod_doctor
from gomod_doctor import engine
from gomod_doctor.cache.results import Progress
from gomod_doctor.cli import watch_cmd
from gomod_doctor.cli.progressbar import ProgressBar
from gomod_doctor.config import Config, ConfigError, load_file, parse_severity_args
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv import env as goenv
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.report.formats import render_json, render_text
from gomod_doctor.report.sarif import render_sarif
from gomod_doctor.workspace.discover import WorkspaceError, locate
from gomod_doctor.workspace.graphmemo import GraphStore
from gomod_doctor.workspace.model import WorkspaceLocation

if TYPE_CHECKING:
    from gomod_doctor.netfacts import NetworkFacts
    from gomod_doctor.network.proxy import NetworkCache

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


class _Version(argparse.Action):
    """``--version``: the installed version, read only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kw: Any) -> None:
        print(f"gomod-doctor {gomod_doctor.__version__}")  # on stdout, as argparse's own
        parser.exit()


#: The commands this module runs itself: when one of them is asked for, the other
#: commands' modules (and what they import: the cache operations...) are not loaded.
OWN_COMMANDS = ("check", "demo", "serve")


def build_parser(serve: Serve | None = None, command: str | None = None) -> argparse.ArgumentParser:
    """The parser; ``command`` (the first argument) in :data:`OWN_COMMANDS`: with
    only those commands."""
    p = _Parser(
        prog="gomod-doctor",
        description="Find and fix Go module problems: go.mod, go.sum, go.work, the module cache.",
    )
    p.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    c = sub.add_parser("check", help="report problems of one or more workspaces")
    c.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a directory, go.mod or go.work (default: the current directory)",
    )
    c.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    # full by default: quick cannot see a file edited inside the module cache (the
    # README's first example). Unlike the language server's background verification
    # (cores - 1 workers at lower priority), check runs in the foreground: the user
    # is waiting for its answer, so its workers use every core at normal priority
    # (engine.gather -> cache.verify's default), and the memo makes the next run fast.
    c.add_argument(
        "--verify",
        choices=("quick", "full"),
        default="full",
        help="full: rehash the zips and extracted dirs the build needs, memoized (default); "
        "quick: stats and small files only",
    )
    c.add_argument(
        "--no-memo",
        action="store_true",
        help="without the memos (verified hashes, dependencies' import graph, small files)",
    )
    c.add_argument("--offline", action="store_true", help="never touch the network")
    c.add_argument(
        "--dirs",
        action="store_true",
        help="each PATH that is a file (go.mod, go.sum, go.work) stands for its directory: "
        "the workspace the go command uses there (as pre-commit passes files)",
    )
    c.add_argument(
        "--severity",
        action="append",
        default=[],
        metavar="CODE=LEVEL",
        help="override a code's severity (error, warning, information, hint, off)",
    )
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    c.add_argument(
        "--hints",
        action="store_true",
        help="also print hints in the text output (e.g. each module the next build downloads)",
    )

    sub.add_parser("demo", help="show gomod-doctor on a built-in example workspace")

    s = sub.add_parser("serve", help="run the language server (over stdio by default)")
    s.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead (for debugging)")
    s.add_argument("--stdio", action="store_true", help="speak over stdio (the default)")
    s.set_defaults(func=functools.partial(_cmd_serve, serve))
    if command not in OWN_COMMANDS:
        from gomod_doctor.cli import cache_cmds, network_cmds

        cache_cmds.register(sub)
        network_cmds.register(sub)
        watch_cmd.register(sub)
    return p


#: Runs the language server (over stdio, or TCP at HOST:PORT); raises ValueError
#: for a bad HOST:PORT before anything starts. The entry point
#: (:mod:`gomod_doctor.main`) passes it: the CLI never imports the language server.
Serve = Callable[[str | None], int]


def _cmd_serve(serve: Serve | None, args: argparse.Namespace) -> int:
    if serve is None:
        raise UsageError("serve: run the language server with the gomod-doctor command")
    try:
        return serve(args.tcp)
    except ValueError as e:
        raise UsageError(str(e)) from None


def _colour(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _start_network(
    into: list[Callable[[], NetworkFacts]],
    offline: bool,
    cache: Callable[[], NetworkCache],
    facts: Facts,
) -> None:
    """Start the network gather (while full verification hashes). ``cache`` is made
    on the first gather that can send a request (none, when nothing can be sent)."""
    into.append(engine.start_network(facts, offline=offline, environ=os.environ, cache=cache))


def _network_cache() -> NetworkCache:
    """Answers kept across the network gathers of one workspace's check."""
    from gomod_doctor.network.proxy import NetworkCache

    return NetworkCache()


def check_locations(
    locations: Sequence[WorkspaceLocation],
    base: Config,
    genv: GoEnv,
    *,
    verify: engine.VerifyLevel = "full",
    no_memo: bool = False,
    progress: Progress | None = None,
) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[Path] = set()
    for loc in locations:
        if loc.main_file in seen:
            continue
        seen.add(loc.main_file)
        config = load_file(loc.root).with_severity(base.severity)
        # The memos (hashes, the import graph, small files) unless --no-memo.
        graphs = None if no_memo else engine.TransitiveMemo(GraphStore())
        graph_mods: dict[tuple[str, str], bytes] = {}
        # one cache for both rounds, made only if a round can send a request
        net_cache = functools.cache(_network_cache)
        for _round in range(2):
            network: list[Callable[[], NetworkFacts]] = []
            facts, _ = engine.gather(
                loc,
                genv,
                verify=verify,
                no_memo=no_memo,
                progress=progress,
                transitive_memo=graphs,
                while_verifying=functools.partial(_start_network, network, base.offline, net_cache),
                graph_mods=graph_mods,
            )
            facts.network = network[0]() if network else None
            fetched = facts.network.graph_mods if facts.network is not None else {}
            if set(fetched) == set(graph_mods):
                break
            # the network part fetched go.mod files the cache lacks: the module graph
            # goes on past them, and what the build needs is worked out again (the
            # network part once more, for what the longer graph needs; its answers are
            # kept in the cache meanwhile)
            graph_mods = dict(fetched)
        result = engine.run(facts, config)
        for msg in result.internal_errors:
            print(f"gomod-doctor: {msg}", file=sys.stderr)
        findings.extend(result.findings)
    return findings


def cmd_check(args: argparse.Namespace) -> int:
    overrides = parse_severity_args(args.severity)
    genv = goenv.load(dict(os.environ))
    gowork = genv.gowork_setting or genv.GOWORK
    goroot = genv.GOROOT or None
    paths = args.paths or ["."]
    if args.dirs:
        paths = [p if os.path.isdir(p) else os.path.dirname(p) or "." for p in paths]
    locations = [locate(Path(p), gowork=gowork, goroot=goroot) for p in paths]
    bar = ProgressBar(sys.stderr) if args.verify == "full" and sys.stderr.isatty() else None
    try:
        findings = check_locations(
            locations,
            Config(severity=overrides, offline=args.offline),
            genv,
            verify=args.verify,
            no_memo=args.no_memo,
            progress=bar.update if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.close()
    if args.format == "json":
        sys.stdout.write(render_json(findings))
    elif args.format == "sarif":
        sys.stdout.write(render_sarif(findings))
    else:
        sys.stdout.write(render_text(findings, colour=_colour(args.color), hints=args.hints))
    return EXIT_FINDINGS if any(f.severity == Severity.ERROR for f in findings) else EXIT_OK


def main(argv: Sequence[str] | None = None, *, serve: Serve | None = None) -> int:
    argv, command = watch_cmd.split_command(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser(serve, argv[0] if argv else None)
    try:
        args = parser.parse_args(argv)
        if command:
            args.command_argv = command
        if args.command == "check":
            return cmd_check(args)
        if args.command == "demo":
            from gomod_doctor.demo.run import run_demo

            return run_demo()
        func = getattr(args, "func", None)
        if func is not None:
            code: int = func(args)
            return code
        parser.print_help()
        return EXIT_USAGE
    except (UsageError, ConfigError, WorkspaceError) as e:
        print(
            f"gomod-doctor: {e}" if not str(e).startswith(("gomod-doctor", "go:")) else e,
            file=sys.stderr,
        )
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # never a traceback for the user
        print(f"gomod-doctor: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_USAGE
