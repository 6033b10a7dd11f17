"""Where the go command will get a module version it lacks: GOPROXY walked as go walks it.

go fetches each file of a module version (``.info``, ``.mod``, ``.zip``) with its
own walk of the GOPROXY list (modfetch.TryProxies):

* entries are asked in order; a 200 ends the walk;
* after ``,`` go goes on only on "not found" (404/410); any other failure stops
  it, and the next entry is never asked. After ``|`` go goes on after any failure;
* ``direct`` sends go to the module's version control repository (we do not probe
  it: the verdict is ``direct``); ``off`` stops with "module lookup disabled by
  GOPROXY=off";
* with GONOPROXY (or GOPRIVATE) set, go first tries matching paths directly
  ("noproxy") and never sends them to a proxy;
* when the walk fails, go prints its "best" error: a direct error, else the last
  proxy error that is not "not found", else the last "not found";
* go's HTTP client has no timeout: a proxy that connects and never answers hangs
  the walk for ever, ``|`` or not;
* a 200 whose bytes are garbage (a .mod that is not a go.mod, a .zip that is not a
  zip) ends the walk: go takes the file and then fails on it.

:func:`walk` evaluates one file, :func:`evaluate` all the files a build needs (go
stops at the first it cannot get). Both drive :func:`walk_steps`/:func:`evaluate_steps`,
the walk itself, which yields the requests it needs answered: :func:`unasked` runs it
with nothing sent (:mod:`gomod_doctor.network.quiet`). :func:`toolchain_need` says which toolchain
GOTOOLCHAIN makes go download (module ``golang.org/toolchain``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from gomod_doctor.cache.modstate import ModuleState
from gomod_doctor.facts import Facts
from gomod_doctor.goenv import gover
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.goenv.proxy import PROXY_OFF
from gomod_doctor.netfacts import (
    Attempt,
    EntryRef,
    FileKind,
    ModuleAvailability,
    Verdict,
    VerdictKind,
)
from gomod_doctor.position import Range

if TYPE_CHECKING:  # the client (httpx, asyncio) loads only when a request can be sent
    from gomod_doctor.network.proxy import Asker

TOOLCHAIN_MODULE = "golang.org/toolchain"
TOOLCHAIN_VERSION_PREFIX = "v0.0.1"

NOPROXY_MISS = "path does not match GOPRIVATE/GONOPROXY"


@dataclass(frozen=True)
class Chain:
    """A GOPROXY list as go walks it."""

    entries: tuple[EntryRef, ...]
    #: go's error when GOPROXY is invalid (then no entry is ever asked)
    config_error: str | None = None
    #: GONOPROXY is set and GOPROXY is not exactly "direct": "noproxy" comes first
    noproxy: bool = False
    #: go's GONOPROXY test (the paths go fetches directly)
    no_proxy: Callable[[str], bool] = field(default=lambda _p: False, compare=False)


def chain_for(env: GoEnv, entries: Sequence[EntryRef]) -> Chain:
    plist = env.proxy_list
    return Chain(
        tuple(entries),
        plist.errors[0] if plist.errors else None,
        plist.noproxy,
        env.no_proxy,
    )


_NOT_EXIST, _PROXY, _DIRECT = 0, 1, 2


#: A request the walk needs answered: the entry, and the file asked of it.
Ask = tuple[EntryRef, FileKind]
_R = TypeVar("_R")


def walk_steps(
    chain: Chain, path: str, version: str, file: FileKind
) -> Generator[Ask, Attempt, Verdict]:
    """What go does to fetch ``file`` of ``path@version`` (TryProxies): yields each
    request go makes, in its order, and is sent the answer; returns the verdict. A
    verdict that needs no request (``config``, ``noproxy``, ``off``, ``direct`` before
    any proxy entry) yields nothing."""

    def verdict(
        kind: VerdictKind,
        *,
        entry: EntryRef | None = None,
        go_error: str = "",
        cause: Attempt | None = None,
    ) -> Verdict:
        return Verdict(path, version, file, kind, entry, tuple(steps), go_error, cause)

    steps: list[Attempt] = []
    if chain.config_error is not None:
        return verdict("config", go_error=chain.config_error)
    if chain.noproxy and chain.no_proxy(path):
        # go tries the repository directly and never asks a proxy about this path
        return verdict("noproxy")
    best_err = ""
    best_rank = _NOT_EXIST
    best: Attempt | None = None
    if chain.noproxy:
        best_err = NOPROXY_MISS
    for e in chain.entries:
        if e.kind == "direct":
            return verdict("direct", entry=e, go_error=best_err, cause=best)
        if e.kind == "off":
            if best_rank == _NOT_EXIST:
                best_err = PROXY_OFF
            return verdict("off", entry=e, go_error=best_err, cause=best)
        a = yield e, file
        steps.append(a)
        if a.kind == "ok":
            return verdict("found", entry=e)
        if a.kind == "skipped":
            return verdict("unchecked", entry=e, go_error=a.go_error, cause=a)
        if a.kind == "hang":
            return verdict("hang", entry=e, go_error=a.go_error, cause=a)
        if a.kind == "bad-content":
            return verdict("error", entry=e, go_error=a.go_error, cause=a)
        not_exist = a.kind == "not-found"
        if best_rank <= _PROXY and not not_exist:
            best_err, best_rank, best = a.go_error, _PROXY, a
        elif best_rank == _NOT_EXIST:
            best_err, best = a.go_error, a
        if not e.fallback_on_any_error and not not_exist:
            return verdict("error", entry=e, go_error=best_err, cause=a)
    if best_rank == _NOT_EXIST:
        return verdict("not-found", go_error=best_err, cause=best)
    return verdict("error", entry=best.entry if best else None, go_error=best_err, cause=best)


def evaluate_steps(
    chain: Chain, path: str, version: str, files: Sequence[FileKind], *, private: bool
) -> Generator[Ask, Attempt, ModuleAvailability]:
    """Every file go must fetch, in its order; go stops at the first it cannot get
    (the requests of each walk yielded as :func:`walk_steps` yields them)."""
    out = ModuleAvailability(path, version, tuple(files), private=private)
    for f in files:
        v = yield from walk_steps(chain, path, version, f)
        out.verdicts.append(v)
        if v.kind != "found":
            break
    return out


async def asked(steps: Generator[Ask, Attempt, _R], asker: Asker, path: str, version: str) -> _R:
    """Run ``steps`` (of ``path@version``), each request asked of ``asker``."""
    try:
        entry, file = next(steps)
        while True:
            entry, file = steps.send(await asker.ask(entry, path, version, file))
    except StopIteration as done:
        result: _R = done.value
        return result


def unasked(steps: Generator[Ask, Attempt, _R], answer: Callable[[Ask], Attempt]) -> _R:
    """Run ``steps`` with every request answered by ``answer`` (nothing is sent)."""
    try:
        request = next(steps)
        while True:
            request = steps.send(answer(request))
    except StopIteration as done:
        result: _R = done.value
        return result


async def walk(asker: Asker, chain: Chain, path: str, version: str, file: FileKind) -> Verdict:
    """What go does to fetch ``file`` of ``path@version``: TryProxies, request by request."""
    return await asked(walk_steps(chain, path, version, file), asker, path, version)


async def evaluate(
    asker: Asker, chain: Chain, path: str, version: str, files: Sequence[FileKind]
) -> ModuleAvailability:
    """Every file go must fetch, in its order; go stops at the first it cannot get."""
    steps = evaluate_steps(chain, path, version, files, private=asker.private(path))
    return await asked(steps, asker, path, version)


def files_to_fetch(
    st: ModuleState | None, needs_zip: bool, *, with_info: bool = False
) -> tuple[FileKind, ...]:
    """The files go will download for a needed module version, given the cache state
    (what ``checks.cache`` calls missing). Empty when nothing is missing."""
    return () if st is None else st.to_fetch(needs_zip, with_info=with_info)


def missing_modules(
    facts: Facts, *, with_info: bool = False
) -> dict[tuple[str, str], tuple[FileKind, ...]]:
    """The needed module versions the next build downloads, with their files."""
    out: dict[tuple[str, str], tuple[FileKind, ...]] = {}
    for need in facts.needs.needs.values():
        fetch = need.fetch
        if fetch is None:
            continue
        files = files_to_fetch(facts.cache.get(fetch), need.needs_zip, with_info=with_info)
        if files:
            merged = set(files) | set(out.get(fetch, ()))
            out[fetch] = tuple(f for f in _FILE_ORDER if f in merged)
    return out


_FILE_ORDER: tuple[FileKind, ...] = ("info", "mod", "zip")


# --------------------------------------------------------------------------- toolchains


@dataclass(frozen=True)
class ToolchainNeed:
    toolchain: str  # go1.99.0
    module: str
    version: str  # v0.0.1-go1.99.0.linux-amd64
    reason: str
    #: the go.mod/go.work file and the line asking for it ("" and None: GOTOOLCHAIN)
    file: str = ""
    range: Range | None = None


def toolchain_need(facts: Facts, environ: Mapping[str, str] | None = None) -> ToolchainNeed | None:
    """The toolchain go downloads at startup (toolchain.Select), if any.

    GOTOOLCHAIN=<name> runs that toolchain; ``auto`` and ``<name>+auto`` switch to the
    newer of ``<name>`` and the workspace's ``go``/``toolchain`` lines when it is newer
    than the local go. A toolchain found on PATH is used instead of a download, and
    one already in the module cache is not downloaded again.
    """
    env = facts.env
    local = env.GOVERSION.removeprefix("go") if env.GOVERSION else ""
    if not local or gover.parse(local) is None:
        return None
    setting = (env.GOTOOLCHAIN or "auto").strip()
    name, plus, suffix = setting.partition("+")
    if setting in ("local", "path") or suffix == "path":
        return None
    wanted: tuple[str, str, str, Range | None] | None = None  # toolchain, reason, file, line
    if setting != "auto" and not plus:
        if name == "go" + local or name == "local":
            return None
        wanted = (name, f"GOTOOLCHAIN={setting}", "", None)
    else:
        min_vers = local
        if plus and name not in ("auto", "local"):
            v = gover.from_toolchain(name)
            if v is not None and gover.compare(v, local) > 0:
                min_vers = v
                wanted = (name, f"GOTOOLCHAIN={setting}", "", None)
        snap = facts.snapshot
        if snap.work is not None and snap.work_file is not None:
            file, go, tc = str(snap.work_file.path), snap.work.go, snap.work.toolchain
            label = "go.work"
        elif len(snap.modules) == 1 and snap.modules[0].mod is not None:
            mod = snap.modules[0].mod
            file, go, tc, label = str(snap.modules[0].gomod.path), mod.go, mod.toolchain, "go.mod"
        else:
            file, go, tc, label = "", None, None, ""
        if tc is not None and tc.name != "default":
            v = gover.from_toolchain(tc.name)
            if v is not None and gover.compare(v, min_vers) > 0:
                min_vers = v
                wanted = (tc.name, f"{label} sets toolchain {tc.name}", file, tc.syntax.range)
        if go is not None and gover.parse(go.version) and gover.compare(go.version, min_vers) > 0:
            t = gover.toolchain_name(go.version)
            wanted = (t, f"{label} sets go {go.version}", file, go.syntax.range)
    if wanted is None:
        return None
    toolchain = wanted[0]
    path_env = (environ or {}).get("PATH", os.environ.get("PATH", ""))
    if shutil.which(toolchain, path=path_env):
        return None
    version = (
        f"{TOOLCHAIN_VERSION_PREFIX}-{toolchain}.{env.GOOS or 'linux'}-{env.GOARCH or 'amd64'}"
    )
    return ToolchainNeed(toolchain, TOOLCHAIN_MODULE, version, wanted[1], wanted[2], wanted[3])


def toolchain_cached(gomodcache: str, need: ToolchainNeed) -> bool:
    """The toolchain is already extracted in the module cache."""
    if not gomodcache:
        return False
    from gomod_doctor.cache.layout import extracted_dir

    try:
        d = extracted_dir(gomodcache, need.module, need.version)
    except ValueError:
        return False
    return os.path.isdir(d)


__all__ = [
    "PROXY_OFF",
    "TOOLCHAIN_MODULE",
    "Ask",
    "Chain",
    "ToolchainNeed",
    "asked",
    "chain_for",
    "evaluate",
    "evaluate_steps",
    "files_to_fetch",
    "missing_modules",
    "toolchain_cached",
    "toolchain_need",
    "unasked",
    "walk",
    "walk_steps",
]
