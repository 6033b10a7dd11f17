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

The client does all its I/O through the ops it is given (:mod:`.ops`, as x/mod's
``ClientOps``): the network and the files above are the real ops' business.
The client's parts: :mod:`.gosumdb` (the setting), :mod:`.ops` (its I/O),
:mod:`.transport` (HTTP, go's words for its failures), :mod:`.routes` (where the
database is reached) and :mod:`.records` (what a lookup gives).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gomod_doctor.goenv.proxy import ProxyList
from gomod_doctor.module.escape import escape_path, escape_version
from gomod_doctor.module.match import match_prefix_patterns
from gomod_doctor.network.sumdb import note as notes
from gomod_doctor.network.sumdb import tlog
from gomod_doctor.network.sumdb.gosumdb import GoSumDB
from gomod_doctor.network.sumdb.ops import ClientOps, HTTPOps, _Stats, default_cache_dir
from gomod_doctor.network.sumdb.records import (
    LookupFailure,
    LookupOK,
    LookupResult,
    UntrustedReason,
    record_problem,
)
from gomod_doctor.network.sumdb.routes import SumDBRoute
from gomod_doctor.network.sumdb.transport import Fetch, _Failure

if TYPE_CHECKING:
    import httpx

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


class SumDBClient:
    """Looks records up in one checksum database and verifies them.

    Its I/O goes through ``ops`` (:class:`~.ops.ClientOps`), as x/mod's client
    does through its ``ClientOps``. Without ``ops``, the real ones
    (:class:`~.ops.HTTPOps`) are made from the other arguments: ``http`` is the
    caller's ``httpx.AsyncClient`` (timeouts, proxies and TLS are the caller's); it
    may be ``None`` when ``fetch`` is given. ``cache_dir`` holds verified data
    (``None``: memory only; :func:`default_cache_dir` is the usual place). Without
    a URL in ``db``, the route to the database is chosen from
    ``goproxy``/``gonoproxy`` with :func:`select_route` on the first lookup that
    needs the network (and again after a failed choice). Every request goes
    through ``fetch`` when given (e.g. a pool with its own limits), else is a GET
    with ``http``. Paths matching ``gonosumdb`` (the effective GONOSUMDB, which
    defaults to GOPRIVATE) are never sent.

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
        ops: ClientOps | None = None,
    ) -> None:
        if ops is None:
            ops = HTTPOps(
                http,
                db,
                cache_dir=cache_dir,
                goproxy=goproxy,
                gonoproxy=gonoproxy,
                fetch=fetch,
                go_config_dir=go_config_dir,
                go_cache_dir=go_cache_dir,
            )
        self.db = db
        self.ops = ops
        self._gonosumdb = gonosumdb
        self._height = tile_height
        #: the go command's signed tree head, when it has one and it verified
        self.go_latest: tlog.Tree | None = None
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

    @property
    def route(self) -> SumDBRoute | None:
        """Where the database was reached (the real ops only)."""
        return self.ops.route if isinstance(self.ops, HTTPOps) else None

    @property
    def stats(self) -> _Stats:
        """Requests sent (the real ops only; otherwise empty)."""
        return self.ops.stats if isinstance(self.ops, HTTPOps) else _Stats()

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
        data = self.ops.read_cache(file)
        if data is not None:
            try:
                return await self._verify(path, version, data, file, True)
            except _Failure as f:
                if f.reason == "forked":
                    raise
                self.ops.log(f"dropping cached {file}: {f.message}")
                self.ops.remove_cache(file)  # a bad cache entry: ask the server
        data = self.ops.read_go_cache(file)
        if data is not None:
            try:
                ok = await self._verify(path, version, data, file, False)
            except _Failure as f:
                if f.reason == "forked":
                    raise
                # go's entry does not verify here: ask the server (go's file stays)
            else:
                return dataclasses.replace(ok, from_cache=True, from_go_cache=True)
        data = await self.ops.read_remote(remote)
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
            self.ops.write_cache(file, data)
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
            data = self.ops.read_config(f"{self.db.name}/latest") or b""
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
        data = self.ops.read_go_config(f"{self.db.name}/latest")
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
            old = self.ops.read_config(file) or b""
            try:
                when = await self._merge_latest_mem(old)
            except _Failure as f:
                if f.reason == "forked":
                    raise
                when = _PAST  # an unusable file: replace it
            if when != _PAST:
                return
            if self.ops.write_config(file, old, self._latest_msg):
                return
            # changed under us: merge again

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
        msg = "".join(lines)
        self.ops.security_error(msg)
        raise _Failure("untrusted", msg, reason="forked")

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
                self.ops.write_cache(self._tile_file(tile), d)
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
        data = self.ops.read_cache(self._tile_file(tile))
        if data is not None:
            self._saved.add(tile)
            self._local.add(tile)
            return data
        full = tile.with_width(1 << tile.h)
        if tile != full:
            data = self.ops.read_cache(self._tile_file(full))
            if data is not None:
                self._saved.add(tile)
                self._local.add(tile)
                return data[: len(data) // full.w * tile.w]
        # the go command's cached tiles (authenticated like any other)
        for t in (tile, full) if tile != full else (tile,):
            data = self.ops.read_go_cache(self._tile_file(t))
            if data is not None:
                self._local.add(tile)
                return data if t == tile else data[: len(data) // full.w * tile.w]
        return await self._read_tile_remote(tile)

    async def _read_tile_remote(self, tile: tlog.Tile) -> bytes:
        full = tile.with_width(1 << tile.h)
        try:
            return await self.ops.read_remote("/" + tile.path())
        except _Failure as first:
            if tile != full:
                try:
                    data = await self.ops.read_remote("/" + full.path())
                except _Failure:
                    raise first from None
                return data[: len(data) // full.w * tile.w]
            raise


__all__ = ["ClientOps", "HTTPOps", "SumDBClient", "default_cache_dir"]
