"""The checksum database's transparency log (x/mod's ``sumdb/tlog``).

The log is an RFC 6962 Merkle tree: a record's hash is ``SHA-256(0x00 || data)``
and an interior node's is ``SHA-256(0x01 || left || right)``. Hashes are stored
in one dense sequence (:func:`stored_hash_index`) and served in *tiles*: a tile
of height H at level L, number N, lists W consecutive hashes of tree level H*L
starting at N*2**H; its path is ``tile/H/L/NNN[.p/W]`` with N written in
three-digit elements (``x001/x234/067``) and ``data`` for the record level.

Sync proofs take a :data:`HashReader` (``indexes -> hashes``). Remote readers are
async, so every proof also comes in two halves: ``*_indexes`` (which stored
hashes it needs) and ``*_from`` (the proof from those hashes). A
:class:`TilePlan` says which tiles prove a set of hashes in a given tree, and
authenticates the tiles' data against the tree hash (``downloaded inconsistent
tile`` otherwise), so every hash it returns is proven to be in the tree.

Errors are :class:`TlogError` with go's messages.

One cohesive unit, over the size guide: it is x/mod's ``sumdb/tlog`` package
(tlog.go, tile.go and the record and tree formats), whose proofs, tiles and
hashes share one index arithmetic; it stays whole so that it reads beside go's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "EMPTY_HASH",
    "HASH_SIZE",
    "HashReader",
    "InconsistentTileError",
    "MalformedRecordError",
    "MalformedTreeError",
    "ProofFailedError",
    "Tile",
    "TilePlan",
    "TlogError",
    "Tree",
    "check_record",
    "check_tree",
    "format_hash",
    "format_record",
    "format_tree",
    "hash_from_tile",
    "new_tiles",
    "node_hash",
    "parse_hash",
    "parse_record",
    "parse_tile_path",
    "parse_tree",
    "plan_tiles",
    "prove_record",
    "prove_tree",
    "read_tile_data",
    "record_hash",
    "record_proof_from",
    "record_proof_indexes",
    "split_stored_hash_index",
    "stored_hash_count",
    "stored_hash_index",
    "stored_hashes",
    "stored_hashes_for_record_hash",
    "tile_for_index",
    "tile_hash_reader",
    "tree_hash",
    "tree_hash_from",
    "tree_hash_indexes",
    "tree_proof_from",
    "tree_proof_indexes",
]

HASH_SIZE = 32
#: The hash of the empty tree (SHA-256 of nothing).
EMPTY_HASH = hashlib.sha256(b"").digest()

HashReader = Callable[[Sequence[int]], Sequence[bytes]]
"""Reads stored hashes by index; must return one hash per index."""

_INT64_MAX = (1 << 63) - 1


class TlogError(Exception):
    """A log problem; ``str(err)`` is go's message."""


class ProofFailedError(TlogError):
    def __init__(self) -> None:
        super().__init__("invalid transparency proof")


class InconsistentTileError(TlogError):
    """Tiles that do not hash to the signed tree (one of them is wrong)."""

    def __init__(self) -> None:
        super().__init__("downloaded inconsistent tile")


class MalformedTreeError(TlogError):
    def __init__(self) -> None:
        super().__init__("malformed tree note")


class MalformedRecordError(TlogError):
    def __init__(self) -> None:
        super().__init__("malformed record data")


# --------------------------------------------------------------------------- hashes


def format_hash(h: bytes) -> str:
    return base64.b64encode(h).decode("ascii")


def parse_hash(s: str) -> bytes:
    """A hash from its base64 form; raises :class:`TlogError` (``malformed hash``)."""
    data = _b64(s)
    if data is None or len(data) != HASH_SIZE:
        raise TlogError("malformed hash")
    return data


_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def _b64(s: str) -> bytes | None:
    s = s.replace("\r", "").replace("\n", "")
    if len(s) % 4 or _B64.fullmatch(s) is None:
        return None
    try:
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return None


def record_hash(data: bytes) -> bytes:
    """The leaf hash of a record: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node's hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _maxpow2(n: int) -> tuple[int, int]:
    """The largest power of 2 smaller than n, and its log2."""
    lvl = 0
    while 1 << (lvl + 1) < n:
        lvl += 1
    return 1 << lvl, lvl


def stored_hash_index(level: int, n: int) -> int:
    """Where hash ``n`` of tree level ``level`` sits in the stored sequence."""
    for _ in range(level):
        n = 2 * n + 1
    i = 0
    while n > 0:
        i += n
        n >>= 1
    return i + level


def split_stored_hash_index(index: int) -> tuple[int, int]:
    """The inverse of :func:`stored_hash_index`: ``(level, n)``."""
    n = index // 2
    index_n = stored_hash_index(0, n)
    if index_n > index:
        raise TlogError("bad math")
    while True:
        x = index_n + 1 + _trailing_zeros(n + 1)
        if x > index:
            break
        n += 1
        index_n = x
    level = index - index_n
    return level, n >> level


def _trailing_zeros(x: int) -> int:
    if x == 0:
        return 64
    return (x & -x).bit_length() - 1


def stored_hash_count(n: int) -> int:
    """How many stored hashes a tree of ``n`` records has."""
    if n == 0:
        return 0
    num = stored_hash_index(0, n - 1) + 1
    i = n - 1
    while i & 1:
        num += 1
        i >>= 1
    return num


def stored_hashes(n: int, data: bytes, r: HashReader) -> list[bytes]:
    """The hashes to store (from ``stored_hash_index(0, n)`` on) when record ``n``
    with ``data`` is added."""
    return stored_hashes_for_record_hash(n, record_hash(data), r)


def stored_hashes_for_record_hash(n: int, h: bytes, r: HashReader) -> list[bytes]:
    hashes = [h]
    m = _trailing_zeros(n + 1)
    indexes = [0] * m
    for i in range(m):
        indexes[m - 1 - i] = stored_hash_index(i, (n >> i) - 1)
    old = _read(r, indexes)
    for i in range(m):
        h = node_hash(old[m - 1 - i], h)
        hashes.append(h)
    return hashes


def _read(r: HashReader, indexes: Sequence[int]) -> list[bytes]:
    hashes = list(r(indexes))
    if len(hashes) != len(indexes):
        raise TlogError(f"tlog: ReadHashes({len(indexes)} indexes) = {len(hashes)} hashes")
    return hashes


def _sub_tree_index(lo: int, hi: int, need: list[int]) -> list[int]:
    while lo < hi:
        k, level = _maxpow2(hi - lo + 1)
        if lo & (k - 1):
            raise TlogError("tlog: bad math in subTreeIndex")
        need.append(stored_hash_index(level, lo >> level))
        lo += k
    return need


def _sub_tree_hash(lo: int, hi: int, hashes: list[bytes]) -> tuple[bytes, list[bytes]]:
    num = 0
    while lo < hi:
        k, _ = _maxpow2(hi - lo + 1)
        if lo & (k - 1):
            raise TlogError("tlog: bad math in subTreeHash")
        num += 1
        lo += k
    if len(hashes) < num or num == 0:
        raise TlogError("tlog: bad index math in subTreeHash")
    h = hashes[num - 1]
    for i in range(num - 2, -1, -1):
        h = node_hash(hashes[i], h)
    return h, hashes[num:]


# --------------------------------------------------------------------------- tree hash


def tree_hash_indexes(n: int) -> list[int]:
    """The stored hashes :func:`tree_hash_from` needs for a tree of ``n`` records."""
    return _sub_tree_index(0, n, []) if n > 0 else []


def tree_hash_from(n: int, hashes: Sequence[bytes]) -> bytes:
    if n == 0:
        return EMPTY_HASH
    h, rest = _sub_tree_hash(0, n, list(hashes))
    if rest:
        raise TlogError("tlog: bad index math in TreeHash")
    return h


def tree_hash(n: int, r: HashReader) -> bytes:
    """The root hash of the tree of the first ``n`` records."""
    if n == 0:
        return EMPTY_HASH
    indexes = tree_hash_indexes(n)
    return tree_hash_from(n, _read(r, indexes))


# --------------------------------------------------------------------------- record proofs


def _leaf_proof_index(lo: int, hi: int, n: int, need: list[int]) -> list[int]:
    if not lo <= n < hi:
        raise TlogError("tlog: bad math in leafProofIndex")
    if lo + 1 == hi:
        return need
    k, _ = _maxpow2(hi - lo)
    if n < lo + k:
        need = _leaf_proof_index(lo, lo + k, n, need)
        need = _sub_tree_index(lo + k, hi, need)
    else:
        need = _sub_tree_index(lo, lo + k, need)
        need = _leaf_proof_index(lo + k, hi, n, need)
    return need


def _leaf_proof(lo: int, hi: int, n: int, hashes: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    if not lo <= n < hi:
        raise TlogError("tlog: bad math in leafProof")
    if lo + 1 == hi:
        return [], hashes
    k, _ = _maxpow2(hi - lo)
    if n < lo + k:
        p, hashes = _leaf_proof(lo, lo + k, n, hashes)
        th, hashes = _sub_tree_hash(lo + k, hi, hashes)
    else:
        th, hashes = _sub_tree_hash(lo, lo + k, hashes)
        p, hashes = _leaf_proof(lo + k, hi, n, hashes)
    return [*p, th], hashes


def record_proof_indexes(t: int, n: int) -> list[int]:
    """The stored hashes the proof that record ``n`` is in tree ``t`` needs."""
    if t < 0 or n < 0 or n >= t:
        raise TlogError("tlog: invalid inputs in ProveRecord")
    return _leaf_proof_index(0, t, n, [])


def record_proof_from(t: int, n: int, hashes: Sequence[bytes]) -> list[bytes]:
    if t < 0 or n < 0 or n >= t:
        raise TlogError("tlog: invalid inputs in ProveRecord")
    p, rest = _leaf_proof(0, t, n, list(hashes))
    if rest:
        raise TlogError("tlog: bad index math in ProveRecord")
    return p


def prove_record(t: int, n: int, r: HashReader) -> list[bytes]:
    """The proof (RFC 6962 audit path) that the tree of size ``t`` contains record ``n``."""
    indexes = record_proof_indexes(t, n)
    if not indexes:
        return []
    return record_proof_from(t, n, _read(r, indexes))


def _run_record_proof(p: list[bytes], lo: int, hi: int, n: int, leaf: bytes) -> bytes:
    if lo + 1 == hi:
        if p:
            raise ProofFailedError()
        return leaf
    if not p:
        raise ProofFailedError()
    k, _ = _maxpow2(hi - lo)
    if n < lo + k:
        th = _run_record_proof(p[:-1], lo, lo + k, n, leaf)
        return node_hash(th, p[-1])
    th = _run_record_proof(p[:-1], lo + k, hi, n, leaf)
    return node_hash(p[-1], th)


def check_record(p: Sequence[bytes], t: int, th: bytes, n: int, h: bytes) -> None:
    """Check that ``p`` proves the tree of size ``t`` with hash ``th`` has record
    ``n`` with hash ``h``; raises :class:`ProofFailedError` (``invalid transparency
    proof``) or :class:`TlogError` for invalid inputs."""
    if t < 0 or n < 0 or n >= t:
        raise TlogError("tlog: invalid inputs in CheckRecord")
    if _run_record_proof(list(p), 0, t, n, h) != th:
        raise ProofFailedError()


# --------------------------------------------------------------------------- tree proofs


def _tree_proof_index(lo: int, hi: int, n: int, need: list[int]) -> list[int]:
    if not lo < n <= hi:
        raise TlogError("tlog: bad math in treeProofIndex")
    if n == hi:
        if lo == 0:
            return need
        return _sub_tree_index(lo, hi, need)
    k, _ = _maxpow2(hi - lo)
    if n <= lo + k:
        need = _tree_proof_index(lo, lo + k, n, need)
        need = _sub_tree_index(lo + k, hi, need)
    else:
        need = _sub_tree_index(lo, lo + k, need)
        need = _tree_proof_index(lo + k, hi, n, need)
    return need


def _tree_proof(lo: int, hi: int, n: int, hashes: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    if not lo < n <= hi:
        raise TlogError("tlog: bad math in treeProof")
    if n == hi:
        if lo == 0:
            return [], hashes
        th, hashes = _sub_tree_hash(lo, hi, hashes)
        return [th], hashes
    k, _ = _maxpow2(hi - lo)
    if n <= lo + k:
        p, hashes = _tree_proof(lo, lo + k, n, hashes)
        th, hashes = _sub_tree_hash(lo + k, hi, hashes)
    else:
        th, hashes = _sub_tree_hash(lo, lo + k, hashes)
        p, hashes = _tree_proof(lo + k, hi, n, hashes)
    return [*p, th], hashes


def tree_proof_indexes(t: int, n: int) -> list[int]:
    """The stored hashes the proof that tree ``t`` extends tree ``n`` needs."""
    if t < 1 or n < 1 or n > t:
        raise TlogError("tlog: invalid inputs in ProveTree")
    return _tree_proof_index(0, t, n, [])


def tree_proof_from(t: int, n: int, hashes: Sequence[bytes]) -> list[bytes]:
    if t < 1 or n < 1 or n > t:
        raise TlogError("tlog: invalid inputs in ProveTree")
    p, rest = _tree_proof(0, t, n, list(hashes))
    if rest:
        raise TlogError("tlog: bad index math in ProveTree")
    return p


def prove_tree(t: int, n: int, r: HashReader) -> list[bytes]:
    """The proof (RFC 6962 consistency proof) that the tree of size ``t`` contains
    the tree of size ``n`` as a prefix."""
    indexes = tree_proof_indexes(t, n)
    if not indexes:
        return []
    return tree_proof_from(t, n, _read(r, indexes))


def _run_tree_proof(p: list[bytes], lo: int, hi: int, n: int, old: bytes) -> tuple[bytes, bytes]:
    if n == hi:
        if lo == 0:
            if p:
                raise ProofFailedError()
            return old, old
        if len(p) != 1:
            raise ProofFailedError()
        return p[0], p[0]
    if not p:
        raise ProofFailedError()
    k, _ = _maxpow2(hi - lo)
    if n <= lo + k:
        oh, th = _run_tree_proof(p[:-1], lo, lo + k, n, old)
        return oh, node_hash(th, p[-1])
    oh, th = _run_tree_proof(p[:-1], lo + k, hi, n, old)
    return node_hash(p[-1], oh), node_hash(p[-1], th)


def check_tree(p: Sequence[bytes], t: int, th: bytes, n: int, h: bytes) -> None:
    """Check that ``p`` proves the tree of size ``t`` with hash ``th`` contains the
    tree of size ``n`` with hash ``h``; raises :class:`ProofFailedError` or
    :class:`TlogError` for invalid inputs."""
    if t < 1 or n < 1 or n > t:
        raise TlogError("tlog: invalid inputs in CheckTree")
    h2, th2 = _run_tree_proof(list(p), 0, t, n, h)
    if th2 != th or h2 != h:
        raise ProofFailedError()


# --------------------------------------------------------------------------- tiles


@dataclass(frozen=True, order=True)
class Tile:
    """Tile coordinates: height ``h``, level ``l`` (-1: record data), number ``n``,
    width ``w`` (``2**h`` for a full tile)."""

    h: int
    l: int  # noqa: E741 - go's name
    n: int
    w: int

    @property
    def full(self) -> bool:
        return self.w == 1 << self.h

    def with_width(self, w: int) -> Tile:
        return Tile(self.h, self.l, self.n, w)

    def path(self) -> str:
        """``tile/H/L/NNN[.p/W]`` (``tlog.Tile.Path``)."""
        n = self.n
        s = f"{n % 1000:03d}"
        while n >= 1000:
            n //= 1000
            s = f"x{n % 1000:03d}/{s}"
        p = "" if self.w == 1 << self.h else f".p/{self.w}"
        lvl = "data" if self.l == -1 else str(self.l)
        return f"tile/{self.h}/{lvl}/{s}{p}"


_DIGITS = re.compile(r"[0-9]+")


def _atoi(s: str) -> int | None:
    # strconv.Atoi: optional sign, decimal digits.
    neg = s.startswith("-")
    body = s[1:] if s[:1] in ("+", "-") else s
    if _DIGITS.fullmatch(body) is None:
        return None
    v = int(body)
    return -v if neg else v


def parse_tile_path(path: str) -> Tile:
    """The tile a ``tile/H/L/NNN[.p/W]`` path names; raises :class:`TlogError`
    (``malformed tile path "..."``)."""
    from gomod_doctor.module.goquote import go_quote

    bad = TlogError(f"malformed tile path {go_quote(path)}")
    f = path.split("/")
    if len(f) < 4 or f[0] != "tile":
        raise bad
    h = _atoi(f[1])
    is_data = f[2] == "data"
    lvl = 0 if is_data else _atoi(f[2])
    if h is None or lvl is None or h < 1 or lvl < 0 or h > 30:
        raise bad
    w = 1 << h
    if f[-2].endswith(".p"):
        ww = _atoi(f[-1])
        if ww is None or ww <= 0 or ww >= w:
            raise bad
        w = ww
        f[-2] = f[-2][: -len(".p")]
        f = f[:-1]
    n = 0
    for s in f[3:]:
        nn = _atoi(s[1:] if s.startswith("x") else s)
        if nn is None or nn < 0 or nn >= 1000:
            raise bad
        n = n * 1000 + nn
    t = Tile(h, -1 if is_data else lvl, n, w)
    if path != t.path():
        raise bad
    return t


def _tile_for_index(h: int, index: int) -> tuple[Tile, int, int]:
    level, n = split_stored_hash_index(index)
    tl = level // h
    level -= tl * h
    tn = (n << level) >> h
    n -= (tn << h) >> level
    w = (n + 1) << level
    return Tile(h, tl, tn, w), (n << level) * HASH_SIZE, ((n + 1) << level) * HASH_SIZE


def tile_for_index(h: int, index: int) -> Tile:
    """The tile of height ``h`` and least width that stores hash ``index``."""
    if h <= 0:
        raise TlogError(f"TileForIndex: invalid height {h}")
    return _tile_for_index(h, index)[0]


def _tile_hash(data: bytes) -> bytes:
    if not data:
        raise TlogError("bad math in tileHash")
    if len(data) == HASH_SIZE:
        return data
    n = len(data) // 2
    return node_hash(_tile_hash(data[:n]), _tile_hash(data[n:]))


def hash_from_tile(t: Tile, data: bytes, index: int) -> bytes:
    """The hash at ``index`` from tile ``t``'s data (``tlog.HashFromTile``)."""
    if t.h < 1 or t.h > 30 or t.l < 0 or t.l >= 64 or t.w < 1 or t.w > 1 << t.h:
        raise TlogError(f"invalid tile {t.path()}")
    if len(data) < t.w * HASH_SIZE:
        raise TlogError(f"data len {len(data)} too short for tile {t.path()}")
    t1, start, end = _tile_for_index(t.h, index)
    if t.l != t1.l or t.n != t1.n or t.w < t1.w:
        raise TlogError(f"index {index} is in {t1.path()} not {t.path()}")
    return _tile_hash(data[start:end])


def new_tiles(h: int, old_size: int, new_size: int) -> list[Tile]:
    """The tiles to publish when the tree grows from ``old_size`` to ``new_size``."""
    if h <= 0:
        raise TlogError(f"NewTiles: invalid height {h}")
    tiles: list[Tile] = []
    level = 0
    while new_size >> (h * level) > 0:
        old_n = old_size >> (h * level)
        new_n = new_size >> (h * level)
        if old_n != new_n:
            for n in range(old_n >> h, new_n >> h):
                tiles.append(Tile(h, level, n, 1 << h))
            n = new_n >> h
            w = new_n - (n << h)
            if w > 0:
                tiles.append(Tile(h, level, n, w))
        level += 1
    return tiles


def read_tile_data(t: Tile, r: HashReader) -> bytes:
    """Tile ``t``'s data: its hashes, read from ``r``."""
    size = t.w or 1 << t.h
    start = t.n << t.h
    indexes = [stored_hash_index(t.h * t.l, start + i) for i in range(size)]
    return b"".join(_read(r, indexes))


def _tile_parent(t: Tile, k: int, n: int) -> Tile | None:
    lvl = t.l + k
    tn = t.n >> (k * t.h)
    w = 1 << t.h
    mx = n >> (lvl * t.h)
    if (tn << t.h) + w >= mx:
        if tn << t.h >= mx:
            return None
        w = mx - (tn << t.h)
    return Tile(t.h, lvl, tn, w)


@dataclass(frozen=True)
class Tree:
    """A tree head: ``n`` records, root hash ``hash``."""

    n: int
    hash: bytes

    def __repr__(self) -> str:
        return f"Tree(n={self.n}, hash={format_hash(self.hash)})"


class TilePlan:
    """The tiles that prove stored hashes ``indexes`` are in ``tree``
    (``tlog.TileHashReader``'s plan), and their authentication.

    ``tiles`` lists them parents first: first those the tree hash is computed
    from, then the ones holding ``indexes``. Fetch each (``tile.path()``), then
    call :meth:`authenticate` with their data, in the same order.
    """

    def __init__(self, tree: Tree, indexes: Sequence[int], height: int) -> None:
        if height <= 0:
            raise TlogError(f"invalid tile height {height}")
        self.tree = tree
        self.indexes = list(indexes)
        self.height = height
        order: dict[Tile, int] = {}
        tiles: list[Tile] = []
        self._stx = tree_hash_indexes(tree.n)
        self._stx_order: list[int] = []
        for x in self._stx:
            tile = _tile_parent(_tile_for_index(height, x)[0], 0, tree.n)
            if tile is None:  # pragma: no cover - cannot happen for x in the tree
                raise TlogError("bad math in tileHashReader")
            if tile in order:
                self._stx_order.append(order[tile])
                continue
            self._stx_order.append(len(tiles))
            order[tile] = len(tiles)
            tiles.append(tile)
        self._index_order: list[int] = []
        limit = stored_hash_index(0, tree.n)
        for x in self.indexes:
            if x < 0 or x >= limit:
                raise TlogError("indexes not in tree")
            tile = _tile_for_index(height, x)[0]
            k = 0
            found = -1
            while True:
                p = _tile_parent(tile, k, tree.n)
                if p is not None and p in order:
                    found = order[p]
                    break
                if p is None:
                    raise TlogError(f"bad math in tileHashReader: {tree.n} {x}")
                k += 1
            if k == 0:
                self._index_order.append(found)
            k -= 1
            while k >= 0:
                p = _tile_parent(tile, k, tree.n)
                if p is None or not p.full:
                    raise TlogError(f"bad math in tileHashReader: {tree.n} {x} {p}")
                order[p] = len(tiles)
                if k == 0:
                    self._index_order.append(len(tiles))
                tiles.append(p)
                k -= 1
        self.tiles = tiles
        self._order = order

    def authenticate(self, data: Sequence[bytes]) -> list[bytes]:
        """The hashes at ``indexes``, once ``data`` (one entry per tile) hashes to
        the tree. Raises :class:`InconsistentTileError` (``downloaded
        inconsistent tile``) if it does not, :class:`TlogError` for data of the
        wrong shape."""
        tiles = self.tiles
        if len(data) != len(tiles):
            raise TlogError(
                f"TileReader returned bad result slice (len={len(data)}, want {len(tiles)})"
            )
        for tile, d in zip(tiles, data, strict=True):
            if len(d) != tile.w * HASH_SIZE:
                raise TlogError(
                    f"TileReader returned bad result slice ({tile.path()} len={len(d)}, "
                    f"want {tile.w * HASH_SIZE})"
                )
        if not self._stx:
            # The empty tree holds no hashes (and indexes must then be empty).
            if self.tree.hash != EMPTY_HASH:
                raise InconsistentTileError()
            return []
        th = b""
        for i in range(len(self._stx) - 1, -1, -1):
            j = self._stx_order[i]
            h = hash_from_tile(tiles[j], data[j], self._stx[i])
            th = h if i == len(self._stx) - 1 else node_hash(h, th)
        if th != self.tree.hash:
            raise InconsistentTileError()
        for i in range(self._stx_order[-1] + 1, len(tiles)):
            tile = tiles[i]
            p = _tile_parent(tile, 1, self.tree.n)
            pj = self._order.get(p) if p is not None else None
            if p is None or pj is None:
                raise TlogError(f"bad math in tileHashReader {self.tree.n}: lost parent of {tile}")
            h = hash_from_tile(p, data[pj], stored_hash_index(p.l * p.h, tile.n))
            if h != _tile_hash(bytes(data[i])):
                raise InconsistentTileError()
        return [
            hash_from_tile(tiles[j], data[j], x)
            for x, j in zip(self.indexes, self._index_order, strict=True)
        ]


def plan_tiles(tree: Tree, indexes: Sequence[int], height: int = 8) -> TilePlan:
    """The :class:`TilePlan` for reading ``indexes`` from ``tree``'s tiles."""
    return TilePlan(tree, indexes, height)


def tile_hash_reader(
    tree: Tree, read_tiles: Callable[[list[Tile]], Sequence[bytes]], height: int = 8
) -> HashReader:
    """A sync :data:`HashReader` whose hashes are proven to be in ``tree``: it reads
    tiles with ``read_tiles`` and authenticates them (``tlog.TileHashReader``)."""

    def read(indexes: Sequence[int]) -> list[bytes]:
        plan = TilePlan(tree, indexes, height)
        return plan.authenticate(read_tiles(list(plan.tiles)))

    return read


# --------------------------------------------------------------------------- notes and records


def format_tree(tree: Tree) -> bytes:
    """``go.sum database tree\\nN\\nhash\\n``."""
    return f"go.sum database tree\n{tree.n}\n{format_hash(tree.hash)}\n".encode()


_TREE_PREFIX = b"go.sum database tree\n"


def parse_tree(text: bytes | str) -> Tree:
    """The tree a tree note's text describes; raises :class:`MalformedTreeError`."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogateescape")
    if not text.startswith(_TREE_PREFIX) or text.count(b"\n") < 3 or len(text) > 1_000_000:
        raise MalformedTreeError()
    lines = text.split(b"\n", 3)
    n = _parse_int64(lines[1])
    if n is None or n < 0 or lines[1] != str(n).encode():
        raise MalformedTreeError()
    h = _b64(lines[2].decode("latin-1"))
    if h is None or len(h) != HASH_SIZE:
        raise MalformedTreeError()
    return Tree(n, h)


_INT = re.compile(rb"[+-]?[0-9]+")


def _parse_int64(b: bytes) -> int | None:
    """strconv.ParseInt(s, 10, 64)."""
    if _INT.fullmatch(b) is None:
        return None
    v = int(b)
    if v > _INT64_MAX or v < -_INT64_MAX - 1:
        return None
    return v


def _valid_record_text(text: bytes) -> bool:
    try:
        s = text.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if any(c < " " and c != "\n" for c in s) or "\n\n" in s:
        return False
    return s.endswith("\n")


def format_record(id: int, text: bytes) -> bytes:
    """A lookup answer's record part: ``id\\ntext\\n``; raises
    :class:`MalformedRecordError` for invalid record text."""
    if not _valid_record_text(text):
        raise MalformedRecordError()
    return f"{id}\n".encode() + text + b"\n"


def parse_record(msg: bytes) -> tuple[int, bytes, bytes]:
    """``(id, text, rest)`` from a lookup answer (``rest`` is the signed tree
    note); raises :class:`MalformedRecordError`."""
    i = msg.find(b"\n")
    if i < 0:
        raise MalformedRecordError()
    id = _parse_int64(msg[:i])
    if id is None:
        raise MalformedRecordError()
    msg = msg[i + 1 :]
    j = msg.find(b"\n\n")
    if j < 0:
        raise MalformedRecordError()
    text, rest = msg[: j + 1], msg[j + 2 :]
    if not _valid_record_text(text):
        raise MalformedRecordError()
    return id, text, rest
