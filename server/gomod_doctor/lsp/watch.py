"""The watcher the language server uses (now :mod:`gomod_doctor.fswatch.watcher`)."""

from gomod_doctor.fswatch.watcher import *  # noqa: F403
from gomod_doctor.fswatch.watcher import __all__ as __all__
