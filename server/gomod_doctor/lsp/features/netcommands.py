"""The commands that ask the network: compare the proxies' copies of a module
version (``proxy-tampered``), add a prefix to GOPRIVATE (``go env -w``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gomod_doctor.lsp.context import Context
    from gomod_doctor.lsp.state import WorkspaceView

import asyncio
import re
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from gomod_doctor.cache import ops
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.lsp.features.cmdbase import (
    Result,
    _confirm,
    _environ,
    _fail,
    _go,
    _measure,
    _Refused,
    _Reporter,
    _show,
    _str_arg,
    _views,
)
from gomod_doctor.netfacts import Comparison

# --------------------------------------------------------------------------- network


def _network(server: Context) -> None:
    if not server.state.settings.trusted:
        raise _Refused("the workspace is not trusted: gomod-doctor sends no request")
    if server.state.settings.network == "off":
        raise _Refused("network: off: gomod-doctor sends no request")


def _needing(server: Context, key: tuple[str, str]) -> list[WorkspaceView]:
    return [
        v
        for v in server.state.workspaces.values()
        if v.facts is not None and any(n.fetch == key for n in v.facts.needs.needs.values())
    ]


async def _compare_async(
    env: GoEnv,
    environ: dict[str, str],
    module: str,
    version: str,
    gosum: tuple[str | None, str | None],
    cancel: threading.Event,
) -> Comparison:
    """Every proxy's copy of M@V, hashed, against go.sum and the checksum database."""
    from gomod_doctor.network.compare import (
        DOWNLOAD_TIMEOUTS,
        compare_with_sumdb,
        comparison_limit,
    )

    deadline = time.monotonic() + comparison_limit(DOWNLOAD_TIMEOUTS)
    task = asyncio.ensure_future(
        compare_with_sumdb(env, module, version, gosum, environ, deadline=deadline)
    )
    while not task.done():
        if cancel.is_set():
            task.cancel()
            break
        await asyncio.wait([task], timeout=0.1)
    try:
        return await task
    except asyncio.CancelledError:
        out = Comparison(module, version)
        out.notes.append("cancelled")
        return out


def _comparison_result(c: Comparison) -> Result:
    tampered = [x.entry.url for x in c.tampered]
    if tampered:
        names = ", ".join(x.entry.name for x in c.tampered)
        message = (
            f"{c.module}@{c.version}: the copy served by {names} differs from {c.reference} "
            "(proxy-tampered)"
        )
    elif any(x.mod_hash or x.zip_hash for x in c.copies):
        ref = c.reference or "each other (no go.sum line, no checksum database answer)"
        message = f"{c.module}@{c.version}: every proxy's copy matches {ref}"
    else:
        message = f"{c.module}@{c.version}: no proxy's copy could be compared"
    if c.notes:
        message += " (" + "; ".join(c.notes) + ")"
    errors = [f"{x.entry.name}: {x.error.splitlines()[0]}" for x in c.copies if x.error]
    return {
        "ok": not tampered and "cancelled" not in c.notes,
        "message": message,
        "module": c.module,
        "version": c.version,
        "reference": c.reference,
        "tampered": tampered,
        "copies": c.copies_json(),
        "notes": list(c.notes),
        "errors": errors,
    }


async def compare_proxies(server: Context, args: dict[str, Any]) -> Result:
    module = _str_arg(args, "module")
    version = _str_arg(args, "version")
    ops.validate_module_version(module, version)
    _network(server)
    env = server.state.env
    environ = server.network_environ()
    views = _needing(server, (module, version)) or _views(server, args)
    gosum: tuple[str | None, str | None] = (None, None)
    for view in views:
        if view.facts is not None:
            gosum = view.facts.gosum_hashes(module, version)
            break

    def work(rep: _Reporter, cancel: threading.Event) -> Comparison:
        n = len([e for e in env.proxy_list.entries if e.kind == "proxy"])
        rep.report(f"Downloading from {n} prox{'ies' if n != 1 else 'y'}", None)
        return asyncio.run(_compare_async(env, environ, module, version, gosum, cancel))

    c = await server.run_with_progress(f"Comparing the proxies' copies of {module}@{version}", work)
    if "cancelled" not in c.notes:
        await server.add_comparison(views, c)
    return _comparison_result(c)


_PATTERN = re.compile(r"[A-Za-z0-9._~*?\[\]/+!-]+")


async def set_goprivate(server: Context, args: dict[str, Any]) -> Result:
    prefix = _str_arg(args, "prefix")
    if len(prefix) > 300 or prefix.startswith(("-", "/")) or not _PATTERN.fullmatch(prefix):
        raise _Refused(f"not a module path pattern: {prefix!r}")
    go = _go(server)
    from gomod_doctor.network.private import goprivate_argv

    env = server.state.env
    current = [p.strip() for p in env.GOPRIVATE.split(",") if p.strip()]
    if prefix in current:
        _show(server, f"gomod-doctor: GOPRIVATE already has {prefix}", types.MessageType.Info)
        return {"ok": True, "errors": [], "argv": []}
    argv = goprivate_argv(env.GOPRIVATE, prefix, go=go)
    shown = " ".join(["go", *argv[1:]])
    question = (
        f"Add {prefix} to GOPRIVATE? gomod-doctor runs:\n{shown}\n"
        f"Module paths under {prefix} are then never sent to a proxy or the checksum "
        "database: the go command fetches them from their repositories."
    )
    if env.sources.get("GOPRIVATE") == "env":
        question += (
            " GOPRIVATE is set in the environment, which wins over 'go env -w': change it "
            "there too."
        )
    if not await _confirm(server, question, "Add"):
        return {"ok": False, "declined": True, "errors": [], "argv": argv}
    environ = _environ(server)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv,
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    try:
        res = await _measure(run)
    except (OSError, subprocess.SubprocessError) as e:
        errors = _fail(server, [str(e)], shown)
        return {"ok": False, "errors": errors, "argv": argv}
    said = (res.stderr or "").strip()
    if res.returncode != 0:
        errors = _fail(server, [said or f"exit status {res.returncode}"], shown)
        return {"ok": False, "errors": errors, "argv": argv}
    if said:  # e.g. "does not override conflicting OS environment variable"
        _show(server, f"gomod-doctor: {said}", types.MessageType.Warning)
    await server.reload_environment()
    return {"ok": True, "errors": [], "argv": argv}


Handler = Callable[["Context", dict[str, Any]], Awaitable[Result]]
