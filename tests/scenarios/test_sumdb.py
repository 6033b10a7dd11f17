"""The checksum database: signed notes, the transparency log, and the verifying
client, checked against go's own vectors and against the real go as a client of
the same test database (tests/sumdb_server.py)."""

from __future__ import annotations

import asyncio
import base64
import itertools
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gomod_doctor.network.sumdb import (
    SUM_GOLANG_ORG_KEY,
    GoSumDB,
    GoSumDBError,
    LookupFailure,
    LookupOK,
    LookupResult,
    SumDBClient,
    parse_gosumdb,
    select_route,
    tlog,
)
from gomod_doctor.network.sumdb import note as notes
from gomod_doctor.network.sumdb.transport import _Failure
from goproxy import GoProxy, ModuleSpec, Response, refused_url, write_workspace
from gotool import isolated_env, run_go
from sumdb_server import SumDBServer, module_hashes, record_text

# --------------------------------------------------------------------------- notes
# Go's own vectors (x/mod/sumdb/note's documentation and tests).

PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"


def test_sign_matches_go() -> None:
    signer = notes.new_signer(PETER_SKEY)
    assert signer.verifier_key() == PETER_VKEY
    want = (TEXT + "\n" + PETER_SIG).encode()
    assert notes.sign(notes.Note(TEXT), signer) == want
    # An existing signature by the same key is replaced.
    old = notes.Signature("PeterNeumann", 0xC74F20A3, "BADSIGN=")
    assert notes.sign(notes.Note(TEXT, sigs=[old]), signer) == want
    with pytest.raises(notes.NoteError, match=r"^malformed note$"):
        notes.sign(notes.Note("abc"), signer)
    with pytest.raises(notes.NoteError, match=r"^malformed note$"):
        notes.sign(notes.Note(TEXT, sigs=[notes.Signature("a+b", 0, "ABCD")]))
    with pytest.raises(notes.NoteError, match=r"^malformed note$"):
        notes.sign(notes.Note(TEXT, sigs=[notes.Signature("PeterNeumann", 0xC74F20A3, "BADHASH=")]))


def test_open_verifies_and_sorts_signatures() -> None:
    peter = notes.new_verifier(PETER_VKEY)
    enoch = notes.new_verifier(ENOCH_VKEY)
    msg = (TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()
    n = notes.open_note(msg, notes.VerifierList(peter))
    assert n.text == TEXT
    assert [s.name for s in n.sigs] == ["PeterNeumann"]
    assert n.sigs[0].hash == 0xC74F20A3
    assert [(s.name, s.hash) for s in n.unverified_sigs] == [("EnochRoot", 0xAF0CFE78)]
    n = notes.open_note(msg, notes.VerifierList(peter, enoch))
    assert [s.name for s in n.sigs] == ["PeterNeumann", "EnochRoot"] and not n.unverified_sigs
    # Signed by no known key (the wrong key): go's words, and the note inside.
    with pytest.raises(notes.UnverifiedNoteError) as exc:
        notes.open_note(msg, notes.VerifierList())
    assert str(exc.value) == "note has no verifiable signatures"
    assert len(exc.value.note.unverified_sigs) == 2
    # A known key's signature that does not verify: a tampered note.
    bad = (TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]).encode()
    with pytest.raises(notes.InvalidSignatureError) as exc2:
        notes.open_note(bad, notes.VerifierList(peter))
    assert str(exc2.value) == "invalid signature for key PeterNeumann+c74f20a3"
    tampered = msg.replace(b"cryptography", b"cryptographY")
    with pytest.raises(notes.InvalidSignatureError):
        notes.open_note(tampered, notes.VerifierList(peter))
    # Duplicates are dropped; an ambiguous verifier list is an error.
    n = notes.open_note(
        (TEXT + "\n" + PETER_SIG * 2 + ENOCH_SIG * 2).encode(), notes.VerifierList(peter)
    )
    assert len(n.sigs) == 1 and len(n.unverified_sigs) == 1
    with pytest.raises(notes.AmbiguousVerifierError, match=r"^ambiguous key EnochRoot\+af0cfe78$"):
        notes.open_note((TEXT + "\n" + ENOCH_SIG).encode(), notes.VerifierList(enoch, peter, enoch))
    with pytest.raises(notes.UnknownVerifierError, match=r"^unknown key PeterNeumann\+c74f20a4$"):
        notes.VerifierList(peter).verifier("PeterNeumann", 0xC74F20A4)


@pytest.mark.parametrize(
    "msg",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\r\n" + PETER_SIG,
        TEXT + "\n" + "— Bad Name " + PETER_SIG.split(" ")[2],
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG * 101,
        TEXT + "\n— PeterNeumann AAAA\n",  # a signature shorter than 5 bytes
        TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG\n",  # bad base64
    ],
)
def test_open_malformed(msg: str) -> None:
    peter = notes.new_verifier(PETER_VKEY)
    with pytest.raises(notes.MalformedNoteError, match=r"^malformed note$"):
        notes.open_note(msg.encode(), notes.VerifierList(peter))


def test_open_invalid_utf8_and_bad_input() -> None:
    with pytest.raises(notes.MalformedNoteError):
        notes.open_note(b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), None)


def test_verifier_keys() -> None:
    v = notes.new_verifier(PETER_VKEY)
    assert (v.name, v.key_hash) == ("PeterNeumann", 0xC74F20A3)
    # Every proper substring and every one-byte change is refused.
    b = PETER_VKEY
    for i, j in itertools.combinations(range(len(b) + 1), 2):
        if (i, j) != (0, len(b)):
            with pytest.raises(notes.NoteKeyError):
                notes.new_verifier(b[i:j])
    for i in range(len(b)):
        with pytest.raises(notes.NoteKeyError):
            notes.new_verifier(b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :])
    cases = {
        # Wrong key length, with the hash adjusted to it.
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==": (
            "malformed verifier id"
        ),
        # Unknown algorithm, with the hash adjusted.
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW": (
            "unknown verifier algorithm"
        ),
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW": "invalid verifier hash",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW": "malformed verifier id",
        "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW": "malformed verifier id",
    }
    for key, want in cases.items():
        with pytest.raises(notes.NoteKeyError) as exc:
            notes.new_verifier(key)
        assert str(exc.value) == want, key


def test_signer_keys_and_generate() -> None:
    b = PETER_SKEY
    for i in range(len(b)):
        with pytest.raises(notes.NoteKeyError):
            notes.new_signer(b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :])
    for i, j in [(0, len(b) - 1), (1, len(b)), (12, len(b))]:
        with pytest.raises(notes.NoteKeyError):
            notes.new_signer(b[i:j])
    skey, vkey = notes.generate_key("EnochRoot")
    assert skey.startswith("PRIVATE+KEY+EnochRoot+") and vkey.startswith("EnochRoot+")
    signer, verifier = notes.new_signer(skey), notes.new_verifier(vkey)
    assert signer.key_hash == verifier.key_hash
    assert signer.verifier_key() == vkey
    sig = signer.sign(b"hi")
    assert verifier.verify(b"hi", sig)
    assert not verifier.verify(b"hI", sig)
    assert not verifier.verify(b"hi", bytes([sig[0] ^ 1]) + sig[1:])
    assert not verifier.verify(b"hi", sig[:-1])
    with pytest.raises(notes.NoteKeyError):
        notes.generate_key("bad name")
    with pytest.raises(notes.NoteKeyError, match="invalid public key size 31, expected 32"):
        notes.new_ed25519_verifier_key("x", b"\0" * 31)


def test_sum_golang_org_key() -> None:
    v = notes.new_verifier(SUM_GOLANG_ORG_KEY)
    assert (v.name, v.key_hash) == ("sum.golang.org", 0x033DE0AE)


# --------------------------------------------------------------------------- tlog


class Storage:
    """Stored hashes in a list; checks proofs ask for increasing indexes, as go's tests do."""

    def __init__(self) -> None:
        self.hashes: list[bytes] = []

    def __call__(self, indexes: Any) -> list[bytes]:
        idx = list(indexes)
        assert all(a < b for a, b in itertools.pairwise(idx)), "indexes out of order"
        return [self.hashes[i] for i in idx]


def test_tree_proofs_and_tiles() -> None:
    """A port of x/mod's TestTree: stored hashes, tree hashes, tiles, record and
    tree proofs (a corrupted proof hash always fails), and the tile hash reader."""
    h = 2
    storage = Storage()
    trees: list[bytes] = []
    leaves: list[bytes] = []
    tiles: dict[tlog.Tile, bytes] = {}
    for i in range(48):
        data = f"leaf {i}".encode()
        new = tlog.stored_hashes(i, data, storage)
        leaves.append(tlog.record_hash(data))
        old_count = len(storage.hashes)
        storage.hashes += new
        assert tlog.stored_hash_count(i + 1) == len(storage.hashes)
        th = tlog.tree_hash(i + 1, storage)
        for tile in tlog.new_tiles(h, i, i + 1):
            d = tlog.read_tile_data(tile, storage)
            old = tiles.get(tile.with_width(tile.w - 1), b"")
            assert d[: len(old)] == old and len(old) == len(d) - tlog.HASH_SIZE
            tiles[tile] = d
        for tile in tlog.new_tiles(h, 0, i + 1):
            assert tiles[tile] == tlog.read_tile_data(tile, storage)
        for j in range(old_count, len(storage.hashes)):
            tile = tlog.tile_for_index(h, j)
            assert tlog.hash_from_tile(tile, tiles[tile], j) == storage.hashes[j]
        trees.append(th)
        for j in range(i + 1):
            p = tlog.prove_record(i + 1, j, storage)
            tlog.check_record(p, i + 1, th, j, leaves[j])
            for k in range(len(p)):
                bad = [*p]
                bad[k] = bytes([bad[k][0] ^ 1]) + bad[k][1:]
                with pytest.raises(tlog.ProofFailedError, match=r"^invalid transparency proof$"):
                    tlog.check_record(bad, i + 1, th, j, leaves[j])
        thr = tlog.tile_hash_reader(tlog.Tree(i + 1, th), lambda ts: [tiles[t] for t in ts], h)
        for j in range(i + 1):
            assert thr([tlog.stored_hash_index(0, j)]) == [leaves[j]]
            tlog.check_record(tlog.prove_record(i + 1, j, thr), i + 1, th, j, leaves[j])
        with pytest.raises(tlog.TlogError, match="indexes not in tree"):
            thr([(i + 1) * 2])
        for j in range(i + 1):
            assert tlog.tree_hash(j + 1, thr) == trees[j]
            p = tlog.prove_tree(i + 1, j + 1, thr)
            tlog.check_tree(p, i + 1, th, j + 1, trees[j])
            for k in range(len(p)):
                bad = [*p]
                bad[k] = bytes([bad[k][0] ^ 1]) + bad[k][1:]
                with pytest.raises(tlog.ProofFailedError):
                    tlog.check_tree(bad, i + 1, th, j + 1, trees[j])
    # Proofs that are too long, too short, or of the wrong tree fail.
    p = tlog.prove_record(48, 5, storage)
    for bad in ([*p, p[0]], p[:-1], []):
        with pytest.raises(tlog.ProofFailedError):
            tlog.check_record(bad, 48, trees[47], 5, leaves[5])
    with pytest.raises(tlog.ProofFailedError):
        tlog.check_record(p, 48, trees[46], 5, leaves[5])
    with pytest.raises(tlog.TlogError, match="invalid inputs"):
        tlog.check_record(p, 48, trees[47], 48, leaves[5])
    with pytest.raises(tlog.TlogError, match="invalid inputs"):
        tlog.check_tree([], 3, trees[2], 4, trees[3])
    assert tlog.tree_hash(0, storage) == tlog.EMPTY_HASH


def test_tile_plan_rejects_inconsistent_tiles() -> None:
    storage = Storage()
    for i in range(700):
        storage.hashes += tlog.stored_hashes(i, f"r{i}".encode(), storage)
    tree = tlog.Tree(700, tlog.tree_hash(700, storage))
    plan = tlog.plan_tiles(tree, [tlog.stored_hash_index(0, 300)])
    assert [t.path() for t in plan.tiles] == [
        "tile/8/1/000.p/2",
        "tile/8/0/002.p/188",
        "tile/8/0/001",
    ]
    data = [tlog.read_tile_data(t, storage) for t in plan.tiles]
    assert plan.authenticate(data) == [storage.hashes[tlog.stored_hash_index(0, 300)]]
    for k in range(len(data)):  # any altered tile is caught
        bad = list(data)
        bad[k] = bytes([bad[k][0] ^ 1]) + bad[k][1:]
        with pytest.raises(tlog.InconsistentTileError, match=r"^downloaded inconsistent tile$"):
            plan.authenticate(bad)
    with pytest.raises(tlog.TlogError, match="TileReader returned bad result slice"):
        plan.authenticate([data[0], data[1], data[2][:-1]])
    with pytest.raises(tlog.TlogError, match="indexes not in tree"):
        tlog.plan_tiles(tree, [tlog.stored_hash_index(0, 700)])


def test_split_stored_hash_index() -> None:
    for level in range(10):
        for n in range(100):
            assert tlog.split_stored_hash_index(tlog.stored_hash_index(level, n)) == (level, n)


@pytest.mark.parametrize(
    ("path", "tile"),
    [
        ("tile/4/0/001", tlog.Tile(4, 0, 1, 16)),
        ("tile/4/0/001.p/5", tlog.Tile(4, 0, 1, 5)),
        ("tile/3/5/x123/x456/078", tlog.Tile(3, 5, 123456078, 8)),
        ("tile/3/5/x123/x456/078.p/2", tlog.Tile(3, 5, 123456078, 2)),
        ("tile/1/0/x003/x057/500", tlog.Tile(1, 0, 3057500, 2)),
        ("tile/3/4/x001/x234/067.p/1", tlog.Tile(3, 4, 1234067, 1)),
        ("tile/1/data/x003/x057/500", tlog.Tile(1, -1, 3057500, 2)),
        ("tile/8/0/000.p/0", None),
        ("tile/8/0/000.p/256", None),
        ("tile/3/5/123/456/078", None),
        ("tile/3/-1/123/456/078", None),
        ("tile/31/0/000", None),
        ("tile/8/0/1000", None),
        ("tile/8/0", None),
        ("til/8/0/000", None),
    ],
)
def test_tile_paths(path: str, tile: tlog.Tile | None) -> None:
    if tile is None:
        with pytest.raises(tlog.TlogError, match=r"^malformed tile path "):
            tlog.parse_tile_path(path)
    else:
        assert tile.path() == path
        assert tlog.parse_tile_path(path) == tile


def test_tree_and_record_formats() -> None:
    golden = b"go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"
    tree = tlog.Tree(123456789012, tlog.record_hash(b"hello world"))
    assert tlog.format_tree(tree) == golden
    for good in (golden, golden + b"JOE", golden + b"JOE\n" * 1000):
        assert tlog.parse_tree(good) == tree
    for bad in (
        b"not-" + golden,
        golden.replace(b"123456789012", b"0xabcdef"),
        golden.replace(b"123456789012", b"+123456789012"),
        golden.replace(b"123456789012", b"0123456789012"),
        golden.replace(b"Bb0=", b"BTOOBIG="),
        golden[:-1],
    ):
        with pytest.raises(tlog.MalformedTreeError, match=r"^malformed tree note$"):
            tlog.parse_tree(bad)
    assert tlog.format_record(123456789012, b"hello, world\n") == b"123456789012\nhello, world\n\n"
    for bad_text in (b"", b"hello\nworld", b"hello\n\nworld\n", b"hello\x01world\n"):
        with pytest.raises(tlog.MalformedRecordError, match=r"^malformed record data$"):
            tlog.format_record(1, bad_text)
    assert tlog.parse_record(b"123456789012\nhello, world\n\njunk on end\x01\xff") == (
        123456789012,
        b"hello, world\n",
        b"junk on end\x01\xff",
    )
    for bad in (
        b"not-123\nhello world\n\n",
        b"123\nhello\x01world\n\n",
        b"123\nhello\xffworld\n\n",
        b"123\nhello world\n",
        b"0x123\nhello world\n\n",
        b"99999999999999999999\nhello\n\n",
    ):
        with pytest.raises(tlog.MalformedRecordError):
            tlog.parse_record(bad)


def test_certificate_transparency_consistency_vector() -> None:
    """RFC 6962 compatibility: a real consistency proof from Google's Argon 2020 CT
    log (the vector x/mod's TestCertificateTransparency uses)."""
    proof = [
        tlog.parse_hash(h)
        for h in [
            "80Sfbj6UQEdVSZCSIgh9NMPj3vCBzcc1A48B2crJSWg=",
            "FZcrgAHUk6nNPviJZq8kEK6jCG1d18pJOFE45ZDc1TQ=",
            "Q67reWXmPBo1UfmwBap4Xi9PMPfFdUSSw3WGlRZdG7k=",
            "eJ7CyhR4PxzBxDIsWgrVYW1eFUb9ndgf46tFmiqVrxA=",
            "QrDwp062Grm5WY8KdrhFsBuuNjGzRox2Jb8PmVL5OYw=",
            "XM4YMjMEdLH/XJam/ZWyaP14k3cmsOtnPsOWQ54lW1s=",
            "SGiBh+jOTGccXU48ZzgQ88lRcBmtB4wz4oSDndv2QTg=",
            "WAS6txqNLYKGL1GdBdpqmV42TTfn6cJsuDsqLXuTCNI=",
            "QFmRS0rirUA7ZN3lxFjDncV+E1OCrn3NUB4RCp+5fzc=",
            "Hdbp7It2XBNZmNDBpCN/KPd7vfVqxgzwOosqVIaEA9E=",
            "mxvHL0ZiblBdD7j7pIa1jlfB0gSqfJ6oX0UGo7L0VsU=",
            "q5hjyvoW6TL/PThgcitpDcSTrnKX2p1+aqscqH2euRA=",
            "jTOWDqt3IHj2NVFeezyBz2ofpru+ztEywqKUAfFclKI=",
            "GIRn0w3HqJdvU9j1WVD//eR6lk2AaTVjyzjsJNP8U88=",
            "x52GJvxG81fnQBrgOTbll1A5tz95/LXK0Ag1NhB0r1I=",
            "6/0OqrcTgc3o5dD5PymmoC96lB9yLPFuTHVvLy8fSGk=",
            "Gf+iKLfcXO5l4JEFmsZvSdG5q1uEeWPfYLrds6pmjz0=",
            "DGuaco+McyM3AfRSF6qX7RwSetwe2ieYJmxw5e9rVx0=",
            "2tQJ9V32hnYp+fdpP6TcjmgJmLeNVOMKM0Ml1kk4cNU=",
            "3PapK+IkyJr8I9yAErAmzuZezzLMzsg+PfeRCgNW8NQ=",
            "s6xiYeejb+wtqHA+URJZ2I/SCPyIW8coP6aB00FJbMY=",
            "z9lSpmdTcr5M5ZzKlc4EPh3SrSypKFdk6JUF/UccaZU=",
            "GXIElfmnRuWfbA4z7ubV/UwlpSRUbUeec7oL5HDDnh0=",
            "pR0SH/NYP6s9+8azWwaeUXA4Ze/3WCIgMfh5YW6wvcE=",
            "f3GuAKYVrF8RBg3s15jvA/YvV9oAliWtzP/imwPhQVA=",
            "WHn8zDxlVgkV+lSlmzaOdfSBrTHoRr5nT3d76q0KKWE=",
            "f2uV2ZxVgULzLPKuZcowRY3ZY7fRlX59iDBjV1R8kNQ=",
            "NzQVjJsvQwbi7WStMr9oFkh9VbHfK7LB6o7WwAqwNTs=",
            "C0LttBeYHZHgL+032JIcJC3CTBIyza/hsbmJUgJfmDI=",
            "nixU5CWTFVDlF4BGdcU6kA7WSYurEpe9jRWc+F/7sOc=",
        ]
    ]
    root = tlog.parse_hash("dwlueapdd7LaOEnX2W2Wp9v2XE+KzejHRQGHwEx0oaM=")
    old = tlog.parse_hash("AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ=")
    tlog.check_tree(proof, 961984013, root, 3654490, old)
    with pytest.raises(tlog.ProofFailedError):
        tlog.check_tree(proof, 961984013, root, 3654491, old)
    with pytest.raises(tlog.TlogError, match=r"^malformed hash$"):
        tlog.parse_hash("AAAA")


# --------------------------------------------------------------------------- GOSUMDB


def test_parse_gosumdb() -> None:
    db = parse_gosumdb("sum.golang.org")
    assert db == GoSumDB("sum.golang.org", SUM_GOLANG_ORG_KEY, None)
    assert db.direct_url == "https://sum.golang.org"
    cn = parse_gosumdb("sum.golang.google.cn")
    assert cn == GoSumDB("sum.golang.org", SUM_GOLANG_ORG_KEY, "https://sum.golang.google.cn")
    assert parse_gosumdb("off") is None
    assert parse_gosumdb(f"  {PETER_VKEY}\thttp://127.0.0.1:9/x  ") == GoSumDB(
        "PeterNeumann", PETER_VKEY, "http://127.0.0.1:9/x"
    )
    _, vkey = notes.generate_key("sum.example.com/db")
    assert parse_gosumdb(f"{vkey} http://127.0.0.1:9") == GoSumDB(
        "sum.example.com/db", vkey, "http://127.0.0.1:9"
    )
    for value, want in [
        ("", "missing GOSUMDB"),
        ("a b c", "invalid GOSUMDB: too many fields"),
        ("sum.golang.org+12345678+AAAA", "invalid GOSUMDB: invalid verifier hash"),
        ("nonsense", "invalid GOSUMDB: malformed verifier id"),
        (f"{vkey} ://x", 'invalid GOSUMDB URL: parse "://x": missing protocol scheme'),
    ]:
        with pytest.raises(GoSumDBError) as exc:
            parse_gosumdb(value)
        assert str(exc.value) == want


# --------------------------------------------------------------------------- the world


ALPHA = ModuleSpec("example.com/alpha", "v1.0.0", {"alpha.go": b"package alpha\n"})
BETA = ModuleSpec("example.com/beta", "v1.2.0", {"beta.go": b"package beta\n"})
GAMMA = ModuleSpec("example.com/gamma", "v0.1.0", {"gamma.go": b"package gamma\n"})


@dataclass
class World:
    """A GOPROXY (not serving /sumdb/) and a checksum database holding ALPHA and
    BETA (GAMMA is served by the proxy only); go and our client use both."""

    tmp: Path
    proxy: GoProxy
    db: SumDBServer

    def go(
        self, spec: ModuleSpec, home: str = "go", **env: str
    ) -> subprocess.CompletedProcess[str]:
        """``go get spec`` in a workspace without go.sum lines for it."""
        ws = self.tmp / home / "ws"
        if not ws.exists():
            write_workspace(ws, [], [])
        e = isolated_env(self.tmp / home / "env", GOPROXY=self.proxy.url, GOSUMDB=self.db.gosumdb)
        e.update(env)
        return run_go(["get", f"{spec.path}@{spec.version}"], ws, e)

    def go_sum(self, home: str = "go") -> list[str]:
        return (self.tmp / home / "ws" / "go.sum").read_text().splitlines()

    async def lookup_async(
        self, *specs: ModuleSpec, cache: str = "cache", gosumdb: str | None = None, **kw: Any
    ) -> tuple[list[LookupResult], SumDBClient]:
        db = parse_gosumdb(gosumdb or self.db.gosumdb)
        assert db is not None
        async with httpx.AsyncClient(timeout=httpx.Timeout(5, connect=3)) as http:
            c = SumDBClient(http, db, cache_dir=self.tmp / cache, **kw)
            rs = await asyncio.gather(*(c.lookup(s.path, s.version) for s in specs))
            return list(rs), c

    def lookup(self, spec: ModuleSpec, **kw: Any) -> LookupResult:
        return asyncio.run(self.lookup_async(spec, **kw))[0][0]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with GoProxy([ALPHA, BETA, GAMMA]) as proxy, SumDBServer() as db:
        db.add_filler(5)
        db.add_module(ALPHA)
        db.add_filler(3)
        db.add_module(BETA)
        yield World(tmp_path, proxy, db)


def said_by_go(res: subprocess.CompletedProcess[str], r: LookupResult) -> bool:
    """Whether go failed with our failure's words (for the module or its go.mod)."""
    assert isinstance(r, LookupFailure)
    return res.returncode != 0 and (
        r.go_error in res.stderr or f"{r.path}@{r.version}/go.mod: {r.message}" in res.stderr
    )


def test_correct_database_agrees_with_go(world: World) -> None:
    r = world.lookup(ALPHA)
    assert isinstance(r, LookupOK), r
    assert r.lines == (f"{ALPHA.path} {ALPHA.version} {module_hashes(ALPHA)[0]}",)
    assert r.gomod_lines == (f"{ALPHA.path} {ALPHA.version}/go.mod {module_hashes(ALPHA)[1]}",)
    assert r.record_id == world.db.record_id(ALPHA.path, ALPHA.version)
    assert r.tree == world.db.tree()
    res = world.go(ALPHA)
    assert res.returncode == 0, res.stderr
    assert world.go_sum() == [*r.lines, *r.gomod_lines]
    # go asked what we asked.
    assert world.db.requests == ["/lookup/example.com/alpha@v1.0.0", "/tile/8/0/000.p/10"] * 2


def _alter(db: SumDBServer) -> None:
    fake = "h1:" + base64.b64encode(b"\x01" * 32).decode()
    db.altered[(ALPHA.path, ALPHA.version)] = record_text(ALPHA.path, ALPHA.version, fake, fake)


MISBEHAVIOURS = {
    "tampered-note": (
        lambda db: setattr(db, "tamper_note", True),
        "bad-signature",
        "reading tree note: invalid signature for key sumdb.example.test+",
    ),
    "wrong-key": (
        lambda db: db.sign_with(notes.generate_key(db.name)[0]),
        "unknown-key",
        "reading tree note: note has no verifiable signatures\nnote:\ngo.sum database tree\n10\n",
    ),
    "inconsistent-tile": (
        lambda db: db.corrupt_tiles(),
        "inconsistent-tile",
        "downloaded inconsistent tile",
    ),
    "bad-inclusion-proof": (
        lambda db: db.misdirect.__setitem__((ALPHA.path, ALPHA.version), 2),
        "unauthenticated",
        "cannot authenticate record data in server response",
    ),
    "unauthenticated-record": (
        _alter,
        "unauthenticated",
        "cannot authenticate record data in server response",
    ),
    "record-not-in-tree": (
        lambda db: setattr(db, "serve_size", 5),
        "not-in-tree",
        "cannot validate record 5 in tree of size 5",
    ),
}


@pytest.mark.parametrize("fault", sorted(MISBEHAVIOURS))
def test_misbehaviour_is_refused_by_us_and_go(world: World, fault: str) -> None:
    setup, reason, words = MISBEHAVIOURS[fault]
    setup(world.db)
    r = world.lookup(ALPHA)
    assert isinstance(r, LookupFailure), r
    assert (r.kind, r.reason) == ("untrusted", reason)
    assert r.message.startswith(words)
    res = world.go(ALPHA)
    assert said_by_go(res, r), res.stderr
    # Nothing unverified was kept: no lookup answer; for a bad note nothing at
    # all, for bad tiles no tile. (A verified tree head is kept, as go keeps it.)
    root = world.tmp / "cache"
    cached = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    assert not [p for p in cached if "/lookup/" in p], cached
    if fault in ("tampered-note", "wrong-key"):
        assert cached == [], cached
    if fault == "inconsistent-tile":
        assert cached == [f"{world.db.name}/latest"], cached


@pytest.mark.parametrize("grow", [False, True], ids=["same-size", "grown"])
def test_forked_log_is_detected_by_us_and_go(world: World, grow: bool) -> None:
    # Both see the log once (and keep its signed tree), then it is rewritten.
    first = world.lookup(ALPHA)
    assert isinstance(first, LookupOK)
    assert world.go(ALPHA).returncode == 0
    latest = world.tmp / "cache" / world.db.name / "latest"
    before = latest.read_bytes()
    world.db.fork(0)
    if grow:
        world.db.add_filler(20)
    # A new client (a new process) with the same cache.
    r = world.lookup(BETA)
    assert isinstance(r, LookupFailure), r
    assert (r.kind, r.reason) == ("untrusted", "forked")
    assert r.message.startswith("SECURITY ERROR\ngo.sum database server misbehavior detected!\n\n")
    assert before.decode().replace("\n", "\n\t") in r.message
    assert "proof of misbehavior:\n\t" in r.message
    res = world.go(BETA)
    assert res.returncode != 0
    assert r.message in res.stderr  # byte for byte, proof included
    assert latest.read_bytes() == before  # the forked tree was not adopted


class MemoryOps:
    """In-memory ops (x/mod's client_test ``testClient``): the test database's
    handler answers without a server; config and cache are dicts."""

    def __init__(self, db: SumDBServer) -> None:
        self.db = db
        self.config: dict[str, bytes] = {}
        self.cache: dict[str, bytes] = {}
        self.remote: list[str] = []
        self.logs: list[str] = []
        self.security: list[str] = []

    async def read_remote(self, path: str) -> bytes:
        self.remote.append(path)
        resp = self.db.default_response(path)
        if resp is None or resp.status != 200:
            status = 404 if resp is None else resp.status
            raise _Failure("not-found" if status == 404 else "server-error", f"{path}: {status}")
        return resp.body

    def read_config(self, file: str) -> bytes | None:
        return self.config.get(file)

    def write_config(self, file: str, old: bytes, new: bytes) -> bool:
        if self.config.get(file, b"") != old:
            return False
        self.config[file] = new
        return True

    def read_cache(self, file: str) -> bytes | None:
        return self.cache.get(file)

    def write_cache(self, file: str, data: bytes) -> None:
        self.cache[file] = data

    def remove_cache(self, file: str) -> None:
        self.cache.pop(file, None)

    def read_go_config(self, file: str) -> bytes | None:
        return None

    def read_go_cache(self, file: str) -> bytes | None:
        return None

    def log(self, msg: str) -> None:
        self.logs.append(msg)

    def security_error(self, msg: str) -> None:
        self.security.append(msg)


def _memory_lookup(db: SumDBServer, ops: MemoryOps, spec: ModuleSpec) -> LookupResult:
    gosumdb = parse_gosumdb(f"{db.vkey} https://sumdb.invalid")
    assert gosumdb is not None
    client = SumDBClient(None, gosumdb, ops=ops)
    return asyncio.run(client.lookup(spec.path, spec.version))


def test_client_with_memory_ops_verifies_against_the_tree() -> None:
    db = SumDBServer()  # never started: its handler is called in memory
    db.add_filler(5)
    db.add_module(ALPHA)
    db.add_filler(3)
    ops = MemoryOps(db)
    r = _memory_lookup(db, ops, ALPHA)
    assert isinstance(r, LookupOK), r
    h1, gomod_h1 = module_hashes(ALPHA)
    assert r.lines == (f"{ALPHA.path} {ALPHA.version} {h1}",)
    assert r.gomod_lines == (f"{ALPHA.path} {ALPHA.version}/go.mod {gomod_h1}",)
    assert r.tree == db.tree() and not r.from_cache
    assert ops.remote[0] == f"/lookup/{ALPHA.path}@{ALPHA.version}"
    assert all(p.startswith("/tile/8/") for p in ops.remote[1:]) and ops.remote[1:]
    # What the client keeps: the signed tree head in config, the lookup and its
    # tiles in the cache. A new client answers from them, verified again, with no
    # request; a record the cache does not hold is fetched.
    assert ops.config == {f"{db.name}/latest": db.signed()}
    assert f"{db.name}/lookup/{ALPHA.path}@{ALPHA.version}" in ops.cache
    assert any(k.startswith(f"{db.name}/tile/8/0/") for k in ops.cache)
    ops.remote.clear()
    again = _memory_lookup(db, ops, ALPHA)
    assert isinstance(again, LookupOK) and again.from_cache and again.lines == r.lines
    assert ops.remote == []
    # A record whose text is not the one in the log is refused, and not kept.
    db.add_module(BETA)
    db.altered[(BETA.path, BETA.version)] = record_text(BETA.path, BETA.version, "h1:x=", "h1:y=")
    bad = _memory_lookup(db, ops, BETA)
    assert isinstance(bad, LookupFailure) and (bad.kind, bad.reason) == (
        "untrusted",
        "unauthenticated",
    )
    assert bad.message == "cannot authenticate record data in server response"
    assert f"{db.name}/lookup/{BETA.path}@{BETA.version}" not in ops.cache
    assert ops.security == []


def test_client_with_memory_ops_reports_a_fork_as_a_security_error() -> None:
    db = SumDBServer()
    db.add_filler(5)
    db.add_module(ALPHA)
    db.add_module(BETA)
    ops = MemoryOps(db)
    assert isinstance(_memory_lookup(db, ops, ALPHA), LookupOK)
    before = ops.config[f"{db.name}/latest"]
    db.fork(0)
    db.add_filler(4)
    r = _memory_lookup(db, ops, BETA)
    assert isinstance(r, LookupFailure), r
    assert (r.kind, r.reason) == ("untrusted", "forked")
    assert r.message.startswith("SECURITY ERROR\ngo.sum database server misbehavior detected!\n\n")
    assert f"old database:\n\t{before.decode().replace(chr(10), chr(10) + chr(9))}" in r.message
    assert "proof of misbehavior:\n\t" in r.message
    assert ops.security == [r.message]  # told once, with go's words
    assert ops.config[f"{db.name}/latest"] == before  # the forked tree is not adopted


def test_growing_log_is_checked_and_adopted(world: World) -> None:
    assert isinstance(world.lookup(ALPHA), LookupOK)
    world.db.add_filler(300)  # crosses a full tile
    world.db.add_module(GAMMA)
    r = world.lookup(GAMMA)
    assert isinstance(r, LookupOK), r
    assert r.tree.n == 311
    latest = (world.tmp / "cache" / world.db.name / "latest").read_bytes()
    assert latest == world.db.signed()
    assert world.go(GAMMA).returncode == 0


def test_cache_avoids_verified_tiles(world: World) -> None:
    (a, b), c1 = asyncio.run(world.lookup_async(ALPHA, BETA))
    assert isinstance(a, LookupOK) and isinstance(b, LookupOK)
    # Concurrent lookups share the tile.
    assert world.db.requests.count("/tile/8/0/000.p/10") == 1
    assert c1.stats.tiles == ["/tile/8/0/000.p/10"]
    # A new client with the same cache: the lookup answer and tiles come from disk.
    world.db.requests.clear()
    (a2,), c2 = asyncio.run(world.lookup_async(ALPHA))
    assert isinstance(a2, LookupOK) and a2.from_cache
    assert a2.lines == a.lines
    assert world.db.requests == [] and c2.stats.tiles == []
    # The log grows: only the new record's lookup and the grown tree's tile.
    world.db.add_module(GAMMA)
    (g,), _ = asyncio.run(world.lookup_async(GAMMA))
    assert isinstance(g, LookupOK), g
    assert world.db.requests == ["/lookup/example.com/gamma@v0.1.0", "/tile/8/0/000.p/11"]
    # An older cached answer is proven against the newer tree from cached tiles.
    world.db.requests.clear()
    (b2,), _ = asyncio.run(world.lookup_async(BETA))
    assert isinstance(b2, LookupOK) and b2.from_cache and b2.tree.n == 11
    assert world.db.requests == []


def test_partial_tile_falls_back_to_full_tile(world: World) -> None:
    world.db.add_filler(300)
    world.db.serve_size = 10  # an older signed tree; its partial tile is gone
    world.db.override(lambda p: ".p/" in p, Response(404, b"not found\n", "text/plain"))
    r = world.lookup(ALPHA)
    assert isinstance(r, LookupOK), r
    assert "/tile/8/0/000" in world.db.requests
    assert world.go(ALPHA).returncode == 0


def test_not_found(world: World) -> None:
    r = world.lookup(GAMMA)
    assert isinstance(r, LookupFailure)
    assert (r.kind, r.status) == ("not-found", 404)
    assert r.message == (
        f"reading {world.db.url}/lookup/example.com/gamma@v0.1.0: 404 Not Found\n"
        "\tserver response: not found: example.com/gamma@v0.1.0: unknown module"
    )
    assert said_by_go(world.go(GAMMA), r)


def test_unreachable_is_quick(world: World) -> None:
    dead = f"{world.db.vkey} {refused_url()}"
    t = time.monotonic()
    r = world.lookup(ALPHA, gosumdb=dead)
    assert time.monotonic() - t < 2
    assert isinstance(r, LookupFailure) and r.kind == "unreachable"
    assert r.message.endswith(": connect: connection refused")
    assert said_by_go(world.go(ALPHA, GOSUMDB=dead), r)  # the same words


def test_hanging_database_is_bounded(world: World) -> None:
    world.db.override(lambda p: p.startswith("/lookup/"), Response(hang=True))

    async def run() -> LookupResult:
        async with httpx.AsyncClient(timeout=0.3) as http:
            db = parse_gosumdb(world.db.gosumdb)
            assert db is not None
            return await SumDBClient(http, db).lookup(ALPHA.path, ALPHA.version)

    t = time.monotonic()
    r = asyncio.run(run())
    assert time.monotonic() - t < 3
    assert isinstance(r, LookupFailure) and r.kind == "unreachable"


def test_skipped_and_invalid_send_nothing(world: World) -> None:
    r = world.lookup(ALPHA, gonosumdb="example.com/alp*")
    assert isinstance(r, LookupFailure) and r.kind == "skipped"
    assert r.message == "skipped (listed in GONOSUMDB)"
    r2 = world.lookup(ModuleSpec("Example.com/x y", "v1.0.0"))
    assert isinstance(r2, LookupFailure) and r2.kind == "invalid"
    assert world.db.requests == []


def test_big_log_tile_paths_agree_with_go(tmp_path: Path) -> None:
    """A log of more than 256,000 records: x-prefixed tile paths and three tile levels."""
    with GoProxy([ALPHA]) as proxy, SumDBServer() as db:
        db.add_filler(256_200)
        db.add_module(ALPHA)
        db.add_filler(50)
        w = World(tmp_path, proxy, db)
        r = w.lookup(ALPHA)
        assert isinstance(r, LookupOK), r
        ours = list(db.requests)
        # the tiles are fetched concurrently: their order varies, their set does not
        assert ours[0].startswith("/lookup/")
        assert sorted(ours[1:]) == [
            "/tile/8/0/x001/000.p/251",
            "/tile/8/1/003.p/232",
            "/tile/8/2/000.p/3",
        ]
        db.requests.clear()
        res = w.go(ALPHA)
        assert res.returncode == 0, res.stderr
        assert sorted(db.requests) == sorted(ours)
        assert w.go_sum() == [*r.lines, *r.gomod_lines]


# --------------------------------------------------------------------------- routes


def _fake(answers: dict[str, int | Exception]) -> tuple[Any, list[str]]:
    asked: list[str] = []

    async def fetch(url: str) -> tuple[int, bytes, str]:
        asked.append(url)
        for prefix, a in answers.items():
            if url.startswith(prefix):
                if isinstance(a, Exception):
                    raise a
                return a, b"oops\n", "text/plain; charset=utf-8"
        return 404, b"", "text/plain"

    return fetch, asked


DB = GoSumDB("sum.example.com", "unused", None)


@pytest.mark.parametrize(
    ("goproxy", "answers", "gonoproxy", "base", "asked"),
    [
        ("https://a,direct", {"https://a": 404}, "", "https://sum.example.com", 1),
        (
            "https://a,https://b",
            {"https://a": 410, "https://b": 200},
            "",
            "https://b/sumdb/sum.example.com",
            2,
        ),
        ("https://a,https://b", {"https://a": 500}, "", None, 1),  # ',' stops on a 500
        (
            "https://a|https://b",
            {"https://a": 500, "https://b": 200},
            "",
            "https://b/sumdb/sum.example.com",
            2,
        ),
        (
            "https://a|https://b",
            {"https://a": 500, "https://b": 404},
            "",
            None,
            2,
        ),  # the 500 ranks first
        ("https://a|direct", {"https://a": 500}, "", "https://sum.example.com", 1),
        ("https://a|off", {"https://a": 500}, "", None, 1),
        ("https://a,https://b", {"https://a": ConnectionRefusedError()}, "", None, 1),
        (
            "https://a|https://b",
            {"https://a": OSError("x"), "https://b": 200},
            "",
            "https://b/sumdb/sum.example.com",
            2,
        ),
        ("off", {}, "", "https://sum.example.com", 0),
        ("direct", {}, "*", "https://sum.example.com", 0),
        (
            "https://a/x/,direct",
            {"https://a/x/sumdb": 200},
            "corp.example",
            "https://a/x/sumdb/sum.example.com",
            1,
        ),
        (
            "proxy.example",
            {"https://proxy.example": 200},
            "",
            "https://proxy.example/sumdb/sum.example.com",
            1,
        ),
    ],
)
def test_select_route(
    goproxy: str, answers: dict[str, int | Exception], gonoproxy: str, base: str | None, asked: int
) -> None:
    fetch, seen = _fake(answers)
    route = asyncio.run(select_route(DB, goproxy, fetch, gonoproxy=gonoproxy))
    assert route.base == base
    assert len(seen) == asked
    assert all(u.endswith("/sumdb/sum.example.com/supported") for u in seen)
    if base is None:
        assert route.error
    if gonoproxy and goproxy != "direct":
        assert route.steps[0].entry == "noproxy"


def test_select_route_errors() -> None:
    fetch, seen = _fake({"https://a": 500})
    route = asyncio.run(select_route(DB, "https://a", fetch))
    assert route.error == (
        "reading https://a/sumdb/sum.example.com/supported: 500 Internal Server Error\n"
        "\tserver response: oops"
    )
    route = asyncio.run(select_route(DB, "ftp://x", fetch))
    assert route.error == "invalid proxy URL scheme (must be https, http, file): ftp://x"
    route = asyncio.run(select_route(GoSumDB("n", "k", "http://h:1"), "https://a", fetch))
    assert route.base == "http://h:1" and len(seen) == 1


def _serve_sumdb_through(proxy: GoProxy, db: SumDBServer) -> None:
    prefix = f"/sumdb/{db.name}"

    def answer(path: str, default: Response | None) -> Response | None:
        if path == prefix + "/supported":
            return Response(200, b"")
        return db.respond(path[len(prefix) :])

    proxy.override(lambda p: p.startswith(prefix + "/"), answer)


def test_route_through_proxy_agrees_with_go(world: World) -> None:
    _serve_sumdb_through(world.proxy, world.db)
    (r,), c = asyncio.run(world.lookup_async(ALPHA, gosumdb=world.db.vkey, goproxy=world.proxy.url))
    assert isinstance(r, LookupOK), r
    assert c.route is not None and c.route.proxy == world.proxy.url
    assert world.proxy.requests[0] == f"/sumdb/{world.db.name}/supported"
    world.proxy.requests.clear()
    res = world.go(ALPHA, GOSUMDB=world.db.vkey)  # no URL: go must use the proxy
    assert res.returncode == 0, res.stderr
    assert f"/sumdb/{world.db.name}/supported" in world.proxy.requests
    assert world.go_sum() == [*r.lines, *r.gomod_lines]


@pytest.mark.parametrize("sep", [",", "|"])
def test_route_fallback_rules_agree_with_go(world: World, sep: str) -> None:
    _serve_sumdb_through(world.proxy, world.db)
    with GoProxy() as broken:  # no modules (404: go falls through), 500 for the database
        broken.override(lambda p: p.startswith("/sumdb/"), Response(500, b"boom\n", "text/plain"))
        goproxy = f"{broken.url}{sep}{world.proxy.url}"
        (r,), _ = asyncio.run(world.lookup_async(ALPHA, gosumdb=world.db.vkey, goproxy=goproxy))
        res = world.go(ALPHA, GOSUMDB=world.db.vkey, GOPROXY=goproxy)
        if sep == "|":
            assert isinstance(r, LookupOK), r
            assert res.returncode == 0, res.stderr
        else:
            assert isinstance(r, LookupFailure) and r.kind == "server-error"
            assert r.message.endswith("500 Internal Server Error\n\tserver response: boom")
            assert said_by_go(res, r), res.stderr


def test_gosumdb_errors_agree_with_go(world: World) -> None:
    _, slash_key = notes.generate_key("example.com/x/")
    _, query_key = notes.generate_key("example.com?x")
    for i, value in enumerate(
        [
            "a b c",
            "sum.golang.org+12345678+AAAA",
            slash_key,
            query_key,
            f"{world.db.vkey} ://x",
        ]
    ):
        with pytest.raises(GoSumDBError) as exc:
            parse_gosumdb(value)
        res = world.go(ALPHA, home=f"go{i}", GOSUMDB=value)
        assert res.returncode != 0
        assert f"verifying module: {exc.value}\n" in res.stderr, (value, res.stderr)


def test_damaged_cache_is_not_trusted_but_recovered(world: World) -> None:
    a = world.lookup(ALPHA)
    assert isinstance(a, LookupOK)
    assert a.hash == module_hashes(ALPHA)[0] and a.gomod_hash == module_hashes(ALPHA)[1]
    db = parse_gosumdb(world.db.gosumdb)
    assert db is not None

    async def hashes() -> list[Any]:
        async with httpx.AsyncClient() as http:
            c = SumDBClient(http, db, cache_dir=world.tmp / "cache")
            return [await c.verified_hashes(m.path, m.version) for m in (ALPHA, GAMMA)]

    assert asyncio.run(hashes()) == [module_hashes(ALPHA), None]
    base = world.tmp / "cache" / world.db.name
    lookup_file = base / "lookup" / "example.com" / "alpha@v1.0.0"
    assert lookup_file.exists()
    lookup_file.write_bytes(lookup_file.read_bytes().replace(b"h1:", b"h2:"))
    (base / "tile" / "8" / "0" / "000.p" / "10").write_bytes(b"\0" * 320)
    world.db.requests.clear()
    r = world.lookup(ALPHA)
    assert isinstance(r, LookupOK) and not r.from_cache
    assert r.lines == a.lines
    # The damaged tile was fetched again, the damaged answer failed its proof and
    # was fetched again.
    assert world.db.requests == ["/tile/8/0/000.p/10", "/lookup/example.com/alpha@v1.0.0"]
    assert (base / "tile" / "8" / "0" / "000.p" / "10").read_bytes() != b"\0" * 320
    (base / "latest").write_bytes(b"garbage")
    assert isinstance(world.lookup(BETA), LookupOK)
    assert (base / "latest").read_bytes() == world.db.signed()


def test_missing_tile_is_a_server_error(world: World) -> None:
    world.db.override(lambda p: p.startswith("/tile/"), Response(404, b"gone\n", "text/plain"))
    r = world.lookup(ALPHA)
    assert isinstance(r, LookupFailure)
    assert (r.kind, r.status) == ("server-error", 404)
    assert r.message == (
        f"reading {world.db.url}/tile/8/0/000.p/10: 404 Not Found\n\tserver response: gone"
    )
    assert said_by_go(world.go(ALPHA), r)


def test_fork_behind_a_cached_full_tile(world: World) -> None:
    """A rewrite inside a full tile both have cached: go stops at its cached tile
    (``downloaded inconsistent tile``); we fetch the tiles again and prove the fork."""
    world.db.add_filler(300)
    assert isinstance(world.lookup(ALPHA), LookupOK)
    assert world.go(ALPHA).returncode == 0
    world.db.fork(0)
    world.db.add_filler(10)
    r = world.lookup(BETA)
    assert isinstance(r, LookupFailure) and (r.kind, r.reason) == ("untrusted", "forked")
    res = world.go(BETA)
    assert res.returncode != 0
    assert "checking tree#310 against tree#320: downloaded inconsistent tile" in res.stderr
