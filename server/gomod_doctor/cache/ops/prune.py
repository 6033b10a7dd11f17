"""Pruning the versions a workspace does not need, and what it needs: the closure of
the cached go.mod files' requirements."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable, Mapping

from gomod_doctor.cache import modindex
from gomod_doctor.cache.ops.clear import (
    _all_versions,
    _clear_escaped,
    _drop_index,
    _reporter,
    _Where,
)
from gomod_doctor.cache.ops.model import (
    TOOLCHAIN_MODULE,
    Needs,
    OperationError,
    OpResult,
    ProgressFn,
    _Cancelled,
    _Refused,
    validate_module_version,
)
from gomod_doctor.cache.ops.safefs import _Cache, _listdir_fd
from gomod_doctor.modfile.rules import parse_mod
from gomod_doctor.module import semver
from gomod_doctor.module.escape import (
    escape_path,
    escape_version,
)
from gomod_doctor.module.paths import ModuleVersion


def _validated_set(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for p, v in pairs:
        validate_module_version(p, v)
        out.add((p, v))
    return out


def prune(
    gomodcache: str | os.PathLike[str],
    keep: Iterable[tuple[str, str]],
    *,
    keep_mod: Iterable[tuple[str, str]] = (),
    dry_run: bool = True,
    keep_toolchains: bool = True,
    lock_timeout: float = 30.0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    index: modindex.IndexScope | None = None,
) -> OpResult:
    """Remove the versions no workspace needs. Dry run by default.

    ``keep``: versions needed whole. ``keep_mod``: versions of which only the go.mod
    is needed (for the module graph): their ``.mod`` and ``.info`` stay, the zip and
    extracted directory go. Everything else with a canonical version goes whole.
    ``cache/vcs``, ``cache/download/sumdb``, names that do not decode and (unless
    ``keep_toolchains`` is false) go's downloaded toolchains are left alone.
    """
    keep_set = _validated_set(keep)
    mod_set = _validated_set(keep_mod) - keep_set
    cache = _Cache(gomodcache)
    result = OpResult(dry_run=dry_run)
    if not cache.exists():
        return result
    versions = _all_versions(cache, result.notes)
    todo: list[tuple[str, str, str, str, bool]] = []
    for path, version, esc_path, esc_ver in versions:
        if (path, version) in keep_set or (keep_toolchains and path == TOOLCHAIN_MODULE):
            result.kept.append(ModuleVersion(path, version))
            continue
        todo.append((path, version, esc_path, esc_ver, (path, version) in mod_set))
    counter = [0, len(todo)]
    report = _reporter(progress, counter)
    try:
        for path, version, esc_path, esc_ver, only_zip in todo:
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            report(f"{'would prune' if dry_run else 'pruning'} {path}@{version}")
            if _clear_escaped(
                cache,
                _Where(esc_path),
                esc_ver,
                keep_mod=only_zip,
                dry_run=dry_run,
                lock_timeout=lock_timeout,
                cancel=cancel,
                result=result,
                report=report,
            ):
                (result.mod_only if only_zip else result.versions).append(
                    ModuleVersion(path, version)
                )
            elif only_zip:
                result.kept.append(ModuleVersion(path, version))
            counter[0] += 1
    except _Cancelled:
        result.cancelled = True
    pruned = result.versions + result.mod_only
    _drop_index(result, cache, index, [(v.path, v.version) for v in pruned])
    report(f"{'would free' if dry_run else 'freed'} {result.bytes_freed} bytes")
    return result


# --------------------------------------------------------------------------- needs


def _read_cached_mod(cache: _Cache, path: str, version: str) -> str | None:
    where = _Where(escape_path(path))
    name = f"{escape_version(version)}.mod"
    try:
        with cache.open_dir(where.dl_parts) as fd:
            if fd is None:
                return None
            f = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
            try:
                with os.fdopen(f, "rb", closefd=False) as fh:
                    data = fh.read(16 << 20)
            finally:
                os.close(f)
    except (OSError, _Refused):
        return None
    return data.decode("utf-8", errors="replace")


def expand_needs(
    gomodcache: str | os.PathLike[str],
    full: Iterable[tuple[str, str]],
    *,
    mod_only: Iterable[tuple[str, str]] = (),
    replace: Mapping[tuple[str, str], tuple[str, str]] | None = None,
) -> Needs:
    """Complete the needs of a workspace from the cached ``.mod`` files.

    ``full`` are the versions the workspace requires (its go.mod ``require``
    lines). Walking the cached go.mod files from them gives every version go's
    module graph may read (a superset: graph pruning reads less). Of those, a
    version can only be *selected* — and so need its zip — if it is not below a
    version the workspace itself requires of that module (MVS selects the
    maximum); the versions below are needed for their go.mod only. Versions of
    modules the workspace does not require itself (an untidy go.mod) all count
    as ``full``. ``replace`` maps ``(path, version)`` — version "" for all
    versions — to the module replacing it; replacements are needed whole.
    """
    cache = _Cache(gomodcache)
    repl = dict(replace or {})
    want_full = {(p, v) for p, v in full if is_valid_module_version(p, v)}
    for p, v in list(want_full):
        r = repl.get((p, v)) or repl.get((p, ""))
        if r is not None and is_valid_module_version(*r):
            want_full.add(r)
    seen: set[tuple[str, str]] = set()
    todo = sorted(want_full | {(p, v) for p, v in mod_only if is_valid_module_version(p, v)})
    while todo:
        mv = todo.pop()
        if mv in seen:
            continue
        seen.add(mv)
        r = repl.get(mv) or repl.get((mv[0], ""))
        if r is not None and is_valid_module_version(*r) and r not in seen:
            todo.append(r)
        text = _read_cached_mod(cache, *mv)
        if text is None:
            continue
        mf = parse_mod(text, f"{mv[0]}@{mv[1]}/go.mod", lax=True)
        for req in mf.require:
            nxt = (req.mod.path, req.mod.version)
            if nxt not in seen and is_valid_module_version(*nxt):
                todo.append(nxt)
    floor: dict[str, str] = {}
    for p, v in want_full:
        if p not in floor or semver.compare(v, floor[p]) < 0:
            floor[p] = v
    selectable = {(p, v) for p, v in seen if p not in floor or semver.compare(v, floor[p]) >= 0}
    out_full = want_full | selectable
    return Needs(frozenset(out_full), frozenset(seen - out_full))


def is_valid_module_version(path: str, version: str) -> bool:
    """:func:`validate_module_version` as a yes or no."""
    try:
        validate_module_version(path, version)
    except OperationError:
        return False
    return True


def missing_versions(
    gomodcache: str | os.PathLike[str], modules: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The given versions that the cache does not hold completely (go.mod, zip,
    ziphash and a completely extracted directory)."""
    cache = _Cache(gomodcache)
    out: list[tuple[str, str]] = []
    for p, v in modules:
        validate_module_version(p, v)
        if not _complete(cache, p, v):
            out.append((p, v))
    return out


def _complete(cache: _Cache, path: str, version: str) -> bool:
    where = _Where(escape_path(path))
    ev = escape_version(version)
    try:
        with cache.open_dir(where.dl_parts) as dl, cache.open_dir(where.ext_parent) as ext:
            if dl is None or ext is None:
                return False
            names = set(_listdir_fd(dl))
            if not {f"{ev}.mod", f"{ev}.zip", f"{ev}.ziphash"} <= names:
                return False
            if f"{ev}.partial" in names:
                return False
            st = os.stat(f"{where.base}@{ev}", dir_fd=ext, follow_symlinks=False)
            return stat.S_ISDIR(st.st_mode)
    except (OSError, _Refused):
        return False
