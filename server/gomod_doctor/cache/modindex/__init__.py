"""go's module index in GOCACHE: find, read and drop the entry of one module directory.

The go command indexes every module-cache directory it loads packages from
(``cmd/go/internal/modindex``) and keeps the index in the build cache (GOCACHE).
It assumes those directories never change, so the entry is keyed by the
directory's path and the go version alone, never by its contents
(``modindex.moduleHash``)::

    h := cache.NewHash("moduleIndex")       // the name is for debugging only
    fmt.Fprintf(h, "module index %s %s %v\\n", runtime.Version(), indexVersion, modroot)

``cache.NewHash`` starts every hash with the salt ``runtime.Version()`` (less any
`` X:<experiments>`` suffix), so the action ID is::

    sha256(<version> + "module index <version> go index v2 <modroot>\\n")

with ``modroot`` the cleaned ``GOMODCACHE/<escaped path>@<escaped version>``, as
go spells GOMODCACHE (not resolved). Once a directory is indexed, go builds with
the indexed file list: after the directory is replaced (a redownload, or a
modified copy put back in order), a file it no longer holds fails the build with
``open <dir>/<file>: no such file or directory`` and a new one is left out,
until the entry goes (``go clean -cache`` drops every entry).

The build cache (``cmd/go/internal/cache``) keeps an entry as two files:

* ``GOCACHE/<first byte in hex>/<action ID in hex>-a``, the *action* file:
  ``v1 <action ID> <output ID> <size, %20d> <unix nanoseconds, %20d>\\n``;
* ``GOCACHE/<first byte>/<output ID in hex>-d``, the output, named by its SHA-256
  (content-addressed). For the module index it is the index itself,
  ``go index v2\\n`` followed by its packages and their source files
  (``modindex/index_format.txt``, ``write.go``).

:func:`drop` removes the action file and nothing else. Without it go misses, indexes
the directory afresh and writes the entry again. The output file stays: being
content-addressed, it may be the output of other entries too (a module of
another version or under another GOMODCACHE whose index has the same bytes), and
an orphaned output is harmless — go's cache trimming removes it once unused.

go uses no index when ``GODEBUG`` has ``goindex=0``, never reads the cache with
``gocacheverify=1``, and keeps entries in a cache program with ``GOCACHEPROG``
(then the entry cannot be reached here: ``go clean -cache`` drops it).
"""

from gomod_doctor.cache.modindex.core import (
    INDEX_VERSION,
    ActionEntry,
    IndexFormatError,
    IndexScope,
    ModuleIndex,
    action_id,
    cannot_drop,
    godebug,
    module_root,
    parse_action_entry,
    parse_index,
    scan_module,
    scope,
)
from gomod_doctor.cache.modindex.drop import DropResult, drop
from gomod_doctor.cache.modindex.facts import IndexMemo, gather

__all__ = [
    "INDEX_VERSION",
    "ActionEntry",
    "DropResult",
    "IndexFormatError",
    "IndexMemo",
    "IndexScope",
    "ModuleIndex",
    "action_id",
    "cannot_drop",
    "drop",
    "gather",
    "godebug",
    "module_root",
    "parse_action_entry",
    "parse_index",
    "scan_module",
    "scope",
]
