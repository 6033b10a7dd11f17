"""The network subcommands: ``compare-proxies M@V``.

``register(subparsers)`` adds them to the ``gomod-doctor`` parser; each sets
``args.func(args) -> int`` (0: every copy matches, 1: a proxy's copy differs, 2: a
usage error or nothing could be compared).

``compare-proxies`` downloads ``M@V``'s ``.mod`` and ``.zip`` from every proxy in
GOPROXY, hashes them, and compares them with the workspace's go.sum lines and the
checksum database (unless GOSUMDB=off, GONOSUMDB/GOPRIVATE cover the path, or
``--no-sumdb``). A GOPRIVATE/GONOPROXY path is never sent to a proxy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gomod_doctor.findings import Finding
from gomod_doctor.goenv import env as goenv
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.report.formats import render_text

if TYPE_CHECKING:  # httpx and asyncio load only when a network command runs
    from gomod_doctor.netfacts import Comparison

__all__ = ["EXIT_DIFFERS", "EXIT_OK", "EXIT_USAGE", "register"]

EXIT_OK = 0
EXIT_DIFFERS = 1
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "compare-proxies",
        help="download M@V from every GOPROXY proxy and compare the copies with go.sum "
        "and the checksum database",
    )
    p.add_argument("module", metavar="M@V", help="the module version to compare")
    p.add_argument(
        "--dir",
        default=".",
        metavar="PATH",
        help="the workspace whose go.sum is the reference (default: the current directory)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="the limit on each download (default 60)",
    )
    p.add_argument(
        "--connect-timeout", type=float, default=3.0, metavar="SECONDS", help="default 3"
    )
    p.add_argument("--no-sumdb", action="store_true", help="do not ask the checksum database")
    p.set_defaults(func=cmd_compare_proxies)


def _err(message: str) -> None:
    print(f"gomod-doctor: {message}", file=sys.stderr)


def _split(arg: str) -> tuple[str, str] | None:
    from gomod_doctor.module import paths as modpaths

    path, at, version = arg.partition("@")
    if not at or arg.startswith("-"):
        return None
    try:
        modpaths.check(path, version)
    except Exception:
        return None
    if modpaths.canonical_version(version) != version:
        return None
    return path, version


def _gosum(
    args: argparse.Namespace, genv: GoEnv, path: str, version: str
) -> tuple[str | None, str | None, Any]:
    """go.sum's (zip, go.mod) hashes for M@V in the workspace at ``--dir``, and the
    facts (None when there is no workspace there)."""
    from gomod_doctor import engine
    from gomod_doctor.workspace.discover import WorkspaceError, locate

    try:
        loc = locate(
            Path(args.dir), gowork=genv.gowork_setting or genv.GOWORK, goroot=genv.GOROOT or None
        )
        facts, _ = engine.gather(loc, genv, verify="off")
    except (WorkspaceError, OSError):
        return None, None, None
    zip_h, mod_h = facts.gosum_hashes(path, version)
    return zip_h, mod_h, facts


def _run(coro_factory: Any, limit: float) -> Comparison | None:
    """Run the comparison on its own thread, back by ``limit`` seconds whatever happens."""
    import asyncio

    from gomod_doctor.netfacts import Comparison

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = asyncio.run(coro_factory())
        except BaseException as e:  # reported by the caller
            box["error"] = e

    t = threading.Thread(target=work, name="gomod-doctor-compare", daemon=True)
    t.start()
    t.join(limit)
    if "error" in box:
        raise box["error"]
    result = box.get("result")
    return result if isinstance(result, Comparison) else None


def _copy_json(c: Comparison) -> dict[str, Any]:
    return {
        "module": c.module,
        "version": c.version,
        "reference": c.reference,
        "goSum": {"zip": c.gosum_zip, "mod": c.gosum_mod},
        "sumdb": {"zip": c.sumdb_zip, "mod": c.sumdb_mod},
        "copies": c.copies_json(),
        "notes": c.notes,
    }


def cmd_compare_proxies(args: argparse.Namespace) -> int:
    mv = _split(args.module)
    if mv is None:
        _err(
            f"compare-proxies: want a module path and a canonical version (M@V), got {args.module!r}"
        )
        return EXIT_USAGE
    if args.timeout <= 0 or args.connect_timeout <= 0:
        _err("compare-proxies: timeouts must be positive")
        return EXIT_USAGE
    path, version = mv
    environ = dict(os.environ)
    genv = goenv.load(environ)
    zip_h, mod_h, facts = _gosum(args, genv, path, version)
    from gomod_doctor.network.compare import compare_with_sumdb, comparison_limit
    from gomod_doctor.network.http import Timeouts

    timeouts = Timeouts(connect=args.connect_timeout, total=args.timeout)
    limit = comparison_limit(timeouts)

    def factory() -> Any:
        return compare_with_sumdb(
            genv,
            path,
            version,
            (zip_h, mod_h),
            environ,
            timeouts=timeouts,
            use_sumdb=not args.no_sumdb,
        )

    try:
        result = _run(factory, limit)
    except Exception as e:  # never a traceback
        _err(f"compare-proxies: {type(e).__name__}: {e}")
        return EXIT_USAGE
    if result is None:
        _err(f"compare-proxies: no result within {limit:g} s")
        return EXIT_USAGE
    findings: list[Finding] = []
    if facts is not None:
        from gomod_doctor.checks.network import comparison_findings

        findings = comparison_findings(facts, result)
    if args.format == "json":
        doc = _copy_json(result)
        from gomod_doctor.report.formats import finding_to_json

        doc["findings"] = [finding_to_json(f) for f in findings]
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_text(result))
        if findings:
            sys.stdout.write(render_text(findings))
    if result.tampered:
        return EXIT_DIFFERS
    if not any(x.mod_hash or x.zip_hash for x in result.copies):
        return EXIT_USAGE
    return EXIT_OK


def _text(c: Comparison) -> str:
    ref = c.reference or "no reference (no go.sum line, no checksum database answer)"
    lines = [f"{c.module}@{c.version}: compared with {ref}"]
    for x in c.copies:
        if x.differs:
            state = (
                "DIFFERS (" + ", ".join("zip" if d == "zip" else "go.mod" for d in x.differs) + ")"
            )
        elif x.error:
            state = "error: " + x.error.split("\n", 1)[0]
        else:
            state = "ok"
        lines.append(f"  {x.entry.url}: {state}")
        if x.mod_hash:
            lines.append(f"      go.mod {x.mod_hash}")
        if x.zip_hash:
            lines.append(f"      zip    {x.zip_hash}")
    lines.extend(f"  note: {n}" for n in c.notes)
    return "\n".join(lines) + "\n"
