"""Safe operations on the module cache: clear, prune, download, redownload.

Every operation follows the same rules:

* Module paths and versions are validated first (``module.check``, canonical
  semver), and anything starting with ``-`` is refused: bad input raises
  :class:`OperationError` (go's wording) before any file is touched or any
  subprocess is started. Subprocesses get argv lists, never a shell.
* Nothing outside GOMODCACHE is ever deleted. GOMODCACHE is resolved once with
  ``os.path.realpath``; everything below it is reached one component at a time
  with ``open(O_DIRECTORY|O_NOFOLLOW, dir_fd=parent)``, so a symbolic link on the
  way (say ``cache/download/example.com`` pointing elsewhere) is detected and the
  item refused, and a symbolic link being removed is unlinked, never followed.
  Every target is also checked to lie inside the cache, component by component.
* go's read-only directories are made writable (``fchmod`` on the opened
  directory, which cannot follow a link) before their contents are removed, as
  ``modfetch.RemoveAll`` does.
* A version is cleared while holding go's own per-version lock
  (``<escaped version>.lock`` in the download directory, ``flock`` exclusive, as
  ``lockedfile.MutexAt`` takes it), so a concurrent go command cannot race us.
  The wait is bounded (``lock_timeout``) and cancellable. Lock files are never
  removed: go never removes them either, and unlinking a lock file another
  process is waiting on would break the mutual exclusion it provides.
* Errors are values: each result lists the problems per item.
* ``progress(message, done, total)`` is called as the work goes.

What "a version" covers in the cache (see :mod:`gomod_doctor.cache.layout`): the
download files ``<v>.info .mod .zip .ziphash .partial`` and go's temp files
``<v>.{zip,info,mod}<digits>.tmp`` in ``cache/download/<path>/@v``, the extracted
directory ``<path>@<v>`` and pre-1.16 extraction dirs ``<path>@<v>.tmp-<digits>``.
``cache/vcs``, ``cache/download/sumdb`` and ``cache/lock`` belong to no version.
When a version is cleared its files go in an order that keeps the cache
consistent for go at every step: the ``.ziphash`` first (go then treats the
extracted directory as incomplete), then the directory, the zip, the go.mod and
info, and the ``.partial`` marker last. The ``@v/list`` file is then rewritten
as go's ``rewriteVersionList`` would (versions with a ``.mod``).

Given an ``index`` scope (:func:`gomod_doctor.cache.modindex.scope`), clearing a
version also drops go's module index entry of its directory from GOCACHE (and no
other entry): go keys that index by the directory's path alone, so without this
a directory downloaded again would still be built with the old file list.

The work is split by kind: :mod:`.model` (results, validation), :mod:`.safefs`
(reaching the cache safely, go's lock), :mod:`.clear`, :mod:`.prune` and
:mod:`.download`; this package re-exports their public API.
"""

from __future__ import annotations

from gomod_doctor.cache.ops.clear import (
    cached_versions,
    clear_all,
    clear_module,
    clear_version,
    estimate_bytes,
)
from gomod_doctor.cache.ops.download import (
    DownloadReport,
    DownloadResult,
    RedownloadResult,
    download,
    download_missing,
    redownload,
)
from gomod_doctor.cache.ops.model import (
    TOOLCHAIN_MODULE,
    WAITING_FOR_LOCK,
    ItemError,
    Needs,
    OperationError,
    OpResult,
    ProgressFn,
    Removal,
    validate_module,
    validate_module_version,
)
from gomod_doctor.cache.ops.prune import (
    expand_needs,
    is_valid_module_version,
    missing_versions,
    prune,
)
from gomod_doctor.cache.ops.safefs import is_inside

__all__ = [
    "TOOLCHAIN_MODULE",
    "WAITING_FOR_LOCK",
    "DownloadReport",
    "DownloadResult",
    "ItemError",
    "Needs",
    "OpResult",
    "OperationError",
    "ProgressFn",
    "RedownloadResult",
    "Removal",
    "cached_versions",
    "clear_all",
    "clear_module",
    "clear_version",
    "download",
    "download_missing",
    "estimate_bytes",
    "expand_needs",
    "is_inside",
    "is_valid_module_version",
    "missing_versions",
    "prune",
    "redownload",
    "validate_module",
    "validate_module_version",
]
