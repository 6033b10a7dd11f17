"""A module proxy that never answers: it listens on 127.0.0.1, accepts every
connection, reads what comes and sends nothing back, for a bounded time.

    with HangingProxy(lifetime=60) as proxy:
        env["GOPROXY"] = proxy.url
        ...
        proxy.connections  # how many were accepted

Stdlib only, in a thread of the bench process; after ``lifetime`` seconds (or on
:meth:`close`) it closes every socket and stops.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from typing import Any


class HangingProxy:
    def __init__(self, lifetime: float = 60.0) -> None:
        self.lifetime = lifetime
        self.connections = 0
        self.first_connection: float | None = None  # time.perf_counter()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.setblocking(False)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hanging-proxy", daemon=True)

    def __enter__(self) -> HangingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _serve(self) -> None:
        end = time.monotonic() + self.lifetime
        sel = selectors.DefaultSelector()
        sel.register(self._sock, selectors.EVENT_READ)
        held: list[socket.socket] = []
        try:
            while not self._stop.is_set() and time.monotonic() < end:
                for key, _ in sel.select(timeout=0.05):
                    if key.fileobj is self._sock:
                        try:
                            conn, _ = self._sock.accept()
                        except OSError:
                            continue
                        conn.setblocking(False)
                        if self.first_connection is None:
                            self.first_connection = time.perf_counter()
                        self.connections += 1
                        held.append(conn)
                        sel.register(conn, selectors.EVENT_READ)
                    else:
                        conn = key.fileobj  # type: ignore[assignment]
                        try:
                            data = conn.recv(65536)
                        except OSError:
                            data = b""
                        if not data:  # the client gave up: forget it
                            sel.unregister(conn)
                            conn.close()
                            held.remove(conn)
        finally:
            for conn in held:
                conn.close()
            sel.close()
            self._sock.close()
