"""Where gomod-doctor keeps its own data: ``$XDG_CACHE_HOME/gomod-doctor``, else
``~/.cache/gomod-doctor`` (the hash memo, the import-graph memo)."""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["cache_dir"]


def cache_dir(environ: Mapping[str, str] | None = None) -> str:
    """gomod-doctor's cache directory (not created here)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    if not base or not os.path.isabs(base):
        home = env.get("HOME") if environ is not None else None
        base = os.path.join(home or os.path.expanduser("~"), ".cache")
    return os.path.join(base, "gomod-doctor")
