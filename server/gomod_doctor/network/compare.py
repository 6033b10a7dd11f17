"""Proxy-copy comparison ("remote cache pollution"), on demand.

:func:`compare_proxies` downloads ``M@V``'s ``.mod`` and ``.zip`` from every proxy of
the GOPROXY list into a temporary directory, hashes them as go does
(:mod:`gomod_doctor.cache.hashing`: the ``h1:`` of the zip's files and of the
``go.mod``) and compares them with go.sum and, through an optional callback, with
the checksum database. A copy that differs is named in the result (and becomes
``proxy-tampered`` in :mod:`gomod_doctor.checks.network`).

The reference is the checksum database's answer when there is one (it is verified
by the callback's provider), else go.sum's lines. Without either, copies are only
compared with each other and a disagreement is noted, not blamed on a proxy.
A GOPRIVATE or GONOPROXY path is never sent to a proxy: nothing is compared.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from gomod_doctor.cache.hashing import ZipError, hash_gomod, hash_zip
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.netfacts import Comparison, EntryRef, ProxyCopy
from gomod_doctor.network.entries import entry_refs
from gomod_doctor.network.http import MAX_SMALL_BODY, MAX_ZIP, HttpPool, HttpSettings, Timeouts
from gomod_doctor.network.private import never_to_proxy
from gomod_doctor.network.proxy import classify, module_url

#: ``(zip h1, go.mod h1)`` from the checksum database, or None when it has no answer.
SumdbLookup = Callable[[str, str], Awaitable["tuple[str | None, str | None] | None"]]


def sumdb_lookup(
    env: GoEnv, path: str, environ: Mapping[str, str], pool: HttpPool
) -> SumdbLookup | None:
    """The checksum database's verified hashes for ``path``'s versions, through
    ``pool``; ``None`` when GOSUMDB is off or unusable, or GOPRIVATE/GONOSUMDB cover
    the path (it is never sent)."""
    from gomod_doctor.network.private import never_to_sumdb
    from gomod_doctor.network.sumdb import SumDBClient, default_cache_dir
    from gomod_doctor.network.sumdb.gosumdb import parse_setting

    db, _error = parse_setting(env.GOSUMDB)
    if db is None or never_to_sumdb(env, path):
        return None
    client = SumDBClient(
        None,
        db,
        cache_dir=default_cache_dir(dict(environ)),
        goproxy=env.proxy_list,
        gonoproxy=env.GONOPROXY,
        gonosumdb=env.GONOSUMDB,
        fetch=pool.as_fetch(),
    )
    return client.verified_hashes


#: Downloads of whole zips get longer than probes.
DOWNLOAD_TIMEOUTS = Timeouts(connect=3.0, total=60.0)


def comparison_limit(timeouts: Timeouts) -> float:
    """How long a whole comparison may take with ``timeouts``: a connection and two
    downloads (the ``.mod`` and the ``.zip``), and 5 seconds to spare."""
    return 2 * timeouts.total + timeouts.connect + 5


async def compare_with_sumdb(
    env: GoEnv,
    path: str,
    version: str,
    gosum: tuple[str | None, str | None],
    environ: Mapping[str, str],
    *,
    timeouts: Timeouts = DOWNLOAD_TIMEOUTS,
    use_sumdb: bool = True,
    deadline: float | None = None,
) -> Comparison:
    """:func:`compare_proxies` against go.sum's ``(zip, go.mod)`` hashes ``gosum`` and
    (with ``use_sumdb``) the checksum database, through one pool of ``environ``'s
    HTTP settings (``deadline``: its :func:`time.monotonic` bound)."""
    settings = HttpSettings.from_environ(environ)
    async with HttpPool(settings, timeouts=timeouts, concurrency=4, deadline=deadline) as pool:
        lookup = sumdb_lookup(env, path, environ, pool) if use_sumdb else None
        return await compare_proxies(
            env,
            path,
            version,
            gosum_zip=gosum[0],
            gosum_mod=gosum[1],
            sumdb=lookup,
            environ=environ,
            pool=pool,
        )


async def compare_proxies(
    env: GoEnv,
    path: str,
    version: str,
    *,
    gosum_zip: str | None = None,
    gosum_mod: str | None = None,
    sumdb: SumdbLookup | None = None,
    environ: Mapping[str, str] | None = None,
    timeouts: Timeouts | None = None,
    pool: HttpPool | None = None,
) -> Comparison:
    """Fetch and hash every proxy's copy of ``path@version``. Never raises."""
    result = Comparison(path, version, gosum_mod=gosum_mod, gosum_zip=gosum_zip)
    plist = env.proxy_list
    if plist.errors:
        result.notes.append(f"GOPROXY is invalid: {plist.errors[0]}")
        return result
    if never_to_proxy(env, path):
        result.notes.append(
            f"{path} matches GOPRIVATE/GONOPROXY: it is never sent to a proxy, so there "
            "is nothing to compare"
        )
        return result
    refs = entry_refs(plist)
    proxies = [(r, plist.entries[r.index].url) for r in refs if r.kind == "proxy"]
    if not proxies:
        result.notes.append("GOPROXY names no proxy: the go command fetches from the repository")
        return result
    own_pool = pool is None
    if pool is None:
        pool = HttpPool(
            HttpSettings.from_environ(environ or {}),
            timeouts=timeouts or DOWNLOAD_TIMEOUTS,
            concurrency=4,
        )
    try:
        with tempfile.TemporaryDirectory(prefix="gomod-doctor-compare-") as tmp:
            copies = await asyncio.gather(
                *(
                    _one(pool, ref, base, path, version, Path(tmp) / str(ref.index))
                    for ref, base in proxies
                )
            )
    finally:
        if own_pool:
            await pool.close()
    result.copies = list(copies)
    if sumdb is not None:
        try:
            answer = await sumdb(path, version)
        except Exception as e:  # a broken callback must not break the comparison
            answer = None
            result.notes.append(f"checksum database lookup failed: {type(e).__name__}: {e}")
        if answer is not None:
            result.sumdb_zip, result.sumdb_mod = answer
    _judge(result)
    return result


async def _one(
    pool: HttpPool, ref: EntryRef, base: str, path: str, version: str, workdir: Path
) -> ProxyCopy:
    copy = ProxyCopy(ref)
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        mod_url = module_url(base, path, version, "mod")
        zip_url = module_url(base, path, version, "zip")
    except (OSError, ValueError) as e:
        copy.error = str(e)
        return copy
    mod = await pool.get(mod_url, mode="bytes", max_bytes=MAX_SMALL_BODY)
    if mod.ok:
        copy.mod_hash = hash_gomod(mod.body)
    else:
        copy.error = classify(ref, "mod", version, mod).go_error
        return copy
    dest = workdir / "module.zip"
    got = await pool.get(zip_url, mode="file", dest=dest, max_bytes=MAX_ZIP)
    if not got.ok or got.file is None:
        copy.error = classify(ref, "zip", version, got).go_error
        return copy
    try:
        copy.zip_hash = await asyncio.to_thread(hash_zip, got.file, f"{path}@{version}")
    except ZipError as e:
        copy.error = f"{path}@{version}: {e}"
        copy.zip_hash = "unreadable"
    except OSError as e:
        copy.error = f"{path}@{version}: {e.strerror or e}"
    return copy


def _judge(result: Comparison) -> None:
    ref_zip = result.sumdb_zip or result.gosum_zip
    ref_mod = result.sumdb_mod or result.gosum_mod
    if result.sumdb_zip or result.sumdb_mod:
        agree = (not result.gosum_zip or result.gosum_zip == result.sumdb_zip) and (
            not result.gosum_mod or result.gosum_mod == result.sumdb_mod
        )
        result.reference = (
            "go.sum and the checksum database"
            if ((result.gosum_zip or result.gosum_mod) and agree)
            else "checksum database"
        )
        if not agree:
            result.notes.append("go.sum disagrees with the checksum database")
    elif result.gosum_zip or result.gosum_mod:
        result.reference = "go.sum"
    for c in result.copies:
        differs: list[str] = []
        if ref_mod and c.mod_hash is not None and c.mod_hash != ref_mod:
            differs.append("mod")
        if ref_zip and c.zip_hash is not None and c.zip_hash != ref_zip:
            differs.append("zip")
        c.differs = tuple(differs)
    if not result.reference:
        zips = {c.zip_hash for c in result.copies if c.zip_hash}
        mods = {c.mod_hash for c in result.copies if c.mod_hash}
        if len(zips) > 1 or len(mods) > 1:
            result.notes.append(
                "the proxies' copies differ from each other, and neither go.sum nor the "
                "checksum database says which is right"
            )


__all__ = ["DOWNLOAD_TIMEOUTS", "SumdbLookup", "compare_proxies"]
