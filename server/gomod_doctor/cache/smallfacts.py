"""A persistent memo of what the module cache's small files say, so that a language
server or a check that starts again answers from one ``stat`` per file instead of
reading and parsing it.

What it keeps, per module-cache file (its path, kind, and the value derived from it):

* a ``.mod``: its ``h1:`` hash, the ``go`` version it declares, whether it is empty;
  and what the module graph keeps of it (:mod:`gomod_doctor.workspace.gomods`);
* a ``.info``: the fields go reads, or why it cannot be decoded;
* a ``.ziphash``: its content;
* an ``@v/list``: the latest version go finds offline and what that version's
  ``.mod`` says of retractions and deprecation (with that ``.mod``'s identity).

What it trusts
--------------
The same as the hash memo (:mod:`gomod_doctor.cache.memo`): **a file whose size,
mtime_ns and inode number are unchanged has unchanged content** (and its mode too
here: a file made unreadable is read again, so that its error is said). A value is used
only when the file (and, for a list, the ``.mod`` its answer read) has the identity
it had when the value was derived. A file modified within
:data:`~gomod_doctor.cache.memo.RACY_WINDOW_NS` of the moment it is memoized is not
(a later write in the same timestamp tick could leave its identity unchanged).

Storage: one file per module cache, in ``<cache dir>/smallfiles/``
(:func:`gomod_doctor.userdirs.cache_dir`), loaded on first use and replaced
atomically when new values were added. Concurrent processes may each replace it: the
last one wins, and the others' values are derived again later. It is only an
optimisation: an unreadable, foreign or corrupt file is empty, and a failure to
write is recorded in :attr:`SmallFacts.error`, never raised.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import threading
import time
from typing import Any

from gomod_doctor.cache.memo import RACY_WINDOW_NS
from gomod_doctor.userdirs import cache_dir, write_atomic

__all__ = ["FORMAT", "MAX_ENTRIES", "MISS", "Ident", "SmallFacts", "ident_of", "store_for"]

FORMAT = "gomod-doctor small files 2"

#: Beyond this many values, a save keeps only those this process used.
MAX_ENTRIES = 200_000

#: A file's identity: (size, mtime_ns, inode, mode); the mode too, so that a file
#: made unreadable (a chmod changes no other field) is read again, and its error said.
Ident = tuple[int, int, int, int]

#: What :meth:`SmallFacts.get` returns for a value it does not have.
MISS: Any = object()


def ident_of(st: os.stat_result) -> Ident:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_mode)


class SmallFacts:
    """The stored values for the module cache ``gomodcache`` (thread-safe)."""

    def __init__(self, gomodcache: str, directory: str | os.PathLike[str] | None = None) -> None:
        self.gomodcache = gomodcache
        base = (
            os.fspath(directory)
            if directory is not None
            else os.path.join(cache_dir(), "smallfiles")
        )
        name = hashlib.sha256(gomodcache.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        self.file = os.path.join(base, name)
        self.error: str | None = None
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str], tuple[Ident, Any]] | None = None
        self._used: set[tuple[str, str]] = set()
        self._added = False

    def _loaded(self) -> dict[tuple[str, str], tuple[Ident, Any]]:
        values = self._values
        if values is None:
            values = {}
            try:
                with open(self.file, "rb") as f:
                    fmt, cache, stored = marshal.loads(f.read())
                if fmt == FORMAT and cache == self.gomodcache and isinstance(stored, dict):
                    values = stored
            except (OSError, ValueError, EOFError, TypeError):
                pass  # absent, foreign or corrupt: nothing stored
            self._values = values
        return values

    def get(self, kind: str, path: str, ident: Ident) -> Any:
        """The value stored for ``path`` (a file of kind ``kind``) when the file still
        has identity ``ident``; :data:`MISS` otherwise."""
        key = (kind, path)
        with self._lock:
            hit = self._loaded().get(key)
            if hit is None or hit[0] != ident:
                return MISS
            self._used.add(key)
            return hit[1]

    def put(self, kind: str, path: str, ident: Ident, value: Any) -> None:
        """Keep ``value`` (plain data: tuples, strings, numbers, dicts) for ``path``,
        unless the file changed too recently to be trusted later."""
        if ident[1] >= time.time_ns() - RACY_WINDOW_NS:
            return
        key = (kind, path)
        with self._lock:
            values = self._loaded()
            if values.get(key) != (ident, value):
                values[key] = (ident, value)
                self._added = True
            self._used.add(key)

    def save(self) -> None:
        """Write the values down if any was added since the last save."""
        with self._lock:
            if not self._added or self._values is None:
                return
            values = self._values
            if len(values) > MAX_ENTRIES:
                values = {k: v for k, v in values.items() if k in self._used}
            try:
                blob = marshal.dumps((FORMAT, self.gomodcache, values), 4)
            except ValueError as e:  # a value marshal cannot write: a bug, not fatal
                self.error = f"small-file memo: {e}"
                return
            self._added = False
        try:
            write_atomic(self.file, blob, mode=0o700)
        except OSError as e:
            self.error = f"small-file memo {self.file}: {e}"


_stores: dict[tuple[str, str], SmallFacts] = {}
_stores_lock = threading.Lock()


def store_for(gomodcache: str) -> SmallFacts:
    """This process's store for ``gomodcache`` (in the default cache dir, as it is
    when first asked for)."""
    directory = os.path.join(cache_dir(), "smallfiles")
    with _stores_lock:
        got = _stores.get((gomodcache, directory))
        if got is None:
            got = _stores[(gomodcache, directory)] = SmallFacts(gomodcache, directory)
        return got
