"""Where gomod-doctor keeps its own data: ``$XDG_CACHE_HOME/gomod-doctor``, else
``~/.cache/gomod-doctor`` (the hash memo, the import-graph memo, the small-file
memo)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping

__all__ = ["cache_dir", "write_atomic"]


def cache_dir(environ: Mapping[str, str] | None = None) -> str:
    """gomod-doctor's cache directory (not created here)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    if not base or not os.path.isabs(base):
        home = env.get("HOME") if environ is not None else None
        base = os.path.join(home or os.path.expanduser("~"), ".cache")
    return os.path.join(base, "gomod-doctor")


def write_atomic(path: str, data: bytes, *, mode: int = 0o777) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temp file beside it, then a
    rename), creating its directory with ``mode``. Raises ``OSError``."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=mode, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
