"""The watcher process the language server uses (now :mod:`gomod_doctor.fswatch`)."""

from gomod_doctor.fswatch.process import WatchProcess, child_main

__all__ = ["WatchProcess", "child_main"]
