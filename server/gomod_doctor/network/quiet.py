"""The network part when it cannot send a single request: worked out at once, with no
client, no asyncio and no thread.

The gather (:func:`gomod_doctor.network.gather.gather_network`) sends nothing

- offline (``--offline``, ``network: off``, an untrusted workspace) or when GOPROXY is
  invalid: it makes no client at all;
- when no GOPROXY entry is a proxy URL (only ``off`` and ``direct``, where go's walk
  stops before any request; the probes only note them), the checksum database is
  asked nothing (GOSUMDB is ``off`` or unusable, or no needed module version may be
  sent to it), and the module graph's part finds nothing (no go.mod the graph lacks
  is kept from an earlier fetch: :func:`graph_quiet`).

:func:`quiet_gather` returns, then, the :class:`~gomod_doctor.netfacts.NetworkFacts`
the gather returns (the settings, the risky ones, the probes' notes, each missing
module version's verdict (``off``, ``direct``, ``config``, ``noproxy``,
``unchecked``), the toolchain's, the checksum database's setting), from the same
pieces: the walk is :func:`~gomod_doctor.network.availability.walk_steps`, run with
every request answered "not sent". It returns None when a request could be sent:
the caller runs the gather.

Also here, light and shared with the gather: :class:`NetworkOptions`,
:func:`base_facts`, :func:`wanted_toolchain`, :func:`sumdb_setting`,
:func:`lookup_targets`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from gomod_doctor.facts import Facts
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.module import paths as modpaths
from gomod_doctor.module.escape import escape_path, escape_version
from gomod_doctor.netfacts import (
    Attempt,
    FileKind,
    ModuleAvailability,
    NetworkFacts,
    SumdbFacts,
    ToolchainAvailability,
)
from gomod_doctor.network.availability import (
    Ask,
    ToolchainNeed,
    chain_for,
    evaluate_steps,
    missing_modules,
    toolchain_cached,
    toolchain_need,
    unasked,
)
from gomod_doctor.network.entries import entry_refs, probe_note, unprobed, unsent
from gomod_doctor.network.http.settings import HttpSettings, Timeouts, redact_goproxy, safe_url
from gomod_doctor.network.private import insecure_settings, never_to_proxy, never_to_sumdb
from gomod_doctor.network.sumdb.gosumdb import GoSumDB, parse_setting, redact_gosumdb
from gomod_doctor.userdirs import cache_dir


@dataclass(frozen=True)
class NetworkOptions:
    timeouts: Timeouts = field(default_factory=Timeouts)
    #: requests in flight at once
    concurrency: int = 8
    #: also predict the ``.info`` fetch (what ``go mod download`` does first)
    with_info: bool = False
    #: predict a toolchain download GOTOOLCHAIN asks for
    toolchain: bool = True
    #: look the needed public module versions up in the checksum database
    sumdb: bool = True
    #: where verified checksum-database data is kept (None: the user cache dir)
    sumdb_cache_dir: str | None = None
    #: fetch the go.mod files the module cache lacks, so that the module graph goes on
    #: where the cache stops, and the latest go.mod of the required module paths
    graph: bool = True
    #: where verified fetched go.mod files are kept (None: the user cache dir's ``mod``)
    mod_store_dir: str | None = None


def base_facts(
    facts: Facts, environ: Mapping[str, str], *, offline: bool, timeouts: Timeouts
) -> NetworkFacts:
    """What every gather reports before asking anything: GOPROXY (redacted) and its
    entries, go's words for an invalid one, the limits, the settings that weaken go's
    checks."""
    env = facts.env
    plist = env.proxy_list
    nf = NetworkFacts(
        goproxy=redact_goproxy(env.GOPROXY),
        entries=entry_refs(plist),
        config_errors=list(plist.errors),
        offline=offline,
        connect_timeout=timeouts.connect,
        total_timeout=timeouts.total,
    )
    nf.insecure = insecure_settings(env, environ)
    return nf


def wanted_toolchain(
    facts: Facts, environ: Mapping[str, str], opts: NetworkOptions
) -> ToolchainNeed | None:
    """The toolchain go will download (None: none, or it is in the module cache)."""
    tc = toolchain_need(facts, environ) if opts.toolchain else None
    if tc is not None and toolchain_cached(facts.env.GOMODCACHE, tc):
        return None
    return tc


def toolchain_facts(tc: ToolchainNeed, availability: ModuleAvailability) -> ToolchainAvailability:
    return ToolchainAvailability(tc.toolchain, availability, tc.reason, tc.file, tc.range)


def sumdb_setting(env: GoEnv) -> tuple[GoSumDB | None, SumdbFacts | None]:
    """GOSUMDB before any lookup: the database to ask (None: none), and the facts the
    checksum-database part starts from (None: GOSUMDB is off; an unusable GOSUMDB
    has go's words for it)."""
    db, error = parse_setting(env.GOSUMDB)
    shown = redact_gosumdb(env.GOSUMDB)
    if error:
        return None, SumdbFacts(name="", gosumdb=shown, config_error=error)
    if db is None:
        return None, None
    sf = SumdbFacts(name=db.name, gosumdb=shown)
    if db.url is not None:
        sf.base = safe_url(db.url)
    return db, sf


def lookup_targets(facts: Facts) -> list[tuple[str, str]]:
    """The needed module versions (after replacement) that may be sent to the checksum
    database: valid, and not covered by GOPRIVATE/GONOSUMDB."""
    out: set[tuple[str, str]] = set()
    for need in facts.needs.needs.values():
        fetch = need.fetch
        if fetch is None or fetch in out:
            continue
        path, version = fetch
        if never_to_sumdb(facts.env, path):
            continue
        try:
            modpaths.check(path, version)
        except Exception:
            continue
        out.add(fetch)
    return sorted(out)


def default_store_dir(environ: Mapping[str, str] | None = None) -> str:
    """``<user cache>/gomod-doctor/mod``: where verified fetched go.mod files are kept."""
    return os.path.join(cache_dir(environ), "mod")


def stored_gomod(store_dir: str, key: tuple[str, str]) -> str | None:
    """Where the fetched go.mod of ``key`` is kept under ``store_dir`` (None: the path
    or version cannot be escaped)."""
    try:
        return os.path.join(store_dir, escape_path(key[0]), "@v", escape_version(key[1]) + ".mod")
    except Exception:
        return None


def graph_quiet(facts: Facts, store_dir: str) -> bool:
    """The module graph's part of the gather (the go.mod files the cache lacks, and
    the latest go.mod of the required paths) finds nothing when no entry is a proxy
    URL: no earlier gather fetched a go.mod, and none the graph lacks is kept under
    ``store_dir`` (:mod:`gomod_doctor.network.modfetch` reads those before asking)."""
    graph = facts.needs.graph
    if graph is None or facts.modcache_error or graph.read is None:
        return True
    if facts.graph_mods:
        return False
    for m in graph.missing:
        actual = graph.replacement(m)
        kept = stored_gomod(store_dir, (actual.path, actual.version)) if actual.version else None
        if kept is not None and os.path.exists(kept):
            return False
    return True


def quiet_gather(
    facts: Facts,
    environ: Mapping[str, str] | None = None,
    *,
    offline: bool = False,
    options: NetworkOptions | None = None,
) -> NetworkFacts | None:
    """The network facts of ``facts``' workspace when the gather could not send a
    single request; None when it could (then run the gather)."""
    opts = options or NetworkOptions()
    environ = environ or {}
    env = facts.env
    plist = env.proxy_list
    client = not offline and not plist.errors
    db, sumdb = sumdb_setting(env) if opts.sumdb else (None, None)
    if client and (
        any(e.kind == "proxy" for e in plist.entries)
        or (db is not None and lookup_targets(facts))
        or (opts.graph and not graph_quiet(facts, opts.mod_store_dir or default_store_dir(environ)))
    ):
        return None
    nf = base_facts(facts, environ, offline=offline, timeouts=opts.timeouts)
    if client:
        netrc_error = HttpSettings.from_environ(environ).netrc_error
        if netrc_error:
            nf.notes.append(netrc_error)
        # no entry is a proxy URL: no probe asks anything
        nf.probes = [p for p in (probe_note(e, None) for e in nf.entries) if p is not None]
    else:
        nf.probes = unprobed(nf.entries, offline=offline)
    chain = chain_for(env, nf.entries)

    def evaluated(path: str, version: str, files: tuple[FileKind, ...]) -> ModuleAvailability:
        private = never_to_proxy(env, path)

        def answer(request: Ask) -> Attempt:
            return unsent(request[0], request[1], private=private)

        return unasked(evaluate_steps(chain, path, version, files, private=private), answer)

    missing = missing_modules(facts, with_info=opts.with_info)
    for key in sorted(missing):
        nf.availability[key] = evaluated(key[0], key[1], missing[key])
    nf.sumdb = sumdb
    tc = wanted_toolchain(facts, environ, opts)
    if tc is not None:
        nf.toolchain = toolchain_facts(tc, evaluated(tc.module, tc.version, ("zip",)))
    return nf


__all__ = [
    "NetworkOptions",
    "base_facts",
    "default_store_dir",
    "graph_quiet",
    "lookup_targets",
    "quiet_gather",
    "stored_gomod",
    "sumdb_setting",
    "toolchain_facts",
    "wanted_toolchain",
]
