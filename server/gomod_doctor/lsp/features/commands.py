"""The ``gomod-doctor.*`` commands: module cache operations for the code actions.

Each handler takes the server and the command's argument object (camelCase keys)
and returns a JSON result (``{"ok": bool, ...}``). The work itself is
:mod:`gomod_doctor.cache.ops`' (validated, never outside GOMODCACHE); it runs in a
worker thread under ``$/progress`` (``server.run_with_progress``), cancellable
from the client. A failure is shown with ``window/showMessage``, in go's words
where go gave the error. When an operation is done the workspaces are
re-diagnosed (``server.recheck``).

Broad deletions (every version of a module, the whole cache, a prune) ask first
with ``window/showMessageRequest``, saying how many bytes they free.

Every command that removes a module directory also drops go's module index entry
of that directory from GOCACHE (:mod:`gomod_doctor.cache.modindex`), and nothing
else of GOCACHE; when the entry cannot be located, a warning says so and names
``go clean -cache``.

Nothing here runs go, touches the cache or sends a request when the workspace is not
trusted; nothing sends a request with ``network: off``.

Arguments:

==============================  ==================================================
``gomod-doctor.download``       ``module``, ``version``; ``dir``: run go there (a
                                workspace module's directory: go records the
                                go.sum lines)
``gomod-doctor.downloadAll``    ``uri`` (optional): the workspace whose missing
                                modules to download (default: every workspace)
``gomod-doctor.redownload``     ``module``, ``version``; ``dir`` as for download (go
                                then checks the new download against go.sum)
``gomod-doctor.clear``          ``module``, ``version``
``gomod-doctor.dropIndex``      ``module``, ``version``: drop go's module index
                                entry of M@V's directory from GOCACHE (the
                                ``build-cache-stale`` fix)
``gomod-doctor.clearAllVersions`` ``module``
``gomod-doctor.clearCache``     (none)
``gomod-doctor.prune``          (none)
``gomod-doctor.verifyAll``      ``uri`` (optional)
``gomod-doctor.recheck``        ``uri`` or ``uris`` (optional); forgets every
                                network answer first
``gomod-doctor.compareProxies`` ``module``, ``version``: download M@V from every
                                proxy in GOPROXY, hash the copies, compare them
                                with go.sum and the checksum database
                                (``proxy-tampered``)
``gomod-doctor.setGoprivate``   ``prefix``: ``go env -w GOPRIVATE=<old>,<prefix>``
                                (the ``private-path-exposed`` fix), after asking
==============================  ==================================================
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from lsprotocol import types

from gomod_doctor.cache import modindex, ops
from gomod_doctor.findings import Finding
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.lsp.convert import uri_to_path
from gomod_doctor.network.model import Comparison

if TYPE_CHECKING:
    from gomod_doctor.lsp.context import Context
    from gomod_doctor.lsp.state import WorkspaceView

__all__ = [
    "CLEAR",
    "CLEAR_ALL_VERSIONS",
    "CLEAR_CACHE",
    "COMMANDS",
    "COMPARE_PROXIES",
    "DOWNLOAD",
    "DOWNLOAD_ALL",
    "DROP_INDEX",
    "PRUNE",
    "RECHECK",
    "REDOWNLOAD",
    "SET_GOPRIVATE",
    "VERIFY_ALL",
    "human_bytes",
]

DOWNLOAD = "gomod-doctor.download"
DOWNLOAD_ALL = "gomod-doctor.downloadAll"
REDOWNLOAD = "gomod-doctor.redownload"
CLEAR = "gomod-doctor.clear"
DROP_INDEX = "gomod-doctor.dropIndex"
CLEAR_ALL_VERSIONS = "gomod-doctor.clearAllVersions"
CLEAR_CACHE = "gomod-doctor.clearCache"
PRUNE = "gomod-doctor.prune"
VERIFY_ALL = "gomod-doctor.verifyAll"
RECHECK = "gomod-doctor.recheck"
COMPARE_PROXIES = "gomod-doctor.compareProxies"
SET_GOPRIVATE = "gomod-doctor.setGoprivate"

#: The commands that run the go command.
RUNS_GO = frozenset({DOWNLOAD, DOWNLOAD_ALL, REDOWNLOAD, SET_GOPRIVATE})
#: The commands that change the module cache (go or not), or go's index of it.
CHANGES_CACHE = frozenset(
    {DOWNLOAD, DOWNLOAD_ALL, REDOWNLOAD, CLEAR, CLEAR_ALL_VERSIONS, CLEAR_CACHE, PRUNE, DROP_INDEX}
)

T = TypeVar("T")
Result = dict[str, Any]


class _Reporter(Protocol):
    def report(self, message: str, percentage: int | None) -> None: ...


class _Refused(Exception):
    """The command cannot run (bad arguments, untrusted workspace, no go...)."""


# --------------------------------------------------------------------------- helpers


def human_bytes(n: int) -> str:
    """``12.3 MB (12345678 bytes)``."""
    size = float(n)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            if unit == "bytes":
                return f"{n} byte{'s' if n != 1 else ''}"
            return f"{size:.1f} {unit} ({n} bytes)"
        size /= 1000
    return f"{n} bytes"  # pragma: no cover


def _str_arg(args: dict[str, Any], key: str) -> str:
    v = args.get(key)
    if not isinstance(v, str) or not v:
        raise _Refused(f"missing or invalid argument {key!r}")
    return v


def _progress(reporter: _Reporter) -> ops.ProgressFn:
    def report(message: str, done: int, total: int) -> None:
        pct = max(0, min(100, done * 100 // total)) if total > 0 else None
        reporter.report(message, pct)

    return report


def _trusted(server: Context) -> None:
    if not server.state.settings.trusted:
        raise _Refused("the workspace is not trusted: the module cache is left alone")


def _gomodcache(server: Context) -> str:
    _trusted(server)
    cache = server.state.env.GOMODCACHE
    if not cache:
        raise _Refused("module cache not found: neither GOMODCACHE nor GOPATH is set")
    if not os.path.isabs(cache):
        raise _Refused(f"GOMODCACHE entry is relative; must be absolute path: {cache!r}")
    return cache


def _go(server: Context) -> str:
    _trusted(server)
    go = server.go_binary()
    if not go:
        raise _Refused("no go command found (set goBinary, or put go on PATH)")
    return go


def _environ(server: Context) -> dict[str, str]:
    """The environment for go: the server's, plus the ``env`` setting."""
    env = dict(os.environ)
    env.update(server.state.settings.env)
    return env


def _views(server: Context, args: dict[str, Any]) -> list[WorkspaceView]:
    uri = args.get("uri")
    if isinstance(uri, str) and uri:
        path = uri_to_path(uri)
        view = server.state.workspace_for(path) if path is not None else None
        if view is not None:
            return [view]
    return list(server.state.workspaces.values())


def _module_dirs(server: Context) -> set[str]:
    """Directories go may be run in to record sums: workspace modules and go.work dirs."""
    out: set[str] = set()
    for view in server.state.workspaces.values():
        out.add(os.path.normpath(str(view.location.root)))
        if view.facts is not None:
            for m in view.facts.snapshot.modules:
                out.add(os.path.normpath(str(m.dir)))
    return out


def _cwd(server: Context, args: dict[str, Any]) -> str | None:
    """The ``dir`` argument: a workspace module's directory to run go in (go then
    checks go.sum and records missing lines), or None (go runs outside any module)."""
    d = args.get("dir")
    if d is None:
        return None
    if not isinstance(d, str) or os.path.normpath(d) not in _module_dirs(server):
        raise _Refused(f"not a workspace module directory: {d!r}")
    return os.path.normpath(d)


def _show(server: Context, message: str, kind: types.MessageType) -> None:
    try:
        server.show_message(message, kind)
    except Exception as e:  # the client went away: nothing to tell
        server.log(f"cannot show message: {e}", "warning")


def _fail(server: Context, errors: Iterable[str], what: str) -> list[str]:
    """Show ``errors`` (go's words) in one error message; the list, deduplicated."""
    errs = list(dict.fromkeys(e.strip() for e in errors if e and e.strip()))
    if errs:
        _show(server, f"gomod-doctor: {what} failed:\n" + "\n".join(errs), types.MessageType.Error)
    return errs


async def _confirm(server: Context, message: str, yes: str) -> bool:
    params = types.ShowMessageRequestParams(
        type=types.MessageType.Warning,
        message=message,
        actions=[types.MessageActionItem(title=yes), types.MessageActionItem(title="Cancel")],
    )
    try:
        answer = await server.show_message_request(params)
    except Exception as e:
        server.log(f"confirmation request failed: {e}", "warning")
        return False
    return answer is not None and answer.title == yes


async def _recheck(server: Context, *, full: bool = False) -> None:
    try:
        await server.recheck(None, full=full)
    except Exception as e:  # a failed recheck is logged; the command's result stands
        server.log(f"recheck after a command failed: {e}", "error")


def _download_errors(report: ops.DownloadReport) -> list[str]:
    """go's errors. A module go printed no JSON for carries only the last line of
    go's stderr (e.g. "For more information, see 'go help module-auth'."): the
    whole of what go said is shown instead."""
    stderr = report.stderr.strip()
    last = stderr.splitlines()[-1].strip() if stderr else None
    out: list[str] = []
    for m in report.modules:
        if not m.ok:
            out.append(stderr if last is not None and m.error.strip() == last else m.error)
    return out + list(report.errors)


def _full_after(server: Context) -> bool:
    return server.state.settings.verify == "full"


def _index_scope(server: Context) -> modindex.IndexScope:
    """Where the go the server runs (goBinary, or go on PATH) keeps its module index."""
    return modindex.scope(server.state.env)


def _index_result(server: Context, index: modindex.DropResult) -> dict[str, Any]:
    """The module index entries dropped; a warning for those that could not be located."""
    if index.notes:
        _show(server, "gomod-doctor: " + "\n".join(index.notes), types.MessageType.Warning)
    return {"dropped": list(index.dropped), "notes": list(index.notes)}


# --------------------------------------------------------------------------- commands


async def download(server: Context, args: dict[str, Any]) -> Result:
    module = _str_arg(args, "module")
    version = _str_arg(args, "version")
    go = _go(server)
    cache = _gomodcache(server)
    cwd = _cwd(server, args)
    ops.validate_module_version(module, version)
    env = _environ(server)

    def work(rep: _Reporter, cancel: threading.Event) -> ops.DownloadReport:
        return ops.download(
            [(module, version)],
            go=go,
            env=env,
            cwd=cwd,
            gomodcache=cache,
            cancel=cancel,
            progress=_progress(rep),
        )

    report = await server.run_with_progress(f"Downloading {module}@{version}", work)
    errors = _fail(server, _download_errors(report), f"go mod download {module}@{version}")
    await _recheck(server, full=_full_after(server))
    return {"ok": not errors, "errors": errors, "downloaded": _downloaded(report)}


def _downloaded(report: ops.DownloadReport) -> list[str]:
    return [f"{m.path}@{m.version}" for m in report.modules if m.ok]


def _missing_versions(f: Finding) -> list[tuple[str, str]]:
    """The module versions a ``cache-missing`` finding (or the ``module`` line's
    ``cache-missing-summary``) says the next build downloads."""
    if f.code == "cache-missing":
        items: list[object] = [f.data]
    elif f.code == "cache-missing-summary":
        listed = f.data.get("modules")
        items = list(listed) if isinstance(listed, list) else []
    else:
        return []
    out: list[tuple[str, str]] = []
    for item in items:
        m = item.get("module") if isinstance(item, dict) else None
        v = item.get("version") if isinstance(item, dict) else None
        if isinstance(m, str) and isinstance(v, str):
            out.append((m, v))
    return out


async def download_all(server: Context, args: dict[str, Any]) -> Result:
    go = _go(server)
    cache = _gomodcache(server)
    wanted: list[tuple[str, str]] = []
    for view in _views(server, args):
        for f in view.findings:
            for m, v in _missing_versions(f):
                if (m, v) not in wanted:
                    wanted.append((m, v))
    if not wanted:
        _show(server, "gomod-doctor: no module is missing from the cache", types.MessageType.Info)
        return {"ok": True, "errors": [], "downloaded": []}
    env = _environ(server)

    def work(rep: _Reporter, cancel: threading.Event) -> ops.DownloadReport:
        return ops.download_missing(
            cache, wanted, go=go, env=env, cancel=cancel, progress=_progress(rep)
        )

    n = len(wanted)
    report = await server.run_with_progress(
        f"Downloading {n} missing module{'s' if n != 1 else ''}", work
    )
    errors = _fail(server, _download_errors(report), "go mod download")
    await _recheck(server, full=_full_after(server))
    return {"ok": not errors, "errors": errors, "downloaded": _downloaded(report)}


async def redownload(server: Context, args: dict[str, Any]) -> Result:
    module = _str_arg(args, "module")
    version = _str_arg(args, "version")
    go = _go(server)
    cache = _gomodcache(server)
    cwd = _cwd(server, args)
    env = _environ(server)
    ops.validate_module_version(module, version)

    index = _index_scope(server)

    def work(rep: _Reporter, cancel: threading.Event) -> ops.RedownloadResult:
        return ops.redownload(
            cache,
            module,
            version,
            go=go,
            env=env,
            cwd=cwd,
            cancel=cancel,
            progress=_progress(rep),
            index=index,
        )

    result = await server.run_with_progress(f"Redownloading {module}@{version}", work)
    errors = [e.message for e in result.clear.errors] + result.clear.index.errors
    if result.clear.cancelled:
        errors.append("cancelled")
    if not result.clear.errors and not result.clear.cancelled:
        errors += _download_errors(result.download)
    errors = _fail(server, errors, f"redownload of {module}@{version}")
    dropped = _index_result(server, result.clear.index)
    # the point of a redownload is a cache that verifies: re-verify fully
    await _recheck(server, full=server.state.settings.verify != "off")
    return {
        "ok": not errors,
        "errors": errors,
        "downloaded": _downloaded(result.download),
        "index": dropped,
    }


def _op_errors(result: ops.OpResult) -> list[str]:
    errors = [e.message for e in result.errors] + result.index.errors
    if result.cancelled:
        errors.append("cancelled")
    return errors


def _op_result(result: ops.OpResult, errors: list[str]) -> Result:
    return {
        "ok": not errors,
        "errors": errors,
        "bytesFreed": result.bytes_freed,
        "versions": [str(v) for v in result.versions + result.mod_only],
        "index": {"dropped": list(result.index.dropped), "notes": list(result.index.notes)},
    }


def _op_done(server: Context, result: ops.OpResult, what: str) -> list[str]:
    """Show what went wrong (errors, then a warning for an index entry not located)."""
    errors = _fail(server, _op_errors(result), what)
    _index_result(server, result.index)
    return errors


def _cache_target(server: Context, args: dict[str, Any]) -> tuple[str, str, str]:
    """The ``module`` and ``version`` arguments (validated) and GOMODCACHE."""
    module = _str_arg(args, "module")
    version = _str_arg(args, "version")
    cache = _gomodcache(server)
    ops.validate_module_version(module, version)
    return module, version, cache


async def clear(server: Context, args: dict[str, Any]) -> Result:
    module, version, cache = _cache_target(server, args)
    index = _index_scope(server)

    def work(rep: _Reporter, cancel: threading.Event) -> ops.OpResult:
        return ops.clear_version(
            cache, module, version, cancel=cancel, progress=_progress(rep), index=index
        )

    result = await server.run_with_progress(f"Clearing {module}@{version}", work)
    errors = _op_done(server, result, f"clearing {module}@{version}")
    await _recheck(server, full=_full_after(server))
    return _op_result(result, errors)


async def drop_index(server: Context, args: dict[str, Any]) -> Result:
    module, version, cache = _cache_target(server, args)
    index = _index_scope(server)
    if index.unused is not None:
        _show(server, f"gomod-doctor: nothing to drop: {index.unused}", types.MessageType.Info)
        return {"ok": True, "errors": [], "index": {"dropped": [], "notes": []}}
    result = await _measure(lambda: modindex.drop(index, cache, [(module, version)]))
    errors = _fail(server, result.errors, f"dropping go's module index of {module}@{version}")
    dropped = _index_result(server, result)
    await _recheck(server)
    return {"ok": not errors and not result.notes, "errors": errors, "index": dropped}


async def _measure(fn: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, fn)


def _declined() -> Result:
    return {"ok": False, "declined": True, "errors": [], "bytesFreed": 0, "versions": []}


async def clear_all_versions(server: Context, args: dict[str, Any]) -> Result:
    module = _str_arg(args, "module")
    cache = _gomodcache(server)
    ops.validate_module(module)
    preview = await _measure(lambda: ops.clear_module(cache, module, dry_run=True))
    if not preview.versions and not preview.removed:
        _show(server, f"gomod-doctor: no version of {module} is cached", types.MessageType.Info)
        return _op_result(preview, [])
    n = len(preview.versions)
    question = (
        f"Clear all {n} cached version{'s' if n != 1 else ''} of {module} from the module "
        f"cache {cache}? This frees {human_bytes(preview.bytes_freed)}."
    )
    if not await _confirm(server, question, "Clear"):
        return _declined()

    index = _index_scope(server)

    def work(rep: _Reporter, cancel: threading.Event) -> ops.OpResult:
        return ops.clear_module(cache, module, cancel=cancel, progress=_progress(rep), index=index)

    result = await server.run_with_progress(f"Clearing every version of {module}", work)
    errors = _op_done(server, result, f"clearing {module}")
    await _recheck(server, full=_full_after(server))
    return _op_result(result, errors)


async def clear_cache(server: Context, args: dict[str, Any]) -> Result:
    cache = _gomodcache(server)
    preview = await _measure(lambda: ops.clear_all(cache, dry_run=True))
    question = (
        f"Clear the whole module cache {cache}? This frees "
        f"{human_bytes(preview.bytes_freed)}; every module will be downloaded again "
        "when a build needs it."
    )
    if not await _confirm(server, question, "Clear"):
        return _declined()

    index = _index_scope(server)

    def work(rep: _Reporter, cancel: threading.Event) -> ops.OpResult:
        return ops.clear_all(cache, cancel=cancel, progress=_progress(rep), index=index)

    result = await server.run_with_progress("Clearing the module cache", work)
    errors = _op_done(server, result, "clearing the module cache")
    await _recheck(server, full=_full_after(server))
    return _op_result(result, errors)


def _workspace_paths(server: Context) -> list[str]:
    return [str(v.location.main_file) for v in server.state.workspaces.values()]


async def prune(server: Context, args: dict[str, Any]) -> Result:
    from gomod_doctor.workspace.cacheneeds import workspace_needs

    cache = _gomodcache(server)
    paths = _workspace_paths(server)
    if not paths:
        raise _Refused("no workspace is open: nothing says which versions are needed")
    environ = _environ(server)
    genv = server.state.env

    def plan() -> tuple[Any, ops.OpResult | None]:
        wn = workspace_needs(paths, gomodcache=cache, environ=environ, genv=genv)
        if wn.problems:
            return wn, None
        return wn, ops.prune(cache, wn.needs.full, keep_mod=wn.needs.mod_only, dry_run=True)

    wn, preview = await _measure(plan)
    if preview is None:
        errors = _fail(
            server,
            [*wn.problems, "the workspace's requirements cannot be read reliably: not pruning"],
            "prune",
        )
        return {"ok": False, "errors": errors, "bytesFreed": 0, "versions": []}
    n = len(preview.versions) + len(preview.mod_only)
    if n == 0:
        _show(server, "gomod-doctor: nothing to prune", types.MessageType.Info)
        return _op_result(preview, [])
    question = (
        f"Prune {n} module version{'s' if n != 1 else ''} that no open workspace needs "
        f"from the module cache {cache}? This frees {human_bytes(preview.bytes_freed)}."
    )
    if not await _confirm(server, question, "Prune"):
        return _declined()

    index = _index_scope(server)

    def work(rep: _Reporter, cancel: threading.Event) -> ops.OpResult:
        return ops.prune(
            cache,
            wn.needs.full,
            keep_mod=wn.needs.mod_only,
            dry_run=False,
            cancel=cancel,
            progress=_progress(rep),
            index=index,
        )

    result = await server.run_with_progress("Pruning the module cache", work)
    errors = _op_done(server, result, "prune")
    await _recheck(server, full=_full_after(server))
    return _op_result(result, errors)


async def verify_all(server: Context, args: dict[str, Any]) -> Result:
    paths: list[Path] | None = None
    uri = args.get("uri")
    if isinstance(uri, str) and uri:
        p = uri_to_path(uri)
        paths = [p] if p is not None else None
    await server.recheck(paths, full=True)
    return {"ok": True}


async def recheck(server: Context, args: dict[str, Any]) -> Result:
    uris: list[object] = []
    if isinstance(args.get("uris"), list):
        uris.extend(args["uris"])
    if isinstance(args.get("uri"), str):
        uris.append(args["uri"])
    paths = [p for u in uris if isinstance(u, str) and (p := uri_to_path(u)) is not None]
    server.invalidate_network()
    await server.recheck(paths or None)
    return {"ok": True}


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
    from gomod_doctor.network.compare import DOWNLOAD_TIMEOUTS, sumdb_lookup
    from gomod_doctor.network.compare import compare_proxies as compare_copies
    from gomod_doctor.network.http import HttpPool, HttpSettings

    settings = HttpSettings.from_environ(environ)
    limit = 2 * DOWNLOAD_TIMEOUTS.total + DOWNLOAD_TIMEOUTS.connect + 5
    async with HttpPool(
        settings,
        timeouts=DOWNLOAD_TIMEOUTS,
        concurrency=4,
        deadline=time.monotonic() + limit,
    ) as pool:
        lookup = sumdb_lookup(env, module, environ, pool)
        task = asyncio.ensure_future(
            compare_copies(
                env,
                module,
                version,
                gosum_zip=gosum[0],
                gosum_mod=gosum[1],
                sumdb=lookup,
                environ=environ,
                pool=pool,
            )
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
            zips = [e.hash for _, e in view.facts.sum_lines(module, version, gomod=False)]
            mods = [e.hash for _, e in view.facts.sum_lines(module, version, gomod=True)]
            gosum = (zips[0] if zips else None, mods[0] if mods else None)
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


def _guarded(name: str, fn: Handler) -> Handler:
    """The one guard of a command: a refusal or a failure is shown, never fatal."""

    async def run(server: Context, args: dict[str, Any]) -> Result:
        if not isinstance(args, dict):
            server.log(f"{name}: want an object of arguments, got {type(args).__name__}", "warning")
            args = {}
        try:
            return await fn(server, args)
        except (_Refused, ops.OperationError) as e:
            errors = _fail(server, [str(e)], name)
            return {"ok": False, "errors": errors}
        except Exception as e:  # a bug: logged and shown, never fatal to the server
            server.log(f"{name} failed: {traceback.format_exc()}", "error")
            errors = _fail(server, [f"internal error: {type(e).__name__}: {e}"], name)
            return {"ok": False, "errors": errors}

    return run


_HANDLERS: dict[str, Handler] = {
    DOWNLOAD: download,
    DOWNLOAD_ALL: download_all,
    REDOWNLOAD: redownload,
    CLEAR: clear,
    DROP_INDEX: drop_index,
    CLEAR_ALL_VERSIONS: clear_all_versions,
    CLEAR_CACHE: clear_cache,
    PRUNE: prune,
    VERIFY_ALL: verify_all,
    RECHECK: recheck,
    COMPARE_PROXIES: compare_proxies,
    SET_GOPRIVATE: set_goprivate,
}

COMMANDS: dict[str, Handler] = {k: _guarded(k, v) for k, v in _HANDLERS.items()}
