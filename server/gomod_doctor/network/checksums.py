"""The checksum-database part of a gather: the needed public module versions looked up
in the checksum database the way the go command reaches it, answers verified.

:func:`gather_sumdb` asks about every needed module version that GOSUMDB covers:

- those go.sum has lines for, to verify the lines (go itself never asks about a line
  go.sum has: a wrong line goes unnoticed until the module is downloaded again);
- those go.sum lacks lines for, to predict what go will get when it adds them.

The route is go's (:func:`~gomod_doctor.network.sumdb.select_route` through the
GOPROXY list; a URL in GOSUMDB means directly). GOSUMDB=off: nothing. A GOPRIVATE or
GONOSUMDB path is never sent. Every request goes through the gather's
:class:`~gomod_doctor.network.http.HttpPool`, so the per-request limits, the
concurrency bound and the gather's deadline apply; what the deadline cuts short is
``unchecked``. Only verified answers carry hashes (:class:`SumdbRecord` ``ok``);
verified data is kept on disk under the user cache dir, as go keeps its own.

go's own checksum-database state (:func:`go_state_dirs`) is read: its tree head, and
its cached lookups, which answer even while the database is down or held down.

A database that cannot be reached is backed off between gathers through the
:class:`~gomod_doctor.network.proxy.NetworkCache` (as a failing proxy is), and
"not found" answers are kept for its TTL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Mapping, Sequence

from gomod_doctor.facts import Facts
from gomod_doctor.module.escape import escape_path, escape_version
from gomod_doctor.netfacts import SumdbFacts, SumdbKind, SumdbRecord
from gomod_doctor.network.http import HttpPool, safe_url
from gomod_doctor.network.private import never_to_sumdb
from gomod_doctor.network.proxy import NetworkCache
from gomod_doctor.network.quiet import lookup_targets, sumdb_setting
from gomod_doctor.network.sumdb.client import SumDBClient, default_cache_dir
from gomod_doctor.network.sumdb.gosumdb import GoSumDB
from gomod_doctor.network.sumdb.records import LookupOK, LookupResult

#: At most this many lookups in one gather (the rest are ``unchecked``).
MAX_LOOKUPS = 500

#: Words of a request the gather's deadline stopped (http.FetchError "deadline").
_DEADLINE_WORDS = "the network deadline ran out"


def _lookup_segment(path: str, version: str) -> str:
    try:
        return f"lookup/{escape_path(path)}@{escape_version(version)}"
    except Exception:
        return f"lookup/{path}@{version}"


def _record(r: LookupResult, pool: HttpPool) -> SumdbRecord:
    if isinstance(r, LookupOK):
        return SumdbRecord(
            r.path,
            r.version,
            "ok",
            zip_hash=r.hash,
            mod_hash=r.gomod_hash,
            from_cache=r.from_cache,
            from_go_cache=r.from_go_cache,
            record_id=r.record_id,
            tree_size=r.tree.n,
        )
    kind: SumdbKind = r.kind
    left = pool.remaining()
    if kind in ("unreachable", "server-error") and (
        _DEADLINE_WORDS in r.message or (left is not None and left <= 0)
    ):
        kind = "unchecked"
    return SumdbRecord(
        r.path, r.version, kind, message=r.message, reason=r.reason or "", problem=r.problem
    )


def _moved(template: SumdbRecord, path: str, version: str) -> SumdbRecord:
    """A held failure of the database, reused for another module version."""
    old = _lookup_segment(template.module, template.version)
    return dataclasses.replace(
        template,
        module=path,
        version=version,
        message=template.message.replace(old, _lookup_segment(path, version)),
        cached=True,
    )


class _HeldDown(Exception):
    """A request to a database held down (never sent)."""


async def _held_down(url: str) -> tuple[int, bytes]:
    raise _HeldDown(url)


def go_state_dirs(facts: Facts) -> tuple[str | None, str | None]:
    """Where the go command keeps its checksum-database state (modfetch sumdb.go):
    the signed tree head under GOPATH/pkg/sumdb (the first GOPATH entry), cached
    lookups and tiles under GOMODCACHE/cache/download/sumdb. ``None`` where unset."""
    env = facts.env
    gopath = env.gopath_list[0] if env.gopath_list else ""
    modcache = env.GOMODCACHE
    config = os.path.join(gopath, "pkg", "sumdb") if os.path.isabs(gopath) else None
    cache = (
        os.path.join(modcache, "cache", "download", "sumdb") if os.path.isabs(modcache) else None
    )
    return config, cache


def _down_key(db: GoSumDB) -> str:
    return f"sumdb-down\0{db.name}\0{db.url or ''}"


def _not_found_key(db: GoSumDB, path: str, version: str) -> str:
    return f"sumdb-nf\0{db.name}\0{db.url or ''}\0{path}@{version}"


async def gather_sumdb(
    facts: Facts,
    pool: HttpPool | None,
    *,
    environ: Mapping[str, str] | None = None,
    cache: NetworkCache | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    targets: Sequence[tuple[str, str]] | None = None,
) -> SumdbFacts | None:
    """The checksum database's answers for ``facts``' needed public module versions.

    ``None`` when GOSUMDB is off. ``pool`` None (offline): only an unusable GOSUMDB is
    reported, nothing is sent. ``cache_dir``: verified data on disk (default: the
    user cache dir, :func:`~gomod_doctor.network.sumdb.default_cache_dir`). Never
    raises (but for cancellation)."""
    env = facts.env
    db, sf = sumdb_setting(env)
    if db is None or sf is None or pool is None:
        return sf
    keys = list(targets) if targets is not None else lookup_targets(facts)
    # defence in depth: never send a GOPRIVATE/GONOSUMDB path, whoever asked
    keys = [k for k in keys if not never_to_sumdb(env, k[0])]
    for key in keys[MAX_LOOKUPS:]:
        sf.records[key] = SumdbRecord(
            *key, "unchecked", message=f"not asked: more than {MAX_LOOKUPS} module versions"
        )
    keys = keys[:MAX_LOOKUPS]
    if not keys:
        return sf

    held = cache.held(_down_key(db)) if cache is not None else None
    # A database held down is not asked again: only what the caches answer (go's
    # cached lookups among them: go needs no database for those) is looked at.
    down = held if isinstance(held, SumdbRecord) else None

    ask: list[tuple[str, str]] = []
    for p, v in keys:
        held = cache.held(_not_found_key(db, p, v)) if cache is not None else None
        if isinstance(held, SumdbRecord):
            sf.records[(p, v)] = dataclasses.replace(held, cached=True)
        else:
            ask.append((p, v))
    if not ask:
        return sf

    if cache_dir is None:
        cache_dir = default_cache_dir(dict(environ) if environ is not None else None)
    go_config, go_cache = go_state_dirs(facts)
    client = SumDBClient(
        None,
        db,
        cache_dir=cache_dir,
        goproxy=env.proxy_list,
        gonoproxy=env.GONOPROXY,
        gonosumdb=env.GONOSUMDB,
        fetch=pool.as_fetch() if down is None else _held_down,
        go_config_dir=go_config,
        go_cache_dir=go_cache,
    )
    tasks = {k: asyncio.ensure_future(client.lookup(*k)) for k in ask}
    try:
        left = pool.remaining()
        _done, pending = await asyncio.wait(
            tasks.values(), timeout=None if left is None else max(0.0, left) + 0.25
        )
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    finally:
        for t in tasks.values():
            t.cancel()
        await client.aclose()
    route = client.route
    if route is not None:
        if route.base is not None:
            sf.base = safe_url(route.base)
        if route.proxy is not None:
            sf.proxy = safe_url(route.proxy)
    if down is None:
        sf.requests = len(client.stats.lookups) + len(client.stats.tiles)
        if route is not None and db.url is None:
            sf.requests += sum(1 for s in route.steps if s.url is not None)
    first_down: SumdbRecord | None = None
    for key, task in tasks.items():
        if task.done() and not task.cancelled() and task.exception() is None:
            rec = _record(task.result(), pool)
        else:
            rec = SumdbRecord(*key, "unchecked", message=_DEADLINE_WORDS)
        if down is not None:
            if rec.kind in ("unreachable", "server-error", "unchecked"):
                rec = _moved(down, *key)
            sf.records[key] = rec
            continue
        sf.records[key] = rec
        if cache is not None:
            if rec.kind == "not-found":
                cache.hold(_not_found_key(db, *key), rec, failing=False)
            elif rec.kind == "unreachable" and first_down is None:
                first_down = rec
    if cache is not None:
        if first_down is not None:
            cache.hold(_down_key(db), first_down, failing=True)
        elif any(r.kind == "ok" for r in sf.records.values()):
            cache.release(_down_key(db))
    return sf


__all__ = [
    "MAX_LOOKUPS",
    "gather_sumdb",
    "go_state_dirs",
]
