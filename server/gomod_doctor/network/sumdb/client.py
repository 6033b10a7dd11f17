"""An async checksum database client that checks what the go command checks.

:func:`parse_gosumdb` reads a GOSUMDB setting as ``modfetch.dbDial`` does.
:func:`select_route` decides, as ``dbClient.initBase`` does, where the database
is reached: the URL written in GOSUMDB; else through the first GOPROXY entry whose
``<proxy>/sumdb/<name>/supported`` answers 200, going on after a 404/410 (or
after any error behind ``|``); else directly at ``https://<name>``, unless a proxy
error stopped the walk (then the database is unavailable, as for go).

:class:`SumDBClient` looks records up as x/mod's ``sumdb.Client`` does:
``GET <base>/lookup/M@V`` gives the record id, the record text (the go.sum lines)
and a signed tree note. The note must verify with the GOSUMDB key; the tree must
be consistent with the latest tree this client has seen before (kept on disk);
the tiles fetched from ``<base>/tile/8/...`` must hash to the signed tree; and the
record's leaf hash, read from those authenticated tiles, must be the hash of the
record text. Only then is anything returned or cached: a record that fails any
step is a :class:`LookupFailure` of kind ``untrusted``, in go's words.

The on-disk cache (``<cache_dir>/<name>/latest``, ``.../tile/...`` and
``.../lookup/...``) mirrors go's GOPATH/pkg/sumdb and
GOMODCACHE/cache/download/sumdb. Cached tiles and lookups are verified again on
every use, as go does. go's own state is read too, never written
(``go_config_dir``, ``go_cache_dir``): its signed tree head is merged like ours (a
log inconsistent with it is "server misbehavior detected"), and its cached lookups
and tiles answer before the server does. A record is verified data only when it
gives a well-formed ``h1:`` hash for the module and for its go.mod
(:func:`record_problem`); one that does not is ``untrusted`` (``malformed-record``)
and is never kept.

Bad input never raises out of the public functions, except the documented
:class:`GoSumDBError` of :func:`parse_gosumdb`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import http
import os
import socket
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import httpx

from gomod_doctor.goenv.neturl import URL, URLError
from gomod_doctor.goenv.neturl import parse as parse_url
from gomod_doctor.goenv.proxy import ProxyList, parse_proxy_list
from gomod_doctor.gostrings import GO_SPACE, fields, trim_space
from gomod_doctor.module.escape import escape_path, escape_version
from gomod_doctor.module.match import match_prefix_patterns
from gomod_doctor.network.sumdb import note as notes
from gomod_doctor.network.sumdb import tlog
from gomod_doctor.userdirs import write_atomic

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
    "RecordProblem",
    "RouteStep",
    "SumDBClient",
    "SumDBRoute",
    "UntrustedReason",
    "default_cache_dir",
    "parse_gosumdb",
    "record_problem",
    "select_route",
    "well_formed_h1",
]

SUM_GOLANG_ORG_KEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
#: The keys go knows by name (modfetch ``knownGOSUMDB``).
KNOWN_GOSUMDB = {"sum.golang.org": SUM_GOLANG_ORG_KEY}

#: The most a checksum database answer may hold (tiles are 8 KiB, lookups less).
MAX_BODY = 4 << 20

# --------------------------------------------------------------------------- GOSUMDB


class GoSumDBError(ValueError):
    """An unusable GOSUMDB setting; ``str(err)`` is the go command's message."""


@dataclass(frozen=True)
class GoSumDB:
    """A checksum database: its ``name``, verifier ``key`` and, when GOSUMDB gives
    one, the ``url`` to reach it at (bypassing proxies)."""

    name: str
    key: str
    url: str | None = None

    @property
    def direct_url(self) -> str:
        """Where go reaches the database when no proxy serves it."""
        return self.url if self.url is not None else f"https://{self.name}"


def _go_url_struct(u: URL) -> str:
    """Go's ``%+v`` of a ``url.URL`` (``User`` prints with its String method)."""
    user = "" if u.user is None else u.user.string()
    return (
        f"{{Scheme:{u.text_scheme} Opaque:{u.opaque} User:{user} Host:{u.text_host} "
        f"Path:{u.text_path} Fragment:{u.fragment} RawQuery:{u.raw_query} "
        f"RawPath:{u.raw_path} RawFragment:{u.raw_fragment} "
        f"ForceQuery:{str(u.force_query).lower()} OmitHost:{str(u.omit_host).lower()}}}"
    )


def parse_gosumdb(value: str) -> GoSumDB | None:
    """The database a GOSUMDB value names, or ``None`` for ``off``.

    Accepts ``sum.golang.org`` (the built-in key), ``sum.golang.google.cn`` (the
    same database at https://sum.golang.google.cn), a verifier key
    ``name+hash+key``, and either followed by a URL. Raises :class:`GoSumDBError`
    with go's message otherwise (``missing GOSUMDB``, ``invalid GOSUMDB: too many
    fields``, ``invalid GOSUMDB: malformed verifier id``, ``invalid sumdb name
    (must be host[/path]): ...``, ``invalid GOSUMDB URL: ...``).
    """
    if value == "sum.golang.google.cn":
        value = "sum.golang.org https://sum.golang.google.cn"
    if value == "off":
        return None
    key = fields(value)
    if key and key[0] in KNOWN_GOSUMDB:
        key[0] = KNOWN_GOSUMDB[key[0]]
    if not key:
        raise GoSumDBError("missing GOSUMDB")
    if len(key) > 2:
        raise GoSumDBError("invalid GOSUMDB: too many fields")
    try:
        verifier = notes.new_verifier(key[0])
    except notes.NoteError as exc:
        raise GoSumDBError(f"invalid GOSUMDB: {exc}") from None
    name = verifier.name
    try:
        direct: URL | None = parse_url("https://" + name)
    except URLError:
        direct = None
    if (
        direct is None
        or name.endswith("/")
        or direct
        != URL(scheme="https", host=direct.host, path=direct.path, raw_path=direct.raw_path)
        or direct.raw_path != ""
        or direct.host == ""
    ):
        shown = _go_url_struct(direct) if direct is not None else "<nil>"
        raise GoSumDBError(f"invalid sumdb name (must be host[/path]): {name} {shown}")
    url: str | None = None
    if len(key) >= 2:
        try:
            parse_url(key[1])
        except URLError as exc:
            raise GoSumDBError(f"invalid GOSUMDB URL: {exc}") from None
        url = key[1]
    return GoSumDB(name=name, key=key[0], url=url)


# --------------------------------------------------------------------------- HTTP


Fetch = Callable[[str], Awaitable["tuple[int, bytes] | tuple[int, bytes, str]"]]
"""``fetch(url) -> (status, body[, content type])``. It may raise: any exception
is a transport error (not a "not found")."""


def join_url(base: str, path: str) -> str:
    """``web.Join``: ``path`` appended to ``base``'s path with one ``/``."""
    if not path:
        return base
    head, sep, query = base.partition("?")
    frag = ""
    if not sep:
        head, _, frag = base.partition("#")
    scheme_end = head.find("://")
    slash = head.find("/", scheme_end + 3 if scheme_end >= 0 else 0)
    root, p = (head, "") if slash < 0 else (head[:slash], head[slash:])
    out = root + p.removesuffix("/") + "/" + path.removeprefix("/")
    if sep:
        out += "?" + query
    elif frag:
        out += "#" + frag
    return out


def _is_graphic(c: str) -> bool:
    return c.isprintable() or unicodedata.category(c) == "Zs"


def _error_detail(body: bytes) -> str:
    """The server's text as go shows it (``web`` errorDetail): up to the first
    blank line, at most 8 lines and 648 bytes, only printable text."""
    try:
        s = body[: 8 * 81 * 2].decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if any(not _is_graphic(c) and c not in GO_SPACE for c in s):
        return ""
    out: list[str] = []
    size = 0
    for i, line in enumerate(s.split("\n")):
        if trim_space(line) == "":
            break
        if i > 0:
            out.append("\n\t")
            size += 2
        if i >= 8:
            out.append("[Truncated: too many lines.]")
            break
        if size + len(line.encode()) > 8 * 81:
            out.append("[Truncated: too long.]")
            break
        out.append(line)
        size += len(line.encode())
    return "".join(out)


def _status_text(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} status code {status}"


def http_error_text(url: str, status: int, body: bytes, content_type: str | None) -> str:
    """go's ``web.HTTPError`` text for a non-200 answer."""
    detail = ""
    if content_type is None or _is_plain_text(content_type):
        detail = _error_detail(body)
    url = redact(url)
    if detail:
        sep = "\n\t" if "\n" in detail else " "
        return f"reading {url}: {_status_text(status)}\n\tserver response:{sep}{detail}"
    return f"reading {url}: {_status_text(status)}"


def _is_plain_text(content_type: str) -> bool:
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "text/plain":
        return False
    charset = ""
    for p in params.split(";"):
        k, _, v = p.strip().partition("=")
        if k.strip().lower() == "charset":
            charset = v.strip().strip('"').lower()
    return charset in ("us-ascii", "utf-8", "")


def redact(url: str) -> str:
    """``url`` with a password replaced by ``xxxxx`` (go's ``URL.Redacted``)."""
    try:
        return parse_url(url).redacted()
    except URLError:
        return url


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and all(cur is not x for x in out):
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _transport_text(url: str, exc: BaseException) -> str:
    """go's words for a request that got no answer, as far as we can tell them."""
    import httpx

    try:
        u = parse_url(url)
        host = u.text_host
    except URLError:
        host = ""
    if host and ":" not in host.rsplit("]", 1)[-1]:
        host += ":443" if url.startswith("https:") else ":80"
    text = str(exc) or type(exc).__name__
    for x in _chain(exc):
        if isinstance(x, ConnectionRefusedError):
            text = f"dial tcp {host}: connect: connection refused"
            break
        if isinstance(x, socket.gaierror):
            text = f"dial tcp: lookup {host.rsplit(':', 1)[0]}: no such host"
            break
        if isinstance(x, ConnectionResetError):
            text = "read: connection reset by peer"
            break
        if isinstance(x, httpx.ConnectTimeout):
            text = f"dial tcp {host}: i/o timeout"
            break
        if isinstance(x, httpx.TimeoutException):
            text = "timeout awaiting response"
            break
    return f'Get "{redact(url)}": {text}'


class _Failure(Exception):
    """A lookup failure on its way out (kind, reason, go's message)."""

    def __init__(
        self,
        kind: FailureKind,
        message: str,
        *,
        reason: UntrustedReason | None = None,
        url: str | None = None,
        status: int | None = None,
        problem: RecordProblem | None = None,
    ) -> None:
        super().__init__(message)
        self.kind: FailureKind = kind
        self.message = message
        self.reason: UntrustedReason | None = reason
        self.url = url
        self.status = status
        self.problem = problem

    def wrap(self, prefix: str) -> _Failure:
        return _Failure(
            self.kind,
            prefix + self.message,
            reason=self.reason,
            url=self.url,
            status=self.status,
            problem=self.problem,
        )


async def _call_fetch(fetch: Fetch, url: str) -> tuple[int, bytes, str | None]:
    got = await fetch(url)
    if len(got) == 3:
        return got[0], got[1], got[2]
    return got[0], got[1], None


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


def well_formed_h1(h: str) -> bool:
    """``h1:`` and the standard base64 of a SHA-256 sum (what go writes in go.sum)."""
    if not h.startswith("h1:") or len(h) != 47:
        return False
    try:
        return len(base64.b64decode(h[3:], validate=True)) == 32
    except ValueError:
        return False


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


#: go's words after a checksum database mismatch (modfetch sumdbMismatch).
SUMDB_MISMATCH = (
    "\n\nSECURITY ERROR\n"
    "This download does NOT match the one reported by the checksum server.\n"
    "The bits may have been replaced on the origin server, or an attacker may\n"
    "have intercepted the download attempt.\n\n"
    "For more information, see 'go help module-auth'."
)


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

# --------------------------------------------------------------------------- cache


def default_cache_dir(environ: dict[str, str] | None = None) -> str:
    """``$XDG_CACHE_HOME/gomod-doctor/sumdb`` (``~/.cache`` without it)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    if not base or not os.path.isabs(base):
        home = env.get("HOME", "") or os.path.expanduser("~")
        base = os.path.join(home, ".cache")
    return os.path.join(base, "gomod-doctor", "sumdb")


class _Store:
    """Files under ``root`` (``None``: keep nothing). Never raises."""

    def __init__(self, root: str | os.PathLike[str] | None) -> None:
        self.root = Path(root) if root is not None else None

    def _path(self, file: str) -> Path | None:
        if self.root is None:
            return None
        parts = file.split("/")
        if any(p in ("", ".", "..") for p in parts):
            return None
        return self.root.joinpath(*parts)

    def read(self, file: str) -> bytes | None:
        p = self._path(file)
        if p is None:
            return None
        try:
            data = p.read_bytes()
        except OSError:
            return None
        return data or None

    def write(self, file: str, data: bytes) -> None:
        p = self._path(file)
        if p is None:
            return
        with contextlib.suppress(OSError):
            write_atomic(str(p), data)

    def remove(self, file: str) -> None:
        p = self._path(file)
        if p is not None:
            with contextlib.suppress(OSError):
                p.unlink()


# --------------------------------------------------------------------------- client

_PAST, _NOW, _FUTURE = 1, 2, 3


def _untrusted_note_reason(exc: notes.NoteError) -> UntrustedReason:
    if isinstance(exc, notes.InvalidSignatureError):
        return "bad-signature"
    if isinstance(exc, notes.UnverifiedNoteError):
        return "unknown-key"
    return "malformed"


def _indent(b: bytes) -> str:
    return b.decode("utf-8", "replace").replace("\n", "\n\t")


@dataclass
class _Stats:
    """Requests this client sent (for callers and tests)."""

    lookups: list[str] = field(default_factory=list)
    tiles: list[str] = field(default_factory=list)


class SumDBClient:
    """Looks records up in one checksum database and verifies them.

    ``http`` is the caller's ``httpx.AsyncClient`` (timeouts, proxies and TLS
    are the caller's); it may be ``None`` when ``fetch`` is given. ``cache_dir`` holds verified data (``None``: memory only;
    :func:`default_cache_dir` is the usual place). Without a URL in ``db``, the
    route to the database is chosen from ``goproxy``/``gonoproxy`` with
    :func:`select_route` on the first lookup that needs the network (and again
    after a failed choice). Every request goes through ``fetch`` when given
    (e.g. a pool with its own limits), else is a GET with ``http``. Paths
    matching ``gonosumdb`` (the effective GONOSUMDB, which defaults to GOPRIVATE)
    are never sent.

    :meth:`lookup` never raises; concurrent lookups of one record share one
    request, and tiles are fetched once.
    """

    def __init__(
        self,
        http: httpx.AsyncClient | None,
        db: GoSumDB,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        goproxy: str | ProxyList = "https://proxy.golang.org,direct",
        gonoproxy: str = "",
        gonosumdb: str = "",
        fetch: Fetch | None = None,
        tile_height: int = 8,
        go_config_dir: str | os.PathLike[str] | None = None,
        go_cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if http is None and fetch is None:
            raise ValueError("SumDBClient needs an http client or a fetch function")
        self.db = db
        self._http = http
        self._goproxy = goproxy
        self._gonoproxy = gonoproxy
        self._gonosumdb = gonosumdb
        self._fetch = fetch
        self._height = tile_height
        self._store = _Store(cache_dir)
        # The go command's own state, read only: its signed tree head (GOPATH/pkg/sumdb)
        # and its cached lookups and tiles (GOMODCACHE/cache/download/sumdb).
        self._go_config = _Store(go_config_dir)
        self._go_cache = _Store(go_cache_dir)
        #: the go command's signed tree head, when it has one and it verified
        self.go_latest: tlog.Tree | None = None
        self.stats = _Stats()
        self.route: SumDBRoute | None = None
        self._route_lock = asyncio.Lock()
        self._init_lock = asyncio.Lock()
        self._inited = False
        self._verifiers: notes.VerifierList | None = None
        self._latest = tlog.Tree(0, tlog.EMPTY_HASH)
        self._latest_msg = b""
        self._records: dict[str, LookupOK] = {}
        self._inflight: dict[str, asyncio.Task[LookupOK]] = {}
        self._tiles: dict[tlog.Tile, bytes] = {}  # authenticated tiles
        self._tile_inflight: dict[tlog.Tile, asyncio.Task[bytes]] = {}
        self._saved: set[tlog.Tile] = set()  # on disk already
        self._local: set[tlog.Tile] = set()  # data not just fetched from the server

    async def aclose(self) -> None:
        """Cancel the lookups and tile reads still in flight (their callers get
        nothing more). Never raises."""
        tasks = [*self._inflight.values(), *self._tile_inflight.values()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def latest(self) -> tlog.Tree:
        """The latest verified tree head."""
        return self._latest

    @property
    def latest_note(self) -> bytes:
        return self._latest_msg

    # ------------------------------------------------------------------ lookup

    async def lookup(self, path: str, version: str) -> LookupResult:
        """The verified go.sum lines for ``path version`` and ``path version/go.mod``."""
        version = version.removesuffix("/go.mod")
        try:
            if self._gonosumdb and match_prefix_patterns(self._gonosumdb, path):
                raise _Failure("skipped", "skipped (listed in GONOSUMDB)")
            try:
                epath = escape_path(path)
                evers = escape_version(version)
            except Exception as exc:
                raise _Failure("invalid", str(exc)) from None
            await self._init()
            file = f"{self.db.name}/lookup/{epath}@{evers}"
            done = self._records.get(file)
            if done is not None:
                return done
            task = self._inflight.get(file)
            if task is None:
                task = asyncio.ensure_future(
                    self._lookup(path, version, f"/lookup/{epath}@{evers}", file)
                )
                self._inflight[file] = task
                task.add_done_callback(lambda t: self._lookup_done(file, t))
            return await asyncio.shield(task)
        except _Failure as f:
            return LookupFailure(
                path,
                version,
                f.kind,
                f.message,
                reason=f.reason,
                url=f.url,
                status=f.status,
                problem=f.problem,
            )
        except Exception as exc:  # a bug or an unexpected library error: never raise
            return LookupFailure(path, version, "server-error", f"internal error: {exc!r}")

    async def verified_hashes(
        self, path: str, version: str
    ) -> tuple[str | None, str | None] | None:
        """``(zip h1, go.mod h1)`` from the verified record, or ``None`` when there is
        no verified record (fits ``network.compare.SumdbLookup``)."""
        r = await self.lookup(path, version)
        return (r.hash, r.gomod_hash) if isinstance(r, LookupOK) else None

    def _lookup_done(self, file: str, task: asyncio.Task[LookupOK]) -> None:
        if self._inflight.get(file) is task:
            del self._inflight[file]
        if task.cancelled():
            return
        if task.exception() is None:  # also marks a failure as retrieved
            self._records[file] = task.result()

    async def _lookup(self, path: str, version: str, remote: str, file: str) -> LookupOK:
        data = self._store.read(file)
        if data is not None:
            try:
                return await self._verify(path, version, data, file, True)
            except _Failure as f:
                if f.reason == "forked":
                    raise
                self._store.remove(file)  # a bad cache entry: ask the server
        data = self._go_cache.read(file)
        if data is not None:
            try:
                ok = await self._verify(path, version, data, file, False)
            except _Failure as f:
                if f.reason == "forked":
                    raise
                # go's entry does not verify here: ask the server (go's file stays)
            else:
                return dataclasses.replace(ok, from_cache=True, from_go_cache=True)
        _, data = await self._get(remote, lookup=True)
        return await self._verify(path, version, data, file, False)

    async def _verify(
        self, path: str, version: str, data: bytes, file: str, from_cache: bool
    ) -> LookupOK:
        try:
            id, text, tree_msg = tlog.parse_record(data)
        except tlog.TlogError as exc:
            raise _Failure("untrusted", str(exc), reason="malformed") from None
        await self._merge_latest(tree_msg)
        tree = await self._check_record(id, text)
        # Authenticated, but a record is only verified data when it gives go a
        # well-formed h1: hash for both lines: never keep one that does not.
        s = text.decode("utf-8", "replace")
        problem = record_problem(path, version, s)
        if problem is not None:
            raise _Failure(
                "untrusted",
                problem.message(self.db.name),
                reason="malformed-record",
                problem=problem,
            )
        if not from_cache:
            self._store.write(file, data)
        lines = tuple(ln for ln in s.split("\n") if ln.startswith(f"{path} {version} "))
        gomod = tuple(ln for ln in s.split("\n") if ln.startswith(f"{path} {version}/go.mod "))
        return LookupOK(path, version, lines, gomod, id, tree, s, from_cache)

    # ------------------------------------------------------------------ init and latest

    async def _init(self) -> None:
        if self._inited:
            return
        async with self._init_lock:
            if self._inited:
                return
            try:
                verifier = notes.new_verifier(self.db.key.strip())
            except notes.NoteError as exc:
                raise _Failure("invalid", f"initializing sumdb.Client: {exc}") from None
            self._verifiers = notes.VerifierList(verifier)
            data = self._store.read(f"{self.db.name}/latest") or b""
            try:
                # From the empty tree this needs no tiles: it only checks the note.
                await self._merge_latest(data)
            except _Failure:
                # A cached head we cannot use (damaged, or signed by another key):
                # start again from the empty tree, as go with a new GOPATH would.
                self._latest = tlog.Tree(0, tlog.EMPTY_HASH)
                self._latest_msg = b""
            await self._merge_go_latest()
            self._inited = True

    async def _merge_go_latest(self) -> None:
        """Take in the tree head the go command keeps (GOPATH/pkg/sumdb/<name>/latest):
        every later answer must be consistent with it, as go checks. A log that
        contradicts it is go's "server misbehavior detected", even when this client's
        own cache never saw the other history. A head that does not verify with the
        key (another database of that name, a damaged file) is go's problem, not
        evidence: it is left out, as is one whose tiles cannot be had now."""
        data = self._go_config.read(f"{self.db.name}/latest")
        if not data:
            return
        assert self._verifiers is not None
        try:
            tree = tlog.parse_tree(notes.open_note(data, self._verifiers).text)
        except (notes.NoteError, tlog.TlogError):
            return
        try:
            await self._merge_latest(data)
        except _Failure as f:
            if f.reason == "forked":
                raise
            return
        self.go_latest = tree

    async def _merge_latest(self, msg: bytes) -> None:
        when = await self._merge_latest_mem(msg)
        if when != _FUTURE:
            return
        file = f"{self.db.name}/latest"
        for _ in range(10):
            old = self._store.read(file) or b""
            try:
                when = await self._merge_latest_mem(old)
            except _Failure as f:
                if f.reason == "forked":
                    raise
                when = _PAST  # an unusable file: replace it
            if when != _PAST:
                return
            latest_msg = self._latest_msg
            current = self._store.read(file) or b""
            if current != old:
                continue  # changed under us: merge again
            self._store.write(file, latest_msg)
            return

    async def _merge_latest_mem(self, msg: bytes) -> int:
        if not msg:
            return _NOW if self._latest.n == 0 else _PAST
        assert self._verifiers is not None
        try:
            nt = notes.open_note(msg, self._verifiers)
        except notes.NoteError as exc:
            raise _Failure(
                "untrusted",
                f"reading tree note: {exc}\nnote:\n{msg.decode('utf-8', 'replace')}",
                reason=_untrusted_note_reason(exc),
            ) from None
        try:
            tree = tlog.parse_tree(nt.text)
        except tlog.TlogError as exc:
            raise _Failure(
                "untrusted", f"reading tree: {exc}\ntree:\n{nt.text}", reason="malformed"
            ) from None
        latest, latest_msg = self._latest, self._latest_msg
        while True:
            if tree.n <= latest.n:
                await self._check_trees(tree, msg, latest, latest_msg)
                return _PAST if tree.n < latest.n else _NOW
            await self._check_trees(latest, latest_msg, tree, msg)
            if self._latest == latest:
                self._latest, self._latest_msg = tree, msg
                return _FUTURE
            latest, latest_msg = self._latest, self._latest_msg

    async def _check_trees(
        self, older: tlog.Tree, older_note: bytes, newer: tlog.Tree, newer_note: bytes
    ) -> None:
        """Check that ``older`` is a prefix of ``newer``; a fork is a SECURITY ERROR."""
        try:
            h = tlog.tree_hash_from(
                older.n, await self._read_hashes(newer, tlog.tree_hash_indexes(older.n))
            )
        except _Failure as f:
            if older.n == newer.n:
                raise f.wrap(f"checking tree#{older.n}: ") from None
            raise f.wrap(f"checking tree#{older.n} against tree#{newer.n}: ") from None
        if h == older.hash:
            return
        lines = [
            "SECURITY ERROR\n",
            "go.sum database server misbehavior detected!\n\n",
            f"old database:\n\t{_indent(older_note)}\n",
            f"new database:\n\t{_indent(newer_note)}\n",
            f"proof of misbehavior:\n\t{tlog.format_hash(h)}",
        ]
        try:
            p = tlog.tree_proof_from(
                newer.n,
                older.n,
                await self._read_hashes(newer, tlog.tree_proof_indexes(newer.n, older.n)),
            )
            tlog.check_tree(p, newer.n, newer.hash, older.n, h)
        except tlog.ProofFailedError:
            lines.append("\tinternal error: generated inconsistent proof\n")
        except (_Failure, tlog.TlogError) as exc:
            lines.append(f"\tinternal error: {exc}\n")
        else:
            lines += [f"\n\t{tlog.format_hash(x)}" for x in p]
        raise _Failure("untrusted", "".join(lines), reason="forked")

    async def _check_record(self, id: int, data: bytes) -> tlog.Tree:
        latest = self._latest
        if id >= latest.n:
            raise _Failure(
                "untrusted",
                f"cannot validate record {id} in tree of size {latest.n}",
                reason="not-in-tree",
            )
        hashes = await self._read_hashes(latest, [tlog.stored_hash_index(0, id)])
        if hashes[0] != tlog.record_hash(data):
            raise _Failure(
                "untrusted",
                "cannot authenticate record data in server response",
                reason="unauthenticated",
            )
        return latest

    # ------------------------------------------------------------------ tiles

    async def _read_hashes(self, tree: tlog.Tree, indexes: Sequence[int]) -> list[bytes]:
        """Hashes proven to be in ``tree`` (``tlog.TileHashReader``)."""
        if not indexes:
            return []
        try:
            plan = tlog.plan_tiles(tree, indexes, self._height)
        except tlog.TlogError as exc:
            raise _Failure("untrusted", str(exc), reason="malformed") from None
        data = await asyncio.gather(*(self._read_tile(t) for t in plan.tiles))
        try:
            hashes = plan.authenticate(data)
        except tlog.InconsistentTileError:
            if not any(t in self._local for t in plan.tiles):
                raise _Failure(
                    "untrusted", "downloaded inconsistent tile", reason="inconsistent-tile"
                ) from None
            # Some tiles came from this machine: a damaged cache, or tiles of a
            # tree the server has since rewritten. Ask the server for all of them.
            data = await asyncio.gather(*(self._read_tile_remote(t) for t in plan.tiles))
            for t in plan.tiles:
                self._saved.discard(t)
                self._local.discard(t)
                self._tiles.pop(t, None)
            hashes = self._authenticate(plan, data)
        except tlog.TlogError as exc:
            raise _Failure("untrusted", str(exc), reason="malformed") from None
        for tile, d in zip(plan.tiles, data, strict=True):
            self._remember_tile(tile, d)
            if tile not in self._saved:
                self._saved.add(tile)
                self._store.write(self._tile_file(tile), d)
        return hashes

    @staticmethod
    def _authenticate(plan: tlog.TilePlan, data: Sequence[bytes]) -> list[bytes]:
        try:
            return plan.authenticate(data)
        except tlog.InconsistentTileError as exc:
            raise _Failure("untrusted", str(exc), reason="inconsistent-tile") from None
        except tlog.TlogError as exc:
            raise _Failure("untrusted", str(exc), reason="malformed") from None

    def _remember_tile(self, tile: tlog.Tile, data: bytes) -> None:
        if len(self._tiles) >= 4096:
            self._tiles.clear()
        self._tiles[tile] = data
        self._local.add(tile)

    def _tile_file(self, tile: tlog.Tile) -> str:
        return f"{self.db.name}/{tile.path()}"

    async def _read_tile(self, tile: tlog.Tile) -> bytes:
        got = self._tiles.get(tile)
        if got is not None:
            return got
        task = self._tile_inflight.get(tile)
        if task is None:
            task = asyncio.ensure_future(self._read_tile_uncached(tile))
            self._tile_inflight[tile] = task
            task.add_done_callback(lambda t: self._tile_done(tile, t))
        return await asyncio.shield(task)

    def _tile_done(self, tile: tlog.Tile, task: asyncio.Task[bytes]) -> None:
        if self._tile_inflight.get(tile) is task:
            del self._tile_inflight[tile]
        if not task.cancelled():
            task.exception()  # marks a failure as retrieved

    async def _read_tile_uncached(self, tile: tlog.Tile) -> bytes:
        """A tile from the disk cache (the tile, or a prefix of its full tile),
        else from the server (the tile, or a prefix of its full tile)."""
        data = self._store.read(self._tile_file(tile))
        if data is not None:
            self._saved.add(tile)
            self._local.add(tile)
            return data
        full = tile.with_width(1 << tile.h)
        if tile != full:
            data = self._store.read(self._tile_file(full))
            if data is not None:
                self._saved.add(tile)
                self._local.add(tile)
                return data[: len(data) // full.w * tile.w]
        # the go command's cached tiles (authenticated like any other)
        for t in (tile, full) if tile != full else (tile,):
            data = self._go_cache.read(self._tile_file(t))
            if data is not None:
                self._local.add(tile)
                return data if t == tile else data[: len(data) // full.w * tile.w]
        return await self._read_tile_remote(tile)

    async def _read_tile_remote(self, tile: tlog.Tile) -> bytes:
        full = tile.with_width(1 << tile.h)
        try:
            _, data = await self._get("/" + tile.path(), lookup=False)
            return data
        except _Failure as first:
            if tile != full:
                try:
                    _, data = await self._get("/" + full.path(), lookup=False)
                except _Failure:
                    raise first from None
                return data[: len(data) // full.w * tile.w]
            raise

    # ------------------------------------------------------------------ HTTP

    async def _base(self) -> str:
        if self.route is not None and self.route.base is not None:
            return self.route.base
        async with self._route_lock:
            if self.route is not None and self.route.base is not None:
                return self.route.base
            route = await select_route(
                self.db, self._goproxy, self._fetch or self._plain_fetch, gonoproxy=self._gonoproxy
            )
            self.route = route
            if route.base is None:
                kind: FailureKind = "unreachable" if route.transport else "server-error"
                raise _Failure(kind if route.steps else "invalid", route.error or "")
            return route.base

    async def _plain_fetch(self, url: str) -> tuple[int, bytes, str]:
        assert self._http is not None  # checked in __init__
        async with self._http.stream("GET", url, follow_redirects=True) as resp:
            body = bytearray()
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > MAX_BODY:
                    break  # _get refuses it; no need to read the rest
            return resp.status_code, bytes(body), resp.headers.get("content-type", "")

    async def _get(self, path: str, *, lookup: bool) -> tuple[str, bytes]:
        """GET ``path`` from the database; 200 or a :class:`_Failure`."""
        base = await self._base()
        url = join_url(base, path)
        (self.stats.lookups if lookup else self.stats.tiles).append(path)
        try:
            status, body, ctype = await _call_fetch(self._fetch or self._plain_fetch, url)
        except Exception as exc:
            raise _Failure("unreachable", _transport_text(url, exc), url=redact(url)) from None
        if status != 200:
            kind: FailureKind = "not-found" if lookup and status in (404, 410) else "server-error"
            raise _Failure(
                kind, http_error_text(url, status, body, ctype), url=redact(url), status=status
            )
        if len(body) > MAX_BODY:
            raise _Failure(
                "server-error", f"reading {redact(url)}: response too large", url=redact(url)
            )
        return url, body
