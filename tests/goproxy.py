"""A GOPROXY server for tests, and real module caches built through it by go.

Stdlib only. :class:`GoProxy` serves modules defined in Python
(:class:`ModuleSpec`) over the GOPROXY protocol on 127.0.0.1 (ephemeral port):

    /<escaped path>/@v/list            tagged versions, one per line
    /<escaped path>/@v/<escaped v>.info  {"Version", "Time"[, "Origin"]}
    /<escaped path>/@v/<escaped v>.mod   the go.mod go should use
    /<escaped path>/@v/<escaped v>.zip   the module zip
    /<escaped path>/@latest              the .info of the latest version

Anything else is a 404 with a text/plain body, as proxy.golang.org does.

Every request path is appended to ``proxy.requests``. Faults are injected with
:meth:`GoProxy.override`: a matcher (an exact request path, or a predicate) and a
:class:`Response` or a callable ``(path, default) -> Response`` (``default`` is what
would have been served, or ``None``). A :class:`Response` can carry any status and
body, and a behaviour: ``delay`` (slow to answer), ``chunk_delay`` (slow body),
``hang`` (answer nothing), ``hang_after`` (send the headers and that many body bytes,
then stall), ``truncate_at`` (announce the full length, send that many bytes, close),
``reset`` (abort the connection with an RST). Hanging handlers are released when
the server stops. :func:`refused_url` gives a URL nobody listens on.

:func:`build_cache` writes a workspace requiring some modules and runs the real
``go mod download -json`` against a private proxy serving them, producing a real
GOMODCACHE and go.sum (see :class:`CacheFixture`). Builds are memoized per session
and copied, so calling it in many tests is cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import socket
import ssl
import struct
import threading
import time
import urllib.parse
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gomod_doctor.module.escape import escape_path, escape_version
from gotool import isolated_env, run_go

DEFAULT_TIME = "2024-01-02T03:04:05Z"
_PSEUDO = re.compile(r"(^|[-.])\d{14}-[0-9a-f]{12}(\+incompatible)?$")


def is_pseudo_version(version: str) -> bool:
    return _PSEUDO.search(version) is not None


def _zip_bytes(prefix: str, files: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, files[name])
    return buf.getvalue()


@dataclass
class ModuleSpec:
    """One module version, defined in Python.

    ``files`` are the module's files relative to its root. Unless the version is
    ``+incompatible`` (a legacy v2+ module without a go.mod), a ``go.mod`` is added
    to the zip if missing (``module <path>`` and ``go 1.21``). ``go_mod`` is what
    the proxy serves as ``.mod``; by default the zip's go.mod, or for a module with
    none the ``module <path>`` file go synthesizes itself (modfetch LegacyGoMod).
    ``zip_data`` replaces the generated zip (to serve a broken one).
    ``listed`` says whether ``@v/list`` shows the version (default: not for
    pseudo-versions, as proxy.golang.org does).
    """

    path: str
    version: str
    files: dict[str, bytes] = field(default_factory=dict)
    go_mod: bytes | None = None
    info_time: str = DEFAULT_TIME
    origin: dict[str, Any] | None = None
    zip_data: bytes | None = None
    listed: bool | None = None

    def __post_init__(self) -> None:
        self.files = dict(self.files)
        if "go.mod" not in self.files and not self.incompatible:
            self.files["go.mod"] = f"module {self.path}\n\ngo 1.21\n".encode()
        if self.go_mod is None:
            self.go_mod = self.files.get("go.mod", f"module {self.path}\n".encode())
        if self.listed is None:
            self.listed = not is_pseudo_version(self.version)

    @property
    def incompatible(self) -> bool:
        return self.version.endswith("+incompatible")

    @property
    def prefix(self) -> str:
        """The name of the module's directory inside its zip: ``path@version``."""
        return f"{self.path}@{self.version}"

    def info_bytes(self) -> bytes:
        info: dict[str, Any] = {"Version": self.version, "Time": self.info_time}
        if self.origin is not None:
            info["Origin"] = self.origin
        return json.dumps(info).encode()

    def mod_bytes(self) -> bytes:
        assert self.go_mod is not None
        return self.go_mod

    def zip_bytes(self) -> bytes:
        if self.zip_data is not None:
            return self.zip_data
        return _zip_bytes(self.prefix, self.files)

    def packages(self) -> list[str]:
        """Import paths of the importable packages (non-main, non-internal)."""
        dirs: dict[str, bool] = {}
        for name, data in self.files.items():
            d, _, base = name.rpartition("/")
            if not base.endswith(".go") or base.endswith("_test.go"):
                continue
            parts = d.split("/") if d else []
            if any(
                p in ("internal", "testdata", "vendor") or p.startswith((".", "_")) for p in parts
            ):
                continue
            if re.search(rb"^package\s+main\b", data, re.M):
                dirs[d] = False
            else:
                dirs.setdefault(d, True)
        return sorted(f"{self.path}/{d}" if d else self.path for d, ok in dirs.items() if ok)

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        h.update(json.dumps([self.path, self.version, self.info_time, self.origin]).encode())
        for name in sorted(self.files):
            h.update(f"\0{name}\0{len(self.files[name])}\0".encode())
            h.update(self.files[name])
        h.update(b"\0mod\0" + self.mod_bytes())
        h.update(b"\0zip\0" + (self.zip_data or b""))
        h.update(b"\0listed" if self.listed else b"\0unlisted")
        return h.hexdigest()


@dataclass
class Response:
    """What the proxy answers, and how."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    chunk_delay: float = 0.0  # seconds between body chunks
    chunk_size: int = 16 * 1024
    hang: bool = False  # never answer (until the server stops)
    hang_after: int | None = None  # send headers and this many body bytes, then stall
    truncate_at: int | None = None  # send this many body bytes of the announced length, close
    reset: bool = False  # abort the connection (RST), answering nothing


Handler = Callable[[str, "Response | None"], "Response | None"]
Matcher = str | Callable[[str], bool]


def _not_found(path: str) -> Response:
    return Response(404, f"not found: {path}\n".encode(), "text/plain; charset=utf-8")


class GoProxy:
    """A GOPROXY server on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(
        self, modules: Iterable[ModuleSpec] = (), *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._seen = threading.Condition(self._lock)
        self._modules: dict[tuple[str, str], ModuleSpec] = {}  # (escaped path, escaped version)
        self._paths: dict[str, str] = {}  # escaped path -> path
        self._overrides: list[tuple[Matcher, Response | Handler]] = []
        self._release = threading.Event()
        self._ssl_context = ssl_context
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[str] = []
        self.add(*modules)

    # ----------------------------------------------------------------- setup
    def add(self, *specs: ModuleSpec) -> None:
        with self._lock:
            for spec in specs:
                ep = escape_path(spec.path)
                self._paths[ep] = spec.path
                self._modules[(ep, escape_version(spec.version))] = spec

    def override(self, match: Matcher, answer: Response | Handler) -> None:
        """Answer requests matching ``match`` with ``answer`` (later overrides win)."""
        with self._lock:
            self._overrides.append((match, answer))

    def clear_overrides(self) -> None:
        with self._lock:
            self._overrides.clear()

    @property
    def url(self) -> str:
        assert self._server is not None, "proxy not started"
        scheme = "https" if self._ssl_context else "http"
        host, port = self._server.server_address[:2]
        return f"{scheme}://{host!s}:{port}"

    def module_url(self, path: str, suffix: str) -> str:
        """The request path of a module file, e.g. ``module_url(p, "@v/v1.0.0.zip")``."""
        return f"/{escape_path(path)}/{suffix}"

    # ----------------------------------------------------------------- serving
    def default_response(self, path: str) -> Response | None:
        """What the proxy serves for ``path`` without overrides (``None``: 404)."""
        m = re.fullmatch(r"/(.+?)/(@v/list|@latest|@v/(.+)\.(info|mod|zip))", path)
        if m is None:
            return None
        ep = m.group(1)
        with self._lock:
            if ep not in self._paths:
                return None
            specs = [s for (p, _), s in self._modules.items() if p == ep]
            spec = self._modules.get((ep, m.group(3) or ""))
        if m.group(2) == "@v/list":
            body = "".join(f"{s.version}\n" for s in specs if s.listed)
            return Response(body=body.encode(), content_type="text/plain; charset=utf-8")
        if m.group(2) == "@latest":
            # proxy.golang.org answers with the latest release; we take the newest.
            best = max(specs, key=lambda s: s.info_time)
            return Response(body=best.info_bytes(), content_type="application/json")
        if spec is None:
            return None
        kind = m.group(4)
        if kind == "info":
            return Response(body=spec.info_bytes(), content_type="application/json")
        if kind == "mod":
            return Response(body=spec.mod_bytes(), content_type="text/plain; charset=utf-8")
        return Response(body=spec.zip_bytes(), content_type="application/zip")

    def respond(self, path: str) -> Response:
        default = self.default_response(path)
        with self._lock:
            overrides = list(self._overrides)
        for match, answer in reversed(overrides):
            if match == path if isinstance(match, str) else match(path):
                got = answer if isinstance(answer, Response) else answer(path, default)
                if got is not None:
                    return got
        return default if default is not None else _not_found(path)

    def _log(self, path: str) -> None:
        with self._seen:
            self.requests.append(path)
            self._seen.notify_all()

    def wait_for_request(self, match: Matcher, timeout: float = 10.0) -> bool:
        """Wait until a request matching ``match`` has been logged."""

        def seen() -> bool:
            return any((r == match if isinstance(match, str) else match(r)) for r in self.requests)

        with self._seen:
            return self._seen.wait_for(seen, timeout)

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> GoProxy:
        proxy = self

        class _Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                proxy._log(path)
                proxy._serve(self, proxy.respond(path))

            def finish(self) -> None:
                with contextlib.suppress(OSError):
                    super().finish()

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        if self._ssl_context is not None:
            server.socket = self._ssl_context.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._release.clear()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> GoProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, h: http.server.BaseHTTPRequestHandler, r: Response) -> None:
        try:
            if r.delay and self._release.wait(r.delay):
                return
            if r.hang:
                self._release.wait()
                h.close_connection = True
                return
            if r.reset:
                h.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                h.connection.close()
                h.close_connection = True
                return
            h.send_response(r.status)
            h.send_header("Content-Type", r.content_type)
            h.send_header("Content-Length", str(len(r.body)))
            for k, v in r.headers.items():
                h.send_header(k, v)
            h.end_headers()
            limit = len(r.body)
            for cut in (r.truncate_at, r.hang_after):
                if cut is not None:
                    limit = min(limit, cut)
            sent = 0
            while sent < limit:
                n = min(r.chunk_size, limit - sent)
                h.wfile.write(r.body[sent : sent + n])
                h.wfile.flush()
                sent += n
                if r.chunk_delay and sent < limit and self._release.wait(r.chunk_delay):
                    return
            if r.hang_after is not None and r.hang_after < len(r.body):
                self._release.wait()
            if limit < len(r.body):
                h.close_connection = True
        except OSError:
            h.close_connection = True


def refused_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------- caches


def make_writable_and_remove(path: str | os.PathLike[str]) -> None:
    """Remove a tree even if go made parts of it read-only (as modfetch.RemoveAll)."""
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        return
    if p.is_dir() and not p.is_symlink():
        for root, dirs, _files in os.walk(p):
            for d in dirs:
                full = os.path.join(root, d)
                if not os.path.islink(full):
                    os.chmod(full, 0o755)
        os.chmod(p, 0o755)
        shutil.rmtree(p)
    else:
        p.unlink()


@dataclass
class CacheFixture:
    """A real workspace and module cache, written by go from a :class:`GoProxy`.

    ``env`` is the go environment for it, with ``GOPROXY=off`` (use
    :meth:`env_with` to point it at a live proxy). ``downloads`` are the JSON
    objects ``go mod download -json`` printed (Path, Version, Info, GoMod, Zip,
    Dir, Sum, GoModSum).
    """

    root: Path
    workspace: Path
    gomodcache: Path
    env: dict[str, str]
    modules: list[ModuleSpec]
    downloads: list[dict[str, Any]]

    @property
    def go_sum(self) -> Path:
        return self.workspace / "go.sum"

    def env_with(self, **extra: str) -> dict[str, str]:
        return {**self.env, **extra}

    def download(self, path: str, version: str) -> dict[str, Any]:
        for d in self.downloads:
            if d["Path"] == path and d["Version"] == version:
                return d
        raise KeyError(f"{path}@{version}")


def write_workspace(
    workspace: Path,
    modules: Iterable[ModuleSpec],
    requires: Iterable[tuple[str, str]],
    module_path: str = "example.com/workspace",
) -> None:
    """go.mod requiring ``requires`` and a ``deps.go`` importing their packages.

    The workspace is a library package (``package workspace``), not a command:
    ``go build ./...`` then type-checks every import without compiling and linking
    the runtime (0.1 s instead of ~9 s with a cold GOCACHE).
    """
    by_key = {(m.path, m.version): m for m in modules}
    reqs = list(requires)
    workspace.mkdir(parents=True, exist_ok=True)
    lines = [f"module {module_path}", "", "go 1.21", ""]
    if reqs:
        lines += ["require (", *(f"\t{p} {v}" for p, v in reqs), ")", ""]
    (workspace / "go.mod").write_text("\n".join(lines))
    imports = sorted({pkg for key in reqs if key in by_key for pkg in by_key[key].packages()})
    body = "package workspace\n\n"
    if imports:
        body += "import (\n" + "".join(f'\t_ "{i}"\n' for i in imports) + ")\n\n"
    (workspace / "deps.go").write_text(body)


def parse_json_stream(text: str) -> list[dict[str, Any]]:
    dec = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


_ROOT_NAMES = ("work", "goenv")


def _build(root: Path, modules: list[ModuleSpec], requires: list[tuple[str, str]]) -> None:
    write_workspace(root / "work", modules, requires)
    with GoProxy(modules) as proxy:
        env = isolated_env(root / "goenv", GOPROXY=proxy.url)
        res = run_go(["mod", "download", "-json", "all"], root / "work", env)
        if res.returncode != 0:
            raise RuntimeError(f"go mod download failed:\n{res.stdout}\n{res.stderr}")
        (root / "downloads.json").write_text(res.stdout)


def copy_tree(src: Path, dst: Path) -> None:
    """Copy a tree go wrote (read-only dirs included), keeping symlinks."""
    shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns("gocache"))


_built: dict[str, Path] = {}
_built_lock = threading.Lock()


def build_cache(
    dest: Path,
    modules: Iterable[ModuleSpec],
    workspace_requires: Iterable[tuple[str, str]] | None = None,
    *,
    store: Path | None = None,
) -> CacheFixture:
    """A real workspace + GOMODCACHE under ``dest`` (created), written by go.

    ``workspace_requires`` defaults to every module given. ``store`` is a directory
    where builds are memoized (the ``cache_store`` fixture passes a session one):
    the same modules and requirements are built by go once, then copied.
    """
    mods = list(modules)
    reqs = (
        [(m.path, m.version) for m in mods]
        if workspace_requires is None
        else list(workspace_requires)
    )
    key = hashlib.sha256(
        json.dumps([sorted(m.fingerprint() for m in mods), reqs]).encode()
    ).hexdigest()[:20]
    if store is None:
        _build(dest, mods, reqs)
    else:
        with _built_lock:
            built = store / key
            if key not in _built or not built.exists():
                if built.exists():
                    make_writable_and_remove(built)
                _build(built, mods, reqs)
                _built[key] = built
        dest.mkdir(parents=True, exist_ok=True)
        for name in _ROOT_NAMES:
            copy_tree(built / name, dest / name)
        text = (built / "downloads.json").read_text()
        (dest / "downloads.json").write_text(
            text.replace(json.dumps(str(built))[1:-1], json.dumps(str(dest))[1:-1])
        )
    env = isolated_env(dest / "goenv")
    return CacheFixture(
        root=dest,
        workspace=dest / "work",
        gomodcache=Path(env["GOMODCACHE"]),
        env=env,
        modules=mods,
        downloads=parse_json_stream((dest / "downloads.json").read_text()),
    )


def download_every_version(fx: CacheFixture, modules: Iterable[ModuleSpec]) -> CacheFixture:
    """Put every version of ``modules`` into ``fx``'s module cache (.info, .mod and zip),
    as ``go mod download M@V`` does from a proxy serving them; ``fx`` itself."""
    mods = list(modules)
    with GoProxy(mods) as proxy:
        args = [f"{m.path}@{m.version}" for m in mods]
        res = run_go(["mod", "download", *args], fx.root, fx.env_with(GOPROXY=proxy.url))
        if res.returncode != 0:
            raise RuntimeError(f"go mod download failed:\n{res.stderr}")
    return fx


def wait_until(cond: Callable[[], bool], timeout: float = 10.0, step: float = 0.02) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


__all__ = [
    "DEFAULT_TIME",
    "SAMPLE_REQUIRES",
    "CacheFixture",
    "GoProxy",
    "ModuleSpec",
    "Response",
    "build_cache",
    "copy_tree",
    "download_every_version",
    "is_pseudo_version",
    "make_writable_and_remove",
    "parse_json_stream",
    "refused_url",
    "sample_modules",
    "wait_until",
    "write_workspace",
]


def sample_modules() -> list[ModuleSpec]:
    """A varied set of modules: upper-case paths and versions (``!``-escaped in the
    cache), ``+incompatible``, pseudo-versions, a ``/v2`` module, nested packages,
    a module requiring another, non-ASCII and spaced file names, empty and binary
    files, and a file large enough to be inflated in several pieces."""
    big = b"".join(b"// line %d of a large generated file\n" % i for i in range(60_000))
    return [
        ModuleSpec(
            "example.com/alpha",
            "v1.0.0",
            {
                "alpha.go": b"package alpha\n\nfunc A() int { return 1 }\n",
                "LICENSE": b"BSD\n",
                "empty.txt": b"",
                "data/blob.bin": bytes(range(256)) * 64,
                "données.txt": "é\n".encode(),
                "with space.txt": b"space\n",
                "sub/deep/deep.go": b"package deep\n",
                "cmd/tool/main.go": b"package main\n\nfunc main() {}\n",
            },
        ),
        ModuleSpec(
            "github.com/Upper/Case",
            "v2.1.0+incompatible",
            {"case.go": b"package Case\n", "README": b"legacy module, no go.mod\n"},
        ),
        ModuleSpec(
            "example.com/pseudo",
            "v0.0.0-20240102030405-abcdefabcdef",
            {"p.go": b"package pseudo\n", "sub/s.go": b"package sub\n"},
        ),
        ModuleSpec(
            "example.com/Mixed/Big",
            "v1.3.0-RC1",
            {"big.go": b"package big\n", "big.txt": big},
        ),
        ModuleSpec(
            "example.com/two/v2",
            "v2.0.1",
            {
                "go.mod": b"module example.com/two/v2\n\ngo 1.21\n\nrequire example.com/dep v1.1.0\n",
                "two.go": b'package two\n\nimport _ "example.com/dep"\n',
            },
        ),
        ModuleSpec("example.com/dep", "v1.1.0", {"dep.go": b"package dep\n"}),
    ]


SAMPLE_REQUIRES = [
    ("example.com/alpha", "v1.0.0"),
    ("github.com/Upper/Case", "v2.1.0+incompatible"),
    ("example.com/pseudo", "v0.0.0-20240102030405-abcdefabcdef"),
    ("example.com/Mixed/Big", "v1.3.0-RC1"),
    ("example.com/two/v2", "v2.0.1"),
]

# The sample workspace's go.mod, as tidy as go wants it (go build -mod=readonly passes):
# build_cache writes the requirements unsorted and without the indirect example.com/dep.
SAMPLE_TIDY_GO_MOD = """module example.com/workspace

go 1.21

require (
\texample.com/Mixed/Big v1.3.0-RC1
\texample.com/alpha v1.0.0
\texample.com/pseudo v0.0.0-20240102030405-abcdefabcdef
\texample.com/two/v2 v2.0.1
\tgithub.com/Upper/Case v2.1.0+incompatible
)

require example.com/dep v1.1.0 // indirect
"""
