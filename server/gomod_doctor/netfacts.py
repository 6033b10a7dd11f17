"""The network facts: what the GOPROXY entries answered and what the go command will do,
with the checksum database's answers (:class:`SumdbFacts`, :class:`RecordProblem`).

Plain data, no I/O, a model beside :mod:`gomod_doctor.facts` (which names
:class:`NetworkFacts`): :func:`gomod_doctor.network.gather.gather_network` fills it,
:mod:`gomod_doctor.checks.network` turns it into findings, the language server shows
it in hovers. Every URL in here has its credentials redacted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from gomod_doctor.position import Range

if TYPE_CHECKING:
    from gomod_doctor.workspace.model import Latest

#: What one request's answer means to the go command's TryProxies.
#:
#: ``ok``           a usable answer
#: ``not-found``    404/410: go tries the next entry, whatever the separator
#: ``error``        any other failure: go tries the next entry only after "|"
#: ``hang``         connected, but no answer: go has no timeout and waits forever
#: ``bad-content``  a 200 whose bytes go takes from this proxy and then rejects
#:                  (a garbage .mod or .zip): go fails without trying another entry
#: ``skipped``      not asked (the deadline ran out, or offline)
AttemptKind = Literal["ok", "not-found", "error", "hang", "bad-content", "skipped"]

#: The file of a module version that go fetches (``@v/list`` and ``@latest``: what
#: the proxy knows of a module path).
FileKind = Literal["info", "mod", "zip", "list", "latest"]

#: What the go command will do for one file of a module version.
#:
#: ``found``      an entry serves it (``entry``)
#: ``not-found``  every entry answered "not found" (the list ends)
#: ``error``      go stops at ``entry`` with ``go_error``
#: ``hang``       go waits forever on ``entry``
#: ``direct``     go goes to the version control repository (``direct`` in GOPROXY)
#: ``noproxy``    go goes to the repository first (GOPRIVATE/GONOPROXY path)
#: ``off``        go stops at ``off``: "module lookup disabled by GOPROXY=off"
#: ``config``     GOPROXY is invalid: go stops before asking anyone
#: ``unchecked``  not evaluated (offline, the deadline, or a private path we never send)
VerdictKind = Literal[
    "found", "not-found", "error", "hang", "direct", "noproxy", "off", "config", "unchecked"
]


@dataclass(frozen=True)
class EntryRef:
    """A GOPROXY entry: its place in the list and how it is shown."""

    index: int
    kind: Literal["proxy", "direct", "off"]
    #: the URL with credentials redacted ("direct"/"off" for those)
    url: str
    #: "|" after it: go tries the next entry after any error
    fallback_on_any_error: bool
    #: host[:port] (or the URL for file://), for short messages
    host: str = ""

    @property
    def name(self) -> str:
        return self.host or self.url

    @property
    def separator(self) -> str:
        return "|" if self.fallback_on_any_error else ","


@dataclass(frozen=True)
class Attempt:
    """One request to one entry, classified as the go command would see it."""

    entry: EntryRef
    url: str  # redacted
    file: FileKind
    kind: AttemptKind
    #: refused, dns, tls, connect-timeout, timeout, reset, closed, truncated, http,
    #: invalid, garbage, too-large, redirect, insecure-credentials, deadline, other;
    #: "" for ok/not-found
    reason: str = ""
    status: int | None = None
    #: go's error text for this request ("" when ok)
    go_error: str = ""
    #: seconds to the answer (or to the failure)
    latency: float = 0.0
    #: reused from an earlier request (the cache, or the entry's known failure)
    cached: bool = False
    #: the versions a ``list`` (or ``latest``) answer names, in semver order
    versions: tuple[str, ...] = ()
    #: the bytes of a ``mod`` answer go takes (``ok`` only)
    body: bytes = field(default=b"", repr=False, compare=False)

    @property
    def unreachable(self) -> bool:
        """A failure to talk to the entry at all (proxy-unreachable)."""
        return self.kind == "hang" or self.reason in UNREACHABLE_REASONS

    @property
    def connection_failure(self) -> bool:
        """A failure of the entry itself, not of this module: reused for every request
        to the entry during one gather (and backed off across gathers)."""
        return self.unreachable


UNREACHABLE_REASONS = frozenset(
    {"refused", "dns", "tls", "connect-timeout", "timeout", "reset", "closed"}
)


@dataclass(frozen=True)
class ProbeResult:
    """The health check of one entry: a request go makes anyway."""

    entry: EntryRef
    #: the module version asked about ("" when there was nothing to ask)
    module: str = ""
    version: str = ""
    attempt: Attempt | None = None
    #: why there is no attempt ("direct is not probed", "nothing public to ask about"...)
    note: str = ""

    @property
    def healthy(self) -> bool | None:
        if self.attempt is None or self.attempt.kind == "skipped":
            return None
        return self.attempt.kind in ("ok", "not-found")


@dataclass(frozen=True)
class Verdict:
    """What go will do to fetch one file of one module version."""

    module: str
    version: str
    file: FileKind
    kind: VerdictKind
    #: the entry that serves it, or that go stops at
    entry: EntryRef | None = None
    #: every request of the walk, in go's order
    steps: tuple[Attempt, ...] = ()
    #: the error go prints when the fetch fails (TryProxies' "best" error)
    go_error: str = ""
    #: the attempt behind ``kind`` (for error/hang: the failing request)
    cause: Attempt | None = None

    @property
    def fails(self) -> bool:
        return self.kind in ("not-found", "error", "hang", "off", "config")


@dataclass
class ModuleAvailability:
    """A needed module version missing from the module cache, and what go will do."""

    module: str
    version: str
    #: the files go must fetch, in its order
    files: tuple[FileKind, ...]
    verdicts: list[Verdict] = field(default_factory=list)
    #: the path matches GOPRIVATE/GONOPROXY: no proxy is ever asked about it
    private: bool = False

    @property
    def outcome(self) -> Verdict | None:
        """The verdict that decides: the first file go cannot get, else the last one."""
        for v in self.verdicts:
            if v.kind != "found":
                return v
        return self.verdicts[-1] if self.verdicts else None

    @property
    def fails(self) -> bool:
        o = self.outcome
        return o is not None and o.fails


@dataclass
class ToolchainAvailability:
    """A toolchain download GOTOOLCHAIN asks for (golang.org/toolchain)."""

    toolchain: str  # e.g. go1.99.0
    availability: ModuleAvailability
    #: where the need comes from, e.g. "go.mod sets go 1.99.0"
    reason: str = ""
    #: the file and range of the go/toolchain line that asks for it ("", None: GOTOOLCHAIN)
    file: str = ""
    range: Range | None = None

    @property
    def platform(self) -> str:
        """``linux/amd64``, from the module version ``v0.0.1-go1.99.0.linux-amd64``."""
        return self.availability.version.rsplit(".", 1)[-1].replace("-", "/", 1)


@dataclass(frozen=True)
class InsecureSetting:
    """A setting that turns off a protection of the go command."""

    key: str
    value: str
    risk: str


@dataclass
class ProxyCopy:
    """One proxy's copy of a module version (proxy-copy comparison)."""

    entry: EntryRef
    mod_hash: str | None = None
    zip_hash: str | None = None
    #: go's or our words when the copy could not be fetched or hashed
    error: str = ""
    #: which hashes differ from the reference: "mod", "zip"
    differs: tuple[str, ...] = ()


@dataclass
class Comparison:
    """M@V's copies in every GOPROXY entry against go.sum and the checksum database."""

    module: str
    version: str
    copies: list[ProxyCopy] = field(default_factory=list)
    gosum_mod: str | None = None
    gosum_zip: str | None = None
    sumdb_mod: str | None = None
    sumdb_zip: str | None = None
    #: where the reference came from: "go.sum", "checksum database", "go.sum and the
    #: checksum database", or "" (then copies are only compared with each other)
    reference: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def tampered(self) -> list[ProxyCopy]:
        return [c for c in self.copies if c.differs]

    def copies_json(self) -> list[dict[str, object]]:
        """Each proxy's copy as the CLI's JSON and the server's command result give it."""
        return [
            {
                "proxy": x.entry.url,
                "modHash": x.mod_hash,
                "zipHash": x.zip_hash,
                "error": x.error or None,
                "differs": list(x.differs),
            }
            for x in self.copies
        ]


#: go's words after "checksum missing from sumdb response" (modfetch sumdbAbsent).
SUMDB_ABSENT = (
    "\n\nSECURITY ERROR\n"
    "This download does NOT match one reported by the checksum server.\n"
    "The checksum server has provided checksums, but the checksums do\n"
    "not contain an entry for the download.\n"
    "The checksum server may be malfunctioning, or an attacker may have\n"
    "intercepted the checksum request.\n"
    "The download cannot be verified.\n\n"
    "For more information, see 'go help module-auth'."
)


#: go's words after a checksum database mismatch (modfetch sumdbMismatch).
SUMDB_MISMATCH = (
    "\n\nSECURITY ERROR\n"
    "This download does NOT match the one reported by the checksum server.\n"
    "The bits may have been replaced on the origin server, or an attacker may\n"
    "have intercepted the download attempt.\n\n"
    "For more information, see 'go help module-auth'."
)


@dataclass(frozen=True)
class RecordProblem:
    """Why an authenticated record gives no usable hash for ``path version``:
    ``gomod`` says which line (the go.mod's, which go checks first, or the
    module's); ``value`` is the malformed ``h1:`` value, ``None`` when the record
    has no ``h1:`` line for it."""

    gomod: bool
    value: str | None

    def go_words(self, db_name: str, downloaded: str) -> str:
        """What go prints after ``M@V: `` when it checks ``downloaded`` against the
        record (modfetch checkSumDB)."""
        noun = "go.mod" if self.gomod else "module"
        if self.value is None:
            return f"verifying {noun}: checksum missing from sumdb response" + SUMDB_ABSENT
        return (
            f"verifying {noun}: checksum mismatch\n\tdownloaded: {downloaded}\n"
            f"\t{db_name}: {self.value}" + SUMDB_MISMATCH
        )

    def message(self, db_name: str) -> str:
        """go's words when they do not depend on the download, else ours."""
        if self.value is None:
            return self.go_words(db_name, "")
        noun = "go.mod" if self.gomod else "module"
        return (
            f"verifying {noun}: checksum mismatch: the record gives {self.value}, which is "
            "not a well-formed h1: hash (no download can match it)" + SUMDB_MISMATCH
        )


#: What the checksum database said about one module version.
#:
#: ``ok``            a verified record (signed tree, inclusion proof): the hashes
#: ``not-found``     the database answered 404/410 (``message``: its words)
#: ``unreachable``   no answer (refused, DNS, TLS, timeout, reset), or no route to it
#: ``server-error``  another HTTP status, an oversized answer, a missing tile
#: ``untrusted``     the answer failed verification (``reason``); go refuses it
#: ``skipped``       GOPRIVATE/GONOSUMDB: never sent
#: ``invalid``       the path or version cannot be looked up
#: ``unchecked``     not asked (the deadline ran out)
SumdbKind = Literal[
    "ok",
    "not-found",
    "unreachable",
    "server-error",
    "untrusted",
    "skipped",
    "invalid",
    "unchecked",
]


@dataclass(frozen=True)
class SumdbRecord:
    """The checksum database's answer for one module version."""

    module: str
    version: str
    kind: SumdbKind
    #: the verified ``h1:`` hashes of the zip and of the go.mod (``ok`` only)
    zip_hash: str | None = None
    mod_hash: str | None = None
    #: go's words for a failure (what go prints after ``M@V: ``); "" when ok
    message: str = ""
    #: why an answer was untrusted: bad-signature, unknown-key, malformed,
    #: inconsistent-tile, not-in-tree, unauthenticated, forked, malformed-record
    reason: str = ""
    #: ``malformed-record``: the line of the authenticated record go cannot use
    problem: RecordProblem | None = None
    #: the verified answer came from the local cache (and was verified again)
    from_cache: bool = False
    #: it came from the go command's own cached lookups: go answers it offline
    from_go_cache: bool = False
    record_id: int | None = None
    #: the size of the signed tree the record was proven to be in
    tree_size: int | None = None
    #: reused from an earlier gather (a held failure)
    cached: bool = False

    @property
    def verified(self) -> bool:
        return self.kind == "ok"

    @property
    def go_error(self) -> str:
        return f"{self.module}@{self.version}: {self.message}" if self.message else ""


@dataclass
class SumdbFacts:
    """The checksum-database part of a gather (``NetworkFacts.sumdb``)."""

    #: the database's name (``sum.golang.org``); "" when GOSUMDB is unusable
    name: str
    #: GOSUMDB as set, credentials redacted
    gosumdb: str
    #: where lookups went (redacted): the GOSUMDB URL, ``https://<name>``, or
    #: ``<proxy>/sumdb/<name>``; "" when not known (nothing asked, no route)
    base: str = ""
    #: the proxy the database was reached through ("" directly)
    proxy: str = ""
    #: go's words when GOSUMDB is unusable (``invalid GOSUMDB: too many fields``)
    config_error: str = ""
    #: by module version: every public needed module version asked about
    records: dict[tuple[str, str], SumdbRecord] = field(default_factory=dict)
    #: requests sent to the database (and to proxies for ``/sumdb/<name>/supported``)
    requests: int = 0

    def failures(self, *kinds: SumdbKind) -> list[SumdbRecord]:
        return [r for r in self.records.values() if r.kind in kinds]


@dataclass
class NetworkFacts:
    """Everything the network checks look at."""

    #: the GOPROXY value, credentials redacted
    goproxy: str
    entries: list[EntryRef] = field(default_factory=list)
    #: go's words for invalid GOPROXY entries (go reports the first and stops)
    config_errors: list[str] = field(default_factory=list)
    #: no request was made (--offline, network: off, an untrusted workspace)
    offline: bool = False
    probes: list[ProbeResult] = field(default_factory=list)
    #: keyed by the fetched module version
    availability: dict[tuple[str, str], ModuleAvailability] = field(default_factory=dict)
    toolchain: ToolchainAvailability | None = None
    insecure: list[InsecureSetting] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    #: module versions the checksum database answered "not found" for (filled by the
    #: sumdb client; None: not asked)
    sumdb_not_found: frozenset[tuple[str, str]] | None = None
    #: the checksum database's answers (None: not asked: GOSUMDB=off, offline...)
    sumdb: SumdbFacts | None = None
    #: module paths a proxy knows (its ``@v/list`` or ``@latest`` answers) although it
    #: lacks the wanted version, with the versions it lists: a wrong version, not a
    #: private path. Asked only for public paths every proxy answered "not found" for.
    known_paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: module paths every proxy asked answered "not found" for, list and latest too
    unknown_paths: frozenset[str] = frozenset()
    #: the go.mod files the module cache lacks, fetched as go fetches them and verified
    #: against go.sum or the checksum database, by module version (after replacement):
    #: the module graph continues past them (the ones the local gather used included)
    graph_mods: dict[tuple[str, str], bytes] = field(default_factory=dict)
    #: module versions whose fetched go.mod hashes differ from go.sum's ``/go.mod``
    #: line: the downloaded hash (go's ``verifying M@V/go.mod: checksum mismatch``)
    gomod_mismatches: dict[tuple[str, str], str] = field(default_factory=dict)
    #: module versions without a go.sum line whose fetched go.mod the checksum database
    #: contradicts: the downloaded hash (go's SECURITY ERROR; ``sumdb-mismatch``)
    gomod_sumdb_mismatches: dict[tuple[str, str], str] = field(default_factory=dict)
    #: the latest go.mod of module paths, from the proxies (``@v/list``, ``@latest``
    #: and the latest ``.mod``), as ``go list -m -u`` reads it online
    latest: dict[str, Latest] = field(default_factory=dict)
    #: the overall deadline cut some work short
    deadline_hit: bool = False
    #: the limits in force (for messages: "timed out after 3 s")
    connect_timeout: float = 3.0
    total_timeout: float = 5.0
    #: how many requests were sent (0 when offline)
    requests: int = 0
    notes: list[str] = field(default_factory=list)

    def entry_failures(self) -> dict[int, Attempt]:
        """The failing probe of each entry, by entry index."""
        out: dict[int, Attempt] = {}
        for p in self.probes:
            a = p.attempt
            if a is not None and a.kind in ("error", "hang", "bad-content"):
                out[p.entry.index] = a
        return out


__all__ = [
    "UNREACHABLE_REASONS",
    "Attempt",
    "AttemptKind",
    "Comparison",
    "EntryRef",
    "FileKind",
    "InsecureSetting",
    "ModuleAvailability",
    "NetworkFacts",
    "ProbeResult",
    "ProxyCopy",
    "RecordProblem",
    "SumdbFacts",
    "SumdbKind",
    "SumdbRecord",
    "ToolchainAvailability",
    "Verdict",
    "VerdictKind",
]
