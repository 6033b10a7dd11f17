"""The Go checksum database: signed notes (:mod:`.note`), the transparency log
(:mod:`.tlog`) and an async client that verifies lookups as go does (:mod:`.client`,
with :mod:`.gosumdb`, :mod:`.ops`, :mod:`.transport`, :mod:`.routes` and :mod:`.records`)."""

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
