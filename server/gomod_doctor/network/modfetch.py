"""go.mod files the module cache lacks, fetched as the go command fetches them, so
that the module graph goes on where the cache stops (and ``go list -m -u``'s latest
go.mod, for retractions and deprecations).

- **Fetched** through the GOPROXY walk go does for a ``.mod`` (modfetch
  ``TryProxies``: :func:`~gomod_doctor.network.availability.walk`). A GOPRIVATE or
  GONOPROXY path is never sent; ``off`` and ``direct`` fetch nothing.
- **Verified** as modfetch ``checkGoMod`` does before go uses it: against every
  go.sum go consults (go.work.sum included), its ``/go.mod`` ``h1:`` lines; without
  one, against the checksum database (GOSUMDB, reached go's way) unless the path is
  GOPRIVATE/GONOSUMDB or GOSUMDB is off. A copy that differs from go.sum is go's
  ``verifying M@V/go.mod: checksum mismatch`` (:attr:`ModFetcher.mismatches`); one
  that differs from the database, or that the database cannot vouch for, is not used.
- **Kept** under gomod-doctor's own cache dir (``<user cache>/gomod-doctor/mod``,
  never GOMODCACHE: that is go's), and only once verified. A kept copy is verified
  again on every use, as the go.sum files may have changed.

The graph itself is not loaded here: :func:`complete_graph` hands the verified bytes
to :func:`gomod_doctor.workspace.modgraph.reload` as data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gomod_doctor.cache.hashing import hash_gomod
from gomod_doctor.cache.layout import cache_path
from gomod_doctor.facts import Facts
from gomod_doctor.module import paths as modpaths
from gomod_doctor.netfacts import SumdbFacts, SumdbRecord
from gomod_doctor.network.availability import Chain, walk
from gomod_doctor.network.checksums import gather_sumdb
from gomod_doctor.network.http import HttpPool
from gomod_doctor.network.private import never_to_proxy, never_to_sumdb
from gomod_doctor.network.proxy import Asker, NetworkCache
from gomod_doctor.network.quiet import stored_gomod
from gomod_doctor.userdirs import write_atomic
from gomod_doctor.workspace.gomods import with_fetched
from gomod_doctor.workspace.latest import latest_version, parse_latest, replacement
from gomod_doctor.workspace.model import Latest
from gomod_doctor.workspace.modgraph import ModuleGraph, reload

Key = tuple[str, str]

#: At most this many go.mod files are fetched in one gather, over at most this many
#: rounds of the graph (each round follows the requirements of the last one's).
MAX_FETCHES = 2000
MAX_ROUNDS = 64
#: At most this many module paths get their latest version from the proxies (those
#: required directly or providing an imported package: the modules ``go get`` names).
MAX_LATEST = 64


@dataclass
class ModFetcher:
    """The go.mod fetches of one gather. ``store_dir`` None: nothing kept on disk."""

    facts: Facts
    asker: Asker
    chain: Chain
    pool: HttpPool | None
    environ: Mapping[str, str] = field(default_factory=dict)
    cache: NetworkCache | None = None
    sumdb_cache_dir: str | None = None
    store_dir: str | None = None
    #: go.mod files fetched by an earlier gather (verified again before use)
    known: Mapping[Key, bytes] = field(default_factory=dict)
    #: the gather's own checksum-database lookups (of the needed module versions):
    #: their records are used rather than asked for again
    shared_sumdb: asyncio.Future[SumdbFacts | None] | None = None
    #: verified go.mod files, by module version
    mods: dict[Key, bytes] = field(default_factory=dict)
    #: where each verified go.mod came from (the URL go fetches it from, or the kept file)
    source: dict[Key, str] = field(default_factory=dict)
    #: the downloaded hash of a go.mod that go.sum's ``/go.mod`` line contradicts
    mismatches: dict[Key, str] = field(default_factory=dict)
    #: the downloaded hash of a go.mod the checksum database contradicts
    sumdb_mismatches: dict[Key, str] = field(default_factory=dict)
    #: why a go.mod could not be had, or was not used
    failed: dict[Key, str] = field(default_factory=dict)
    #: the latest go.mod of module paths (:func:`latest_online`)
    latest: dict[str, Latest] = field(default_factory=dict)
    fetches: int = 0

    def _stored(self, key: Key) -> str | None:
        return None if self.store_dir is None else stored_gomod(self.store_dir, key)

    def _read_stored(self, key: Key) -> bytes | None:
        path = self._stored(key)
        if path is None:
            return None
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except OSError:
            return None

    def _keep(self, key: Key, data: bytes) -> None:
        path = self._stored(key)
        if path is None:
            return
        # a cache that cannot be written costs a request next time, nothing more
        with contextlib.suppress(OSError):
            write_atomic(path, data)

    def _gosum_verdict(self, key: Key, data: bytes) -> tuple[str, str]:
        """("ok"|"mismatch"|"none", the downloaded hash): go.sum's word on ``data``."""
        h = hash_gomod(data)
        lines = self.facts.sum_lines(key[0], key[1], gomod=True)
        if not lines:
            return "none", h
        if all(e.hash == h for _f, e in lines):
            return "ok", h
        return "mismatch", h

    async def _download(self, key: Key) -> bytes | None:
        if self.fetches >= MAX_FETCHES:
            self.failed[key] = f"not fetched: more than {MAX_FETCHES} go.mod files"
            return None
        self.fetches += 1
        v = await walk(self.asker, self.chain, key[0], key[1], "mod")
        if v.kind != "found" or not v.steps:
            self.failed[key] = v.go_error or v.kind
            return None
        self.source[key] = v.steps[-1].url
        return v.steps[-1].body

    async def _one(self, key: Key) -> tuple[Key, bytes, str] | None:
        """The go.mod of ``key`` if go.sum vouches for it ("ok"), or with "none" when
        the checksum database must; None when there is none to use."""
        path, version = key
        env = self.facts.env
        if never_to_proxy(env, path):
            self.failed[key] = "private: never sent to a proxy"
            return None
        try:
            modpaths.check(path, version)
        except Exception as e:
            self.failed[key] = str(e)
            return None
        data = self.known.get(key)
        if data is None:
            data = self._read_stored(key)
        if data is not None:
            verdict, _h = self._gosum_verdict(key, data)
            if verdict != "mismatch":
                self.source.setdefault(key, self._stored(key) or "")
                return key, data, verdict
        data = await self._download(key)
        if data is None:
            return None
        verdict, h = self._gosum_verdict(key, data)
        if verdict == "mismatch":
            self.mismatches[key] = h
            self.failed[key] = "checksum mismatch with go.sum"
            return None
        return key, data, verdict

    async def _sumdb_records(self, keys: list[Key]) -> dict[Key, SumdbRecord] | None:
        """The checksum database's records of ``keys`` (None: GOSUMDB is off)."""
        records: dict[Key, SumdbRecord] = {}
        if self.shared_sumdb is not None:
            try:
                shared = await asyncio.shield(self.shared_sumdb)
            except Exception:
                shared = None
            else:
                if shared is None:
                    return None
                records.update(shared.records)
        rest = [k for k in keys if k not in records]
        if rest:
            sf = await gather_sumdb(
                self.facts,
                self.pool,
                environ=self.environ,
                cache=self.cache,
                cache_dir=self.sumdb_cache_dir,
                targets=rest,
            )
            if sf is None:
                return None
            records.update(sf.records)
        return records

    async def get_many(self, keys: Iterable[Key]) -> None:
        """Fetch and verify the go.mod of every module version of ``keys`` not had yet."""
        todo = [k for k in dict.fromkeys(keys) if k not in self.mods and k not in self.failed]
        got = [g for g in await asyncio.gather(*(self._one(k) for k in todo)) if g is not None]
        env = self.facts.env
        ask = [k for k, _d, verdict in got if verdict == "none" and not never_to_sumdb(env, k[0])]
        records = await self._sumdb_records(ask) if ask else None
        for key, data, verdict in got:
            if verdict == "none" and key in ask and records is not None:
                rec = records.get(key)
                if rec is None or not rec.verified:
                    self.failed[key] = (rec.go_error if rec is not None else "") or "unverified"
                    continue
                if rec.mod_hash != hash_gomod(data):
                    self.failed[key] = "differs from the checksum database"
                    stored = self._stored(key)
                    if stored is not None and self.source.get(key) == stored:
                        # a kept copy go.sum once vouched for: not kept any longer (the
                        # next gather downloads it again)
                        with contextlib.suppress(OSError):
                            os.unlink(stored)
                    else:
                        self.sumdb_mismatches[key] = hash_gomod(data)
                    continue
            self.mods[key] = data
            if self.source.get(key) != self._stored(key):
                self._keep(key, data)


async def complete_graph(fetcher: ModFetcher, graph: ModuleGraph) -> ModuleGraph:
    """``graph`` read on past the go.mod files the module cache lacks, with those the
    fetcher can fetch and verify, round after round (each fetched go.mod may require
    more)."""
    base = graph.read
    if base is None:
        return graph
    g = graph
    if fetcher.known:
        # the graph was loaded with them: verified again (go.sum may have changed)
        await fetcher.get_many(fetcher.known)
        if any(k not in fetcher.mods for k in fetcher.known):
            g = await asyncio.to_thread(reload, g, with_fetched(base, dict(fetcher.mods)))
    tried: set[Key] = set(fetcher.known)
    for _ in range(MAX_ROUNDS):
        todo: list[Key] = []
        for m in sorted(g.missing):
            actual = g.replacement(m)
            key = (actual.path, actual.version)
            if actual.version and key not in tried:
                todo.append(key)
        if not todo:
            break
        tried.update(todo)
        await fetcher.get_many(todo)
        if not any(k in fetcher.mods for k in todo):
            break
        read = with_fetched(base, dict(fetcher.mods))
        g = await asyncio.to_thread(reload, g, read)
    return g


async def latest_online(fetcher: ModFetcher) -> dict[str, Latest]:
    """The latest go.mod of the module paths the workspace requires directly or
    imports packages of, from the proxies as ``go list -m -u`` asks them: the ``@v/list`` (``@latest`` when it lists
    nothing) walked through GOPROXY, the latest version chosen as go chooses it, and
    its go.mod (from the module cache, else fetched and verified). Paths that every
    version of is replaced, and latest versions that are replaced, are left to the
    offline answer; private paths are never sent."""
    facts = fetcher.facts
    needs = facts.needs
    env = facts.env
    gomodcache = env.GOMODCACHE if not facts.modcache_error else ""
    paths: list[str] = []
    for need in sorted(needs.selected(), key=lambda n: n.path):
        if need.path in needs.main_modules or need.path in paths:
            continue
        direct = any(not r.stmt.indirect for r in need.requires)
        if not (direct or need.import_sites) or never_to_proxy(env, need.path):
            continue
        paths.append(need.path)
    paths = paths[:MAX_LATEST]

    async def version_of(path: str) -> tuple[str, str]:
        sites = [s for s in needs.replaces if s.stmt.old_path == path]
        if any(not s.stmt.old_version for s in sites):
            return path, ""
        listed = await walk(fetcher.asker, fetcher.chain, path, "", "list")
        if listed.kind != "found" or not listed.steps:
            return path, ""
        version = latest_version(listed.steps[-1].versions, [s.stmt.old_version for s in sites])
        if not version:
            latest = await walk(fetcher.asker, fetcher.chain, path, "", "latest")
            if latest.kind == "found" and latest.steps and latest.steps[-1].versions:
                version = latest.steps[-1].versions[0]
        if not version or replacement(sites, path, version) is not None:
            return path, ""
        return path, version

    found = [k for k in await asyncio.gather(*(version_of(p) for p in paths)) if k[1]]
    cached: dict[Key, tuple[bytes, str]] = {}
    for key in found:
        if not gomodcache:
            break
        try:
            where = cache_path(gomodcache, key[0], key[1], "mod")
            with open(where, "rb") as fh:
                data = fh.read()
        except (OSError, ValueError):
            continue
        if data:
            cached[key] = (data, where)
    await fetcher.get_many(k for k in found if k not in cached)
    out: dict[str, Latest] = {}
    for key in found:
        data, where = cached.get(key) or (
            fetcher.mods.get(key, b""),
            fetcher.source.get(key, ""),
        )
        parsed = parse_latest(data)
        if parsed is not None:
            out[key[0]] = Latest(key[0], key[1], where, parsed[0], parsed[1])
    return out


__all__ = [
    "MAX_FETCHES",
    "MAX_LATEST",
    "MAX_ROUNDS",
    "ModFetcher",
    "complete_graph",
    "latest_online",
]
