"""What a watcher watches and what it drops: pure, no watching here.

:class:`Root` is a directory watched flat (its entries) or recursively;
:func:`is_ignored` is the rule both the language server and ``gomod-doctor watch``
apply to every change: editor temp files (``*.swp``, ``*~``, ``.#*``, ``4913``,
``*.tmp``, ...) and the go command's in-progress download files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ChangeKind = Literal["added", "modified", "deleted"]
FileChange = tuple[ChangeKind, Path]

_TEMP_NAME = re.compile(
    r"""(
        \.sw[a-p]$ | \.swx$ | ~$ | ^\.\# | ^\#.*\#$ | ^4913$ | \.tmp$ | \.TMP$
        | ^\.goutputstream- | \.crswap$ | \.kate-swp$ | ___jb_(tmp|old)___$
    )""",
    re.VERBOSE,
)


def is_ignored(path: Path, kind: ChangeKind | None = None) -> bool:
    """An editor temp file, or a file the go command writes while downloading.

    Go writes ``<v>.zip`` through ``<v>.zip<random>.tmp`` files and marks an
    extraction in progress with ``<v>.partial``; ``<v>.lock`` is its lock file. The
    removal of a ``.partial`` marks the end of an extraction and is kept.
    """
    name = path.name
    if _TEMP_NAME.search(name):
        return True
    if name.endswith(".lock") and "@v" in path.parts:
        return True
    return name.endswith(".partial") and kind != "deleted"


@dataclass(frozen=True, order=True)
class Root:
    path: Path
    recursive: bool


def _covered(path: Path, recursive_roots: set[Path]) -> bool:
    return any(parent in recursive_roots for parent in path.parents)


def normalize_roots(roots: Iterable[Root]) -> set[Root]:
    """Without duplicates and without roots inside a recursive root (a flat root that
    is also recursive is kept recursive)."""
    rs = set(roots)
    recursive = {r.path for r in rs if r.recursive}
    out: set[Root] = set()
    for r in rs:
        if not r.recursive and r.path in recursive:
            continue
        if _covered(r.path, recursive):
            continue
        out.add(r)
    return out
