"""Signed notes, as x/mod's ``sumdb/note`` writes and reads them.

A signed note is a text ending in a newline, a blank line, then one or more
signature lines ``— <name> <base64(key hash || signature)>``. A verifier key is
``<name>+<hash>+<base64(alg || public key)>`` (algorithm 1 is Ed25519, the only
one); the hash is the first four bytes, big-endian, of
``SHA-256(name + "\\n" + alg || public key)``. A signer key is
``PRIVATE+KEY+<name>+<hash>+<base64(alg || seed)>``.

:func:`open_note` verifies a message against known verifiers and fails with the
go command's words: ``malformed note``, ``note has no verifiable signatures``
(signed by no known key, e.g. the wrong key), ``invalid signature for key
<name>+<hash>`` (a known key whose signature does not verify: a tampered note).
Every error is a :class:`NoteError` whose ``str`` is go's message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from gomod_doctor.gostrings import GO_SPACE

if TYPE_CHECKING:  # cryptography loads when a key is first used
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

__all__ = [
    "ALG_ED25519",
    "AmbiguousVerifierError",
    "InvalidSignatureError",
    "MalformedNoteError",
    "MismatchedVerifierError",
    "Note",
    "NoteError",
    "NoteKeyError",
    "Signature",
    "Signer",
    "UnknownVerifierError",
    "UnverifiedNoteError",
    "Verifier",
    "VerifierList",
    "Verifiers",
    "generate_key",
    "is_valid_name",
    "key_hash",
    "new_ed25519_verifier_key",
    "new_signer",
    "new_verifier",
    "open_note",
    "sign",
]

ALG_ED25519 = 1

_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_B64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_SIG_PREFIX = "— ".encode()
_MAX_SIGS = 100


class NoteError(Exception):
    """A note or key problem; ``str(err)`` is the go command's message."""


class NoteKeyError(NoteError):
    """A verifier or signer key go would not accept (``malformed verifier id``,
    ``unknown verifier algorithm``, ``invalid verifier hash``)."""


class MalformedNoteError(NoteError):
    def __init__(self) -> None:
        super().__init__("malformed note")


class UnknownVerifierError(NoteError):
    def __init__(self, name: str, hash: int) -> None:
        super().__init__(f"unknown key {name}+{hash:08x}")
        self.name = name
        self.hash = hash


class AmbiguousVerifierError(NoteError):
    def __init__(self, name: str, hash: int) -> None:
        super().__init__(f"ambiguous key {name}+{hash:08x}")
        self.name = name
        self.hash = hash


class MismatchedVerifierError(NoteError):
    def __init__(self) -> None:
        super().__init__("verifier name or hash doesn't match signature")


class InvalidSignatureError(NoteError):
    """A known key's signature does not verify (the note was altered)."""

    def __init__(self, name: str, hash: int) -> None:
        super().__init__(f"invalid signature for key {name}+{hash:08x}")
        self.name = name
        self.hash = hash


class UnverifiedNoteError(NoteError):
    """The note parsed, but no known key signed it (``note`` holds it, unverified)."""

    def __init__(self, note: Note) -> None:
        super().__init__("note has no verifiable signatures")
        self.note = note


def _b64decode(s: str | bytes) -> bytes | None:
    """Go's ``base64.StdEncoding.DecodeString`` (padded; ``\\r``/``\\n`` ignored)."""
    raw = s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s
    raw = raw.replace(b"\r", b"").replace(b"\n", b"")
    if len(raw) % 4 != 0 or _B64.fullmatch(raw) is None:
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def _b64encode(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def is_valid_name(name: str) -> bool:
    """Non-empty, valid UTF-8, without Unicode spaces or ``+``."""
    if name == "" or "+" in name or any(c in GO_SPACE for c in name):
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates stand for invalid UTF-8
        return False
    return True


def key_hash(name: str, key: bytes) -> int:
    """The key hash of an encoded public key (``alg || key``) under ``name``."""
    h = hashlib.sha256(name.encode("utf-8", "surrogateescape") + b"\n" + key).digest()
    return int(struct.unpack(">I", h[:4])[0])


class Verifier:
    """Verifies signatures by one key."""

    def __init__(self, name: str, hash: int, public_key: bytes) -> None:
        self.name = name
        self.key_hash = hash
        self.public_key = public_key
        self._key: Ed25519PublicKey | None = None

    def verify(self, msg: bytes, sig: bytes) -> bool:
        """Whether ``sig`` is this key's signature of ``msg``."""
        if len(sig) != 64:
            return False
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            if self._key is None:
                self._key = Ed25519PublicKey.from_public_bytes(self.public_key)
            self._key.verify(sig, msg)
        except InvalidSignature:
            return False
        except Exception:  # a public key that is not a curve point, and the like
            return False
        return True

    def __repr__(self) -> str:
        return f"Verifier({self.name}+{self.key_hash:08x})"


class Signer:
    """Signs with one key."""

    def __init__(self, name: str, hash: int, seed: bytes) -> None:
        self.name = name
        self.key_hash = hash
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self._key: Ed25519PrivateKey = Ed25519PrivateKey.from_private_bytes(seed)

    def sign(self, msg: bytes) -> bytes:
        return self._key.sign(msg)

    def verifier_key(self) -> str:
        """The verifier key (``name+hash+key``) matching this signer."""
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        pub = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return new_ed25519_verifier_key(self.name, pub)

    def __repr__(self) -> str:
        return f"Signer({self.name}+{self.key_hash:08x})"


def _split_key(value: str, parts: int) -> list[str]:
    # Go's repeated strings.Cut: missing parts are empty.
    out: list[str] = []
    rest = value
    for _ in range(parts - 1):
        head, _, rest = rest.partition("+")
        out.append(head)
    out.append(rest)
    return out


def new_verifier(vkey: str) -> Verifier:
    """A :class:`Verifier` from ``name+hash+base64key``; raises :class:`NoteKeyError`."""
    name, hash16, key64 = _split_key(vkey, 3)
    key = _b64decode(key64)
    if _HEX8.fullmatch(hash16) is None or key is None or not is_valid_name(name) or not key:
        raise NoteKeyError("malformed verifier id")
    hash = int(hash16, 16)
    if hash != key_hash(name, key):
        raise NoteKeyError("invalid verifier hash")
    if key[0] != ALG_ED25519:
        raise NoteKeyError("unknown verifier algorithm")
    if len(key) - 1 != 32:
        raise NoteKeyError("malformed verifier id")
    return Verifier(name, hash, key[1:])


def new_signer(skey: str) -> Signer:
    """A :class:`Signer` from ``PRIVATE+KEY+name+hash+base64seed``; raises
    :class:`NoteKeyError` (go's signer errors reuse the verifier texts)."""
    priv1, priv2, name, hash16, key64 = _split_key(skey, 5)
    key = _b64decode(key64)
    if (
        priv1 != "PRIVATE"
        or priv2 != "KEY"
        or _HEX8.fullmatch(hash16) is None
        or key is None
        or not is_valid_name(name)
        or not key
    ):
        raise NoteKeyError("malformed verifier id")
    hash = int(hash16, 16)
    if key[0] != ALG_ED25519:
        raise NoteKeyError("unknown verifier algorithm")
    if len(key) - 1 != 32:
        raise NoteKeyError("malformed verifier id")
    seed = key[1:]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    pub = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    pubkey = bytes([ALG_ED25519]) + pub.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if hash != key_hash(name, pubkey):
        raise NoteKeyError("invalid verifier hash")
    return Signer(name, hash, seed)


def generate_key(name: str) -> tuple[str, str]:
    """A new ``(signer key, verifier key)`` pair for ``name`` (``note.GenerateKey``).

    Raises :class:`NoteKeyError` (``malformed verifier id``) for an invalid name.
    """
    if not is_valid_name(name):
        raise NoteKeyError("malformed verifier id")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    priv = Ed25519PrivateKey.generate()
    seed = priv.private_bytes_raw()
    pub = priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    pubkey = bytes([ALG_ED25519]) + pub
    h = key_hash(name, pubkey)
    skey = f"PRIVATE+KEY+{name}+{h:08x}+{_b64encode(bytes([ALG_ED25519]) + seed)}"
    vkey = f"{name}+{h:08x}+{_b64encode(pubkey)}"
    return skey, vkey


def new_ed25519_verifier_key(name: str, key: bytes) -> str:
    """The verifier key for an Ed25519 public key (``note.NewEd25519VerifierKey``)."""
    if len(key) != 32:
        raise NoteKeyError(f"invalid public key size {len(key)}, expected 32")
    pubkey = bytes([ALG_ED25519]) + key
    return f"{name}+{key_hash(name, pubkey):08x}+{_b64encode(pubkey)}"


class Verifiers(Protocol):
    def verifier(self, name: str, hash: int) -> Verifier:
        """The verifier for ``(name, hash)``; raises :class:`UnknownVerifierError`
        when it is unknown."""
        ...


class VerifierList:
    """The known verifiers (``note.VerifierList``)."""

    def __init__(self, *verifiers: Verifier) -> None:
        self._m: dict[tuple[str, int], list[Verifier]] = {}
        for v in verifiers:
            self._m.setdefault((v.name, v.key_hash), []).append(v)

    def verifier(self, name: str, hash: int) -> Verifier:
        vs = self._m.get((name, hash))
        if vs is None:
            raise UnknownVerifierError(name, hash)
        if len(vs) > 1:
            raise AmbiguousVerifierError(name, hash)
        return vs[0]


@dataclass(frozen=True)
class Signature:
    name: str
    hash: int
    base64: str


@dataclass
class Note:
    text: str
    sigs: list[Signature] = field(default_factory=list)
    unverified_sigs: list[Signature] = field(default_factory=list)


def _valid_note_bytes(msg: bytes) -> bool:
    try:
        text = msg.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(c < " " and c != "\n" for c in text)


def open_note(msg: bytes, known: Verifiers | None) -> Note:
    """Parse ``msg`` and verify its signatures (``note.Open``).

    Returns the note when at least one known key signed it. Raises
    :class:`MalformedNoteError`, :class:`InvalidSignatureError` (a known key's
    signature fails), :class:`UnverifiedNoteError` (no known key signed it),
    :class:`AmbiguousVerifierError` or :class:`MismatchedVerifierError`.
    """
    if known is None:
        known = VerifierList()
    if not isinstance(msg, bytes | bytearray) or not _valid_note_bytes(bytes(msg)):
        raise MalformedNoteError()
    msg = bytes(msg)
    split = msg.rfind(b"\n\n")
    if split < 0:
        raise MalformedNoteError()
    text, sigs = msg[: split + 1], msg[split + 2 :]
    if not sigs or not sigs.endswith(b"\n"):
        raise MalformedNoteError()
    note = Note(text=text.decode("utf-8"))
    seen: set[tuple[str, int]] = set()
    seen_unverified: set[bytes] = set()
    count = 0
    for line in sigs[:-1].split(b"\n"):
        if not line.startswith(_SIG_PREFIX):
            raise MalformedNoteError()
        line = line[len(_SIG_PREFIX) :]
        name_b, _, b64_b = line.partition(b" ")
        name = name_b.decode("utf-8")
        b64 = b64_b.decode("utf-8")
        sig = _b64decode(b64_b)
        if sig is None or not is_valid_name(name) or b64 == "" or len(sig) < 5:
            raise MalformedNoteError()
        hash = int(struct.unpack(">I", sig[:4])[0])
        sig = sig[4:]
        count += 1
        if count > _MAX_SIGS:
            raise MalformedNoteError()
        try:
            v = known.verifier(name, hash)
        except UnknownVerifierError:
            if line in seen_unverified:
                continue
            seen_unverified.add(line)
            note.unverified_sigs.append(Signature(name, hash, b64))
            continue
        if v.name != name or v.key_hash != hash:
            raise MismatchedVerifierError()
        if (name, hash) in seen:
            continue
        seen.add((name, hash))
        if not v.verify(text, sig):
            raise InvalidSignatureError(name, hash)
        note.sigs.append(Signature(name, hash, b64))
    if not note.sigs:
        raise UnverifiedNoteError(note)
    return note


def sign(note: Note, *signers: Signer) -> bytes:
    """The signed message for ``note`` (``note.Sign``): existing signatures not
    replaced by a signer's key, then the new ones. Raises
    :class:`MalformedNoteError` or :class:`NoteError` (``invalid signer``)."""
    if not note.text.endswith("\n"):
        raise MalformedNoteError()
    text = note.text.encode("utf-8", "surrogateescape")
    new: list[bytes] = []
    have: set[tuple[str, int]] = set()
    for s in signers:
        have.add((s.name, s.key_hash))
        if not is_valid_name(s.name):
            raise NoteError("invalid signer")
        sig = s.sign(text)
        b64 = _b64encode(struct.pack(">I", s.key_hash) + sig)
        new.append(f"— {s.name} {b64}\n".encode())
    out = [text, b"\n"]
    for sig_ in [*note.sigs, *note.unverified_sigs]:
        if not is_valid_name(sig_.name):
            raise MalformedNoteError()
        if (sig_.name, sig_.hash) in have:
            continue
        raw = _b64decode(sig_.base64)
        if raw is None or len(raw) < 4 or struct.unpack(">I", raw[:4])[0] != sig_.hash:
            raise MalformedNoteError()
        out.append(f"— {sig_.name} {sig_.base64}\n".encode())
    out.extend(new)
    return b"".join(out)
