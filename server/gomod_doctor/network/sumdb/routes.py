"""Where the checksum database is reached, as ``dbClient.initBase`` decides: the URL
in GOSUMDB, else through the first GOPROXY entry that serves it, else directly."""

from __future__ import annotations

from dataclasses import dataclass

from gomod_doctor.goenv.proxy import ProxyList, parse_proxy_list
from gomod_doctor.network.sumdb.gosumdb import GoSumDB
from gomod_doctor.network.sumdb.transport import (
    Fetch,
    _call_fetch,
    _transport_text,
    http_error_text,
    join_url,
)

# --------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class RouteStep:
    """One GOPROXY entry tried while looking for the database."""

    #: The proxy URL, or "noproxy", "direct", "off".
    entry: str
    #: The ``/sumdb/<name>/supported`` URL asked (proxies only).
    url: str | None = None
    status: int | None = None
    #: go's error for this entry (``None``: the proxy serves the database).
    error: str | None = None
    #: Whether go counts the error as "not found" (404/410, direct, off, noproxy).
    not_found: bool = False
    #: Whether the error was a transport error (no HTTP answer).
    transport: bool = False


@dataclass(frozen=True)
class SumDBRoute:
    """Where the database is reached: ``base`` (``None`` when unavailable, then
    ``error`` says why in go's words), through ``proxy`` or directly."""

    base: str | None
    proxy: str | None = None
    error: str | None = None
    #: Whether ``error`` was a transport error (else an HTTP status or a config error).
    transport: bool = False
    steps: tuple[RouteStep, ...] = ()

    @property
    def direct(self) -> bool:
        return self.base is not None and self.proxy is None


async def select_route(
    db: GoSumDB,
    goproxy: str | ProxyList,
    fetch: Fetch,
    *,
    gonoproxy: str = "",
) -> SumDBRoute:
    """Where go reaches ``db`` given GOPROXY (and GONOPROXY): ``dbClient.initBase``
    over ``TryProxies``. Never raises (``fetch``'s exceptions are transport errors).
    """
    if db.url is not None:
        return SumDBRoute(base=db.url)
    plist = (
        goproxy
        if isinstance(goproxy, ProxyList)
        else parse_proxy_list(goproxy, gonoproxy=gonoproxy)
    )
    if plist.errors:
        return SumDBRoute(base=None, error=plist.errors[0])
    entries: list[tuple[str, bool]] = []
    if plist.noproxy:
        entries.append(("noproxy", False))
    entries += [(e.url, e.fallback_on_any_error) for e in plist.entries]
    steps: list[RouteStep] = []
    # TryProxies' error ranking: "direct" errors are best, then proxy errors other
    # than not-found, then not-found.
    not_exist_rank, proxy_rank, direct_rank = 0, 1, 2
    best: RouteStep | None = None
    best_rank = not_exist_rank
    for entry, fallback in entries:
        if entry == "noproxy":
            step = RouteStep(entry, error="path does not match GOPRIVATE/GONOPROXY", not_found=True)
        elif entry in ("direct", "off"):
            step = RouteStep(entry, error="module lookup disabled by GOPROXY=off", not_found=True)
        else:
            url = join_url(entry, f"sumdb/{db.name}/supported")
            try:
                status, body, ctype = await _call_fetch(fetch, url)
            except Exception as exc:
                step = RouteStep(entry, url, error=_transport_text(url, exc), transport=True)
            else:
                if status == 200:
                    steps.append(RouteStep(entry, url, status))
                    return SumDBRoute(
                        base=join_url(entry, f"sumdb/{db.name}"), proxy=entry, steps=tuple(steps)
                    )
                step = RouteStep(
                    entry,
                    url,
                    status,
                    error=http_error_text(url, status, body, ctype),
                    not_found=status in (404, 410),
                )
        steps.append(step)
        if entry == "direct":
            best, best_rank = step, direct_rank
        elif best_rank <= proxy_rank and not step.not_found:
            best, best_rank = step, proxy_rank
        elif best_rank == not_exist_rank:
            best = step
        if not fallback and not step.not_found:
            break
    if best is None or best.not_found:
        return SumDBRoute(base=f"https://{db.name}", steps=tuple(steps))
    return SumDBRoute(base=None, error=best.error, transport=best.transport, steps=tuple(steps))
