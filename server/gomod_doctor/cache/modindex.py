"""go's module index in GOCACHE: find, read and drop the entry of one module directory.

The go command indexes every module-cache directory it loads packages from
(``cmd/go/internal/modindex``) and keeps the index in the build cache (GOCACHE).
It assumes those directories never change, so the entry is keyed by the
directory's path and the go version alone, never by its contents
(``modindex.moduleHash``)::

    h := cache.NewHash("moduleIndex")       // the name is for debugging only
    fmt.Fprintf(h, "module index %s %s %v\\n", runtime.Version(), indexVersion, modroot)

``cache.NewHash`` starts every hash with the salt ``runtime.Version()`` (less any
`` X:<experiments>`` suffix), so the action ID is::

    sha256(<version> + "module index <version> go index v2 <modroot>\\n")

with ``modroot`` the cleaned ``GOMODCACHE/<escaped path>@<escaped version>``, as
go spells GOMODCACHE (not resolved). Once a directory is indexed, go builds with
the indexed file list: after the directory is replaced (a redownload, or a
modified copy put back in order), a file it no longer holds fails the build with
``open <dir>/<file>: no such file or directory`` and a new one is left out,
until the entry goes (``go clean -cache`` drops every entry).

The build cache (``cmd/go/internal/cache``) keeps an entry as two files:

* ``GOCACHE/<first byte in hex>/<action ID in hex>-a``, the *action* file:
  ``v1 <action ID> <output ID> <size, %20d> <unix nanoseconds, %20d>\\n``;
* ``GOCACHE/<first byte>/<output ID in hex>-d``, the output, named by its SHA-256
  (content-addressed). For the module index it is the index itself,
  ``go index v2\\n`` followed by its packages and their source files
  (``modindex/index_format.txt``, ``write.go``).

:func:`drop` removes the action file and nothing else. Without it go misses, indexes
the directory afresh and writes the entry again. The output file stays: being
content-addressed, it may be the output of other entries too (a module of
another version or under another GOMODCACHE whose index has the same bytes), and
an orphaned output is harmless — go's cache trimming removes it once unused.

go uses no index when ``GODEBUG`` has ``goindex=0``, never reads the cache with
``gocacheverify=1``, and keeps entries in a cache program with ``GOCACHEPROG``
(then the entry cannot be reached here: ``go clean -cache`` drops it).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from gomod_doctor.goenv.env import GoEnv, _clean_posix
from gomod_doctor.module.escape import escape_path, escape_version

__all__ = [
    "INDEX_VERSION",
    "ActionEntry",
    "DropResult",
    "IndexFact",
    "IndexFormatError",
    "IndexMemo",
    "IndexScope",
    "ModuleIndex",
    "action_id",
    "cannot_drop",
    "drop",
    "gather",
    "godebug",
    "module_root",
    "parse_action_entry",
    "parse_index",
    "scan_module",
    "scope",
]

#: modindex.indexVersion.
INDEX_VERSION = "go index v2"
_MAGIC = (INDEX_VERSION + "\n").encode()
_HEX = 64
#: "v1 <hex id> <hex out> <size %20d> <time %20d>\n" (cache.entrySize).
ENTRY_SIZE = 2 + 1 + _HEX + 1 + _HEX + 1 + 20 + 1 + 20 + 1
#: An index larger than this is not read (go mmaps it; a real one is far smaller).
MAX_INDEX = 256 << 20

CLEAN_CACHE = "go clean -cache"
_U32 = struct.Struct("<I")

#: Extensions of files go's index records besides ``.go`` (modindex.fileListForExt).
_SOURCE_EXTS = frozenset(
    (
        ".go",
        ".c",
        ".cc",
        ".cpp",
        ".cxx",
        ".m",
        ".h",
        ".hh",
        ".hpp",
        ".hxx",
        ".f",
        ".F",
        ".for",
        ".f90",
        ".s",
        ".S",
        ".sx",
        ".swig",
        ".swigcxx",
        ".syso",
    )
)


# --------------------------------------------------------------------------- keys


def strip_experiment(version: str) -> str:
    """cache.stripExperiment: the hash salt is the version less `` X:...``/``-X:...``."""
    for marker in (" X:", "-X:"):
        i = version.find(marker)
        if i >= 0:
            return version[:i]
    return version


@lru_cache(maxsize=8192)  # the same keys on every pass
def module_root(gomodcache: str, path: str, version: str) -> str:
    """The module directory as go names it in the key: ``filepath.Clean`` of
    ``GOMODCACHE/<escaped path>@<escaped version>`` with GOMODCACHE as go spells it.
    Raises ``ValueError`` for an invalid path or version."""
    joined = f"{gomodcache}/{escape_path(path)}@{escape_version(version)}"
    return _clean_posix(joined) if os.sep == "/" else os.path.normpath(joined)


def action_id(go_version: str, modroot: str) -> bytes:
    """modindex.moduleHash: the action ID of ``modroot``'s index for ``go_version``
    (``runtime.Version()`` of the go that builds)."""
    h = hashlib.sha256(strip_experiment(go_version).encode())
    h.update(f"module index {go_version} {INDEX_VERSION} {modroot}\n".encode())
    return h.digest()


def _entry_name(ident: bytes, kind: str) -> tuple[str, str]:
    """(subdirectory, file name) of an entry's file (cache.fileName)."""
    return f"{ident[0]:02x}", f"{ident.hex()}-{kind}"


# --------------------------------------------------------------------------- godebug


def godebug(value: str, key: str) -> str | None:
    """The setting of ``key`` in a GODEBUG value (the last one wins), or None."""
    found: str | None = None
    for part in value.split(","):
        k, eq, v = part.strip().partition("=")
        if eq and k == key:
            found = v
    return found


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class IndexScope:
    """Where the go that builds keeps its module index, or why that is unknown.

    ``go_versions``: the ``runtime.Version()`` of each go that may build (the local
    one, and the toolchain GOTOOLCHAIN names). ``unavailable``: why entries cannot
    be located (the fix then names ``go clean -cache``). ``unused``: why go keeps
    no index to drop (nothing to do).
    """

    gocache: str = ""
    go_versions: tuple[str, ...] = ()
    unavailable: str | None = None
    unused: str | None = None


def _toolchain_version(gotoolchain: str) -> str | None:
    """The go version a GOTOOLCHAIN setting names (``go1.28.0``, ``go1.28.0+auto``)."""
    name = gotoolchain.split("+", 1)[0]
    if name.startswith("go1") and name not in ("local", "auto", "path"):
        return name
    return None


def scope(env: GoEnv) -> IndexScope:
    """The module-index scope of the go environment ``env`` (see :class:`IndexScope`)."""
    if godebug(env.GODEBUG, "goindex") == "0":
        return IndexScope(unused="GODEBUG=goindex=0: go keeps no module index")
    if godebug(env.GODEBUG, "gocacheverify") == "1":
        return IndexScope(unused="GODEBUG=gocacheverify=1: go never reads its cached index")
    gocache = env.GOCACHE
    if env.GOCACHEPROG:
        return IndexScope(
            unavailable=f"GOCACHEPROG={env.GOCACHEPROG} keeps go's build cache: "
            "its module index entries cannot be reached here"
        )
    if not gocache or gocache == "off" or not os.path.isabs(gocache):
        return IndexScope(unused="GOCACHE is off: go keeps no module index")
    versions: list[str] = []
    if env.GOVERSION and "GOVERSION" not in env.unknown:
        versions.append(env.GOVERSION)
    named = _toolchain_version(env.GOTOOLCHAIN)
    if named is not None and named not in versions:
        versions.append(named)
    if not versions:
        return IndexScope(
            gocache=gocache,
            unavailable="the go version is unknown (no go command found): "
            "go's module index entry cannot be located",
        )
    return IndexScope(gocache=gocache, go_versions=tuple(versions))


def cannot_drop(label: str, why: str) -> str:
    """The note for an entry that cannot be dropped: why, and the command that can."""
    return (
        f"{label}: {why}; go may still build it with an old file list: "
        f"'{CLEAN_CACHE}' clears it (with the rest of go's build cache)"
    )


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class ActionEntry:
    """An action file's contents (cache.Entry)."""

    output: bytes
    size: int
    time_ns: int


def parse_action_entry(data: bytes, ident: bytes) -> ActionEntry | None:
    """An action file as ``cache.get`` reads it; None where go sees a miss."""
    if len(data) != ENTRY_SIZE:
        return None
    if (
        data[:3] != b"v1 "
        or data[3 + _HEX : 4 + _HEX] != b" "
        or data[4 + 2 * _HEX : 5 + 2 * _HEX] != b" "
        or data[ENTRY_SIZE - 22 : ENTRY_SIZE - 21] != b" "
        or data[-1:] != b"\n"
    ):
        return None
    try:
        eid = bytes.fromhex(data[3 : 3 + _HEX].decode("ascii"))
        out = bytes.fromhex(data[4 + _HEX : 4 + 2 * _HEX].decode("ascii"))
        size = int(data[5 + 2 * _HEX : 25 + 2 * _HEX].decode("ascii").lstrip(" "))
        when = int(data[26 + 2 * _HEX : 46 + 2 * _HEX].decode("ascii").lstrip(" "))
    except ValueError:
        return None
    if eid != ident or size < 0 or when < 0:
        return None
    return ActionEntry(out, size, when)


class IndexFormatError(ValueError):
    """Not a module index go can read (go: ``error reading module index: corrupt index``)."""


@dataclass(frozen=True)
class IndexedPackage:
    """One directory of the module in the index: its path relative to the module
    root ("" for the root, "/"-separated) and the source files go recorded."""

    dir: str
    error: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class ModuleIndex:
    packages: tuple[IndexedPackage, ...]

    def files(self) -> frozenset[str]:
        """Every source file recorded, as "dir/name" ("name" in the root)."""
        return frozenset(_rel(p.dir, f) for p in self.packages for f in p.files)


def _rel(d: str, name: str) -> str:
    return f"{d}/{name}" if d else name


class _Decoder:
    """modindex.decoder: uint32s from the data part, strings from the table."""

    def __init__(self, data: bytes, table: bytes) -> None:
        self.data = data
        self.table = table

    def int_at(self, off: int) -> int:
        if off < 0 or len(self.data) - off < 4:
            raise IndexFormatError("corrupt index")
        v: int = _U32.unpack_from(self.data, off)[0]
        if v >> 31:
            raise IndexFormatError("corrupt index")
        return v

    def string_at(self, off: int) -> str:
        return self.table_string(self.int_at(off))

    def table_string(self, off: int) -> str:
        t = self.table
        if off < 0 or off >= len(t):
            raise IndexFormatError("corrupt index")
        length, shift, i = 0, 0, off
        while True:  # binary.Uvarint
            if i >= len(t) or shift > 63:
                raise IndexFormatError("corrupt index")
            b = t[i]
            i += 1
            length |= (b & 0x7F) << shift
            if b < 0x80:
                break
            shift += 7
        if length > len(t) - i:
            raise IndexFormatError("corrupt index")
        return t[i : i + length].decode("utf-8", "surrogateescape")


def parse_index(data: bytes, *, files: bool = True) -> ModuleIndex:
    """The packages and source file names of a module index (modindex.fromBytes,
    Module.pkg, sourceFile.name); without ``files``, the packages only (each with
    no files). Raises :class:`IndexFormatError`."""
    if not data.startswith(_MAGIC):
        raise IndexFormatError("not a module index")
    hdr = len(_MAGIC)
    if len(data) < hdr + 8:
        raise IndexFormatError("corrupt index")
    str_off = int.from_bytes(data[hdr : hdr + 4], "little")
    if str_off < hdr + 8 or len(data) < str_off:
        raise IndexFormatError("corrupt index")
    d = _Decoder(data[:str_off], data[str_off:])
    if not d.table or d.table[0] != 0 or d.table[-1] != 0xFF:
        raise IndexFormatError("corrupt index")
    n = d.int_at(hdr + 4)
    if n > (len(d.data) - 8) // 8:
        raise IndexFormatError("corrupt index")
    if not files:  # the directory names of the package table (Module.pkgDir)
        return ModuleIndex(
            tuple(
                IndexedPackage(d.string_at(hdr + 8 + 8 * i).replace(os.sep, "/"), "", ())
                for i in range(n)
            )
        )
    packages: list[IndexedPackage] = []
    for i in range(n):
        off = d.int_at(hdr + 8 + 8 * i + 4)
        error = d.string_at(off)
        rel = d.string_at(off + 4)
        count = d.int_at(off + 8)
        if count > (len(d.data) - off) // 4:
            raise IndexFormatError("corrupt index")
        names = tuple(
            d.string_at(d.int_at(off + 12 + 4 * j) + 12)  # sourceFileName
            for j in range(count if files else 0)
        )
        packages.append(IndexedPackage(rel.replace(os.sep, "/"), error, names))
    return ModuleIndex(tuple(packages))


# --------------------------------------------------------------------------- the directory


def _is_source(name: str) -> bool:
    """A file go's index records (importRaw, getFileInfo)."""
    if name.startswith(("_", ".")):
        return False
    i = name.rfind(".")
    return i >= 0 and name[i:] in _SOURCE_EXTS


def scan_module(modroot: str) -> frozenset[str] | None:
    """The source files go would index in ``modroot`` now ("dir/name"), walking it
    as modindex.indexModule does: nested modules (a directory with a go.mod file) are
    left out; None where go would not index it (a symbolic link to a directory, an
    unreadable directory)."""
    out: set[str] = set()
    stack = [""]
    while stack:
        rel = stack.pop()
        absdir = os.path.join(modroot, rel) if rel else modroot
        if rel:
            try:
                if not stat.S_ISDIR(os.stat(os.path.join(absdir, "go.mod")).st_mode):
                    continue
            except OSError:
                pass
        try:
            with os.scandir(absdir) as it:
                entries = list(it)
        except OSError:
            return None
        for e in entries:
            try:
                if e.is_symlink():
                    if os.path.isdir(e.path):
                        return None  # go does not index modules holding these
                elif e.is_dir(follow_symlinks=False):
                    stack.append(_rel(rel, e.name))
                    continue
            except OSError:
                return None
            if _is_source(e.name):
                out.add(_rel(rel, e.name))
    return frozenset(out)


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class IndexFact:
    """go's index entry for a needed module directory, beside what the directory holds.

    ``unchanged``: no directory the index lists changed after go wrote the entry
    (their mtimes are older; adding, removing or renaming a file changes its
    directory's mtime), so the lists were not compared. Otherwise ``indexed`` holds
    the source files the entry lists (None: go cannot read it: ``error`` says why,
    go's build fails) and ``on_disk`` what go would index now (None: go would not
    index the directory, so nothing is compared).
    """

    path: str
    version: str
    modroot: str
    go_version: str
    action_file: str
    output_file: str
    unchanged: bool = False
    indexed: frozenset[str] | None = None
    on_disk: frozenset[str] | None = None
    error: str | None = None

    @property
    def gone(self) -> list[str]:
        """Files the index lists that the directory no longer holds."""
        if self.indexed is None or self.on_disk is None:
            return []
        return sorted(self.indexed - self.on_disk)

    @property
    def unindexed(self) -> list[str]:
        """Files in the directory that the index does not list."""
        if self.indexed is None or self.on_disk is None:
            return []
        return sorted(self.on_disk - self.indexed)

    @property
    def stale(self) -> bool:
        return bool(self.gone or self.unindexed)


@dataclass(frozen=True)
class _Stat:
    dev: int
    ino: int
    size: int
    mtime_ns: int

    @staticmethod
    def of(st: os.stat_result) -> _Stat:
        return _Stat(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class IndexMemo:
    """The facts of the last :func:`gather`, each kept while its action file is
    the same file (go rewrites it when it indexes the directory again) and until
    :meth:`clear`: the caller clears it when the module cache changes on disk (as
    :class:`gomod_doctor.engine.StateMemo`, whose watches cover the extracted
    directories). A kept fact costs one ``stat`` per module."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._facts: dict[tuple[str, str], tuple[_Stat, IndexFact | None]] = {}

    def clear(self) -> None:
        with self._lock:
            self._facts.clear()

    def get(self, key: tuple[str, str], st: _Stat) -> tuple[bool, IndexFact | None]:
        with self._lock:
            got = self._facts.get(key)
        if got is None or got[0] != st:
            return False, None
        return True, got[1]

    def put(self, key: tuple[str, str], st: _Stat, fact: IndexFact | None) -> None:
        with self._lock:
            self._facts[key] = (st, fact)


def _read_regular(path: str, limit: int) -> bytes | None:
    """A regular file's bytes (not following a final symlink), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        chunks: list[bytes] = []
        left = st.st_size + 1
        while left > 0:
            b = os.read(fd, min(left, 1 << 20))
            if not b:
                break
            chunks.append(b)
            left -= len(b)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _changed_since(modroot: str, dirs: Iterable[str], time_ns: int) -> bool:
    """Some directory the index lists is gone or was modified after ``time_ns``."""
    for d in dirs:
        try:
            st = os.stat(os.path.join(modroot, d) if d else modroot)
        except OSError:
            return True
        if not stat.S_ISDIR(st.st_mode) or st.st_mtime_ns > time_ns:
            return True
    return False


def _fact(
    memo: IndexMemo, sc: IndexScope, modroot: str, path: str, version: str, go_version: str
) -> IndexFact | None:
    ident = action_id(go_version, modroot)
    sub, name = _entry_name(ident, "a")
    action_file = os.path.join(sc.gocache, sub, name)
    try:
        ast = os.stat(action_file, follow_symlinks=False)
    except OSError:
        return None
    key = (modroot, go_version)
    known, fact = memo.get(key, _Stat.of(ast))
    if not known:
        fact = _read_fact(sc, modroot, path, version, go_version, ident, action_file)
        memo.put(key, _Stat.of(ast), fact)
    return fact


def _read_fact(
    sc: IndexScope,
    modroot: str,
    path: str,
    version: str,
    go_version: str,
    ident: bytes,
    action_file: str,
) -> IndexFact | None:
    raw = _read_regular(action_file, ENTRY_SIZE + 1)
    entry = parse_action_entry(raw, ident) if raw is not None else None
    if entry is None:
        return None  # go sees a miss and indexes the directory afresh
    osub, oname = _entry_name(entry.output, "d")
    output_file = os.path.join(sc.gocache, osub, oname)
    data = _read_regular(output_file, MAX_INDEX)
    if data is None or len(data) != entry.size:
        return None  # go: "file incomplete", a miss
    fact = IndexFact(path, version, modroot, go_version, action_file, output_file)
    try:
        index = parse_index(data, files=False)
        if not _changed_since(modroot, (p.dir for p in index.packages), entry.time_ns):
            return replace(fact, unchanged=True)
        index = parse_index(data)
    except IndexFormatError as e:
        return replace(fact, error=f"error reading module index: {e}")
    return replace(fact, indexed=index.files(), on_disk=scan_module(modroot))


def gather(
    sc: IndexScope,
    gomodcache: str,
    keys: Iterable[tuple[str, str]],
    memo: IndexMemo | None = None,
) -> dict[tuple[str, str], list[IndexFact]]:
    """go's index entries for the directories of ``keys`` (module versions whose
    extracted directory go uses), one per go version of ``sc`` that has one."""
    out: dict[tuple[str, str], list[IndexFact]] = {}
    if not sc.go_versions or not sc.gocache:
        return out
    m = memo if memo is not None else IndexMemo()
    for path, version in keys:
        try:
            modroot = module_root(gomodcache, path, version)
        except ValueError:
            continue
        facts = [
            f for v in sc.go_versions if (f := _fact(m, sc, modroot, path, version, v)) is not None
        ]
        if facts:
            out[(path, version)] = facts
    return out


# --------------------------------------------------------------------------- dropping


@dataclass
class DropResult:
    """What :func:`drop` did: the action files removed (or, in a dry run, present),
    problems removing one (errors), and why nothing could be located (notes naming
    ``go clean -cache``)."""

    dropped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def extend(self, other: DropResult) -> None:
        self.dropped += other.dropped
        self.errors += other.errors
        self.notes += [n for n in other.notes if n not in self.notes]

    def to_json(self) -> dict[str, list[str]]:
        return {"Dropped": list(self.dropped), "Errors": list(self.errors), "Notes": self.notes}


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


def _unlink_entry(gocache: str, ident: bytes, dry_run: bool) -> tuple[str | None, str | None]:
    """Remove the action file of ``ident``: (its path if it was there, an error)."""
    sub, name = _entry_name(ident, "a")
    shown = os.path.join(gocache, sub, name)
    try:
        top = os.open(gocache, _DIR_FLAGS)  # GOCACHE itself may be a link, as go allows
    except FileNotFoundError:
        return None, None
    except OSError as e:
        return None, f"open {gocache}: {e.strerror or e}"
    try:
        try:
            fd = os.open(sub, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=top)
        except FileNotFoundError:
            return None, None
        except OSError as e:
            if e.errno in (errno.ELOOP, errno.ENOTDIR):
                return None, f"{os.path.join(gocache, sub)}: not a directory; left alone"
            return None, f"open {os.path.join(gocache, sub)}: {e.strerror or e}"
        try:
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                return None, None
            if not stat.S_ISREG(st.st_mode):
                return None, f"{shown}: not a regular file; left alone"
            if not dry_run:
                try:
                    os.unlink(name, dir_fd=fd)
                except FileNotFoundError:
                    return None, None
            return shown, None
        finally:
            os.close(fd)
    except OSError as e:
        return None, f"remove {shown}: {e.strerror or e}"
    finally:
        os.close(top)


def drop(
    sc: IndexScope,
    gomodcache: str,
    modules: Iterable[tuple[str, str]],
    *,
    dry_run: bool = False,
) -> DropResult:
    """Drop go's module index entry of each ``path@version`` directory: its action
    file, for each go version of ``sc``; never any other file of GOCACHE."""
    result = DropResult()
    mods = list(dict.fromkeys(modules))
    if sc.unused is not None or not mods:
        return result
    if sc.unavailable is not None:
        label = ", ".join(f"{p}@{v}" for p, v in mods[:3]) + (" and more" if len(mods) > 3 else "")
        result.notes.append(cannot_drop(f"go's module index of {label}", sc.unavailable))
        return result
    for path, version in mods:
        try:
            modroot = module_root(gomodcache, path, version)
        except ValueError:
            continue
        for v in sc.go_versions:
            removed, error = _unlink_entry(sc.gocache, action_id(v, modroot), dry_run)
            if removed is not None:
                result.dropped.append(removed)
            if error is not None:
                result.errors.append(
                    cannot_drop(f"{path}@{version}: go's module index entry", error)
                )
    return result
