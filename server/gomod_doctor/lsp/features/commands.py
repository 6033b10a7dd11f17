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

The commands that ask the network are in :mod:`.netcommands`; what every command
shares (names, arguments, refusals, messages) in :mod:`.cmdbase`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gomod_doctor.lsp.context import Context

import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from gomod_doctor.cache import modindex, ops
from gomod_doctor.findings import Finding
from gomod_doctor.lsp.convert import uri_to_path
from gomod_doctor.lsp.features.cmdbase import (
    CLEAR,
    CLEAR_ALL_VERSIONS,
    CLEAR_CACHE,
    COMPARE_PROXIES,
    DOWNLOAD,
    DOWNLOAD_ALL,
    DROP_INDEX,
    PRUNE,
    RECHECK,
    REDOWNLOAD,
    SET_GOPRIVATE,
    VERIFY_ALL,
    Result,
    _confirm,
    _cwd,
    _declined,
    _download_errors,
    _environ,
    _fail,
    _full_after,
    _go,
    _gomodcache,
    _index_result,
    _index_scope,
    _measure,
    _progress,
    _recheck,
    _Refused,
    _Reporter,
    _show,
    _str_arg,
    _views,
)
from gomod_doctor.lsp.features.netcommands import Handler, compare_proxies, set_goprivate
from gomod_doctor.units import human_bytes

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


async def _run_op(
    server: Context,
    title: str,
    what: str,
    op: Callable[[threading.Event, ops.ProgressFn, modindex.IndexScope], ops.OpResult],
) -> Result:
    """Run ``op(cancel, progress, index)`` (a removal from the cache, with go's module
    index entries) under ``$/progress``, show what went wrong, re-diagnose."""
    index = _index_scope(server)

    def work(rep: _Reporter, cancel: threading.Event) -> ops.OpResult:
        return op(cancel, _progress(rep), index)

    result = await server.run_with_progress(title, work)
    errors = _op_done(server, result, what)
    await _recheck(server, full=_full_after(server))
    return _op_result(result, errors)


def _cache_target(server: Context, args: dict[str, Any]) -> tuple[str, str, str]:
    """The ``module`` and ``version`` arguments (validated) and GOMODCACHE."""
    module = _str_arg(args, "module")
    version = _str_arg(args, "version")
    cache = _gomodcache(server)
    ops.validate_module_version(module, version)
    return module, version, cache


async def clear(server: Context, args: dict[str, Any]) -> Result:
    module, version, cache = _cache_target(server, args)
    return await _run_op(
        server,
        f"Clearing {module}@{version}",
        f"clearing {module}@{version}",
        lambda cancel, progress, index: ops.clear_version(
            cache, module, version, cancel=cancel, progress=progress, index=index
        ),
    )


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
    return await _run_op(
        server,
        f"Clearing every version of {module}",
        f"clearing {module}",
        lambda cancel, progress, index: ops.clear_module(
            cache, module, cancel=cancel, progress=progress, index=index
        ),
    )


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
    return await _run_op(
        server,
        "Clearing the module cache",
        "clearing the module cache",
        lambda cancel, progress, index: ops.clear_all(
            cache, cancel=cancel, progress=progress, index=index
        ),
    )


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
    return await _run_op(
        server,
        "Pruning the module cache",
        "prune",
        lambda cancel, progress, index: ops.prune(
            cache,
            wn.needs.full,
            keep_mod=wn.needs.mod_only,
            dry_run=False,
            cancel=cancel,
            progress=progress,
            index=index,
        ),
    )


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
