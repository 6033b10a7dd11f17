"""Quick inspection of module versions in the module cache: stats and small files.

:func:`inspect` (one module version) and :func:`inspect_many` (many, fast) report
what is on disk for ``path@version`` without hashing anything large: which of the
download files exist (``.info .mod .zip .ziphash .lock .partial``, with size and
mtime), whether go would use the extracted directory
(:func:`~gomod_doctor.cache.layout.extracted_state`), the leftovers of interrupted
go commands (:func:`~gomod_doctor.cache.layout.leftovers`), the ``.ziphash``
content, the ``h1:`` hash of the cached ``.mod`` (it is small), the parsed
``.info`` and the ``go`` version the cached ``.mod`` declares.

Nothing here raises on a bad cache: unreadable files and directories become
go-style messages in :attr:`ModuleState.errors` (``open <path>: permission
denied``), undecodable ``.info`` files a message in :attr:`ModuleState.info_error`.

:func:`inspect_many` lists each ``@v`` directory and each parent of extracted
directories once (``os.scandir``), then stats only the files that exist, so that a
few hundred modules take milliseconds. Verifying content (hashing zips and
extracted trees) is :mod:`gomod_doctor.cache.verify`'s job.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from gomod_doctor.cache import layout
from gomod_doctor.cache.hashing import ZipError, hash_gomod, hash_zip
from gomod_doctor.cache.layout import ExtractedState, Leftover
from gomod_doctor.cache.modstate import SUFFIXES, FileStat, InfoData, ModuleState, go_os_error
from gomod_doctor.cache.smallfacts import MISS, SmallFacts, ident_of
from gomod_doctor.module.escape import escape_path, escape_version

__all__ = [
    "SUFFIXES",
    "FileStat",
    "InfoData",
    "ModuleState",
    "go_os_error",
    "inspect",
    "inspect_many",
]

# Download files that are never leftovers (``.partial`` is classified: it is one).
_GO_SUFFIXES = frozenset(("info", "mod", "zip", "ziphash", "lock"))

# Files read whole: go.mod, .info and .ziphash are a few KB; anything beyond this
# is garbage that is reported rather than read into memory.
MAX_SMALL_FILE = 16 << 20

_GO_LINE = re.compile(rb"^[ \t]*go[ \t]+([^\s/]+|\"[^\"\n]*\")", re.M)


@dataclass
class _Listing:
    """One directory read once: entry name -> DirEntry, or the error reading it."""

    entries: dict[str, os.DirEntry[str]] | None
    error: OSError | None = None
    _sorted: list[str] | None = None

    def names(self, path: str) -> list[str]:
        """The entry names, sorted (listed again by name if scandir failed)."""
        if self._sorted is None:
            self._sorted = sorted(self.entries) if self.entries is not None else []
            if self.entries is None:
                self._sorted = _listdir_quiet(path)
        return self._sorted


def _list_dir(path: str) -> _Listing:
    try:
        with os.scandir(path) as it:
            return _Listing({e.name: e for e in it})
    except (FileNotFoundError, NotADirectoryError) as e:
        # Absent (or not a directory): nothing is in it. A non-directory in the way
        # is reported by the stats below, as go would hit it.
        return _Listing({} if isinstance(e, FileNotFoundError) else None, e)
    except OSError as e:
        return _Listing(None, e)


class _Lister:
    """Caches directory listings across the modules of one :func:`inspect_many`."""

    def __init__(self) -> None:
        self._cache: dict[str, _Listing] = {}

    def get(self, path: str) -> _Listing:
        got = self._cache.get(path)
        if got is None:
            got = self._cache[path] = _list_dir(path)
        return got


def _stat_entry(
    listing: _Listing, full: str, name: str, errors: list[str]
) -> os.stat_result | None:
    """os.Stat of ``full`` (a child named ``name`` of the listed directory): ``None``
    if it does not exist; other errors are recorded."""
    if listing.entries is not None:
        e = listing.entries.get(name)
        if e is None:
            return None
        try:
            return e.stat()
        except FileNotFoundError:
            return None  # a dangling symlink, or removed since listed
        except OSError as err:
            errors.append(go_os_error("stat", full, err))
            return None
    try:
        return os.stat(full)
    except FileNotFoundError:
        return None
    except OSError as err:
        if not isinstance(err, NotADirectoryError) or listing.error is None:
            errors.append(go_os_error("stat", full, err))
        return None


def _lexists(listing: _Listing, full: str, name: str) -> bool:
    if listing.entries is not None:
        return name in listing.entries
    return os.path.lexists(full)


def _read_small(path: str, st: os.stat_result, errors: list[str]) -> bytes | None:
    if not stat.S_ISREG(st.st_mode):
        errors.append(f"read {path}: not a regular file")
        return None
    if st.st_size > MAX_SMALL_FILE:
        errors.append(f"read {path}: file too large ({st.st_size} bytes)")
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        errors.append(go_os_error("open", path, e))
        return None
    try:
        # One read of what the stat promised (and a byte more): a short read of a
        # regular file is its end. Only a file that grew meanwhile reads on.
        first = os.read(fd, st.st_size + 1)
        if len(first) <= st.st_size:
            return first
        chunks = [first]
        total = len(first)
        while total <= MAX_SMALL_FILE:
            b = os.read(fd, 1 << 16)
            if not b:
                break
            chunks.append(b)
            total += len(b)
        if total > MAX_SMALL_FILE:
            errors.append(f"read {path}: file too large")
            return None
        return b"".join(chunks)
    except OSError as e:
        errors.append(go_os_error("read", path, e))
        return None
    finally:
        os.close(fd)


def _go_version(data: bytes) -> str | None:
    """The version of the first ``go`` directive (outside comments)."""
    m = _GO_LINE.search(data)
    if m is None:
        return None
    v = m.group(1).decode("utf-8", "replace")
    return v[1:-1] if v.startswith('"') else v


def _parse_info(data: bytes) -> tuple[InfoData | None, str | None]:
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as e:
        return None, f"invalid .info: {e}"
    if not isinstance(obj, dict):
        return None, f"invalid .info: a JSON {type(obj).__name__}, not an object"
    version, time, origin = obj.get("Version"), obj.get("Time"), obj.get("Origin")
    return (
        InfoData(
            version if isinstance(version, str) else None,
            time if isinstance(time, str) else None,
            origin if isinstance(origin, dict) else None,
        ),
        None,
    )


_T = TypeVar("_T")


def _small(
    store: SmallFacts | None,
    kind: str,
    path: str,
    st: os.stat_result,
    errors: list[str],
    derive: Callable[[bytes], _T],
) -> _T | None:
    """``derive`` of the small file at ``path`` (stat'ed as ``st``): from ``store``
    while the file's identity is unchanged, else read (None when it cannot be read:
    ``errors`` say why)."""
    usable = store is not None and stat.S_ISREG(st.st_mode) and st.st_size <= MAX_SMALL_FILE
    if usable:
        assert store is not None
        got = store.get(kind, path, ident_of(st))
        if got is not MISS:
            return got  # type: ignore[no-any-return]
    data = _read_small(path, st, errors)
    if data is None:
        return None
    value = derive(data)
    if usable:
        assert store is not None
        store.put(kind, path, ident_of(st), value)
    return value


def _ziphash_of(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape").strip()


def _mod_facts(data: bytes) -> tuple[str, str | None, bool]:
    """A cached ``.mod``'s ``h1:`` hash, ``go`` version, and whether it is empty."""
    return hash_gomod(data), _go_version(data), not data


def _info_facts(
    data: bytes,
) -> tuple[tuple[str | None, str | None, dict[str, Any] | None] | None, str | None]:
    """A cached ``.info``'s fields (as plain data), or why it cannot be decoded."""
    info, error = _parse_info(data)
    return (None if info is None else (info.version, info.time, info.origin)), error


def _inspect(
    gomodcache: str, path: str, version: str, lister: _Lister, store: SmallFacts | None = None
) -> ModuleState:
    try:
        files = layout.module_files(gomodcache, path, version)
    except ValueError as e:
        return ModuleState(path, version, None, errors=[str(e)])
    st = ModuleState(path, version, files)
    errors = st.errors
    dl = lister.get(files.download_dir)
    if dl.error is not None and not isinstance(dl.error, FileNotFoundError):
        errors.append(go_os_error("open", files.download_dir, dl.error))

    raw: dict[str, os.stat_result] = {}
    for suffix in SUFFIXES:
        full: str = getattr(files, suffix)
        s = _stat_entry(dl, full, os.path.basename(full), errors)
        if s is not None:
            raw[suffix] = s
            st.stats[suffix] = FileStat(s.st_size, s.st_mtime_ns)

    if "ziphash" in raw:
        zh = _small(store, "ziphash", files.ziphash, raw["ziphash"], errors, _ziphash_of)
        if zh is not None:
            st.ziphash_value = zh
    if "mod" in raw:
        mod = _small(store, "mod", files.mod, raw["mod"], errors, _mod_facts)
        if mod is None:
            st.mod_unreadable = True
        else:
            st.mod_h1, st.go_version, st.mod_empty = mod
    if "info" in raw:
        info = _small(store, "info", files.info, raw["info"], errors, _info_facts)
        if info is not None:
            fields, st.info_error = info
            st.info_data = InfoData(*fields) if fields is not None else None

    # The extracted directory, as modfetch.DownloadDir sees it.
    parent, base = os.path.split(files.extracted_dir)
    up = lister.get(parent)
    if up.error is not None and not isinstance(up.error, (FileNotFoundError, NotADirectoryError)):
        errors.append(go_os_error("open", parent, up.error))
    st.extracted = _extracted(st, up, base, dl, "ziphash" in raw)

    # Leftovers of interrupted go commands (the names go itself uses are none).
    esc_path = escape_path(path)
    esc_ver = escape_version(version)
    cache = os.fspath(gomodcache)
    head = esc_ver + "."
    names = dl.names(files.download_dir)
    for i in range(bisect.bisect_left(names, head), len(names)):
        name = names[i]
        if not name.startswith(head):
            break
        if name[len(head) :] in _GO_SUFFIXES:
            continue
        left = layout._classify_download_file(cache, esc_path, files.download_dir, name)
        if left is not None and left.version == version:
            st.leftovers.append(left)
    tmp = base + ".tmp-"
    siblings = up.names(parent)
    for i in range(bisect.bisect_left(siblings, tmp), len(siblings)):
        name = siblings[i]
        if not name.startswith(tmp):
            break
        if layout._TMP_DIR.match(name):
            st.leftovers.append(Leftover("tmp-dir", os.path.join(parent, name), path, version))
    # go removes its temp zips when it next downloads the zip: one beside a missing
    # zip may be a download go refused (hashed to tell); beside a zip it is not
    for left in st.leftovers if "zip" not in raw else ():
        if left.kind == "tmp" and left.of == "zip":
            h1 = _whole_zip_h1(left.file, f"{path}@{version}")
            if h1 is not None:
                st.tmp_zip_h1[left.file] = h1
    return st


#: A ``.tmp`` zip larger than go's limit for a module zip is not hashed.
_MAX_TMP_ZIP = 500 << 20


def _whole_zip_h1(file: str, prefix: str) -> str | None:
    """The ``h1:`` hash of a temp zip go left behind, when it is a whole module zip:
    go wrote it completely, hashed it, and rejected it (a checksum mismatch) instead
    of renaming it into place. ``None`` for a partial download."""
    try:
        if os.stat(file).st_size > _MAX_TMP_ZIP:
            return None
        return hash_zip(file, prefix)
    except (OSError, ZipError, ValueError):
        return None


def _extracted(
    st: ModuleState, up: _Listing, base: str, dl: _Listing, has_ziphash: bool
) -> ExtractedState:
    assert st.files is not None
    d = st.files.extracted_dir
    dst: os.stat_result | None = None
    try:
        if up.entries is None:
            dst = os.stat(d)
        elif base in up.entries:
            dst = up.entries[base].stat()
    except FileNotFoundError:
        pass  # absent, or a dangling symlink (os.IsNotExist too)
    except OSError as e:
        return ExtractedState(d, "partial", go_os_error("stat", d, e))
    if dst is None:
        return ExtractedState(d, "absent")
    if not stat.S_ISDIR(dst.st_mode):
        return ExtractedState(d, "partial", "not a directory")
    if _lexists(dl, st.files.partial, os.path.basename(st.files.partial)):
        return ExtractedState(d, "partial", "not completely extracted")
    if not has_ziphash:
        return ExtractedState(d, "partial", "ziphash file is missing")
    return ExtractedState(d, "complete")


def _listdir_quiet(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def inspect(gomodcache: str | os.PathLike[str], path: str, version: str) -> ModuleState:
    """The quick state of ``path@version`` in ``gomodcache`` (never raises for a bad
    cache; see :class:`ModuleState`)."""
    return _inspect(os.fspath(gomodcache), path, version, _Lister())


def inspect_many(
    gomodcache: str | os.PathLike[str],
    mvs: Iterable[tuple[str, str]],
    store: SmallFacts | None = None,
) -> dict[tuple[str, str], ModuleState]:
    """:func:`inspect` for many module versions, each directory listed once.

    Returns ``{(path, version): ModuleState}`` in the order given (duplicates once).
    ``store``: what the small files said before, used while they are unchanged.
    """
    cache = os.fspath(gomodcache)
    lister = _Lister()
    out: dict[tuple[str, str], ModuleState] = {}
    for path, version in mvs:
        if (path, version) not in out:
            out[(path, version)] = _inspect(cache, path, version, lister, store)
    return out
