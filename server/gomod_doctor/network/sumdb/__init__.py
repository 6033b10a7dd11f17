"""The Go checksum database: signed notes (:mod:`.note`), the transparency log
(:mod:`.tlog`) and an async client that verifies lookups as go does (:mod:`.client`,
with :mod:`.gosumdb`, :mod:`.ops`, :mod:`.transport`, :mod:`.routes` and :mod:`.records`).

Each name below loads on first use: the GOSUMDB parser and the record types need
no client (asyncio)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gomod_doctor.network.lazy import lazy_names

if TYPE_CHECKING:
    from gomod_doctor.network.sumdb.client import SumDBClient, default_cache_dir
    from gomod_doctor.network.sumdb.gosumdb import (
        KNOWN_GOSUMDB,
        SUM_GOLANG_ORG_KEY,
        GoSumDB,
        GoSumDBError,
        parse_gosumdb,
    )
    from gomod_doctor.network.sumdb.ops import ClientOps, HTTPOps
    from gomod_doctor.network.sumdb.records import (
        FailureKind,
        LookupFailure,
        LookupOK,
        LookupResult,
        UntrustedReason,
    )
    from gomod_doctor.network.sumdb.routes import RouteStep, SumDBRoute, select_route
    from gomod_doctor.network.sumdb.transport import Fetch

__all__ = [
    "KNOWN_GOSUMDB",
    "SUM_GOLANG_ORG_KEY",
    "ClientOps",
    "FailureKind",
    "Fetch",
    "GoSumDB",
    "GoSumDBError",
    "HTTPOps",
    "LookupFailure",
    "LookupOK",
    "LookupResult",
    "RouteStep",
    "SumDBClient",
    "SumDBRoute",
    "UntrustedReason",
    "default_cache_dir",
    "parse_gosumdb",
    "select_route",
]

_LAZY = {
    "SumDBClient": "gomod_doctor.network.sumdb.client",
    "default_cache_dir": "gomod_doctor.network.sumdb.client",
    "KNOWN_GOSUMDB": "gomod_doctor.network.sumdb.gosumdb",
    "SUM_GOLANG_ORG_KEY": "gomod_doctor.network.sumdb.gosumdb",
    "GoSumDB": "gomod_doctor.network.sumdb.gosumdb",
    "GoSumDBError": "gomod_doctor.network.sumdb.gosumdb",
    "parse_gosumdb": "gomod_doctor.network.sumdb.gosumdb",
    "ClientOps": "gomod_doctor.network.sumdb.ops",
    "HTTPOps": "gomod_doctor.network.sumdb.ops",
    "FailureKind": "gomod_doctor.network.sumdb.records",
    "LookupFailure": "gomod_doctor.network.sumdb.records",
    "LookupOK": "gomod_doctor.network.sumdb.records",
    "LookupResult": "gomod_doctor.network.sumdb.records",
    "UntrustedReason": "gomod_doctor.network.sumdb.records",
    "RouteStep": "gomod_doctor.network.sumdb.routes",
    "SumDBRoute": "gomod_doctor.network.sumdb.routes",
    "select_route": "gomod_doctor.network.sumdb.routes",
    "Fetch": "gomod_doctor.network.sumdb.transport",
}


__getattr__ = lazy_names(__name__, _LAZY, globals())
