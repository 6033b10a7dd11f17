"""What the features may use of the server: :class:`Context`.

The features (:mod:`gomod_doctor.lsp.features`) are functions of a ``Context``;
:class:`~gomod_doctor.lsp.server.GomodDoctorServer` is one. They never import the
server (a lint contract says so), so what they need is named here, and nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from lsprotocol import types

if TYPE_CHECKING:
    from gomod_doctor.lsp.features.search import CheckoutIndex
    from gomod_doctor.lsp.reporter import ProgressReporter
    from gomod_doctor.lsp.settings import Settings
    from gomod_doctor.lsp.state import ServerState, WorkspaceView
    from gomod_doctor.netfacts import Comparison

T = TypeVar("T")


class Context(Protocol):
    """The server as the features see it."""

    #: the open documents, the analysed workspaces, the settings, the Go environment
    state: ServerState
    #: the local-checkout search (kept across requests)
    checkouts: CheckoutIndex

    @property
    def client_capabilities(self) -> types.ClientCapabilities: ...

    @property
    def position_encoding(self) -> str: ...

    def log(self, message: str, level: str = "info") -> None: ...

    def show_message(self, message: str, kind: types.MessageType) -> None: ...

    async def show_message_request(
        self, params: types.ShowMessageRequestParams
    ) -> types.MessageActionItem | None: ...

    def go_binary(self) -> str | None: ...

    def workspace_folders(self) -> list[Path]: ...

    async def recheck(self, paths: Iterable[Path] | None = None, *, full: bool = False) -> None: ...

    async def run_with_progress(
        self,
        title: str,
        fn: Callable[[ProgressReporter, threading.Event], T],
        *,
        cancellable: bool = True,
        cancel: threading.Event | None = None,
    ) -> T: ...

    def invalidate_network(self) -> None: ...

    def network_environ(self, settings: Settings | None = None) -> dict[str, str]: ...

    async def add_comparison(self, views: Iterable[WorkspaceView], c: Comparison) -> None: ...

    async def reload_environment(self) -> None: ...
