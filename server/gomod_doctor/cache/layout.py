"""Where the go command keeps a module version inside GOMODCACHE (cmd/go modfetch).

For module ``path`` at ``version`` (both ``!``-escaped on disk, see
:mod:`gomod_doctor.module.escape`)::

    GOMODCACHE/cache/download/<path>/@v/             the download dir
        list                                         versions with a .mod here
        <version>.info  .mod  .zip  .ziphash         what was downloaded
        <version>.lock                               the per-version lock (persists)
        <version>.partial                            present while extracting
    GOMODCACHE/<path>@<version>/                     the extracted, read-only tree

Note the names: go's ``modfetch.DownloadDir`` is the *extracted* directory; here
that is :attr:`ModuleFiles.extracted_dir`, and ``download_dir`` is the ``@v``
directory of the download cache.

What an interrupted go leaves behind (see fetch.go and cache.go):

* ``<version>.zip<random>.tmp`` (also ``.info``/``.mod``): go writes each file
  to ``tempFile(dir, base)`` — ``base + strconv.Itoa(rand.Intn(1e9)) + ".tmp"`` —
  and renames it into place once complete (a zip only after its hash is checked).
  A go process killed mid-download leaves the temp file; the next download of that
  version removes ``<version>.zip*.tmp`` under the lock.
* ``<version>.partial``: created before extraction into the final directory and
  removed once it is complete; while it exists the directory counts as absent.
* ``<path>@<version>.tmp-<random>`` directories beside the extracted dir: left by
  go before 1.16, which extracted into such a temp dir and renamed it; the next
  extraction removes them.

:func:`extracted_state` mirrors ``modfetch.DownloadDir``: an extracted directory is
usable only if it is a directory, no ``.partial`` exists, and the ``.ziphash`` does.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gomod_doctor.module import semver
from gomod_doctor.module.escape import (
    escape_path,
    escape_version,
    unescape_path,
    unescape_version,
)
from gomod_doctor.module.goquote import go_quote
from gomod_doctor.module.paths import canonical_version

__all__ = [
    "CacheOwners",
    "CachePathError",
    "ExtractedModule",
    "ExtractedState",
    "Leftover",
    "ModuleFiles",
    "cache_path",
    "download_dir",
    "extracted_dir",
    "extracted_state",
    "find_leftovers",
    "iter_extracted",
    "leftovers",
    "module_files",
    "scan_sorted",
    "walk_download",
    "walk_extracted",
]


class CachePathError(ValueError):
    """The module version has no place in the cache (go's CachePath errors)."""


def _check_version(version: str) -> None:
    # gover.ModIsValid is semver.IsValid for every module except the toolchain.
    if not semver.is_valid(version):
        raise CachePathError(f"non-semver module version {go_quote(version)}")
    if canonical_version(version) != version:
        raise CachePathError(f"non-canonical module version {go_quote(version)}")


def download_dir(gomodcache: str | os.PathLike[str], path: str) -> str:
    """``GOMODCACHE/cache/download/<escaped path>/@v`` (modfetch ``cacheDir``)."""
    return os.path.join(os.fspath(gomodcache), "cache", "download", escape_path(path), "@v")


def cache_path(gomodcache: str | os.PathLike[str], path: str, version: str, suffix: str) -> str:
    """``<download dir>/<escaped version>.<suffix>`` (modfetch ``CachePath``).

    Raises ``ValueError`` for an invalid path, or a non-semver or non-canonical
    version (as go does).
    """
    d = download_dir(gomodcache, path)
    _check_version(version)
    return os.path.join(d, f"{escape_version(version)}.{suffix}")


def extracted_dir(gomodcache: str | os.PathLike[str], path: str, version: str) -> str:
    """``GOMODCACHE/<escaped path>@<escaped version>`` (go's ``DownloadDir``)."""
    return _extracted_dir(os.fspath(gomodcache), path, version)


@functools.lru_cache(maxsize=8192)
def _extracted_dir(gomodcache: str, path: str, version: str) -> str:
    enc = escape_path(path)
    _check_version(version)
    return os.path.join(os.fspath(gomodcache), f"{enc}@{escape_version(version)}")


@dataclass(frozen=True)
class ModuleFiles:
    """Every path the go command uses for one module version."""

    gomodcache: str
    path: str
    version: str
    download_dir: str
    list: str
    info: str
    mod: str
    zip: str
    ziphash: str
    lock: str
    partial: str
    extracted_dir: str

    @property
    def prefix(self) -> str:
        """The file-name prefix inside the zip and in ``hash_dir``: ``path@version``."""
        return f"{self.path}@{self.version}"


def module_files(gomodcache: str | os.PathLike[str], path: str, version: str) -> ModuleFiles:
    """The go command's paths for ``path@version`` under ``gomodcache``."""
    return _module_files(os.fspath(gomodcache), path, version)


@functools.lru_cache(maxsize=8192)  # pure, and asked for on every pass of the server
def _module_files(gomodcache: str, path: str, version: str) -> ModuleFiles:
    d = download_dir(gomodcache, path)
    _check_version(version)
    base = os.path.join(d, escape_version(version))
    return ModuleFiles(
        gomodcache=os.fspath(gomodcache),
        path=path,
        version=version,
        download_dir=d,
        list=os.path.join(d, "list"),
        info=base + ".info",
        mod=base + ".mod",
        zip=base + ".zip",
        ziphash=base + ".ziphash",
        lock=base + ".lock",
        partial=base + ".partial",
        extracted_dir=extracted_dir(gomodcache, path, version),
    )


# --------------------------------------------------------------------------- ownership


@dataclass
class CacheOwners:
    """Which of some module versions a path under the module cache belongs to (for
    a watcher: which versions a change on disk concerns)."""

    extracted: dict[Path, tuple[str, str]] = field(default_factory=dict)
    downloads: dict[Path, set[tuple[str, str]]] = field(default_factory=dict)
    partial: dict[tuple[str, str], Path] = field(default_factory=dict)  # the .partial marker

    def add(self, gomodcache: str | os.PathLike[str], path: str, version: str) -> ModuleFiles:
        """Own ``path@version``'s entries; :class:`CachePathError` for a bad one."""
        files = module_files(gomodcache, path, version)
        key = (path, version)
        self.extracted[Path(files.extracted_dir)] = key
        self.downloads.setdefault(Path(files.download_dir), set()).add(key)
        self.partial[key] = Path(files.partial)
        return files

    def keys_for(self, path: Path) -> set[tuple[str, str]] | None:
        """The module versions a change at ``path`` concerns: ``None`` when ``path``
        is none of their entries, empty when the change is to be ignored (go is
        extracting the version: its ``.partial`` marker exists)."""
        if path.parent in self.downloads:
            return set(self.downloads[path.parent])
        if path in self.downloads:
            return set(self.downloads[path])
        for p in (path, *path.parents):
            key = self.extracted.get(p)
            if key is not None:
                marker = self.partial.get(key)
                if p != path and marker is not None and marker.exists():
                    return set()  # go is extracting it: wait for the .partial to go
                return {key}
        return None


# --------------------------------------------------------------------------- state

ExtractedStatus = Literal["absent", "complete", "partial"]


@dataclass(frozen=True)
class ExtractedState:
    """Whether go would use the extracted directory (``modfetch.DownloadDir``).

    ``status`` is ``absent`` (no directory), ``complete``, or ``partial`` (go treats
    it as absent and re-extracts); ``reason`` is go's wording for ``partial``.
    """

    dir: str
    status: ExtractedStatus
    reason: str = ""


def extracted_state(gomodcache: str | os.PathLike[str], path: str, version: str) -> ExtractedState:
    files = module_files(gomodcache, path, version)
    d = files.extracted_dir
    try:
        st = os.stat(d)
    except FileNotFoundError:
        return ExtractedState(d, "absent")
    except OSError as e:
        return ExtractedState(d, "partial", str(e))
    if not stat.S_ISDIR(st.st_mode):
        return ExtractedState(d, "partial", "not a directory")
    if os.path.lexists(files.partial):
        return ExtractedState(d, "partial", "not completely extracted")
    if not os.path.exists(files.ziphash):
        return ExtractedState(d, "partial", "ziphash file is missing")
    return ExtractedState(d, "complete")


# --------------------------------------------------------------------------- leftovers

LeftoverKind = Literal["tmp", "partial", "tmp-dir"]

# tempFile names: base (e.g. "v1.2.3.zip") + decimal random + ".tmp". The version
# part is greedy so that a version that itself ends in ".zip" still parses.
_TMP_FILE = re.compile(r"^(?P<ver>.+)\.(?P<kind>zip|info|mod)(?P<rand>[0-9]+)\.tmp$")
_PARTIAL = re.compile(r"^(?P<ver>.+)\.partial$")
_TMP_DIR = re.compile(r"^(?P<base>[^@]+)@(?P<ver>.+)\.tmp-[0-9]+$")


@dataclass(frozen=True)
class Leftover:
    """A file or directory an interrupted go command left in the cache.

    ``kind`` is ``tmp`` (a half-written ``.zip``/``.info``/``.mod``; ``of`` says
    which), ``partial`` (a ``.partial`` marker; ``dir`` is the extracted dir it
    marks, which may or may not exist), or ``tmp-dir`` (a pre-1.16 extraction dir).
    ``path``/``version`` are ``None`` if the escaped names do not decode.
    """

    kind: LeftoverKind
    file: str
    path: str | None
    version: str | None
    of: str = ""
    dir: str = ""


def _unescape(esc_path: str, esc_version: str) -> tuple[str | None, str | None]:
    try:
        p: str | None = unescape_path(esc_path)
    except ValueError:
        p = None
    try:
        v: str | None = unescape_version(esc_version)
    except ValueError:
        v = None
    return p, v


def _classify_download_file(
    gomodcache: str, esc_path: str, at_v: str, name: str
) -> Leftover | None:
    full = os.path.join(at_v, name)
    m = _TMP_FILE.match(name)
    if m:
        p, v = _unescape(esc_path, m["ver"])
        return Leftover("tmp", full, p, v, of=m["kind"])
    m = _PARTIAL.match(name)
    if m:
        p, v = _unescape(esc_path, m["ver"])
        d = os.path.join(gomodcache, f"{esc_path}@{m['ver']}")
        return Leftover("partial", full, p, v, dir=d)
    return None


def leftovers(gomodcache: str | os.PathLike[str], path: str, version: str) -> list[Leftover]:
    """What interrupted go commands left behind for ``path@version``."""
    files = module_files(gomodcache, path, version)
    cache = os.fspath(gomodcache)
    esc_path = escape_path(path)
    esc_ver = escape_version(version)
    found: list[Leftover] = []
    try:
        names = sorted(os.listdir(files.download_dir))
    except (FileNotFoundError, NotADirectoryError):
        names = []
    for name in names:
        if not name.startswith(esc_ver + "."):
            continue
        left = _classify_download_file(cache, esc_path, files.download_dir, name)
        if left is not None and left.version == version:
            found.append(left)
    parent, base = os.path.split(files.extracted_dir)
    try:
        siblings = sorted(os.listdir(parent))
    except (FileNotFoundError, NotADirectoryError):
        siblings = []
    for name in siblings:
        if name.startswith(base + ".tmp-") and _TMP_DIR.match(name):
            found.append(Leftover("tmp-dir", os.path.join(parent, name), path, version))
    return found


def scan_sorted(path: str) -> list[os.DirEntry[str]]:
    """The entries of directory ``path`` in name order (none when it cannot be listed)."""
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def walk_download(
    gomodcache: str, notes: list[str] | None = None
) -> Iterator[tuple[str, str, list[os.DirEntry[str]]]]:
    """(escaped module path, its ``@v`` directory, that directory's entries in name
    order) of every module under ``cache/download`` (``sumdb`` holds checksum
    database tiles, not modules), depth first in name order; does not descend into
    an ``@v`` directory, nor into symbolic links (each noted in ``notes`` when given).
    A directory that cannot be listed is passed over."""
    stack = [("", os.path.join(gomodcache, "cache", "download"), False)]
    while stack:
        rel, full, at_v = stack.pop()
        entries = scan_sorted(full)
        if at_v:
            yield rel, full, entries
            continue
        for e in reversed(entries):
            if not rel and e.name == "sumdb":
                continue
            if e.is_symlink():
                if notes is not None:
                    notes.append(f"skipped symbolic link {e.path}")
                continue
            if not e.is_dir(follow_symlinks=False):
                continue
            if e.name == "@v":
                if rel:
                    stack.append((rel, e.path, True))
                continue
            stack.append((f"{rel}/{e.name}" if rel else e.name, e.path, False))


def _is_dir(e: os.DirEntry[str]) -> bool:
    """Whether ``e`` is a directory, symbolic links followed (as ``os.walk`` sorts)."""
    try:
        return e.is_dir()
    except OSError:
        return False


def walk_extracted(
    gomodcache: str, notes: list[str] | None = None
) -> Iterator[tuple[str, str, str]]:
    """(escaped path, escaped-version part, full path) of every ``x@y`` entry
    outside ``cache/``, in name order; does not descend into them, nor into
    symbolic links (each noted in ``notes`` when given). A directory that cannot
    be listed is passed over."""
    stack = [("", gomodcache)]
    while stack:
        rel, full = stack.pop()
        entries = scan_sorted(full)
        for e in reversed(entries):
            if not rel and e.name == "cache":
                continue
            if "@" in e.name:
                base, _, ver = e.name.partition("@")
                yield (f"{rel}/{base}" if rel else base), ver, e.path
            elif notes is not None and e.is_symlink():
                notes.append(f"skipped symbolic link {e.path}")
            elif e.is_dir(follow_symlinks=False):
                stack.append((f"{rel}/{e.name}" if rel else e.name, e.path))


@dataclass(frozen=True)
class ExtractedModule:
    """An extracted module directory found in the cache (``path@version``)."""

    path: str
    version: str
    dir: str


def iter_extracted(gomodcache: str | os.PathLike[str]) -> Iterator[ExtractedModule]:
    """Every extracted module directory, in name order; old temp dirs and names
    that do not decode are skipped. Module trees are not descended into."""
    for esc_path, esc_ver, full in walk_extracted(os.fspath(gomodcache)):
        if _TMP_DIR.match(os.path.basename(full)):
            continue
        p, v = _unescape(esc_path, esc_ver)
        if p is not None and v is not None and os.path.isdir(full):
            yield ExtractedModule(p, v, full)


def find_leftovers(gomodcache: str | os.PathLike[str]) -> list[Leftover]:
    """Every leftover of an interrupted download or extraction in the cache."""
    cache = os.fspath(gomodcache)
    found: list[Leftover] = []
    for esc_path, at_v, entries in walk_download(cache):
        for e in entries:
            if not _is_dir(e):
                left = _classify_download_file(cache, esc_path, at_v, e.name)
                if left is not None:
                    found.append(left)
    for esc_path, _esc_ver, full in walk_extracted(cache):
        m = _TMP_DIR.match(os.path.basename(full))
        if m:
            p, v = _unescape(esc_path, m["ver"])
            found.append(Leftover("tmp-dir", full, p, v))
    return found


def modcache_problem(gomodcache: str) -> str | None:
    """go's words when ``gomodcache`` (``go env GOMODCACHE``) cannot be used as the module
    cache (modfetch ``checkCacheDir``), else None. A directory that does not exist yet
    is fine: go creates it."""
    if not gomodcache:
        return "module cache not found: neither GOMODCACHE nor GOPATH is set"
    if not os.path.isabs(gomodcache):
        return f'GOMODCACHE entry is relative; must be absolute path: "{gomodcache}".'
    try:
        st = os.stat(gomodcache)
    except FileNotFoundError:
        return None
    except OSError as e:
        # Go's *PathError text: "stat <path>: <errno text in lower case>"
        why = (e.strerror or str(e)).lower()
        return f"could not create module cache: stat {gomodcache}: {why}"
    if not stat.S_ISDIR(st.st_mode):
        return f'could not create module cache: "{gomodcache}" is not a directory'
    return None
