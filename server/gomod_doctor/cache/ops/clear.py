"""Clearing module versions from the cache: one version, every version of a module,
the whole cache; listing what is cached."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from gomod_doctor.cache import modindex
from gomod_doctor.cache.layout import scan_sorted, walk_download, walk_extracted
from gomod_doctor.cache.ops.model import (
    ItemError,
    OperationError,
    OpResult,
    ProgressFn,
    _Cancelled,
    _Refused,
    validate_module,
    validate_module_version,
)
from gomod_doctor.cache.ops.safefs import (
    _DL_FILE,
    _DL_TMP,
    _EXT_TMP,
    _ORDER,
    _Cache,
    _check_component,
    _flock,
    _listdir_fd,
    _LockTimeout,
    _rewrite_list,
    _Target,
)
from gomod_doctor.module import semver
from gomod_doctor.module.escape import (
    escape_path,
    escape_version,
    unescape_path,
    unescape_version,
)
from gomod_doctor.module.paths import ModuleVersion, canonical_version

# --------------------------------------------------------------------------- versions


@dataclass(frozen=True)
class _Where:
    """Where an escaped module path lives: download dir parts, extracted parent, base."""

    esc_path: str

    @property
    def path_parts(self) -> tuple[str, ...]:
        parts = tuple(self.esc_path.split("/"))
        for p in parts:
            _check_component(p)
        return parts

    @property
    def dl_parts(self) -> tuple[str, ...]:
        return ("cache", "download", *self.path_parts, "@v")

    @property
    def ext_parent(self) -> tuple[str, ...]:
        return self.path_parts[:-1]

    @property
    def base(self) -> str:
        return self.path_parts[-1]


def _version_targets(
    where: _Where,
    esc_ver: str,
    dl_names: Sequence[str],
    ext_names: Sequence[str],
    *,
    keep_mod: bool,
) -> list[_Target]:
    """What to remove for one escaped version, in removal order."""
    out: list[_Target] = []
    dl = where.dl_parts
    for name in dl_names:
        m = _DL_FILE.match(name)
        if m and m["ver"] == esc_ver:
            kind = m["kind"]
            if kind == "lock" or (keep_mod and kind in ("info", "mod")):
                continue
            out.append(_Target(dl, name, kind))
            continue
        m = _DL_TMP.match(name)
        if m and m["ver"] == esc_ver:
            out.append(_Target(dl, name, "tmp"))
    prefix = f"{where.base}@"
    own = f"{prefix}{esc_ver}"
    # a "<base>@<v>.tmp-N" name that is itself a version in the cache is not a temp dir
    known = _cached_versions(dl_names)
    for name in ext_names:
        if name == own:
            out.append(_Target(where.ext_parent, name, "dir"))
        elif (
            name.startswith(own + ".tmp-")
            and _EXT_TMP.match(name)
            and name[len(prefix) :] not in known
        ):
            out.append(_Target(where.ext_parent, name, "tmp-dir"))
    out.sort(key=lambda t: _ORDER.get(t.role, 9))
    return out


def _version_of(esc_ver: str) -> str:
    try:
        return unescape_version(esc_ver)
    except ValueError:
        return esc_ver


def _path_of(esc_path: str) -> str:
    try:
        return unescape_path(esc_path)
    except ValueError:
        return esc_path


def _clear_escaped(
    cache: _Cache,
    where: _Where,
    esc_ver: str,
    *,
    keep_mod: bool,
    dry_run: bool,
    lock_timeout: float,
    cancel: threading.Event | None,
    result: OpResult,
    report: Callable[[str], None],
) -> bool:
    """Clear one version (given escaped). Returns whether anything was (or would be)
    removed. Problems go to ``result.errors``."""
    label = f"{_path_of(where.esc_path)}@{_version_of(esc_ver)}"
    try:
        _check_component(esc_ver)
        with (
            cache.open_dir(where.dl_parts) as dl_fd,
            cache.open_dir(where.ext_parent) as ext_fd,
        ):
            dl_names = _listdir_fd(dl_fd)
            ext_names = [n for n in _listdir_fd(ext_fd) if n.startswith(where.base + "@")]
            targets = _version_targets(where, esc_ver, dl_names, ext_names, keep_mod=keep_mod)
            if not targets:
                return False
            if dry_run:
                for t in targets:
                    fd = dl_fd if t.parts == where.dl_parts else ext_fd
                    assert fd is not None
                    cache.remove(fd, t.parts, t.name, dry_run=True, result=result, cancel=cancel)
                return True
        # For real: take go's lock (creating the download dir if need be), then look
        # again — a go command may have changed things while we waited.
        with cache.open_dir(where.dl_parts, create=True) as dl_fd:
            assert dl_fd is not None
            lock_name = f"{esc_ver}.lock"
            lock_shown = cache.display(where.dl_parts, lock_name)
            with (
                _flock(
                    dl_fd,
                    lock_name,
                    lock_shown,
                    timeout=lock_timeout,
                    cancel=cancel,
                    on_wait=report,
                ),
                cache.open_dir(where.ext_parent) as ext_fd,
            ):
                dl_names = _listdir_fd(dl_fd)
                ext_names = [n for n in _listdir_fd(ext_fd) if n.startswith(where.base + "@")]
                targets = _version_targets(where, esc_ver, dl_names, ext_names, keep_mod=keep_mod)
                for t in targets:
                    if cancel is not None and cancel.is_set():
                        raise _Cancelled
                    fd = dl_fd if t.parts == where.dl_parts else ext_fd
                    assert fd is not None
                    report(f"removing {cache.display(t.parts, t.name)}")
                    cache.remove(fd, t.parts, t.name, dry_run=False, result=result, cancel=cancel)
            if any(t.role == "mod" for t in targets):
                try:
                    _rewrite_list(cache, dl_fd, where.dl_parts, lock_timeout)
                except (OSError, _LockTimeout) as e:
                    result.notes.append(f"{label}: could not rewrite the version list: {e}")
            return bool(targets)
    except _Refused as e:
        result.errors.append(ItemError(label, f"{label}: {e}"))
    except _LockTimeout as e:
        result.errors.append(ItemError(label, f"{label}: {e}"))
    except OSError as e:
        where_ = e.filename if isinstance(e.filename, str) else ""
        result.errors.append(
            ItemError(label, f"{label}: {where_ + ': ' if where_ else ''}{e.strerror or e}")
        )
    return False


# --------------------------------------------------------------------------- enumeration


def _walk_download(root: str, notes: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(escaped module path, names in its @v dir), without following symlinks: the
    walk of :func:`~gomod_doctor.cache.layout.walk_download`, refusing (noted) a
    ``cache`` or ``cache/download`` that is a symbolic link or no directory, as
    what is listed here may be removed."""
    for d in (os.path.join(root, "cache"), os.path.join(root, "cache", "download")):
        try:
            if not stat.S_ISDIR(os.lstat(d).st_mode):
                notes.append(f"skipped {d}: not a directory")
                return
        except OSError:
            return
    for esc_path, _at_v, entries in walk_download(root, notes):
        yield esc_path, [e.name for e in entries]


def _escaped_versions(
    dl_names: Iterable[str], ext_rest: Iterable[str], dl_known: set[str]
) -> set[str]:
    found: set[str] = set()
    for name in dl_names:
        m = _DL_FILE.match(name) or _DL_TMP.match(name)
        if m and m["kind"] != "lock":  # a lock file alone is no cached version
            found.add(m["ver"])
    for rest in ext_rest:
        m = _EXT_TMP.match(rest)
        if m and rest not in dl_known:
            found.add(m["ver"])
        else:
            found.add(rest)
    return found


def cached_versions(gomodcache: str | os.PathLike[str]) -> list[ModuleVersion]:
    """Every module version with something in the cache (download files or an
    extracted directory), sorted; names that do not decode are left out."""
    cache = _Cache(gomodcache)
    return [ModuleVersion(p, v) for p, v, *_ in _all_versions(cache, [])]


def _all_versions(cache: _Cache, notes: list[str]) -> list[tuple[str, str, str, str]]:
    """(path, version, escaped path, escaped version), sorted by path and version."""
    by_path: dict[str, tuple[list[str], list[str]]] = {}
    for esc_path, names in _walk_download(cache.root, notes):
        by_path.setdefault(esc_path, ([], []))[0].extend(names)
    for esc_path, rest, _full in walk_extracted(cache.root, notes):
        by_path.setdefault(esc_path, ([], []))[1].append(rest)
    out: list[tuple[str, str, str, str]] = []
    for esc_path, (dl_names, ext_rest) in by_path.items():
        try:
            path = unescape_path(esc_path)
        except ValueError:
            notes.append(f"skipped {esc_path}: not an escaped module path")
            continue
        known = _cached_versions(dl_names)
        for esc_ver in _escaped_versions(dl_names, ext_rest, known):
            try:
                version = unescape_version(esc_ver)
            except ValueError:
                notes.append(f"skipped {esc_path}@{esc_ver}: not an escaped version")
                continue
            if not semver.is_valid(version) or canonical_version(version) != version:
                notes.append(f"skipped {esc_path}@{esc_ver}: not a canonical version")
                continue
            out.append((path, version, esc_path, esc_ver))
    out.sort(key=lambda t: (t[0], semver.canonical(t[1]), t[1]))
    return out


# --------------------------------------------------------------------------- operations


def _reporter(progress: ProgressFn | None, counter: list[int]) -> Callable[[str], None]:
    def report(message: str) -> None:
        if progress is not None:
            progress(message, counter[0], counter[1])

    return report


def clear_version(
    gomodcache: str | os.PathLike[str],
    path: str,
    version: str,
    *,
    dry_run: bool = False,
    lock_timeout: float = 30.0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    index: modindex.IndexScope | None = None,
) -> OpResult:
    """Remove one module version from the cache: its download files (``.info
    .mod .zip .ziphash .partial`` and temp leftovers; never the ``.lock``) and its
    extracted directory, under go's per-version lock; then go's module index entry
    of the directory (with ``index``), whether or not the cache held the version."""
    validate_module_version(path, version)
    cache = _Cache(gomodcache)
    result = OpResult(dry_run=dry_run)
    counter = [0, 1]
    report = _reporter(progress, counter)
    report(f"clearing {path}@{version}")
    try:
        if _clear_escaped(
            cache,
            _Where(escape_path(path)),
            escape_version(version),
            keep_mod=False,
            dry_run=dry_run,
            lock_timeout=lock_timeout,
            cancel=cancel,
            result=result,
            report=report,
        ):
            result.versions.append(ModuleVersion(path, version))
    except _Cancelled:
        result.cancelled = True
    _drop_index(result, cache, index, [(path, version)])
    counter[0] = 1
    report(f"cleared {path}@{version}")
    return result


def _drop_index(
    result: OpResult,
    cache: _Cache,
    index: modindex.IndexScope | None,
    versions: Iterable[tuple[str, str]],
) -> None:
    """Drop go's module index entries of cleared versions' directories (keyed by
    GOMODCACHE as go spells it, not resolved)."""
    if index is None or result.cancelled:
        return
    result.index.extend(modindex.drop(index, cache.given, versions, dry_run=result.dry_run))


def clear_module(
    gomodcache: str | os.PathLike[str],
    path: str,
    *,
    dry_run: bool = False,
    lock_timeout: float = 30.0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    index: modindex.IndexScope | None = None,
) -> OpResult:
    """Remove every version of module ``path`` (and nothing of ``path/sub`` or
    ``pathx``, which are other modules). Lock files stay, as go leaves them. With
    ``index``, go's module index entries of their directories go too."""
    validate_module(path)
    cache = _Cache(gomodcache)
    result = OpResult(dry_run=dry_run)
    where = _Where(escape_path(path))
    try:
        with cache.open_dir(where.dl_parts) as dl_fd, cache.open_dir(where.ext_parent) as ext_fd:
            dl_names = _listdir_fd(dl_fd)
            prefix = where.base + "@"
            ext_rest = [n[len(prefix) :] for n in _listdir_fd(ext_fd) if n.startswith(prefix)]
    except _Refused as e:
        result.errors.append(ItemError(path, f"module {path}: {e}"))
        return result
    except OSError as e:
        result.errors.append(ItemError(path, f"module {path}: {e.strerror or e}"))
        return result
    known = _cached_versions(dl_names)
    esc_versions = sorted(_escaped_versions(dl_names, ext_rest, known))
    counter = [0, len(esc_versions)]
    report = _reporter(progress, counter)
    try:
        for esc_ver in esc_versions:
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            version = _version_of(esc_ver)
            report(f"clearing {path}@{version}")
            if _clear_escaped(
                cache,
                where,
                esc_ver,
                keep_mod=False,
                dry_run=dry_run,
                lock_timeout=lock_timeout,
                cancel=cancel,
                result=result,
                report=report,
            ):
                result.versions.append(ModuleVersion(path, version))
            counter[0] += 1
    except _Cancelled:
        result.cancelled = True
    _drop_index(result, cache, index, [(v.path, v.version) for v in result.versions])
    report(f"cleared {len(result.versions)} versions of {path}")
    return result


def _cached_versions(dl_names: Iterable[str]) -> set[str]:
    """The escaped versions a download directory holds files of (a lock file alone is
    no cached version)."""
    return {m["ver"] for n in dl_names if (m := _DL_FILE.match(n)) and m["kind"] != "lock"}


def _looks_like_cache(root: str) -> bool:
    names = [e.name for e in scan_sorted(root)]
    return not names or "cache" in names


def clear_all(
    gomodcache: str | os.PathLike[str],
    *,
    dry_run: bool = False,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    index: modindex.IndexScope | None = None,
) -> OpResult:
    """Empty the module cache, as ``go clean -modcache`` does: everything in it,
    and the directory itself (unless GOMODCACHE is a symlink: then the directory
    it points to is emptied and kept, so no dangling link is left). With
    ``index``, go's module index entries of every version's directory go too.

    Refused for a directory that does not look like a module cache (not empty and
    without a ``cache`` subdirectory) or for the home directory.
    """
    cache = _Cache(gomodcache)
    result = OpResult(dry_run=dry_run)
    if not cache.exists():
        return result
    home = os.environ.get("HOME", "")
    if home and os.path.isabs(home) and os.path.realpath(home) == cache.root:
        raise OperationError(f"refusing to empty {cache.root}: it is the home directory")
    if not _looks_like_cache(cache.root):
        raise OperationError(
            f"refusing to empty {cache.root}: it does not look like a module cache "
            "(no cache/ directory in it)"
        )
    held = [(p, v) for p, v, *_ in _all_versions(cache, [])] if index is not None else []
    try:
        with cache.open_dir(()) as root_fd:
            assert root_fd is not None
            names = sorted(os.listdir(root_fd))
            counter = [0, len(names)]
            report = _reporter(progress, counter)
            for name in names:
                if cancel is not None and cancel.is_set():
                    raise _Cancelled
                report(f"removing {os.path.join(cache.root, name)}")
                cache.remove(root_fd, (), name, dry_run=dry_run, result=result, cancel=cancel)
                counter[0] += 1
            report("module cache emptied" if not dry_run else "dry run")
    except _Cancelled:
        result.cancelled = True
        return result
    except _Refused as e:
        result.errors.append(ItemError(cache.root, str(e)))
        return result
    except OSError as e:
        result.errors.append(ItemError(cache.root, f"{cache.root}: {e.strerror or e}"))
        return result
    if not dry_run and not result.errors and not os.path.islink(cache.given):
        try:
            os.rmdir(cache.root)
        except OSError as e:
            result.errors.append(ItemError(cache.root, f"remove {cache.root}: {e.strerror or e}"))
    _drop_index(result, cache, index, held)
    return result


def estimate_bytes(
    gomodcache: str | os.PathLike[str], path: str | None = None, version: str | None = None
) -> int:
    """Bytes a clear would free: of ``path@version``, of every version of ``path``,
    or of the whole cache (no arguments). For confirmation prompts."""
    if path is None:
        return clear_all(gomodcache, dry_run=True).bytes_freed
    if version is None:
        return clear_module(gomodcache, path, dry_run=True).bytes_freed
    return clear_version(gomodcache, path, version, dry_run=True).bytes_freed
