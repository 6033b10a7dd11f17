"""go's module index: the keys, the scope, reading an entry and the directory it
indexes (:mod:`gomod_doctor.cache.modindex` says the whole story)."""

from __future__ import annotations

import hashlib
import os
import stat
import struct
from dataclasses import dataclass
from functools import lru_cache

from gomod_doctor.goenv.env import GoEnv, _clean_posix
from gomod_doctor.module.escape import escape_path, escape_version

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
