"""The network part of a check: bounded, async, after (and apart from) the local gather.

:func:`gather_network` asks the GOPROXY entries what the go command will ask them,
and returns :class:`~gomod_doctor.netfacts.NetworkFacts`:

1. the settings that need no request: go's words for an invalid GOPROXY, the
   settings that weaken go's checks;
2. a probe of every proxy entry, all at once (the ``.info`` of a needed, public
   module version: a request go makes anyway), with its latency;
3. for each needed module version missing from the module cache, and for a
   toolchain GOTOOLCHAIN makes go download, the GOPROXY walk go will do;
4. at the same time, the checksum database's verified records of the needed
   public module versions (:mod:`gomod_doctor.network.checksums`): for the go.sum
   lines that exist, to verify them, and for those missing, to predict them;
5. at the same time, the go.mod files the module graph needs and the module cache
   lacks, fetched and verified as go would (:mod:`gomod_doctor.network.modfetch`):
   ``NetworkFacts.graph_mods``, which the caller feeds to the next local gather so
   that the graph goes on where the cache stops; and the latest go.mod of the
   required module paths (``NetworkFacts.latest``: retractions, deprecations).

With ``offline=True`` (``--offline``, ``network: off``, an untrusted workspace)
nothing at all is sent: only what needs no request is reported. When nothing can
be sent, :func:`gomod_doctor.network.quiet.quiet_gather` gives the same facts
without this module (and its client, asyncio included). GOPRIVATE and
GONOPROXY paths are never sent to a proxy; GOPRIVATE and GONOSUMDB paths never to
a checksum database.

Everything is bounded: each request by ``Timeouts.connect``/``total``, the whole by
``Timeouts.overall``; work cut short is reported "unchecked", never waited for.
:func:`run_bounded` is the synchronous form for the CLI: it runs the gather on its
own thread and returns by the deadline even if a resolver call hangs.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable, Mapping

from gomod_doctor.facts import Facts
from gomod_doctor.module import paths as modpaths
from gomod_doctor.netfacts import (
    EntryRef,
    FileKind,
    ModuleAvailability,
    NetworkFacts,
    SumdbFacts,
    Verdict,
)
from gomod_doctor.network.availability import chain_for, evaluate, missing_modules
from gomod_doctor.network.checksums import gather_sumdb
from gomod_doctor.network.entries import raw_urls, unprobed
from gomod_doctor.network.http import HttpPool, HttpSettings
from gomod_doctor.network.modfetch import (
    ModFetcher,
    complete_graph,
    latest_online,
)
from gomod_doctor.network.private import never_to_proxy
from gomod_doctor.network.proxy import Asker, NetworkCache, probe_entries
from gomod_doctor.network.quiet import (
    NetworkOptions,
    base_facts,
    default_store_dir,
    toolchain_facts,
    wanted_toolchain,
)


def scope_key(facts: Facts, settings: HttpSettings) -> str:
    """What the cached answers depend on: GOPROXY and the environment."""
    env = facts.env
    h = hashlib.sha256()
    parts = (
        env.GOPROXY,
        env.GONOPROXY,
        env.GOPRIVATE,
        env.GOINSECURE,
        env.GOSUMDB,
        env.GONOSUMDB,
        settings.fingerprint(),
    )
    for part in parts:
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()[:32]


def _target(
    facts: Facts, missing: Mapping[tuple[str, str], object], private: Callable[[str], bool]
) -> tuple[str, str] | None:
    """The module version the probes ask about: a missing public one, else any needed
    public one."""
    candidates = sorted(missing) + sorted(
        n.fetch for n in facts.needs.needs.values() if n.fetch is not None
    )
    for path, version in candidates:
        if private(path):
            continue
        try:
            modpaths.check(path, version)
        except Exception:
            continue
        return path, version
    return None


async def gather_network(
    facts: Facts,
    environ: Mapping[str, str] | None = None,
    *,
    offline: bool = False,
    options: NetworkOptions | None = None,
    cache: NetworkCache | None = None,
    request_log: list[str] | None = None,
) -> NetworkFacts:
    """The network facts of ``facts``' workspace. Never raises (but for cancellation).

    ``environ``: the process environment (HTTPS_PROXY, SSL_CERT_FILE, NETRC...).
    ``cache``: answers kept between calls (the language server keeps one).
    ``request_log``: receives every URL sent (redacted), for tests and debugging.
    """
    opts = options or NetworkOptions()
    environ = environ or {}
    env = facts.env
    plist = env.proxy_list
    t = opts.timeouts
    nf = base_facts(facts, environ, offline=offline, timeouts=t)
    refs = nf.entries
    missing = missing_modules(facts, with_info=opts.with_info)
    tc = wanted_toolchain(facts, environ, opts)
    chain = chain_for(env, refs)

    def private(p: str) -> bool:
        return never_to_proxy(env, p)

    pool: HttpPool | None = None
    if not offline and not plist.errors:
        settings = HttpSettings.from_environ(environ)
        if cache is not None:
            cache.use_scope(scope_key(facts, settings))
        if settings.netrc_error:
            nf.notes.append(settings.netrc_error)
        pool = HttpPool(
            settings,
            timeouts=t,
            concurrency=opts.concurrency,
            deadline=time.monotonic() + t.overall,
        )
    asker = Asker(pool, raw_urls(plist.entries), cache=cache, private=private)
    try:
        if pool is not None:
            target = _target(facts, missing, private)
            if target is None and tc is not None:
                target = (tc.module, tc.version)
            nf.probes = await probe_entries(asker, refs, target)
        else:
            nf.probes = unprobed(refs, offline=offline)

        async def one(key: tuple[str, str]) -> ModuleAvailability:
            return await evaluate(asker, chain, key[0], key[1], missing[key])

        keys = sorted(missing)
        tasks = [asyncio.ensure_future(one(k)) for k in keys]
        tc_task = (
            asyncio.ensure_future(evaluate(asker, chain, tc.module, tc.version, ("zip",)))
            if tc is not None
            else None
        )
        sumdb_task = (
            asyncio.ensure_future(
                gather_sumdb(
                    facts,
                    pool,
                    environ=environ,
                    cache=cache,
                    cache_dir=opts.sumdb_cache_dir,
                )
            )
            if opts.sumdb
            else None
        )
        fetcher = ModFetcher(
            facts,
            asker,
            chain,
            pool,
            environ=environ,
            cache=cache,
            sumdb_cache_dir=opts.sumdb_cache_dir,
            store_dir=opts.mod_store_dir or default_store_dir(environ),
            known=facts.graph_mods,
            shared_sumdb=sumdb_task,
        )
        graph_task = (
            asyncio.ensure_future(_online_graph(facts, fetcher))
            if pool is not None and opts.graph and facts.needs.graph is not None
            else None
        )
        every = [
            *tasks,
            *([tc_task] if tc_task is not None else []),
            *([graph_task] if graph_task is not None else []),
            *([sumdb_task] if sumdb_task is not None else []),
        ]
        if every:
            grace = t.overall + 0.5 if pool is not None else None
            _done, pending = await asyncio.wait(every, timeout=grace)
            for p in pending:
                p.cancel()
                nf.deadline_hit = True
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        for k, task in zip(keys, tasks, strict=True):
            nf.availability[k] = _result(task, k, missing[k])
        if graph_task is not None:
            _graph_result(graph_task, fetcher, nf)
        if sumdb_task is not None:
            nf.sumdb = _sumdb_result(sumdb_task, nf)
            if nf.sumdb is not None and not nf.sumdb.config_error and nf.sumdb.records:
                nf.sumdb_not_found = frozenset(
                    k for k, r in nf.sumdb.records.items() if r.kind == "not-found"
                )
        if pool is not None:
            await _path_knowledge(nf, asker, facts, private)
        if tc is not None and tc_task is not None:
            nf.toolchain = toolchain_facts(tc, _result(tc_task, (tc.module, tc.version), ("zip",)))
    finally:
        if pool is not None:
            if request_log is not None:
                request_log.extend(pool.sent)
            await pool.close()
    nf.requests = asker.sent + (nf.sumdb.requests if nf.sumdb is not None else 0)
    if (
        any(
            a.reason == "deadline"
            for m in nf.availability.values()
            for v in m.verdicts
            for a in v.steps
        )
        or any(p.attempt is not None and p.attempt.reason == "deadline" for p in nf.probes)
        or (nf.sumdb is not None and any(r.kind == "unchecked" for r in nf.sumdb.records.values()))
    ):
        nf.deadline_hit = True
    if nf.deadline_hit:
        nf.notes.append(
            f"the network checks stopped at their {t.overall:g} s deadline: some answers are "
            "unknown"
        )
    return nf


#: At most this many module paths are asked about (``@v/list``, ``@latest``) in one gather.
MAX_PATH_LOOKUPS = 16


def _unknown_everywhere(m: ModuleAvailability) -> bool:
    """Every proxy go asked answered "not found" for the version."""
    v = m.outcome
    if v is None or v.kind not in ("not-found", "direct", "off"):
        return False
    steps = [a for w in m.verdicts for a in w.steps]
    return bool(steps) and all(a.kind == "not-found" for a in steps)


async def _path_knowledge(
    nf: NetworkFacts, asker: Asker, facts: Facts, private: Callable[[str], bool]
) -> None:
    """For each public module path every proxy lacks the wanted version of: does any
    of those proxies know the path at all (``@v/list``, then ``@latest`` when the list
    is empty, as ``go list -m -versions`` and ``@latest`` queries ask)? A known path
    is a wrong version; an unknown one may be a private path sent to public services.
    The path was already sent with the version: nothing new leaves the machine, and
    GOPRIVATE/GONOPROXY/GONOSUMDB paths are never asked about."""
    env = facts.env
    paths: dict[str, list[EntryRef]] = {}
    for m in nf.availability.values():
        p = m.module
        if m.private or private(p) or env.is_private(p) or env.no_sumdb(p):
            continue
        if not _unknown_everywhere(m):
            continue
        entries = paths.setdefault(p, [])
        for w in m.verdicts:
            for a in w.steps:
                if a.entry not in entries:
                    entries.append(a.entry)
    chosen = sorted(paths)[:MAX_PATH_LOOKUPS]

    async def one(path: str) -> tuple[str, str, tuple[str, ...]]:
        """(path, "known"|"unknown"|"undetermined", the versions known)."""
        unknown = True
        for e in paths[path]:
            listed = await asker.ask(e, path, "", "list")
            if listed.kind == "ok" and listed.versions:
                return path, "known", listed.versions
            if listed.kind == "ok":
                latest = await asker.ask(e, path, "", "latest")
                if latest.kind == "ok":
                    return path, "known", latest.versions
                unknown = unknown and latest.kind == "not-found"
            else:
                unknown = unknown and listed.kind == "not-found"
        return path, ("unknown" if unknown else "undetermined"), ()

    unknown: set[str] = set()
    for path, what, versions in await asyncio.gather(*(one(p) for p in chosen)):
        if what == "unknown":
            unknown.add(path)
        elif what == "known":
            nf.known_paths[path] = versions
    nf.unknown_paths = frozenset(unknown)


async def _online_graph(facts: Facts, fetcher: ModFetcher) -> None:
    """The module graph's go.mod files the cache lacks, and the latest go.mod of the
    required module paths, fetched and verified (:mod:`~gomod_doctor.network.modfetch`)."""
    graph = facts.needs.graph
    if graph is not None and not facts.modcache_error:
        await complete_graph(fetcher, graph)
        fetcher.latest = await latest_online(fetcher)


def _graph_result(task: asyncio.Future[None], f: ModFetcher, nf: NetworkFacts) -> None:
    """What the fetcher verified; when the deadline cut it short, also what an earlier
    gather fetched and this one did not get to verify again."""
    nf.graph_mods = dict(f.mods)
    nf.gomod_mismatches = dict(f.mismatches)
    nf.gomod_sumdb_mismatches = dict(f.sumdb_mismatches)
    nf.latest = dict(f.latest)
    if task.done() and not task.cancelled() and task.exception() is None:
        return
    for key, data in f.known.items():
        if key not in f.failed:
            nf.graph_mods.setdefault(key, data)
    if not task.cancelled():
        nf.notes.append(
            f"internal error fetching the module graph's go.mod files: {task.exception()!r}"
        )


def _result(
    task: asyncio.Future[ModuleAvailability], key: tuple[str, str], files: tuple[FileKind, ...]
) -> ModuleAvailability:
    if task.done() and not task.cancelled() and task.exception() is None:
        return task.result()
    out = ModuleAvailability(key[0], key[1], files)
    reason = (
        "the network deadline ran out"
        if task.cancelled()
        else f"internal error: {task.exception()}"
    )
    out.verdicts.append(Verdict(key[0], key[1], out.files[0], "unchecked", go_error=reason))
    return out


def _sumdb_result(task: asyncio.Future[SumdbFacts | None], nf: NetworkFacts) -> SumdbFacts | None:
    if task.done() and not task.cancelled() and task.exception() is None:
        return task.result()
    if not task.cancelled():
        nf.notes.append(f"internal error in the checksum database checks: {task.exception()!r}")
    return None


def run_bounded(
    facts: Facts,
    environ: Mapping[str, str] | None = None,
    *,
    offline: bool = False,
    options: NetworkOptions | None = None,
    cache: NetworkCache | None = None,
    request_log: list[str] | None = None,
) -> NetworkFacts:
    """:func:`gather_network` from synchronous code, back by the overall deadline
    (plus a second) whatever happens: the work runs on a daemon thread."""
    return start_bounded(
        facts, environ, offline=offline, options=options, cache=cache, request_log=request_log
    )()


def start_bounded(
    facts: Facts,
    environ: Mapping[str, str] | None = None,
    *,
    offline: bool = False,
    options: NetworkOptions | None = None,
    cache: NetworkCache | None = None,
    request_log: list[str] | None = None,
) -> Callable[[], NetworkFacts]:
    """:func:`run_bounded` in two steps: the gather starts now, on its thread (the
    caller may do other work meanwhile); calling what this returns waits for it,
    back by the same deadline counted from now."""
    opts = options or NetworkOptions()
    box: dict[str, NetworkFacts | BaseException] = {}

    def work() -> None:
        try:
            box["facts"] = asyncio.run(
                gather_network(
                    facts,
                    environ,
                    offline=offline,
                    options=opts,
                    cache=cache,
                    request_log=request_log,
                )
            )
        except BaseException as e:  # reported below, never raised into the caller
            box["error"] = e

    thread = threading.Thread(target=work, name="gomod-doctor-network", daemon=True)
    thread.start()
    deadline = time.monotonic() + opts.timeouts.overall + 1.0

    def wait() -> NetworkFacts:
        thread.join(max(0.0, deadline - time.monotonic()) if not offline else None)
        return _bounded_result(facts, environ, offline, opts, box, thread)

    return wait


def _bounded_result(
    facts: Facts,
    environ: Mapping[str, str] | None,
    offline: bool,
    opts: NetworkOptions,
    box: dict[str, NetworkFacts | BaseException],
    thread: threading.Thread,
) -> NetworkFacts:
    got = box.get("facts")
    if isinstance(got, NetworkFacts):
        return got
    nf = base_facts(facts, environ or {}, offline=offline, timeouts=opts.timeouts)
    nf.deadline_hit = thread.is_alive()
    err = box.get("error")
    if err is not None:
        nf.notes.append(f"internal error in the network checks: {type(err).__name__}: {err}")
    else:
        nf.notes.append(
            f"the network checks did not finish within {opts.timeouts.overall:g} s: skipped"
        )
    return nf


__all__ = ["NetworkOptions", "gather_network", "run_bounded", "scope_key", "start_bounded"]
