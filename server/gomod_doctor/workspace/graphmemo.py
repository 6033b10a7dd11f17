"""A persistent memo of the transitive import graph
(:func:`~gomod_doctor.workspace.imports.transitive_imports`), so that a check or a
language server that starts again does not re-read the dependencies' ``.go`` files.

What it trusts
--------------
The same as the hash memo (:mod:`gomod_doctor.cache.memo`): **a path whose type,
size, mtime_ns and inode number are unchanged has unchanged content.** A stored
graph is used only when

* its inputs are the same: the workspace's import paths, the build list (module
  paths, versions, directories) and the main modules; and
* every path the walk depended on (each directory listed or tested, each ``go.mod``
  looked for, each ``.go`` file read; see the ``observe`` hook of
  ``transitive_imports``) still has the identity it had, or is still absent.

A directory's mtime changes when an entry is added, removed or renamed, so new or
deleted ``.go`` files and packages are noticed; an edited file is noticed by its own
identity. A graph whose walk saw a path modified within
:data:`~gomod_doctor.cache.memo.RACY_WINDOW_NS` of its start is not stored (a later
write in the same timestamp tick could leave the identity unchanged). Checking a
stored graph costs one ``stat`` per path, a fraction of reading the files.

Storage: one small file per workspace (its main file and module cache), in
``<cache dir>/imports/`` (:func:`gomod_doctor.userdirs.cache_dir`), replaced
atomically. Like the hash memo it is only an optimisation: an unreadable, foreign or
corrupt file is a miss, and a failure to write is ignored.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gomod_doctor.userdirs import cache_dir, write_atomic
from gomod_doctor.workspace.imports import ImportSite, TransitiveImports

__all__ = ["FORMAT", "GraphStore"]

FORMAT = "gomod-doctor import graph 1"
RACY_WINDOW_NS = 2_000_000_000  # as the hash memo's

# A path's identity: (type bits of st_mode, size, mtime_ns, inode), or None when
# it cannot be stat-ed (absent).
Ident = tuple[int, int, int, int] | None


def _ident(path: str) -> Ident:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mode & 0o170000, st.st_size, st.st_mtime_ns, st.st_ino)


def _encode(t: TransitiveImports) -> tuple[Any, ...]:
    files: dict[Path, int] = {}

    def site(s: ImportSite) -> tuple[Any, ...]:
        i = files.setdefault(s.file, len(files))
        return (i, s.line, s.column, s.package, s.importer, s.importer_version)

    needed = [(mod, [site(s) for s in sites]) for mod, sites in t.needed.items()]
    return (
        [str(f) for f in files],
        needed,
        list(t.providers.items()),
        list(t.importers.items()),
        [(mod, list(paths)) for mod, paths in t.unread.items()],
        list(t.errors),
    )


def _decode(payload: Any) -> TransitiveImports:
    """The graph back from :func:`_encode`'s form (raises for anything else)."""
    names, needed, providers, importers, unread, errors = payload
    files = [Path(n) for n in names]
    out = TransitiveImports()
    for mod, sites in needed:
        out.needed[mod] = [
            ImportSite(files[i], ln, col, pkg, imp, ver) for i, ln, col, pkg, imp, ver in sites
        ]
    out.providers = dict(providers)
    out.importers = dict(importers)
    out.unread = {mod: list(paths) for mod, paths in unread}
    out.errors = list(errors)
    return out


class GraphStore:
    """Stored import graphs under ``directory`` (default: ``<cache dir>/imports``)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = (
            os.fspath(directory) if directory is not None else os.path.join(cache_dir(), "imports")
        )
        self.error: str | None = None

    def _file(self, workspace: str) -> str:
        name = hashlib.sha256(workspace.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return os.path.join(self.directory, name)

    @staticmethod
    def digest(key: Any) -> bytes:
        """The digest of a graph's inputs (a structure of tuples, strings, numbers)."""
        return hashlib.sha256(marshal.dumps(key, 4)).digest()

    def load(self, workspace: str, key: bytes) -> TransitiveImports | None:
        """The graph stored for ``workspace`` with inputs ``key``, if every path it
        depended on is unchanged; else ``None``."""
        try:
            with open(self._file(workspace), "rb") as f:
                data = f.read()
            fmt, stored_key, paths, idents, payload = marshal.loads(data)
            if fmt != FORMAT or stored_key != key or len(paths) != len(idents):
                return None
            stat = os.stat
            for p, ident in zip(paths, idents, strict=True):
                try:
                    st = stat(p)
                except (OSError, ValueError):
                    if ident is not None:
                        return None
                    continue
                if (
                    ident is None
                    or st.st_mtime_ns != ident[2]
                    or st.st_size != ident[1]
                    or st.st_ino != ident[3]
                    or st.st_mode & 0o170000 != ident[0]
                ):
                    return None
            return _decode(payload)
        except (OSError, ValueError, EOFError, TypeError, IndexError):
            return None  # absent, foreign or corrupt: a miss

    def save(
        self,
        workspace: str,
        key: bytes,
        observed: Iterable[str],
        graph: TransitiveImports,
        started_ns: int,
    ) -> None:
        """Store ``graph`` (walked from ``started_ns``, depending on ``observed``),
        unless a path it depends on changed too recently to be trusted."""
        paths = list(dict.fromkeys(observed))
        idents = [_ident(p) for p in paths]
        cutoff = started_ns - RACY_WINDOW_NS
        if any(i is not None and i[2] >= cutoff for i in idents):
            return  # racily clean: not trusted later
        try:
            blob = marshal.dumps((FORMAT, key, paths, idents, _encode(graph)), 4)
            write_atomic(self._file(workspace), blob, mode=0o700)
        except (OSError, ValueError) as e:
            self.error = f"import graph memo {self.directory}: {e}"
