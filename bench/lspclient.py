"""A minimal JSON-RPC-over-stdio language client for the benchmarks.

Lighter than pytest-lsp: an asyncio subprocess, Content-Length framing, plain
dicts. It answers the server's requests (``workspace/configuration`` with the
settings, everything else with ``null``), records every
``textDocument/publishDiagnostics`` and ``gomodDoctor/status`` with the time it was
read, and times requests from the write to the read of the response.

    client = await LspClient.start(argv, env=env, cwd=ws, stderr=path)
    await client.initialize(ws, {"verify": "quick", "network": "off"})
    t0 = client.notify("textDocument/didOpen", {...})
    t1, params = await client.wait_publish(uri, lambda p: True)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.harness import BenchError

PUBLISH = "textDocument/publishDiagnostics"
STATUS = "gomodDoctor/status"


class LspClient:
    def __init__(self, proc: asyncio.subprocess.Process, settings: dict[str, Any]) -> None:
        self.proc = proc
        self.settings = settings
        self.published: list[tuple[float, dict[str, Any]]] = []
        #: gomodDoctor/status notifications (modules, verified, problems, ...)
        self.statuses: list[tuple[float, dict[str, Any]]] = []
        self.errors: list[str] = []  # window/logMessage and showMessage of type Error
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self._publish_event = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read_loop())

    @property
    def pid(self) -> int:
        return self.proc.pid

    @classmethod
    async def start(
        cls,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        cwd: Path,
        stderr: Path,
        settings: dict[str, Any] | None = None,
    ) -> LspClient:
        with open(stderr, "wb") as err:  # a file: no pipe for the server to block on
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=cwd,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                limit=1 << 24,
            )
        return cls(proc, dict(settings or {}))

    # ------------------------------------------------------------ framing

    def _write(self, msg: dict[str, Any]) -> float:
        body = json.dumps(msg, separators=(",", ":")).encode()
        assert self.proc.stdin is not None
        t = time.perf_counter()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        return t

    async def _read_loop(self) -> None:
        r = self.proc.stdout
        assert r is not None
        try:
            while True:
                length = -1
                while True:
                    line = await r.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    key, _, value = line.decode("ascii", "replace").partition(":")
                    if key.strip().lower() == "content-length":
                        length = int(value.strip())
                if length < 0:
                    continue
                body = await r.readexactly(length)
                t = time.perf_counter()
                self._dispatch(json.loads(body), t)
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(BenchError("the server closed its output"))

    def _dispatch(self, msg: dict[str, Any], t: float) -> None:
        method = msg.get("method")
        if method is None:  # a response
            fut = self._pending.pop(msg.get("id"), None)  # type: ignore[arg-type]
            if fut is not None and not fut.done():
                fut.set_result((t, msg))
            return
        params = msg.get("params")
        if "id" in msg:  # a request from the server
            result: Any = None
            if method == "workspace/configuration":
                items = (params or {}).get("items") or [{}]
                result = [self.settings for _ in items]
            self._write({"jsonrpc": "2.0", "id": msg["id"], "result": result})
            return
        if method == PUBLISH:
            self.published.append((t, params))
            self._publish_event.set()
            self._publish_event = asyncio.Event()
        elif method == STATUS:
            self.statuses.append((t, params))
        elif method in ("window/logMessage", "window/showMessage") and (
            (params or {}).get("type") == 1
        ):
            self.errors.append(str(params.get("message")))

    # ------------------------------------------------------------ messages

    def notify(self, method: str, params: Any) -> float:
        """Send a notification; the time it was written."""
        return self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def request(self, method: str, params: Any, timeout: float = 30.0) -> tuple[float, Any]:
        """Send a request; (seconds from write to response, result)."""
        self._next_id += 1
        rid = self._next_id
        fut: asyncio.Future[tuple[float, dict[str, Any]]] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending[rid] = fut
        t0 = self._write({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        try:
            t1, msg = await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            self._pending.pop(rid, None)
            raise BenchError(f"{method}: no response in {timeout:g} s") from None
        if "error" in msg:
            raise BenchError(f"{method}: {msg['error']}")
        return t1 - t0, msg.get("result")

    async def wait_publish(
        self,
        uri: str,
        pred: Callable[[dict[str, Any]], bool],
        *,
        start: int = 0,
        timeout: float = 30.0,
    ) -> tuple[float, dict[str, Any]]:
        """The first publish for ``uri`` at index ``start`` or later that ``pred``
        accepts: (the time it was read, its params)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        i = start
        while True:
            event = self._publish_event
            while i < len(self.published):
                t, p = self.published[i]
                i += 1
                if p.get("uri") == uri and pred(p):
                    return t, p
            left = deadline - loop.time()
            if left <= 0 or self.proc.returncode is not None:
                raise BenchError(f"no matching publishDiagnostics for {uri} in {timeout:g} s")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), left)

    # ------------------------------------------------------------ lifecycle

    async def initialize(self, root: Path, init_options: dict[str, Any]) -> float:
        """initialize + initialized; seconds of the initialize round trip."""
        caps = {
            "general": {"positionEncodings": ["utf-16"]},
            "textDocument": {
                "synchronization": {"didSave": True, "dynamicRegistration": False},
                "publishDiagnostics": {"versionSupport": True, "relatedInformation": True},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "codeAction": {
                    "codeActionLiteralSupport": {
                        "codeActionKind": {
                            "valueSet": ["quickfix", "refactor", "refactor.rewrite", "source"]
                        }
                    },
                    "dataSupport": True,
                },
            },
            "workspace": {"configuration": True, "workspaceFolders": True},
            "window": {"workDoneProgress": False},
        }
        secs, _ = await self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": caps,
                "initializationOptions": init_options,
            },
        )
        self.notify("initialized", {})
        return secs

    async def shutdown(self, timeout: float = 10.0) -> float:
        """shutdown + exit, then wait for the process to end; seconds it took.
        Killed (and :class:`BenchError`) after ``timeout``."""
        t0 = time.perf_counter()
        try:
            if self.proc.returncode is None:
                await self.request("shutdown", None, timeout=timeout)
                self.notify("exit", None)
                await asyncio.wait_for(self.proc.wait(), timeout)
        except (asyncio.TimeoutError, BenchError) as e:
            self.kill()
            await self.proc.wait()
            raise BenchError(f"the server did not shut down in {timeout:g} s ({e})") from None
        finally:
            self._reader.cancel()
        return time.perf_counter() - t0

    def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
