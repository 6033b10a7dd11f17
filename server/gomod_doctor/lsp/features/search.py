"""Find local checkouts of a module: directories whose go.mod declares its path.

Used by the "Use local checkout DIR" and "Point the replace at DIR" code actions.
The places looked at are few and shallow: the workspace folders, the siblings of
the module (its parent directory), and the configured ``localReplaceSearchPaths``,
each to a small depth. A scan never follows symbolic links, skips version-control,
vendor and dependency directories, never enters the module cache, and stops after
a bounded number of directories or a time budget, so a search path pointing at a
huge tree costs a fraction of a second once. Results are kept for a few seconds
(:class:`CheckoutIndex`), so repeated code-action requests cost a dict lookup.
For a document, :func:`checkout_roots` says where to look and :func:`find_checkouts`
takes the search's inputs on the loop and leaves the walk to a worker thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gomod_doctor.modfile.declared import declared_module

if TYPE_CHECKING:
    from gomod_doctor.lsp.context import Context
    from gomod_doctor.lsp.document import DocInfo

__all__ = [
    "CheckoutIndex",
    "ScanResult",
    "SearchRoot",
    "declared_module",
    "replace_path_for",
    "scan",
]

#: Directory names never entered.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        ".jj",
        ".idea",
        ".vscode",
        ".cache",
        ".venv",
        "venv",
        "__pycache__",
        "node_modules",
        "vendor",
        "testdata",
        "bazel-out",
    }
)
#: At most this many directories are listed per scan.
#: At most this many "Use local checkout" / "Point the replace at" choices.
MAX_CHECKOUTS = 3

MAX_DIRS = 4000
#: A scan stops after this many seconds.
TIME_BUDGET = 0.3
#: How long a scan's results are reused.
TTL = 5.0
#: go.mod files larger than this are not read (no real go.mod is).
MAX_GOMOD = 256 << 10


@dataclass(frozen=True)
class SearchRoot:
    """Look for ``go.mod`` files in ``path`` and up to ``depth`` levels below it."""

    path: Path
    depth: int


@dataclass
class ScanResult:
    #: module path -> directories declaring it, in the order found
    modules: dict[str, list[Path]] = field(default_factory=dict)
    dirs_listed: int = 0
    truncated: bool = False
    when: float = 0.0


def _read_module(gomod: str) -> str | None:
    try:
        with open(gomod, "rb") as f:
            data = f.read(MAX_GOMOD)
    except OSError:
        return None
    return declared_module(data.decode("utf-8", "replace"))


def scan(
    roots: Iterable[SearchRoot],
    *,
    skip: Iterable[Path] = (),
    max_dirs: int = MAX_DIRS,
    budget: float = TIME_BUDGET,
) -> ScanResult:
    """Every go.mod in ``roots`` (breadth first, each to its depth), by module path.

    ``skip`` are directories never entered (the module cache). Symbolic links to
    directories are not followed.
    """
    out = ScanResult(when=time.monotonic())
    deadline = out.when + budget
    skipped = {os.path.normpath(str(p)) for p in skip}
    seen: set[str] = set()
    queue: list[tuple[str, int]] = []
    for r in roots:
        p = os.path.normpath(str(r.path))
        if os.path.isabs(p):
            queue.append((p, max(0, r.depth)))
    i = 0
    while i < len(queue):
        d, depth = queue[i]
        i += 1
        if d in seen or d in skipped:
            continue
        seen.add(d)
        if out.dirs_listed >= max_dirs or time.monotonic() > deadline:
            out.truncated = True
            break
        out.dirs_listed += 1
        try:
            with os.scandir(d) as it:
                entries = list(it)
        except OSError:
            continue
        for e in entries:
            try:
                if e.name == "go.mod" and e.is_file():
                    mod = _read_module(e.path)
                    if mod:
                        out.modules.setdefault(mod, []).append(Path(d))
                elif (
                    depth > 0
                    and e.name not in SKIP_DIRS
                    and not e.name.startswith(".")
                    and e.is_dir(follow_symlinks=False)
                ):
                    queue.append((e.path, depth - 1))
            except OSError:
                continue
    return out


class CheckoutIndex:
    """Scans reused for :data:`TTL` seconds, keyed by the roots scanned."""

    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[tuple[tuple[SearchRoot, ...], tuple[Path, ...]], ScanResult] = {}

    def lookup(
        self,
        module_path: str,
        roots: Sequence[SearchRoot],
        *,
        skip: Sequence[Path] = (),
        exclude: Iterable[Path] = (),
    ) -> list[Path]:
        """Directories (in ``roots``) whose go.mod declares ``module_path``, except
        those in ``exclude`` (the workspace's own modules)."""
        key = (tuple(roots), tuple(skip))
        now = time.monotonic()
        with self._lock:
            got = self._cache.get(key)
            if got is None or now - got.when > self.ttl:
                got = scan(roots, skip=skip)
                self._cache[key] = got
                if len(self._cache) > 32:
                    oldest = min(self._cache, key=lambda k: self._cache[k].when)
                    del self._cache[oldest]
        excluded = {os.path.normpath(str(p)) for p in exclude}
        out: list[Path] = []
        for d in got.modules.get(module_path, []):
            if os.path.normpath(str(d)) not in excluded and d not in out:
                out.append(d)
        return out

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def replace_path_for(target: Path, gomod_dir: Path) -> str:
    """How a replace in ``gomod_dir``'s go.mod (or go.work) names ``target``: a
    relative ``./x`` or ``../x`` path with forward slashes, or the absolute path when
    that is all there is (another drive)."""
    try:
        rel = os.path.relpath(target, gomod_dir)
    except ValueError:
        return str(target)
    rel = rel.replace(os.sep, "/")
    if rel in (".", "..") or rel.startswith("../"):
        return rel
    return "./" + rel


# --------------------------------------------------------------------------- for a document


def checkout_roots(server: Context, doc: DocInfo) -> list[SearchRoot]:
    """Where local checkouts are looked for: the workspace folders, the siblings of
    the workspace's modules, and the configured search paths."""
    roots = [SearchRoot(p, 3) for p in server.workspace_folders()]
    module_dirs = [doc.path.parent]
    if doc.view is not None and doc.view.facts is not None:
        module_dirs += [m.dir for m in doc.view.facts.snapshot.modules]
    for d in dict.fromkeys(module_dirs):
        roots.append(SearchRoot(d.parent, 2))
    base = doc.view.location.root if doc.view is not None else doc.path.parent
    for s in server.state.settings.local_replace_search_paths:
        p = Path(os.path.expanduser(s))
        if not p.is_absolute():
            p = base / p
        roots.append(SearchRoot(Path(os.path.normpath(p)), 3))
    out: list[SearchRoot] = []
    for r in roots:
        if r not in out:
            out.append(r)
    return out


def _own_module_dirs(doc: DocInfo) -> list[Path]:
    out = [doc.path.parent]
    if doc.view is not None and doc.view.facts is not None:
        out += [m.dir for m in doc.view.facts.snapshot.modules]
    return out


def find_checkouts(
    server: Context, doc: DocInfo, module_paths: Iterable[str]
) -> Callable[[], dict[str, list[Path]]]:
    """The search for the checkouts of ``module_paths``: its inputs taken now (on the
    loop), the directory walk left to the returned function (for a worker thread)."""
    cache = server.state.env.GOMODCACHE
    skip = [Path(cache)] if cache and os.path.isabs(cache) else []
    roots = checkout_roots(server, doc)
    exclude = _own_module_dirs(doc)
    index = server.checkouts
    base = doc.path.parent
    paths = sorted(module_paths)

    def distance(p: Path) -> tuple[int, str]:
        return (len(replace_path_for(p, base)), str(p))

    def run() -> dict[str, list[Path]]:
        out: dict[str, list[Path]] = {}
        for m in paths:
            found = index.lookup(m, roots, skip=skip, exclude=exclude)
            out[m] = sorted(found, key=distance)[:MAX_CHECKOUTS]
        return out

    return run
