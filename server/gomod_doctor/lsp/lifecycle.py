"""The server's lifecycle: initialize, configuration, the Go environment, shutdown.

``initialize`` reads the initializationOptions and starts reading the Go
environment of those settings while the client finishes its handshake;
``initialized`` pulls ``workspace/configuration`` (``trusted`` above all, before
anything reads the environment), starts watching, registers what the client can
register dynamically, and builds the views. A change of the settings or of the
environment (``go env -w``, GOENV) reloads the environment and rebuilds the views.

On ``shutdown`` every cancel event is set and watching stops; on ``exit`` remaining
worker processes are terminated. The server also exits when the editor that started
it is gone (LSP's ``processId``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import traceback
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability

from gomod_doctor.goenv import binary as gobinary
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.lsp import convert
from gomod_doctor.lsp.progress import CLIENT_TIMEOUT
from gomod_doctor.lsp.settings import SECTION, Settings
from gomod_doctor.lsp.tasks import in_thread, retrieved
from gomod_doctor.lsp.watching import WATCH_GLOBS

if TYPE_CHECKING:
    from gomod_doctor.lsp.server import GomodDoctorServer

log = logging.getLogger(__name__)

PARENT_POLL = 5.0  # seconds between checks that the client process is alive


def load_env(settings: Settings, base: Mapping[str, str] | None = None) -> tuple[GoEnv, str | None]:
    """The Go environment for ``settings`` (``env``, ``goBinary``, ``trusted``), and
    the go binary (``None`` when untrusted)."""
    environ = {**(os.environ if base is None else base), **settings.env}
    return gobinary.load_env(environ, settings.go_binary, trusted=settings.trusted)


def _env_key(settings: Settings) -> tuple[object, ...]:
    """What :func:`load_env` depends on in the settings."""
    return (tuple(sorted(settings.env.items())), settings.go_binary, settings.trusted)


class Lifecycle:
    """The handshake, the settings, the environment, the workspace folders, the end."""

    def __init__(self, server: GomodDoctorServer) -> None:
        self._server = server
        self._ready: asyncio.Event | None = None
        self.shutting_down = False
        self.go_binary: str | None = None
        self._init_problems: list[str] = []
        self._init_options_settings = Settings()
        self._env_preload: (
            tuple[tuple[object, ...], asyncio.Future[tuple[GoEnv, str | None]]] | None
        ) = None
        #: the client watches our globs for us (dynamic registration)
        self.client_watches = False
        #: the workspace folders (or the root when the client names no folder)
        self.folders: list[Path] = []
        self._parent_pid: int | None = None

    def _supports(self, path: str) -> bool:
        return bool(get_capability(self._server.client_capabilities, path, False))

    def on_initialize(self, params: types.InitializeParams) -> None:
        s = self._server
        settings, problems = Settings.from_json(params.initialization_options)
        self._init_options_settings = settings
        s.state.settings = settings
        self._init_problems = problems
        folders: list[Path] = []
        for wf in params.workspace_folders or []:
            p = convert.uri_to_path(wf.uri)
            if p is not None:
                folders.append(p)
        if not folders:
            root = params.root_uri or (
                convert.path_to_uri(params.root_path) if params.root_path else None
            )
            p = convert.uri_to_path(root) if root else None
            if p is not None:
                folders.append(p)
        self.folders = folders
        self._parent_pid = params.process_id
        self.client_watches = self._supports(
            "workspace.did_change_watched_files.dynamic_registration"
        )
        # The Go environment of these settings, read while the client finishes its
        # handshake: used if workspace/configuration leaves what it depends on as is.
        preload = in_thread(load_env, settings)
        preload.add_done_callback(retrieved)  # unused when the settings change: no warning
        self._env_preload = (_env_key(settings), preload)

    async def on_initialized(self, params: types.InitializedParams) -> None:
        s = self._server
        s.background.loop = asyncio.get_running_loop()
        s.watching.start()
        try:
            for problem in self._init_problems:
                s.log(problem, "warning")
            # the settings (``trusted`` above all) before anything reads the environment
            await self._pull_configuration()
            if self.client_watches:
                s.background.spawn(self._register_watched_files())
            if self._supports("workspace.did_change_configuration.dynamic_registration"):
                s.background.spawn(self._register_configuration())
            await self.reload_env()
        finally:
            self.set_ready()  # whatever failed above, documents still get diagnosed
        s.views.rebuild()
        # The processes to spawn start while the first analyses run: the watcher has
        # nothing to watch before they name their targets, and full verification
        # follows them.
        await asyncio.sleep(0)
        try:
            if not s.shutting_down:
                s.watching.start_watcher()
                if s.state.settings.verify == "full":
                    from gomod_doctor.cache import verify as cache_verify

                    cache_verify.prepare_background()  # (a fork server, started now)
        except Exception:
            s.log(f"file watching: {traceback.format_exc()}", "error")
        if self._parent_pid:
            s.background.spawn(self._watch_parent(self._parent_pid))

    def set_ready(self) -> None:
        """Documents get diagnosed from now on (at the end of ``initialized``)."""
        if self._ready is None:
            self._ready = asyncio.Event()
        self._ready.set()

    def is_ready(self) -> bool:
        return self._ready is not None and self._ready.is_set()

    async def wait_ready(self) -> None:
        if self._ready is None:
            self._ready = asyncio.Event()
        await self._ready.wait()

    async def _watch_parent(self, pid: int) -> None:
        """Exit when the editor that started the server is gone (LSP's processId)."""
        while not self.shutting_down:
            await asyncio.sleep(PARENT_POLL)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                log.warning("the client process %d is gone: exiting", pid)
                self.begin_shutdown()
                self.terminate_workers()
                os._exit(1)
            except OSError:
                return  # not ours to signal (another user): cannot tell, stop asking

    async def _register(self, method: str, name: str, options: Any) -> None:
        """Register ``method`` with the client (dynamic registration); raises on failure."""
        registration = types.Registration(
            id=f"gomod-doctor-{name}-{uuid.uuid4()}", method=method, register_options=options
        )
        await asyncio.wait_for(
            self._server.client_register_capability_async(
                types.RegistrationParams(registrations=[registration])
            ),
            timeout=CLIENT_TIMEOUT,
        )

    async def _register_watched_files(self) -> None:
        watchers = [types.FileSystemWatcher(glob_pattern=g) for g in WATCH_GLOBS]
        try:
            await self._register(
                types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                "watch",
                types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
            )
        except Exception as e:
            self._server.log(
                f"cannot register file watching with the client ({e}): watching itself"
            )
            self.client_watches = False
            self._server.watching.rewatch()

    async def _register_configuration(self) -> None:
        with contextlib.suppress(Exception):
            await self._register(
                types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                "config",
                types.DidChangeConfigurationRegistrationOptions(section=SECTION),
            )

    async def _pull_configuration(self) -> bool:
        """Settings from ``workspace/configuration`` over the initializationOptions."""
        s = self._server
        if not self._supports("workspace.configuration"):
            return False
        try:
            got = await asyncio.wait_for(
                s.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
                ),
                timeout=CLIENT_TIMEOUT,
            )
        except Exception as e:
            s.log(f"workspace/configuration failed: {e}", "warning")
            return False
        value = got[0] if isinstance(got, (list, tuple)) and got else None
        if value is None:
            return False
        settings, problems = self._init_options_settings.merged_json(value)
        for p in problems:
            s.log(p, "warning")
        s.state.settings = settings
        return True

    async def on_did_change_configuration(self, params: types.DidChangeConfigurationParams) -> None:
        s = self._server
        old = s.state.settings
        pulled = await self._pull_configuration()
        if not pulled and params.settings is not None:
            settings, problems = self._init_options_settings.merged_json(params.settings)
            for p in problems:
                s.log(p, "warning")
            s.state.settings = settings
        await self._settings_changed(old)

    async def _settings_changed(self, old: Settings) -> None:
        s = self._server
        new = s.state.settings
        log.debug("settings: %s -> %s", old, new)
        if s.watching.debouncer is not None:
            s.watching.debouncer.delay_ms = new.debounce_ms
        if (old.env, old.go_binary, old.trusted) != (new.env, new.go_binary, new.trusted):
            await self.reload_env()
            s.views.rebuild()
        for run in s.scheduler.runs.values():
            run.suppressed = False
        for view in list(s.state.workspaces.values()):
            s.scheduler.schedule(view)

    def on_did_change_folders(self, params: types.DidChangeWorkspaceFoldersParams) -> None:
        for f in params.event.removed:
            p = convert.uri_to_path(f.uri)
            if p is not None and p in self.folders:
                self.folders.remove(p)
        for f in params.event.added:
            p = convert.uri_to_path(f.uri)
            if p is not None and p not in self.folders:
                self.folders.append(p)
        if self.is_ready():
            self._server.views.rebuild()

    async def reload_env(self) -> None:
        """Read the Go environment of the settings (again)."""
        s = self._server
        settings = s.state.settings
        pre, self._env_preload = self._env_preload, None
        try:
            if pre is not None and pre[0] == _env_key(settings):
                env, binary = await pre[1]
            else:
                env, binary = await in_thread(load_env, settings)
        except Exception as e:
            s.log(f"cannot read the Go environment: {e}", "error")
            return
        if settings is not s.state.settings and _env_key(settings) != _env_key(s.state.settings):
            return  # a newer reload is on its way
        if env.GOMODCACHE != s.state.env.GOMODCACHE:
            s.verification.full_cache.clear()
        s.state.env = env
        self.go_binary = binary
        if env.fatal:
            s.log(env.fatal, "error")

    def on_shutdown(self, params: None) -> None:
        self.begin_shutdown()

    def on_exit(self, params: None) -> None:
        self.begin_shutdown()
        self.terminate_workers()

    def begin_shutdown(self) -> None:
        """Stop everything in flight, fast: cancel events, watching, runners."""
        s = self._server
        if self.shutting_down:
            return
        self.shutting_down = True
        s.work_progress.cancel_all()
        s.scheduler.cancel_all()
        s.watching.close()
        s.background.cancel_all()

    def terminate_workers(self) -> None:
        """Terminate the hashing worker processes still running (at exit)."""
        for p in multiprocessing.active_children():
            with contextlib.suppress(Exception):
                p.terminate()
