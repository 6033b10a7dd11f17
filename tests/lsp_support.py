"""Shared helpers for the language server's end-to-end tests (pytest-lsp over stdio).

    async with lsp_session(env, workspace=ws, preset=VSCODE) as client:
        uri = open_doc(client, ws / "go.mod")
        ds = await wait_for_diagnostics(client, uri, lambda ds: "cache-missing" in codes(ds))

The server runs as ``[sys.executable, "-m", "gomod_doctor", "serve"]`` with an
isolated environment (:func:`server_env`: temp HOME, XDG dirs, GOPATH, GOMODCACHE,
GOENV, GOCACHE, GOTOOLCHAIN=local, and the test go first on PATH). The client is
pytest-lsp's, with:

- the VS Code (utf-16, dynamic registration of watched files) or Neovim (utf-8,
  none) capability presets;
- a converter that keeps a CodeAction carrying a command a CodeAction (lsprotocol
  would make it a bare Command);
- a ``client/registerCapability`` / ``unregisterCapability`` handler that records
  the registrations (pytest-lsp has none);
- a ``textDocument/publishDiagnostics`` handler that records every publish with its
  version (``client.published``) besides pytest-lsp's ``client.diagnostics``;
- a ``gomodDoctor/status`` handler that records the server's status notifications
  (``client.statuses``, the params as plain dicts).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from gotool import isolated_env

SERVER_COMMAND = [sys.executable, "-m", "gomod_doctor", "serve"]
STATUS_METHOD = "gomodDoctor/status"
SERVER_DIR = Path(__file__).resolve().parents[1] / "server"

VSCODE = "visual-studio-code"
NEOVIM = "neovim"
PRESETS = (VSCODE, NEOVIM)

Diagnostics = Sequence[types.Diagnostic]


# --------------------------------------------------------------------------- environment


def server_env(base: Path | dict[str, str], **extra: str) -> dict[str, str]:
    """The server's environment: ``base`` is a go environment (e.g. a cache
    fixture's ``env``) or a directory to build an isolated one in."""
    env = dict(base) if isinstance(base, dict) else isolated_env(base)
    pythonpath = [str(SERVER_DIR)]
    if os.environ.get("PYTHONPATH"):
        pythonpath.append(os.environ["PYTHONPATH"])
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(pythonpath),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "GOMOD_DOCTOR_LOG": os.environ.get("GOMOD_DOCTOR_LOG", "WARNING"),
        }
    )
    if "XDG_CACHE_HOME" not in env and "HOME" in env:
        env["XDG_CACHE_HOME"] = str(Path(env["HOME"]) / ".cache")
    env.update(extra)
    return env


# --------------------------------------------------------------------------- the client


def _converter_factory() -> Any:
    """pygls' converter, except that a ``Command | CodeAction`` is a Command only
    when its ``command`` is a string (a CodeAction's ``command`` is an object)."""
    conv = default_converter()
    union = Union[types.Command, types.CodeAction]  # noqa: UP007 (matched by identity)

    def structure(obj: Any, _t: Any) -> types.Command | types.CodeAction:
        if isinstance(obj, dict) and isinstance(obj.get("command"), str):
            return conv.structure(obj, types.Command)  # type: ignore[no-any-return]
        return conv.structure(obj, types.CodeAction)  # type: ignore[no-any-return]

    conv.register_structure_hook_func(lambda t: t == union, structure)
    return conv


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=_converter_factory)
    client.published = []  # type: ignore[attr-defined]
    client.registrations = []  # type: ignore[attr-defined]
    client.unregistrations = []  # type: ignore[attr-defined]
    client.applied_edits = []  # type: ignore[attr-defined]
    client.statuses = []  # type: ignore[attr-defined]
    client.lens_refreshes = 0  # type: ignore[attr-defined]

    def publish(c: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        c.diagnostics[params.uri] = params.diagnostics
        c.published.append(params)  # type: ignore[attr-defined]

    def register(c: LanguageClient, params: types.RegistrationParams) -> None:
        c.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    def unregister(c: LanguageClient, params: types.UnregistrationParams) -> None:
        c.unregistrations.extend(params.unregisterations)  # type: ignore[attr-defined]

    def apply_edit(
        c: LanguageClient, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        c.applied_edits.append(params)  # type: ignore[attr-defined]
        return types.ApplyWorkspaceEditResult(applied=True)

    def show_message_request(
        c: LanguageClient, params: types.ShowMessageRequestParams
    ) -> types.MessageActionItem | None:
        c.messages.append(params)  # type: ignore[arg-type]
        answer = getattr(c, "message_request_answer", None)
        if answer is None:
            return None
        return types.MessageActionItem(title=answer)

    def lens_refresh(c: LanguageClient, params: None) -> None:
        c.lens_refreshes += 1  # type: ignore[attr-defined]

    def status(c: LanguageClient, params: Any) -> None:
        c.statuses.append(_plain(params))  # type: ignore[attr-defined]

    features = dict(DEFAULT_CLIENT_FEATURES)
    features[STATUS_METHOD] = status
    features[types.WORKSPACE_CODE_LENS_REFRESH] = lens_refresh
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.CLIENT_REGISTER_CAPABILITY] = register
    features[types.CLIENT_UNREGISTER_CAPABILITY] = unregister
    features[types.WORKSPACE_APPLY_EDIT] = apply_edit
    features[types.WINDOW_SHOW_MESSAGE_REQUEST] = show_message_request
    register_lsp_features(client, features)
    return client


def _plain(obj: Any) -> Any:
    """A notification's params (pygls gives an attribute object) as dicts and lists."""
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    fields = getattr(obj, "_asdict", None)  # pygls' namedtuple objects
    if callable(fields):
        return _plain(fields())
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return {k: _plain(v) for k, v in vars(obj).items() if not k.startswith("_")}


def capabilities(preset: str) -> types.ClientCapabilities:
    """The VS Code (utf-16) or Neovim (utf-8) capabilities pytest-lsp ships."""
    return client_capabilities(preset)


def encoding_of(preset: str) -> str:
    return "utf-8" if preset == NEOVIM else "utf-16"


@contextlib.asynccontextmanager
async def lsp_session(
    env: dict[str, str],
    *,
    workspace: Path | None = None,
    preset: str = VSCODE,
    init_options: Any = None,
    configuration: dict[str, Any] | None = None,
    command: list[str] | None = None,
) -> AsyncIterator[LanguageClient]:
    """A started and initialized server; shut down and stopped on exit.

    ``configuration`` is what the client answers to ``workspace/configuration``
    for the ``gomodDoctor`` section (none: ``null``)."""
    config = ClientServerConfig(
        server_command=command or SERVER_COMMAND,
        server_env=env,
        client_factory=make_client,
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    try:
        if configuration is not None:
            client.set_configuration(configuration, section="gomodDoctor")
        folders = (
            [types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)]
            if workspace is not None
            else None
        )
        await client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities(preset),
                initialization_options=init_options,
                workspace_folders=folders,
                root_uri=workspace.as_uri() if workspace is not None else None,
            )
        )
        yield client
    finally:
        await stop_session(client)


async def stop_session(client: LanguageClient, timeout: float = 10.0) -> None:
    """``shutdown`` and ``exit``, then make sure the server process is gone."""
    proc = client._server
    if proc is not None and proc.returncode is None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), timeout)
    if proc is not None and proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    await client.stop()


# --------------------------------------------------------------------------- documents


def language_id(path: Path, preset: str = VSCODE) -> str:
    name = {"go.sum": "sum", "go.work": "work", "go.work.sum": "sum"}.get(path.name, "mod")
    return f"go.{name}" if preset == VSCODE else f"go{name}"


def open_doc(
    client: LanguageClient,
    path: Path,
    *,
    text: str | None = None,
    version: int = 1,
    preset: str = VSCODE,
) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id=language_id(path, preset),
                version=version,
                text=path.read_text() if text is None else text,
            )
        )
    )
    return uri


def change_doc(client: LanguageClient, uri: str, version: int, text: str) -> None:
    """Replace the buffer's whole text (a full-document change)."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def close_doc(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


# --------------------------------------------------------------------------- waiting


def codes(ds: Iterable[types.Diagnostic] | None) -> list[str]:
    return [str(d.code) for d in ds or ()]


def with_code(ds: Iterable[types.Diagnostic] | None, code: str) -> list[types.Diagnostic]:
    return [d for d in ds or () if d.code == code]


def lines_of(ds: Iterable[types.Diagnostic] | None, code: str) -> list[int]:
    """0-based start lines of the diagnostics with ``code``."""
    return sorted(d.range.start.line for d in with_code(ds, code))


async def wait_until(cond: Callable[[], bool], timeout: float = 10.0, step: float = 0.02) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        await asyncio.sleep(step)
    return cond()


async def wait_for_diagnostics(
    client: LanguageClient,
    uri: str,
    predicate: Callable[[Diagnostics], bool] = lambda ds: True,
    *,
    timeout: float = 10.0,
) -> Diagnostics:
    """The diagnostics last published for ``uri`` once ``predicate`` holds for them."""

    def ok() -> bool:
        ds = client.diagnostics.get(uri)
        return ds is not None and predicate(ds)

    if not await wait_until(ok, timeout):
        got = client.diagnostics.get(uri)
        shown = None if got is None else [(d.code, d.range.start.line, d.message) for d in got]
        raise AssertionError(f"no diagnostics for {uri} matching within {timeout}s; last: {shown}")
    return client.diagnostics[uri]


def publishes(client: LanguageClient, uri: str) -> list[types.PublishDiagnosticsParams]:
    return [p for p in client.published if p.uri == uri]  # type: ignore[attr-defined]


async def wait_for_log(client: LanguageClient, needle: str, *, timeout: float = 10.0) -> str:
    def found() -> str | None:
        for m in client.log_messages:
            if needle in m.message:
                return m.message
        return None

    if not await wait_until(lambda: found() is not None, timeout):
        raise AssertionError(
            f"no log message with {needle!r} within {timeout}s; got "
            f"{[m.message[:200] for m in client.log_messages]}"
        )
    message = found()
    assert message is not None
    return message


def progress_tokens(client: LanguageClient) -> list[Any]:
    return list(client.progress_reports)


def progress_values(client: LanguageClient, token: Any) -> list[Any]:
    return list(client.progress_reports.get(token, []))


def ended(client: LanguageClient, token: Any) -> bool:
    return any(isinstance(v, types.WorkDoneProgressEnd) for v in progress_values(client, token))
