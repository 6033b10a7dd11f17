"""The module index fact the checks read: plain data, no I/O.
:func:`gomod_doctor.cache.modindex.gather` fills it; :mod:`gomod_doctor.checks.buildindex`
turns it into findings."""

from __future__ import annotations

from dataclasses import dataclass


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
