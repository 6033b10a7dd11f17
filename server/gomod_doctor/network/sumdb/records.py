"""What a lookup gives: a verified record (:class:`LookupOK`) or why there is none
(:class:`LookupFailure`), and what makes a record well formed."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gomod_doctor.netfacts import RecordProblem
from gomod_doctor.network.sumdb import tlog

# --------------------------------------------------------------------------- results

FailureKind = Literal["unreachable", "not-found", "server-error", "untrusted", "skipped", "invalid"]
"""Why a lookup gave no verified record:

- ``unreachable``: no HTTP answer (refused, DNS, TLS, timeout, reset);
- ``not-found``: the database answered 404/410 to the lookup (``message`` carries
  its text, e.g. ``not found: ...``);
- ``server-error``: another HTTP status, an oversized answer, or a tile it
  could not serve;
- ``untrusted``: the answer failed verification (see :data:`UntrustedReason`);
  go refuses it;
- ``skipped``: the path matches GONOSUMDB: nothing was sent;
- ``invalid``: the module path or version cannot be looked up, or the
  configuration is unusable.
"""

UntrustedReason = Literal[
    "bad-signature",  # a known key's signature does not verify (tampered note)
    "unknown-key",  # no signature by the configured key (wrong key)
    "malformed",  # unparseable note, tree, record or tile
    "inconsistent-tile",  # tiles that do not hash to the signed tree
    "not-in-tree",  # a record id outside the signed tree
    "unauthenticated",  # record text whose hash is not the leaf at its id
    "forked",  # a tree inconsistent with one seen before
    "malformed-record",  # an authenticated record without a well-formed h1: hash
]


@dataclass(frozen=True)
class LookupOK:
    """A verified record for ``path``@``version``."""

    path: str
    version: str
    #: go.sum lines for ``path version`` (``path version h1:...``).
    lines: tuple[str, ...]
    #: go.sum lines for ``path version/go.mod``.
    gomod_lines: tuple[str, ...]
    record_id: int
    #: The signed tree the record was proven to be in.
    tree: tlog.Tree
    #: The whole verified record text.
    text: str
    #: Whether the lookup answer came from the local cache (it was verified again).
    from_cache: bool = False
    #: Whether it came from the go command's own cache of lookups (GOMODCACHE/cache/
    #: download/sumdb): go answers it without asking the database.
    from_go_cache: bool = False
    ok: Literal[True] = True
    kind: Literal["ok"] = "ok"

    @property
    def hash(self) -> str | None:
        """The module's ``h1:`` hash, if the record has one."""
        return _hash_of(self.lines)

    @property
    def gomod_hash(self) -> str | None:
        return _hash_of(self.gomod_lines)


def well_formed_h1(h: str) -> bool:
    """``h1:`` and the standard base64 of a SHA-256 sum (what go writes in go.sum)."""
    if not h.startswith("h1:") or len(h) != 47:
        return False
    try:
        return len(base64.b64decode(h[3:], validate=True)) == 32
    except ValueError:
        return False


def record_problem(path: str, version: str, text: str) -> RecordProblem | None:
    """What keeps ``text`` (a record for ``path version``) from verifying a download:
    a line of ``path version`` or ``path version/go.mod`` whose ``h1:`` hash is not
    well-formed, or no ``h1:`` line for one of them (go checks the go.mod first)."""
    for gomod in (True, False):
        prefix = f"{path} {version}{'/go.mod' if gomod else ''} h1:"
        values = [ln[len(prefix) - 3 :] for ln in text.split("\n") if ln.startswith(prefix)]
        if not values:
            return RecordProblem(gomod, None)
        for v in values:
            if not well_formed_h1(v):
                return RecordProblem(gomod, v)
    return None


def _hash_of(lines: Sequence[str]) -> str | None:
    for line in lines:
        h = line.rsplit(" ", 1)[-1]
        if h.startswith("h1:"):
            return h
    return None


@dataclass(frozen=True)
class LookupFailure:
    """No verified record: ``kind`` says why, ``message`` in go's words (what go
    prints after ``path@version: ``)."""

    path: str
    version: str
    kind: FailureKind
    message: str
    reason: UntrustedReason | None = None
    url: str | None = None
    status: int | None = None
    #: for ``malformed-record``: what the authenticated record lacks
    problem: RecordProblem | None = None
    ok: Literal[False] = False

    @property
    def go_error(self) -> str:
        return f"{self.path}@{self.version}: {self.message}"


LookupResult = LookupOK | LookupFailure
