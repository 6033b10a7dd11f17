"""What the ``gomod-doctor.*`` commands share: their names, their arguments, the
refusals (untrusted workspace, no go), the messages shown and the recheck after."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gomod_doctor.lsp.context import Context
    from gomod_doctor.lsp.state import WorkspaceView

import asyncio
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from lsprotocol import types

from gomod_doctor.cache import modindex, ops
from gomod_doctor.lsp.convert import uri_to_path

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


async def _measure(fn: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, fn)


def _declined() -> Result:
    return {"ok": False, "declined": True, "errors": [], "bytesFreed": 0, "versions": []}
