"""Read what the module index entries of the cache's directories say (the
:class:`~gomod_doctor.cache.modindex.model.IndexFact` the checks read): :func:`gather`,
remembered across runs by :class:`IndexMemo`."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from gomod_doctor.cache.modindex.core import (
    ENTRY_SIZE,
    MAX_INDEX,
    IndexFormatError,
    IndexScope,
    _entry_name,
    action_id,
    module_root,
    parse_action_entry,
    parse_index,
    scan_module,
)
from gomod_doctor.cache.modindex.model import IndexFact


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


@lru_cache(maxsize=8192)  # the same keys on every pass
def _action_file(gocache: str, go_version: str, modroot: str) -> tuple[bytes, str]:
    """The action ID of ``modroot``'s index for ``go_version``, and its action file."""
    ident = action_id(go_version, modroot)
    sub, name = _entry_name(ident, "a")
    return ident, os.path.join(gocache, sub, name)


def _fact(
    memo: IndexMemo, sc: IndexScope, modroot: str, path: str, version: str, go_version: str
) -> IndexFact | None:
    ident, action_file = _action_file(sc.gocache, go_version, modroot)
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
