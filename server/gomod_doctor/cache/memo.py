"""A persistent memo of verified hashes, so that re-verifying an unchanged cache
costs only a walk of ``stat`` calls.

What the memo trusts
--------------------
Exactly this: **a file whose path, size, mtime_ns and inode number are unchanged
since it was hashed has unchanged content.** Every entry is keyed by that
identity, taken with ``lstat`` before the file was read:

* a module zip: its path, size, mtime_ns and inode → its ``h1:`` hash and its
  members (name, size, sha256), which name the files of an extracted directory
  that differ from it;
* a file of an extracted directory: the directory, the file's path relative to
  it, size, mtime_ns and inode → the sha256 of its content. Only regular files
  are memoized (a symlink's identity says nothing about its target's content);
* an extracted directory as a whole: its path, the ``path@version`` prefix, and a
  fingerprint of the identity of every file in it (names, sizes, mtimes, inodes,
  in the order the directory is listed) → its ``h1:`` hash. The fingerprint
  matches only if every file's entry would be trusted and no file was added or
  removed, so this is the same trust, taken in one comparison.

Any change to a file's size, mtime_ns or inode (an edit, ``touch``, a copy, a
rename over it) invalidates its entry and the directory's fingerprint; nothing
else does. In particular an edit that keeps the size and restores the mtime, in
place on the same inode, is not noticed: use ``no_memo`` to distrust the memo.
Files whose mtime is within :data:`RACY_WINDOW_NS` of the moment verification
started (or later) are never memoized, since a later write within the same
timestamp tick could leave their identity unchanged ("racily clean" files, as
git calls them).

Storage
-------
SQLite in ``$XDG_CACHE_HOME/gomod-doctor/memo.sqlite3`` (or
``~/.cache/gomod-doctor/``), in WAL mode with a busy timeout, so several processes
may read and write it at once. One row per zip and one per extracted directory;
a directory's per-file entries are kept in its row as packed columns (names,
sizes, mtimes, inodes, digests), so that they are read in one lookup and written
in one statement, at C speed: a directory with one changed file has its row
rewritten, each file still judged by its own identity. The memo is only ever an optimisation: a database
that cannot be opened, is corrupt, has another schema, or is locked for too long
is ignored (a corrupt or foreign one is deleted and rebuilt); no memo error ever
reaches the caller, it is only recorded in :attr:`Memo.error`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from gomod_doctor.userdirs import cache_dir

__all__ = [
    "RACY_WINDOW_NS",
    "SCHEMA_VERSION",
    "DirMemo",
    "DirStore",
    "FileColumns",
    "FileIdentity",
    "Memo",
    "ZipStore",
    "default_memo_path",
]

# The packed columns are in this machine's byte order: a memo copied to another
# kind of machine is simply started over.
SCHEMA_VERSION = f"gomod-doctor memo 2 {sys.byteorder}"
RACY_WINDOW_NS = 2_000_000_000
BUSY_TIMEOUT_S = 5.0

# Blobs last: SQLite reads a row's overflow pages only for the columns asked for.
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS zips ("
    " path BLOB PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
    " ino INTEGER NOT NULL, h1 TEXT NOT NULL,"
    " names BLOB NOT NULL, sizes BLOB NOT NULL, digests BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS dirs ("
    " root BLOB PRIMARY KEY, prefix BLOB NOT NULL, fingerprint BLOB NOT NULL,"
    " h1 TEXT NOT NULL, nfiles INTEGER NOT NULL, nbytes INTEGER NOT NULL,"
    " names BLOB NOT NULL, sizes BLOB NOT NULL, mtimes BLOB NOT NULL,"
    " inos BLOB NOT NULL, digests BLOB NOT NULL)",
)
_TABLES = ("meta", "zips", "dirs", "files")  # "files": schema 1


class FileIdentity(NamedTuple):
    """What the memo keys a file by (besides its path)."""

    size: int
    mtime_ns: int
    ino: int


@dataclass(frozen=True)
class DirMemo:
    """The memo row of an extracted directory: ``h1`` and ``fingerprint`` are
    ``None`` when only some of its files are memoized (no whole-directory memo)."""

    prefix: str
    fingerprint: bytes | None
    h1: str | None
    nfiles: int
    nbytes: int


@dataclass(frozen=True)
class ZipStore:
    """What to store for a zip: its identity, ``h1:`` and members in directory
    order as ``(name, size, sha256)``."""

    path: str
    ident: FileIdentity
    h1: str
    members: Sequence[tuple[str, int, bytes]]


@dataclass(frozen=True)
class FileColumns:
    """A directory's files as the memo stores them, in columns: their names,
    sizes, mtimes and inodes, and their sha256 digests end to end (32 bytes
    each), all in the same order. A large directory is stored this way without a
    Python object per file."""

    names: Sequence[str]
    sizes: Sequence[int]
    mtimes: Sequence[int]
    inos: Sequence[int]
    digests: bytes

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class DirStore:
    """What to store for an extracted directory: the whole-directory memo
    (``fingerprint``/``h1``, or ``None`` for none) and the digests of its files as
    ``(rel, identity, sha256)`` (or as :class:`FileColumns`); it replaces what was
    stored for ``root``."""

    root: str
    prefix: str
    fingerprint: bytes | None
    h1: str | None
    nfiles: int
    nbytes: int
    files: Sequence[tuple[str, FileIdentity, bytes]] | FileColumns


def default_memo_path() -> str:
    """``$XDG_CACHE_HOME/gomod-doctor/memo.sqlite3``, else under ``~/.cache``."""
    return os.path.join(cache_dir(), "memo.sqlite3")


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


# Packed columns: names joined by NUL (which no file name and, as stored, no zip
# member name contains), integers as native int64/uint64 arrays, digests end to end.


def _pack_names(names: Sequence[str]) -> bytes:
    return "\0".join(names).encode("utf-8", "surrogateescape")


def _unpack_names(blob: bytes, n: int) -> list[str]:
    names = blob.decode("utf-8", "surrogateescape").split("\0") if n else []
    if len(names) != n:
        raise ValueError("memo: bad names column")
    return names


def _unpack_ints(blob: bytes, code: str, n: int) -> array[int]:
    a = array(code)
    a.frombytes(blob)
    if len(a) != n:
        raise ValueError("memo: bad integer column")
    return a


def _unpack_digests(blob: bytes, n: int) -> list[bytes]:
    if len(blob) != 32 * n:
        raise ValueError("memo: bad digest column")
    return [blob[i : i + 32] for i in range(0, len(blob), 32)]


def _file_columns(
    files: Sequence[tuple[str, FileIdentity, bytes]] | FileColumns,
) -> tuple[bytes, bytes, bytes, bytes, bytes]:
    """The packed columns (names, sizes, mtimes, inodes, digests) of a DirStore."""
    if not isinstance(files, FileColumns):
        files = FileColumns(
            [f[0] for f in files],
            [f[1].size for f in files],
            [f[1].mtime_ns for f in files],
            [f[1].ino for f in files],
            b"".join(f[2] for f in files),
        )
    n = len(files.names)
    if (
        not (len(files.sizes) == len(files.mtimes) == len(files.inos) == n)
        or len(files.digests) != 32 * n
    ):
        raise ValueError("memo: columns of different lengths")
    return (
        _pack_names(files.names),
        array("Q", files.sizes).tobytes(),
        array("q", files.mtimes).tobytes(),
        array("Q", files.inos).tobytes(),
        bytes(files.digests),
    )


_OPEN_ATTEMPTS = 10


def _is_busy(e: sqlite3.OperationalError) -> bool:
    text = str(e).lower()
    return "locked" in text or "busy" in text


def _is_h1(h: object) -> bool:
    return isinstance(h, str) and len(h) == 47 and h.startswith("h1:")


def _chunks(seq: Sequence[bytes], n: int = 500) -> Iterator[Sequence[bytes]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


class Memo:
    """The memo database (see the module notes). Never raises for database trouble:
    lookups then miss and stores are dropped, and :attr:`error` says why.

    ``path`` defaults to :func:`default_memo_path`. Use as a context manager or
    call :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = os.fspath(path) if path is not None else default_memo_path()
        self.error: str | None = None
        self.rebuilt = False
        self._db: sqlite3.Connection | None = None
        self._open()

    # ----------------------------------------------------------------- lifecycle
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            # Switching to WAL takes an exclusive lock, and SQLite reports a
            # concurrent switch as "locked" without waiting: only switch once.
            mode = db.execute("PRAGMA journal_mode").fetchone()
            if not mode or str(mode[0]).lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            row = None
            with contextlib.suppress(sqlite3.OperationalError):
                row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None or row[0] != SCHEMA_VERSION:
                db.execute("BEGIN IMMEDIATE")
                try:
                    # Another process may have set it up while this one waited.
                    with contextlib.suppress(sqlite3.OperationalError):
                        row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                    if row is not None and row[0] == SCHEMA_VERSION:
                        db.execute("COMMIT")
                        return db
                    if row is not None:  # another schema: start over
                        for table in _TABLES:
                            db.execute(f"DROP TABLE IF EXISTS {table}")
                    for stmt in _SCHEMA:
                        db.execute(stmt)
                    db.execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                        (SCHEMA_VERSION,),
                    )
                    db.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                    raise
            return db
        except BaseException:
            db.close()
            raise

    def _open(self) -> None:
        try:
            d = os.path.dirname(self.path)
            if d:
                os.makedirs(d, mode=0o700, exist_ok=True)
            for attempt in range(_OPEN_ATTEMPTS):
                try:
                    self._db = self._connect()
                    break
                except sqlite3.OperationalError as e:
                    # Another process creating or converting the database at
                    # this very moment: SQLite does not wait for that. Retry.
                    if attempt + 1 == _OPEN_ATTEMPTS or not _is_busy(e):
                        raise
                    time.sleep(0.02 * (attempt + 1))
        except sqlite3.OperationalError as e:
            # Locked beyond the timeout, unwritable, ...: go without the memo.
            self.error = f"memo {self.path}: {e}"
        except (sqlite3.DatabaseError, ValueError) as e:
            # Not a database, or a corrupt one: rebuild it.
            self.error = f"memo {self.path}: {e}"
            self._reset()
        except OSError as e:
            self.error = f"memo {self.path}: {e}"

    def _reset(self) -> None:
        """Delete the database files and start a fresh one (or give up)."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        try:
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.path + suffix)
            self._db = self._connect()
            self.rebuilt = True
        except (sqlite3.Error, OSError, ValueError) as e:
            self.error = f"memo {self.path}: cannot rebuild: {e}"
            self._db = None

    def _fail(self, e: Exception) -> None:
        self.error = f"memo {self.path}: {e}"
        if isinstance(e, sqlite3.DatabaseError) and not isinstance(e, sqlite3.OperationalError):
            self._reset()  # corrupt: rebuild (this run's lookups simply missed)

    @property
    def usable(self) -> bool:
        return self._db is not None

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def __enter__(self) -> Memo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- zips
    def get_zips(self, zips: dict[str, FileIdentity]) -> dict[str, str]:
        """``{zip path: h1}`` for the zips whose memoized identity is unchanged."""
        if self._db is None or not zips:
            return {}
        out: dict[str, str] = {}
        keys = [_b(p) for p in zips]
        try:
            for chunk in _chunks(keys):
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT path, size, mtime_ns, ino, h1 FROM zips WHERE path IN ({marks})",
                    tuple(chunk),
                ).fetchall()
                for raw, size, mtime_ns, ino, h1 in rows:
                    if not isinstance(raw, bytes):
                        continue
                    p = _s(raw)
                    if zips.get(p) == (size, mtime_ns, ino) and _is_h1(h1):
                        out[p] = h1
        except (sqlite3.Error, TypeError, ValueError) as e:
            self._fail(e)
            return {}
        return out

    def get_zip_entries(
        self, path: str, ident: FileIdentity
    ) -> list[tuple[str, int, bytes]] | None:
        """The members ``(name, size, sha256)`` of a memoized zip of identity ``ident``."""
        if self._db is None:
            return None
        try:
            row = self._db.execute(
                "SELECT size, mtime_ns, ino, names, sizes, digests FROM zips WHERE path = ?",
                (_b(path),),
            ).fetchone()
            if row is None or tuple(row[:3]) != tuple(ident):
                return None
            names_b, sizes_b, digests_b = row[3:]
            n = len(digests_b) // 32
            names = _unpack_names(names_b, n)
            sizes = _unpack_ints(sizes_b, "Q", n)
            digests = _unpack_digests(digests_b, n)
            return list(zip(names, sizes, digests, strict=True))
        except (sqlite3.Error, TypeError, ValueError) as e:
            self._fail(e)
            return None

    # ----------------------------------------------------------------- dirs
    def get_dirs(self, roots: Iterable[str]) -> dict[str, DirMemo]:
        """The memo rows of the extracted directories ``roots`` that have one."""
        keys = [_b(r) for r in roots]
        if self._db is None or not keys:
            return {}
        out: dict[str, DirMemo] = {}
        try:
            for chunk in _chunks(keys):
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    "SELECT root, prefix, fingerprint, h1, nfiles, nbytes FROM dirs"
                    f" WHERE root IN ({marks})",
                    tuple(chunk),
                ).fetchall()
                for root, prefix, fp, h1, nfiles, nbytes in rows:
                    if not (
                        isinstance(root, bytes)
                        and isinstance(prefix, bytes)
                        and isinstance(nfiles, int)
                        and isinstance(nbytes, int)
                    ):
                        continue
                    whole = _is_h1(h1) and isinstance(fp, bytes) and len(fp) == 32
                    out[_s(root)] = DirMemo(
                        _s(prefix), fp if whole else None, h1 if whole else None, nfiles, nbytes
                    )
        except (sqlite3.Error, TypeError, ValueError) as e:
            self._fail(e)
            return {}
        return out

    def get_files(self, root: str) -> dict[str, tuple[int, int, int, bytes]]:
        """``{rel: (size, mtime_ns, ino, sha256)}`` of the memoized files of
        ``root`` (one lookup; the caller compares identities)."""
        if self._db is None:
            return {}
        try:
            row = self._db.execute(
                "SELECT names, sizes, mtimes, inos, digests FROM dirs WHERE root = ?",
                (_b(root),),
            ).fetchone()
            if row is None:
                return {}
            names_b, sizes_b, mtimes_b, inos_b, digests_b = row
            n = len(digests_b) // 32
            names = _unpack_names(names_b, n)
            sizes = _unpack_ints(sizes_b, "Q", n)
            mtimes = _unpack_ints(mtimes_b, "q", n)
            inos = _unpack_ints(inos_b, "Q", n)
            digests = _unpack_digests(digests_b, n)
            return dict(zip(names, zip(sizes, mtimes, inos, digests, strict=True), strict=True))
        except (sqlite3.Error, TypeError, ValueError) as e:
            self._fail(e)
            return {}

    def put(self, zips: Iterable[ZipStore] = (), dirs: Iterable[DirStore] = ()) -> None:
        """Store zips and directories, in one transaction (replacing their rows)."""
        ops: list[tuple[str, Sequence[tuple[object, ...]]]] = []
        try:
            zip_rows = [
                (
                    _b(z.path),
                    *z.ident,
                    z.h1,
                    _pack_names([m[0] for m in z.members]),
                    array("Q", [m[1] for m in z.members]).tobytes(),
                    b"".join(m[2] for m in z.members),
                )
                for z in zips
                if not any("\0" in m[0] for m in z.members)
            ]
            dir_rows = [
                (
                    _b(d.root),
                    _b(d.prefix),
                    d.fingerprint or b"",
                    d.h1 or "",
                    d.nfiles,
                    d.nbytes,
                    *_file_columns(d.files),
                )
                for d in dirs
            ]
        except (OverflowError, ValueError, TypeError) as e:  # not storable: skip it all
            self.error = f"memo {self.path}: {e}"
            return
        if zip_rows:
            ops.append(("INSERT OR REPLACE INTO zips VALUES (?, ?, ?, ?, ?, ?, ?, ?)", zip_rows))
        if dir_rows:
            ops.append(
                ("INSERT OR REPLACE INTO dirs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", dir_rows)
            )
        self._write(ops)

    # ----------------------------------------------------------------- writing
    def _write(self, ops: Sequence[tuple[str, Sequence[tuple[object, ...]]]]) -> None:
        if self._db is None or not ops:
            return
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for sql, rows in ops:
                    if rows:
                        db.executemany(sql, rows)
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
        except (sqlite3.Error, TypeError, ValueError) as e:
            self._fail(e)
