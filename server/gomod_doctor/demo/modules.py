"""Go modules defined in Python, written as a GOPROXY directory and a module cache.

Everything here writes what the go command itself would write, byte for byte, so
that the demo needs neither the network nor a go toolchain:

* :func:`write_proxy` lays out a GOPROXY served by the filesystem (go accepts
  ``GOPROXY=file:///dir``): ``<escaped path>/@v/list`` and
  ``<escaped path>/@v/<escaped version>.{info,mod,zip}``.
* :func:`write_cache` puts one module version into a module cache as
  ``go mod download`` leaves it after fetching from that proxy (cmd/go
  modfetch): ``cache/download/<escaped path>/@v/<escaped version>.{info,mod,zip,
  ziphash,lock}`` plus the ``list`` of versions with a ``.mod``, and the extracted
  directory ``<escaped path>@<escaped version>`` with read-only files (0444) and
  directories (``mode &^ 0222``), as modzip.Unzip and makeDirsReadOnly leave them.

Module zips follow golang.org/x/mod/zip: one entry per regular file, named
``<path>@<version>/<file>``, no directory entries, the module's go.mod at the
root. ``.info`` is go's ``json.Marshal`` of the RevInfo (compact, no newline),
``.ziphash`` the zip's ``h1:`` hash without a newline. Hashes come from
:mod:`gomod_doctor.cache.hashing`, so go.sum lines are what go would record.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gomod_doctor.cache import hashing, layout
from gomod_doctor.module import semver
from gomod_doctor.module.escape import escape_path, escape_version, unescape_version

__all__ = [
    "Module",
    "file_url",
    "make_writable",
    "rewrite_list",
    "write_cache",
    "write_download_files",
    "write_extracted",
    "write_proxy",
]

DEFAULT_TIME = "2024-01-02T03:04:05Z"
#: The zip entries' modification time (go's module zips carry no meaningful one).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Module:
    """One module version: its files (relative to the module root) and its info time.

    A ``go.mod`` declaring the module is added unless ``files`` has one.
    """

    path: str
    version: str
    files: dict[str, str] = field(default_factory=dict)
    time: str = DEFAULT_TIME

    def __post_init__(self) -> None:
        if "go.mod" not in self.files:
            files = {"go.mod": f"module {self.path}\n\ngo 1.21\n", **self.files}
            object.__setattr__(self, "files", files)

    @property
    def prefix(self) -> str:
        """The directory of the module inside its zip, and ``hash_dir``'s prefix."""
        return f"{self.path}@{self.version}"

    @property
    def go_mod(self) -> bytes:
        return self.files["go.mod"].encode()

    def info_bytes(self) -> bytes:
        # go's json.Marshal of modfetch.RevInfo: compact, no trailing newline.
        return json.dumps(
            {"Version": self.version, "Time": self.time}, separators=(",", ":")
        ).encode()

    def zip_bytes(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name in sorted(self.files):
                info = zipfile.ZipInfo(f"{self.prefix}/{name}", date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, self.files[name].encode())
        return buf.getvalue()

    def h1(self) -> str:
        """The go.sum hash of the module's zip (dirhash.HashZip)."""
        return hashing.hash1(
            (f"{self.prefix}/{name}", _sha256(data.encode())) for name, data in self.files.items()
        )

    def gomod_h1(self) -> str:
        """The go.sum hash of its go.mod (the ``/go.mod`` line)."""
        return hashing.hash_gomod(self.go_mod)

    def sum_lines(self) -> list[str]:
        """The two go.sum lines go records for the module."""
        return [
            f"{self.path} {self.version} {self.h1()}",
            f"{self.path} {self.version}/go.mod {self.gomod_h1()}",
        ]


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def file_url(path: str | os.PathLike[str]) -> str:
    """The ``file://`` URL of an absolute directory, as GOPROXY takes it."""
    return Path(os.path.abspath(path)).as_uri()


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def _versions_file(versions: Iterable[str]) -> bytes:
    return "".join(v + "\n" for v in semver.sort_versions(sorted(set(versions)))).encode()


# --------------------------------------------------------------------------- proxy


def write_proxy(root: str | os.PathLike[str], modules: Iterable[Module]) -> str:
    """Write ``modules`` as a GOPROXY directory under ``root``; returns its URL."""
    root = os.path.abspath(root)
    by_path: dict[str, list[Module]] = {}
    for m in modules:
        by_path.setdefault(m.path, []).append(m)
    for path, mods in by_path.items():
        d = os.path.join(root, escape_path(path), "@v")
        os.makedirs(d, exist_ok=True)
        for m in mods:
            base = os.path.join(d, escape_version(m.version))
            _write(base + ".info", m.info_bytes())
            _write(base + ".mod", m.go_mod)
            _write(base + ".zip", m.zip_bytes())
        _write(os.path.join(d, "list"), _versions_file(m.version for m in mods))
    return file_url(root)


# --------------------------------------------------------------------------- cache


def rewrite_list(gomodcache: str | os.PathLike[str], path: str) -> None:
    """Rewrite ``@v/list`` as go's rewriteVersionList: the versions with a ``.mod``."""
    d = layout.download_dir(gomodcache, path)
    versions: list[str] = []
    for name in os.listdir(d):
        if name.endswith(".mod"):
            versions.append(unescape_version(name[: -len(".mod")]))
    _write(os.path.join(d, "list"), _versions_file(versions))


def write_download_files(
    gomodcache: str | os.PathLike[str],
    m: Module,
    *,
    zip: bool = True,
) -> layout.ModuleFiles:
    """The download-cache files of ``m``: ``.info``, ``.mod``, ``.lock``, and (with
    ``zip``) ``.zip`` and ``.ziphash``; then the ``list``."""
    files = layout.module_files(gomodcache, m.path, m.version)
    os.makedirs(files.download_dir, exist_ok=True)
    _write(files.lock, b"")
    _write(files.info, m.info_bytes())
    _write(files.mod, m.go_mod)
    if zip:
        _write(files.zip, m.zip_bytes())
        _write(files.ziphash, hashing.hash_zip(files.zip).encode())
    rewrite_list(gomodcache, m.path)
    return files


def write_extracted(
    gomodcache: str | os.PathLike[str],
    m: Module,
    *,
    only: Iterable[str] | None = None,
    read_only: bool = True,
) -> str:
    """Extract ``m`` into its directory in the cache, as modzip.Unzip does (files
    0444); then, with ``read_only``, make the directories read-only as go's
    makeDirsReadOnly does. ``only`` extracts just those files (an interruption)."""
    d = layout.extracted_dir(gomodcache, m.path, m.version)
    names = sorted(m.files) if only is None else list(only)
    os.makedirs(d, exist_ok=True)
    for name in names:
        dst = os.path.join(d, *name.split("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        with os.fdopen(fd, "wb") as f:
            f.write(m.files[name].encode())
    if read_only:
        for cur, _dirs, _files in os.walk(d):
            mode = stat.S_IMODE(os.lstat(cur).st_mode)
            os.chmod(cur, mode & ~0o222)
    return d


def write_cache(gomodcache: str | os.PathLike[str], m: Module) -> layout.ModuleFiles:
    """Put ``m`` into the module cache exactly as ``go mod download`` leaves it."""
    files = write_download_files(gomodcache, m)
    write_extracted(gomodcache, m)
    return files


def make_writable(root: str | os.PathLike[str]) -> None:
    """Give back the owner's write permission on every directory under ``root`` (so
    that it can be removed); files keep their modes."""
    root = os.fspath(root)
    if not os.path.isdir(root) or os.path.islink(root):
        return
    for cur, _dirs, _files in os.walk(root):  # top-down: a dir is fixed before its children
        with contextlib.suppress(OSError):
            os.chmod(cur, stat.S_IMODE(os.lstat(cur).st_mode) | stat.S_IWUSR | stat.S_IXUSR)
