"""The language server (``gomod-doctor serve``): LSP glue over the engine.

:class:`GomodDoctorServer` owns its components, each an object of its own module:

- :class:`~gomod_doctor.lsp.lifecycle.Lifecycle`: initialize, configuration, the Go
  environment, workspace folders, shutdown;
- :class:`~gomod_doctor.lsp.views.Views`: the open documents and the workspace views;
- :class:`~gomod_doctor.lsp.scheduler.Scheduler`: the runner of each view and its
  quick passes (:mod:`gomod_doctor.lsp.passes`);
- :class:`~gomod_doctor.lsp.verification.Verification`: full verification in the
  background;
- :class:`~gomod_doctor.lsp.netloop.NetworkLoop`: the network checks;
- :class:`~gomod_doctor.lsp.publish.Publisher`: diagnostics and status;
- :class:`~gomod_doctor.lsp.watching.Watching`: file watching;
- :class:`~gomod_doctor.lsp.progress.Progress`: ``$/progress``.

The features (:mod:`gomod_doctor.lsp.features`) see the server only through
:class:`~gomod_doctor.lsp.context.Context`. Every handler is registered by one loop
(:func:`create_server`) under one guard: a failure is logged, never fatal.

Blocking work never runs on the loop: worker threads are daemon threads (they
never hold up the exit), and the hashing itself runs in worker processes.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import inspect
import logging
import os
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from gomod_doctor import __version__
from gomod_doctor.lsp import convert
from gomod_doctor.lsp.context import Context
from gomod_doctor.lsp.features import actions, commands, hover, lens, links
from gomod_doctor.lsp.features.search import CheckoutIndex
from gomod_doctor.lsp.lifecycle import Lifecycle
from gomod_doctor.lsp.netloop import NetworkLoop
from gomod_doctor.lsp.progress import Progress
from gomod_doctor.lsp.publish import Publisher
from gomod_doctor.lsp.reporter import ProgressReporter
from gomod_doctor.lsp.scheduler import Scheduler
from gomod_doctor.lsp.settings import Settings
from gomod_doctor.lsp.state import ServerState, WorkspaceView
from gomod_doctor.lsp.tasks import Background
from gomod_doctor.lsp.verification import Verification
from gomod_doctor.lsp.views import Views
from gomod_doctor.lsp.watching import Watching
from gomod_doctor.netfacts import Comparison

log = logging.getLogger(__name__)

#: allocations between two collections of the youngest generation (see :func:`serve`)
YOUNG_GC_THRESHOLD = 20_000

T = TypeVar("T")

_LEVELS = {
    "error": types.MessageType.Error,
    "warning": types.MessageType.Warning,
    "warn": types.MessageType.Warning,
    "info": types.MessageType.Info,
    "log": types.MessageType.Log,
    "debug": types.MessageType.Log,
}


class GomodDoctorServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "gomod-doctor",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.state = ServerState()
        #: the local-checkout search of the code actions (kept across requests)
        self.checkouts = CheckoutIndex()
        self.background = Background()
        self.work_progress = Progress(self)
        self.lifecycle = Lifecycle(self)
        self.views = Views(self)
        self.scheduler = Scheduler(self)
        self.verification = Verification(self)
        self.network = NetworkLoop(self)
        self.publisher = Publisher(self)
        self.watching = Watching(self)

    # ---------------------------------------------------------------- the features' context

    @property
    def shutting_down(self) -> bool:
        return self.lifecycle.shutting_down

    @property
    def position_encoding(self) -> str:
        try:
            return convert.normalize_encoding(self.workspace.position_encoding)
        except RuntimeError:  # not initialized yet
            return convert.UTF16

    def log(self, message: str, level: str = "info") -> None:
        """``window/logMessage`` (and the server's own log)."""
        kind = _LEVELS.get(level, types.MessageType.Info)
        getattr(log, "error" if kind == types.MessageType.Error else "info")("%s", message)
        if self.shutting_down:
            return
        with contextlib.suppress(Exception):
            self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def show_message(self, message: str, kind: types.MessageType) -> None:
        """``window/showMessage``."""
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    async def show_message_request(
        self, params: types.ShowMessageRequestParams
    ) -> types.MessageActionItem | None:
        """``window/showMessageRequest``: the action the user chose."""
        return await self.window_show_message_request_async(params)

    def go_binary(self) -> str | None:
        """The go command to run; ``None`` when not found or untrusted."""
        if not self.state.settings.trusted:
            return None
        return self.lifecycle.go_binary

    def workspace_folders(self) -> list[Path]:
        """The client's workspace folders (its root when it names none)."""
        try:
            folders = list(self.workspace.folders.values())
            root_path = self.workspace.root_path
        except Exception:
            folders, root_path = [], None
        out = [p for f in folders if (p := convert.uri_to_path(f.uri)) is not None]
        if root_path and not folders:
            out.append(Path(root_path))
        return out

    async def recheck(self, paths: Iterable[Path] | None = None, *, full: bool = False) -> None:
        """Re-gather and re-publish the workspaces of ``paths`` (all when ``None``);
        with ``full``, also verify every needed module version now."""
        await self.scheduler.recheck(paths, full=full)

    async def run_with_progress(
        self,
        title: str,
        fn: Callable[[ProgressReporter, threading.Event], T],
        *,
        cancellable: bool = True,
        cancel: threading.Event | None = None,
    ) -> T:
        """Run blocking ``fn(reporter, event)`` in a worker thread under ``$/progress``."""
        return await self.work_progress.run(title, fn, cancellable=cancellable, cancel=cancel)

    def invalidate_network(self) -> None:
        """Forget every network answer: ask again."""
        self.network.invalidate()

    def network_environ(self, settings: Settings | None = None) -> dict[str, str]:
        """The environment the network checks honour: the server's plus ``env``."""
        return self.network.environ(settings)

    async def add_comparison(self, views: Iterable[WorkspaceView], c: Comparison) -> None:
        """Show a proxy-copy comparison (``proxy-tampered``) in ``views``."""
        await self.network.add_comparison(views, c)

    async def reload_environment(self) -> None:
        """Read the Go environment again (after ``go env -w``) and re-diagnose."""
        await self.lifecycle.reload_env()
        self.views.rebuild()


def _check(server: GomodDoctorServer) -> Context:
    return server  # mypy: the server is a Context


# --------------------------------------------------------------------------- wiring

Handler = Callable[[GomodDoctorServer, Any], Any]


def _on(component: str, method: Callable[..., Any]) -> Handler:
    """``ls.<component>.<method>(params)``: a coroutine function when ``method`` is
    one (pygls runs a plain one before it answers or reads on, as ``shutdown`` needs)."""
    name = method.__name__
    if inspect.iscoroutinefunction(method):

        async def run_async(ls: GomodDoctorServer, params: Any) -> Any:
            return await getattr(getattr(ls, component), name)(params)

        return run_async

    def run(ls: GomodDoctorServer, params: Any) -> Any:
        return getattr(getattr(ls, component), name)(params)

    return run


_CODE_ACTION_KINDS = [
    types.CodeActionKind.QuickFix,
    types.CodeActionKind.RefactorRewrite,
    types.CodeActionKind.Source,
]

#: (method, options, handler, what a failure answers)
_FEATURES: list[tuple[str, Any, Handler, Any]] = [
    (types.INITIALIZE, None, _on("lifecycle", Lifecycle.on_initialize), None),
    (types.INITIALIZED, None, _on("lifecycle", Lifecycle.on_initialized), None),
    (types.SHUTDOWN, None, _on("lifecycle", Lifecycle.on_shutdown), None),
    (types.EXIT, None, _on("lifecycle", Lifecycle.on_exit), None),
    (types.TEXT_DOCUMENT_DID_OPEN, None, _on("views", Views.on_did_open), None),
    (types.TEXT_DOCUMENT_DID_CHANGE, None, _on("views", Views.on_did_change), None),
    (
        types.TEXT_DOCUMENT_DID_SAVE,
        types.SaveOptions(include_text=False),
        _on("views", Views.on_did_save),
        None,
    ),
    (types.TEXT_DOCUMENT_DID_CLOSE, None, _on("views", Views.on_did_close), None),
    (
        types.WORKSPACE_DID_CHANGE_CONFIGURATION,
        None,
        _on("lifecycle", Lifecycle.on_did_change_configuration),
        None,
    ),
    (
        types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        None,
        _on("watching", Watching.on_did_change_watched_files),
        None,
    ),
    (
        types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS,
        None,
        _on("lifecycle", Lifecycle.on_did_change_folders),
        None,
    ),
    (
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=_CODE_ACTION_KINDS, resolve_provider=False),
        actions.code_actions,
        [],
    ),
    (types.TEXT_DOCUMENT_HOVER, None, hover.hover, None),
    (
        types.TEXT_DOCUMENT_DOCUMENT_LINK,
        types.DocumentLinkOptions(resolve_provider=False),
        links.document_links,
        [],
    ),
    (
        types.TEXT_DOCUMENT_CODE_LENS,
        types.CodeLensOptions(resolve_provider=False),
        lens.code_lenses,
        [],
    ),
]


def _guarded(name: str, fn: Handler, default: Any) -> Handler:
    """``fn`` under the one guard: a failure is logged and answers ``default``."""

    def failed(ls: GomodDoctorServer) -> Any:
        ls.log(f"{name} failed: {traceback.format_exc()}", "error")
        return default

    if inspect.iscoroutinefunction(fn):

        async def guarded_async(ls: GomodDoctorServer, params: Any) -> Any:
            try:
                return await fn(ls, params)
            except Exception:
                return failed(ls)

        return guarded_async

    def guarded(ls: GomodDoctorServer, params: Any) -> Any:
        try:
            return fn(ls, params)
        except Exception:
            return failed(ls)

    return guarded


def _command(fn: Callable[[Context, Any], Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """A command takes one object of arguments (its guard is its own: commands.py)."""

    async def handler(ls: GomodDoctorServer, *args: Any) -> Any:
        return await fn(ls, args[0] if args else {})

    return handler


def create_server() -> GomodDoctorServer:
    server = GomodDoctorServer()
    for method, options, fn, default in _FEATURES:
        server.feature(method, options)(_guarded(method, fn, default))
    for name, cmd in commands.COMMANDS.items():
        server.command(name)(_command(cmd))
    return server


def parse_tcp(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--tcp {value}: want HOST:PORT")
    return (host.strip("[]") or "127.0.0.1"), int(port)


def serve(tcp: str | None = None) -> int:
    """Run the language server over stdio, or over TCP at ``HOST:PORT`` (a bad one
    raises ValueError before anything starts)."""
    address = parse_tcp(tcp) if tcp is not None else None
    level = os.environ.get("GOMOD_DOCTOR_LOG", "WARNING").upper()
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level, logging.WARNING),
        format="gomod-doctor %(levelname)s %(name)s: %(message)s",
    )
    server = create_server()
    # What is loaded now lives as long as the server: out of the collector's sight,
    # so that a full collection (tens of ms over a large heap) never lands on an edit.
    gc.freeze()
    # Full collections only when idle (Scheduler.collect_when_idle). The youngest
    # generation is collected after YOUNG_GC_THRESHOLD allocations instead of 700: an
    # edit's analysis builds tens of thousands of objects that live until it ends (and
    # go by reference counting: parse trees hold no cycles), which the default sends
    # through dozens of young and several middle collections, a third of its time.
    _young, middle, _ = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, middle, 1 << 30)
    if address is not None:
        server.start_tcp(*address)
    else:
        server.start_io()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gomod-doctor serve")
    p.add_argument("--tcp", metavar="HOST:PORT")
    p.add_argument("--stdio", action="store_true")
    args = p.parse_args(argv)
    return serve(args.tcp)
