"""go.sum and go.work.sum parsing (see :mod:`gomod_doctor.gosum.parser`)."""

from gomod_doctor.gosum.parser import (
    ConflictRegion,
    SumEntry,
    SumFile,
    SumProblem,
    parse_sum,
    resolve_conflicts,
)

__all__ = [
    "ConflictRegion",
    "SumEntry",
    "SumFile",
    "SumProblem",
    "parse_sum",
    "resolve_conflicts",
]
