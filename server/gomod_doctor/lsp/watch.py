"""The watcher the language server uses (now :mod:`gomod_doctor.fswatch`)."""

from gomod_doctor.fswatch.watcher import (
    ChangeKind,
    Debouncer,
    FileChange,
    FileWatcher,
    Root,
    WatchSummary,
    inotify_budget,
    is_ignored,
    normalize_roots,
)

__all__ = [
    "ChangeKind",
    "Debouncer",
    "FileChange",
    "FileWatcher",
    "Root",
    "WatchSummary",
    "inotify_budget",
    "is_ignored",
    "normalize_roots",
]
