"""The Go checksum database: signed notes (:mod:`.note`), the transparency log
(:mod:`.tlog`) and an async client that verifies lookups as go does (:mod:`.client`)."""

from gomod_doctor.network.sumdb.client import (
    KNOWN_GOSUMDB,
    SUM_GOLANG_ORG_KEY,
    FailureKind,
    Fetch,
    GoSumDB,
    GoSumDBError,
    LookupFailure,
    LookupOK,
    LookupResult,
    RouteStep,
    SumDBClient,
    SumDBRoute,
    UntrustedReason,
    default_cache_dir,
    parse_gosumdb,
    select_route,
)

__all__ = [
    "KNOWN_GOSUMDB",
    "SUM_GOLANG_ORG_KEY",
    "FailureKind",
    "Fetch",
    "GoSumDB",
    "GoSumDBError",
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
