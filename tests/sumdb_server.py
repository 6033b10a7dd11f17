"""A checksum database server for tests (stdlib, on 127.0.0.1), that can misbehave.

:class:`SumDBServer` is a :class:`goproxy.GoProxy` (same lifecycle, request log
``requests``, ``override`` fault injection with :class:`goproxy.Response`) that
serves the checksum database protocol instead of modules:

    /lookup/<escaped path>@<escaped version>   record id, record text, signed tree
    /latest                                    the signed tree note
    /tile/H/L/NNN[.p/W]                        hash tiles
    /tile/H/data/NNN[.p/W]                     record data tiles

It signs with a key it generates (``vkey``; ``gosumdb`` is a GOSUMDB value
with its URL). Records are ``path version h1:...`` and ``path version/go.mod
h1:...`` lines (:meth:`add_record`, :meth:`add_module`). The log is computed
with gomod_doctor's tlog, which the real go then checks as a client.

Misbehaviour, each something the go command must refuse:

- ``tamper_note``: the signature does not verify (``invalid signature for key``);
- ``sign_with(skey)``: signed with another key (``note has no verifiable signatures``);
- ``tile_fault``: tiles altered in transit (``downloaded inconsistent tile``);
- ``misdirect``: a lookup answers with another leaf's id
  (``cannot authenticate record data in server response``);
- ``alter_record``: a lookup answers with record text that is not in the log
  (``cannot authenticate record data in server response``);
- ``serve_size``: serve an older tree than the log holds (records past it are
  ``cannot validate record N in tree of size N``);
- ``fork``: rewrite a record already in the log, so that the tree of the same size
  (or any later one) is inconsistent with the one served before
  (``go.sum database server misbehavior detected!``).
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from gomod_doctor.cache.hashing import hash1, hash_gomod
from gomod_doctor.module.escape import unescape_path, unescape_version
from gomod_doctor.network.sumdb import note as notes
from gomod_doctor.network.sumdb import tlog
from goproxy import CacheFixture, GoProxy, ModuleSpec, Response
from gotool import isolated_env

_MOD_VER = re.compile(r"^[^@]+@v[0-9]+\.[0-9]+\.[0-9]+(-[^@]*)?(\+incompatible)?$")
_TEXT = "text/plain; charset=UTF-8"


def module_hashes(spec: ModuleSpec) -> tuple[str, str]:
    """The ``h1:`` hashes go computes for a :class:`ModuleSpec`'s zip and go.mod."""
    h1 = hash1(
        (f"{spec.prefix}/{name}", hashlib.sha256(data).digest())
        for name, data in spec.files.items()
    )
    return h1, hash_gomod(spec.mod_bytes())


def record_text(path: str, version: str, h1: str, gomod_h1: str) -> bytes:
    return f"{path} {version} {h1}\n{path} {version}/go.mod {gomod_h1}\n".encode()


class SumDBServer(GoProxy):
    """A checksum database on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(
        self,
        records: Iterable[tuple[str, str, str, str]] = (),
        *,
        name: str = "sumdb.example.test",
        skey: str | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        if skey is None:
            skey, _ = notes.generate_key(name)
        self.skey = skey
        self._signer = notes.new_signer(skey)
        self.vkey = self._signer.verifier_key()
        self._db_lock = threading.RLock()
        self._records: list[bytes] = []
        self._hashes: list[bytes] = []
        self._stack: list[bytes] = []
        self._ids: dict[tuple[str, str], int] = {}
        # Faults.
        self.tamper_note = False
        self.note_signer: notes.Signer | None = None
        self.tile_fault: Callable[[tlog.Tile, bytes], bytes] | None = None
        self.misdirect: dict[tuple[str, str], int] = {}
        self.altered: dict[tuple[str, str], bytes] = {}
        self.serve_size: int | None = None
        for r in records:
            self.add_record(*r)

    # ----------------------------------------------------------------- the log
    @property
    def gosumdb(self) -> str:
        """GOSUMDB for this server: its key and URL."""
        return f"{self.vkey} {self.url}"

    def add_record(self, path: str, version: str, h1: str, gomod_h1: str) -> int:
        """Append the record of ``path version``; its id."""
        return self.add_text(path, version, record_text(path, version, h1, gomod_h1))

    def add_module(self, spec: ModuleSpec) -> int:
        return self.add_record(spec.path, spec.version, *module_hashes(spec))

    def add_text(self, path: str | None, version: str | None, text: bytes) -> int:
        """Append a record; its id. The stored hashes are computed here with a
        stack of pending subtrees, independently of gomod_doctor's tlog."""
        with self._db_lock:
            id = len(self._records)
            self._records.append(text)
            h = hashlib.sha256(b"\x00" + text).digest()
            self._hashes.append(h)
            stack = self._stack
            stack.append(h)
            k = id
            while k & 1:
                right = stack.pop()
                h = hashlib.sha256(b"\x01" + stack.pop() + right).digest()
                stack.append(h)
                self._hashes.append(h)
                k >>= 1
            if path is not None and version is not None:
                self._ids[(path, version)] = id
            return id

    def add_filler(self, count: int) -> None:
        """Append ``count`` records of no module (to grow the log)."""
        with self._db_lock:
            for _ in range(count):
                i = len(self._records)
                self.add_text(None, None, b"example.com/filler%d v1.0.0 h1:x\n" % i)

    def record_id(self, path: str, version: str) -> int:
        return self._ids[(path, version)]

    def _read_hashes(self, indexes: Iterable[int]) -> list[bytes]:
        return [self._hashes[i] for i in indexes]

    @property
    def size(self) -> int:
        with self._db_lock:
            return len(self._records) if self.serve_size is None else self.serve_size

    def tree(self) -> tlog.Tree:
        with self._db_lock:
            n = self.size
            return tlog.Tree(n, tlog.tree_hash(n, self._read_hashes))

    def signed(self) -> bytes:
        """The signed tree note, with the note faults applied."""
        text = tlog.format_tree(self.tree())
        msg = notes.sign(notes.Note(text.decode()), self.note_signer or self._signer)
        if self.tamper_note:
            # Flip a bit of the signature itself (not of the key hash before it).
            head, _, sig = msg.rpartition(b" ")
            raw = bytearray(base64.b64decode(sig.strip()))
            raw[-1] ^= 1
            msg = head + b" " + base64.b64encode(bytes(raw)) + b"\n"
        return msg

    def sign_with(self, skey: str | None) -> None:
        """Sign notes with another key (``None``: the server's own again)."""
        self.note_signer = notes.new_signer(skey) if skey is not None else None

    def fork(self, index: int = 0, text: bytes | None = None) -> None:
        """Rewrite record ``index`` (history changes: a forked log)."""
        with self._db_lock:
            self._records[index] = text or (
                f"example.com/forked{index} v1.0.0 h1:forked\n".encode()
            )
            records, self._records, self._hashes, self._stack = self._records, [], [], []
            ids = dict(self._ids)
            for r in records:
                self.add_text(None, None, r)
            self._ids = ids

    def corrupt_tiles(self) -> None:
        """Serve every hash tile with one hash altered."""

        def fault(tile: tlog.Tile, data: bytes) -> bytes:
            if tile.l < 0 or not data:
                return data
            b = bytearray(data)
            b[0] ^= 0xFF
            return bytes(b)

        self.tile_fault = fault

    # ----------------------------------------------------------------- serving
    def default_response(self, path: str) -> Response | None:
        try:
            if path.startswith("/lookup/"):
                return self._lookup(path.removeprefix("/lookup/"))
            if path == "/latest":
                return Response(body=self.signed(), content_type=_TEXT)
            if path.startswith("/tile/"):
                return self._tile(path[1:])
        except Exception as exc:  # a bug in the test server: tell the client
            return Response(500, f"{exc!r}\n".encode(), _TEXT)
        return None

    def _lookup(self, mod: str) -> Response:
        if _MOD_VER.match(mod) is None:
            return Response(400, b"invalid module@version syntax\n", _TEXT)
        epath, _, evers = mod.partition("@")
        try:
            path, version = unescape_path(epath), unescape_version(evers)
        except ValueError as exc:
            return Response(404, f"{exc}\n".encode(), _TEXT)
        with self._db_lock:
            key = (path, version)
            id = self._ids.get(key)
            if id is None:
                return Response(
                    404, f"not found: {path}@{version}: unknown module\n".encode(), _TEXT
                )
            text = self.altered.get(key, self._records[id])
            id = self.misdirect.get(key, id)
            body = tlog.format_record(id, text) + self.signed()
        return Response(body=body, content_type=_TEXT)

    def _tile(self, path: str) -> Response:
        try:
            t = tlog.parse_tile_path(path)
        except tlog.TlogError:
            return Response(400, b"invalid tile syntax\n", _TEXT)
        with self._db_lock:
            # Tiles exist for the whole log, even when an older tree is signed.
            n = len(self._records)
            start = t.n << t.h
            if t.l == -1:
                if start + t.w > n:
                    return Response(404, b"not found: tile beyond the tree\n", _TEXT)
                data = b"".join(
                    tlog.format_record(start + i, self._records[start + i]).split(b"\n", 1)[1]
                    for i in range(t.w)
                )
            else:
                # The level's hashes exist up to n >> (H*L) of them.
                if start + t.w > n >> (t.h * t.l):
                    return Response(404, b"not found: tile beyond the tree\n", _TEXT)
                data = tlog.read_tile_data(t, self._read_hashes)
                if self.tile_fault is not None:
                    data = self.tile_fault(t, data)
        return Response(body=data)


__all__ = ["SumDBServer", "module_hashes", "record_text"]


@dataclass
class ProxyAndDatabase:
    """A GOPROXY server and a checksum database, with the go environment that uses both."""

    tmp: Path
    proxy: GoProxy
    db: SumDBServer

    def env(self, fx: CacheFixture | None = None, **extra: str) -> dict[str, str]:
        base = fx.env if fx is not None else isolated_env(self.tmp / "goenv")
        return {**base, "GOPROXY": self.proxy.url, "GOSUMDB": self.db.gosumdb, **extra}
