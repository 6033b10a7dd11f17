"""GOPROXY entries: asking them, classifying their answers as go would, caching.

* :func:`~gomod_doctor.network.entries.entry_refs` names the entries of a parsed
  GOPROXY list.
* :func:`classify` turns one HTTP answer into an :class:`~.model.Attempt`: what the
  go command's ``TryProxies`` will make of it (``not-found`` on 404/410; ``error``
  on anything else that fails; ``hang`` when the entry connects but never answers:
  go's client has no timeout; ``bad-content`` for a .mod or .zip go would take and
  then reject), with go's error text.
* :class:`NetworkCache` keeps answers for a TTL (5 minutes by default), scoped to
  the GOPROXY value and the environment (any change empties it), backs off
  exponentially on failing entries, and is emptied by :meth:`NetworkCache.invalidate`
  (the ``gomod-doctor.recheck`` command).
* :class:`Asker` makes the requests of one gather: it never sends a GOPRIVATE or
  GONOPROXY path, reuses an entry's connection failure for every later request to
  it, and answers repeated questions from memory.
* :func:`probe_entries` checks every entry's health with one request go would make
  anyway: the ``.info`` of a needed, non-private module version.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from gomod_doctor.modfile.rules import parse_mod
from gomod_doctor.module import semver
from gomod_doctor.module.escape import escape_path, escape_version
from gomod_doctor.module.goquote import go_quote
from gomod_doctor.module.semver import sort_versions
from gomod_doctor.netfacts import Attempt, AttemptKind, EntryRef, FileKind, ProbeResult
from gomod_doctor.network.entries import probe_note, unsent
from gomod_doctor.network.http import MAX_SMALL_BODY, MAX_ZIP, Fetched, HttpPool, safe_url
from gomod_doctor.network.http.errors import go_http_error_text, go_transport_text
from gomod_doctor.units import seconds

DEFAULT_TTL = 300.0
DEFAULT_BACKOFF = 15.0

# --------------------------------------------------------------------------- entries


def module_url(base: str, path: str, version: str, file: FileKind) -> str:
    """The URL go asks for ``file`` of ``path@version`` under the proxy ``base``
    (raises ValueError for a path or version that cannot be escaped)."""
    root = base.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    esc = escape_path(path)
    if file == "list":
        return f"{root}/{esc}/@v/list"
    if file == "latest":
        return f"{root}/{esc}/@latest"
    return f"{root}/{esc}/@v/{escape_version(version)}.{file}"


# --------------------------------------------------------------------------- go's words


def _status_error(f: Fetched) -> str:
    """web.HTTPError.Error(): ``reading URL: 404 Not Found`` plus the server's text."""
    return go_http_error_text(f.url, f.status_text, f.body, f.content_type)


def _json_error(body: bytes) -> str:
    """The start of encoding/json's complaint about ``body``."""
    text = body.lstrip(b" \t\r\n")
    if not text:
        return "unexpected end of JSON input"
    c = text[:1].decode("latin-1")
    if c not in '{["-0123456789tfn':
        return f"invalid character {_go_char(c)} looking for beginning of value"
    return "invalid JSON"


def _go_char(c: str) -> str:
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    if c.isprintable():
        return f"'{c}'"
    return "'" + go_quote(c)[1:-1] + "'"


# --------------------------------------------------------------------------- classify


def classify(entry: EntryRef, file: FileKind, version: str, f: Fetched) -> Attempt:
    """What the go command makes of ``f``, an answer for ``file`` of ``@version``."""

    def att(kind: AttemptKind, reason: str = "", go_error: str = "") -> Attempt:
        return Attempt(entry, f.url, file, kind, reason, f.status, go_error, latency=f.elapsed)

    err = f.error
    if err is not None:
        if err.kind == "deadline":
            return att("skipped", "deadline", err.detail)
        if err.kind == "timeout":
            return att(
                "hang",
                "timeout",
                f"{f.url}: connected, but no answer within {seconds(f.elapsed, whole='.0f')}: the go "
                "command has no timeout and would wait forever",
            )
        if err.kind == "truncated":
            return att("error", "truncated", f'read "{f.url}": unexpected EOF')
        if err.kind == "too-large":
            return att(
                "error",
                "too-large",
                "downloaded zip file too large" if file == "zip" else err.detail,
            )
        if err.kind in ("redirect", "insecure-credentials"):
            return att("error", err.kind, err.detail)
        return att("error", err.kind, go_transport_text(f.url, err))
    status = f.status or 0
    if status in (404, 410):
        return att("not-found", "", _status_error(f))
    if status != 200:
        return att("error", "http", _status_error(f))
    if file == "info":
        problem = _info_problem(f.body, version)
        if problem is not None:
            if not problem.startswith("proxy returned"):
                problem = f"invalid response from proxy {go_quote(entry.url)}: {problem}"
            return att("error", "invalid", problem)
    elif file == "mod":
        if not _mod_ok(f.body):
            return att(
                "bad-content",
                "garbage",
                f"{f.url}: what it serves is not a go.mod file; go takes it from this "
                "proxy and then fails on it",
            )
    elif file == "zip" and not f.body.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return att("bad-content", "garbage", "zip: not a valid zip file")
    elif file in ("list", "latest"):
        return replace(att("ok"), versions=_versions(file, f.body))
    if file == "mod":
        return replace(att("ok"), body=f.body)
    return att("ok")


def _versions(file: FileKind, body: bytes) -> tuple[str, ...]:
    """The valid versions a ``@v/list`` (one a line) or ``@latest`` (.info) names."""
    text = body.decode("utf-8", "replace")
    if file == "latest":
        try:
            got = json.loads(text).get("Version")
        except (ValueError, AttributeError):
            return ()
        found = [got] if isinstance(got, str) else []
    else:
        found = [line.split(" ", 1)[0] for line in text.splitlines() if line.strip()]
    return tuple(sort_versions([v for v in dict.fromkeys(found) if semver.is_valid(v)]))


def _info_problem(body: bytes, version: str) -> str | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError too
        return _json_error(body)
    if not isinstance(data, dict):
        kind = type(data).__name__
        go = {"list": "array", "str": "string", "int": "number", "float": "number"}.get(kind, kind)
        return f"json: cannot unmarshal {go} into Go value of type modfetch.RevInfo"
    got = data.get("Version")
    if isinstance(got, str) and version and got != version:
        return f"proxy returned info for version {got} instead of requested version"
    return None


def _mod_ok(body: bytes) -> bool:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if "\x00" in text:
        return False
    return not parse_mod(text, "go.mod", lax=True).errors


# --------------------------------------------------------------------------- the cache


@dataclass
class _Held:
    attempt: Attempt
    until: float


class NetworkCache:
    """Answers kept between gathers (the language server keeps one).

    ``scope`` is a digest of GOPROXY and the environment; a new scope empties the
    cache. Good answers are kept ``ttl`` seconds. A failing entry is asked again
    after ``backoff`` seconds, doubling with each consecutive failure up to ``ttl``;
    until then its failure is reused for every request to it.
    """

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        backoff: float = DEFAULT_BACKOFF,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.backoff = backoff
        self.clock = clock
        self._scope = ""
        self._answers: dict[str, _Held] = {}
        self._down: dict[str, _Held] = {}
        self._failures: dict[str, int] = {}
        self._values: dict[str, tuple[object, float]] = {}

    def use_scope(self, scope: str) -> None:
        if scope != self._scope:
            self.invalidate()
            self._scope = scope

    def invalidate(self) -> None:
        """Forget everything (and every backoff): the next gather asks again."""
        self._answers.clear()
        self._down.clear()
        self._failures.clear()
        self._values.clear()

    def hold_for(self, entry_url: str) -> float:
        n = self._failures.get(entry_url, 0)
        if n <= 0:
            return self.ttl
        return float(min(self.ttl, self.backoff * (2 ** min(n - 1, 30))))

    def get(self, url: str) -> Attempt | None:
        held = self._answers.get(url)
        if held is None:
            return None
        if self.clock() >= held.until:
            del self._answers[url]
            return None
        return replace(held.attempt, cached=True)

    def entry_down(self, entry_url: str) -> Attempt | None:
        held = self._down.get(entry_url)
        if held is None:
            return None
        if self.clock() >= held.until:
            del self._down[entry_url]
            return None
        return replace(held.attempt, cached=True)

    def put(self, entry_url: str, url: str, attempt: Attempt) -> None:
        if attempt.kind == "skipped":
            return
        now = self.clock()
        if attempt.connection_failure:
            self._failures[entry_url] = self._failures.get(entry_url, 0) + 1
            hold = self.hold_for(entry_url)
            self._down[entry_url] = _Held(attempt, now + hold)
            self._answers[url] = _Held(attempt, now + hold)
            return
        self._failures.pop(entry_url, None)
        self._down.pop(entry_url, None)
        failing = attempt.kind in ("error", "bad-content")
        hold = min(self.ttl, self.backoff) if failing else self.ttl
        self._answers[url] = _Held(attempt, now + hold)

    def held(self, key: str) -> object | None:
        """A value kept with :meth:`hold` (the checksum database's answers), or None
        once its time is up."""
        got = self._values.get(key)
        if got is None:
            return None
        if self.clock() >= got[1]:
            del self._values[key]
            return None
        return got[0]

    def hold(self, key: str, value: object, *, failing: bool) -> None:
        """Keep ``value`` under ``key``: ``ttl`` seconds, or for a ``failing`` one the
        backoff (doubling with each consecutive failure of ``key``, up to ``ttl``)."""
        if failing:
            self._failures[key] = self._failures.get(key, 0) + 1
        else:
            self._failures.pop(key, None)
        self._values[key] = (value, self.clock() + self.hold_for(key))

    def release(self, key: str) -> None:
        """Forget ``key`` (and its failures)."""
        self._values.pop(key, None)
        self._failures.pop(key, None)


# --------------------------------------------------------------------------- asking


class Asker:
    """The requests of one gather. ``pool`` None: nothing is ever sent (offline)."""

    def __init__(
        self,
        pool: HttpPool | None,
        raw_urls: dict[int, str],
        *,
        cache: NetworkCache | None = None,
        private: Callable[[str], bool] = lambda _p: False,
    ) -> None:
        self.pool = pool
        self.raw_urls = raw_urls
        self.cache = cache
        self.private = private
        self._memo: dict[str, Attempt] = {}
        self._inflight: dict[str, asyncio.Future[Attempt]] = {}
        self._down: dict[int, Attempt] = {}
        self.sent = 0

    async def ask(self, entry: EntryRef, path: str, version: str, file: FileKind) -> Attempt:
        base = self.raw_urls.get(entry.index, "")
        private = self.private(path)
        if private or self.pool is None or not base:
            return unsent(entry, file, private=private)
        try:
            url = module_url(base, path, version, file)
        except ValueError as e:
            skipped = Attempt(entry, entry.url, file, "skipped")
            return replace(skipped, reason="invalid", go_error=str(e))
        shown = safe_url(url)
        if entry.index in self._down:
            return _moved(self._down[entry.index], shown, file)
        if self.cache is not None:
            down = self.cache.entry_down(base)
            if down is not None:
                self._down[entry.index] = down
                return _moved(down, shown, file)
            hit = self.cache.get(url)
            if hit is not None:
                return hit
        if url in self._memo:
            return replace(self._memo[url], cached=True)
        if url in self._inflight:
            return replace(await asyncio.shield(self._inflight[url]), cached=True)
        fut: asyncio.Future[Attempt] = asyncio.get_running_loop().create_future()
        self._inflight[url] = fut
        try:
            attempt = await self._fetch(entry, base, url, version, file)
        except BaseException:
            fut.cancel()
            self._inflight.pop(url, None)
            raise
        fut.set_result(attempt)
        self._inflight.pop(url, None)
        if attempt.kind != "skipped":
            self._memo[url] = attempt
            if attempt.connection_failure:
                self._down.setdefault(entry.index, attempt)
            if self.cache is not None:
                self.cache.put(base, url, attempt)
        return attempt

    async def _fetch(
        self, entry: EntryRef, base: str, url: str, version: str, file: FileKind
    ) -> Attempt:
        assert self.pool is not None
        self.sent += 1
        if file == "zip":
            got = await self.pool.get(url, mode="peek", max_bytes=MAX_ZIP)
        else:
            got = await self.pool.get(url, mode="bytes", max_bytes=MAX_SMALL_BODY)
        return classify(entry, file, version, got)


def _moved(a: Attempt, url: str, file: FileKind) -> Attempt:
    """An entry's connection failure, reused for another request to it."""
    return replace(a, url=url, file=file, go_error=a.go_error.replace(a.url, url), cached=True)


# --------------------------------------------------------------------------- probes


async def probe_entries(
    asker: Asker,
    entries: Sequence[EntryRef],
    target: tuple[str, str] | None,
) -> list[ProbeResult]:
    """One request to every proxy entry, all at once: the ``.info`` of ``target``."""

    async def one(e: EntryRef) -> ProbeResult:
        note = probe_note(e, target)
        if note is not None:
            return note
        assert target is not None  # without one, probe_note has answered
        a = await asker.ask(e, target[0], target[1], "info")
        return ProbeResult(e, target[0], target[1], a)

    return list(await asyncio.gather(*(one(e) for e in entries)))


__all__ = [
    "DEFAULT_BACKOFF",
    "DEFAULT_TTL",
    "Asker",
    "NetworkCache",
    "classify",
    "module_url",
    "probe_entries",
]
