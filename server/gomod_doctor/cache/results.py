"""What a full verification reports (:func:`gomod_doctor.cache.verify.verify`),
apart from the machinery that computes it, so that the checks and the quick path
load without worker pools or the memo's database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Union

__all__ = [
    "Cancel",
    "DirDiff",
    "ModuleVerification",
    "Progress",
    "VerifyResult",
    "VerifyStats",
]

Progress = Callable[[int, int, str], None]
Cancel = Union[threading.Event, Callable[[], bool]]  # noqa: UP007 (py3.10 runtime alias)


@dataclass
class DirDiff:
    """How an extracted directory differs from its zip (names relative to the
    module root, sorted)."""

    edited: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.edited or self.added or self.removed)


@dataclass
class ModuleVerification:
    """The facts for one module version.

    ``zip_present``: the zip exists (then ``zip_h1`` or ``zip_error``).
    ``dir_checked``: the directory was asked for (``need_dir``) and exists (then
    ``dir_h1`` or ``dir_error``). ``diff`` is set when both hashes are known and
    differ, and the zip's members are known (hashed now or memoized).
    ``error`` is set when go has no cache path for the module version at all.
    """

    path: str
    version: str
    zip: str = ""
    dir: str = ""
    zip_present: bool = False
    zip_h1: str | None = None
    zip_error: str | None = None
    zip_from_memo: bool = False
    dir_checked: bool = False
    dir_h1: str | None = None
    dir_error: str | None = None
    dir_from_memo: bool = False
    diff: DirDiff | None = None
    error: str | None = None


@dataclass
class VerifyStats:
    """Counters for one :func:`verify` run (memo effectiveness, work done)."""

    zips_hashed: int = 0
    zips_memo: int = 0
    dirs_hashed: int = 0  # directories whose hash was recomputed from file digests
    dirs_memo: int = 0  # directories whose fingerprint matched the memo
    files_hashed: int = 0
    files_memo: int = 0
    bytes_hashed: int = 0  # zip bytes read plus file bytes read
    files_walked: int = 0
    tasks: int = 0
    workers: int = 0  # 0: everything ran in the calling process
    pool_broken: bool = False  # the pool broke (a worker died): the rest ran here
    memo_used: bool = False
    memo_rebuilt: bool = False
    memo_error: str | None = None
    seconds: float = 0.0


@dataclass
class VerifyResult:
    modules: dict[tuple[str, str], ModuleVerification]
    cancelled: bool = False
    unfinished: list[tuple[str, str]] = field(default_factory=list)
    stats: VerifyStats = field(default_factory=VerifyStats)
