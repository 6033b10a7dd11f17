"""Checksum-database findings (issue 5, sections 3 and 4): ``sumdb-mismatch`` with its
triage, ``sumdb-untrusted``, ``sumdb-unreachable``, and what is (never) sent.

Every server is local: a GOPROXY (tests/goproxy.py) and a checksum database signed
with a key the test generates (tests/sumdb_server.py). Workspaces and module caches
are written by the real go. The real go, given the same GOSUMDB key and URL, is the
oracle: it refuses what gomod-doctor calls untrusted, fails with the words
gomod-doctor quotes, and accepts go.sum once the quick fix's value is in.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gomod_doctor import engine
from gomod_doctor.checks import network as network_check
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv import env as goenv
from gomod_doctor.netfacts import NetworkFacts
from gomod_doctor.network.gather import NetworkOptions, run_bounded
from gomod_doctor.network.http import Timeouts
from gomod_doctor.network.proxy import NetworkCache
from gomod_doctor.network.sumdb import note as notes
from gomod_doctor.workspace.discover import locate
from goproxy import GoProxy, ModuleSpec, Response, refused_url, write_workspace
from gotool import isolated_env, run_go
from sumdb_server import ProxyAndDatabase, SumDBServer, module_hashes, record_text

M, V = "example.com/m", "v1.0.0"
MOD = ModuleSpec(M, V, {"m.go": b"package m\n\nfunc M() int { return 1 }\n"})
ALTERED = ModuleSpec(M, V, {"m.go": b"package m\n\nfunc M() int { return 2 }\n"})
OTHER = ModuleSpec("example.com/other", "v0.2.0", {"o.go": b"package other\n"})
H1, MOD_H1 = module_hashes(MOD)
ALTERED_H1 = module_hashes(ALTERED)[0]
WRONG = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
REQUIRE_LINE = 6  # write_workspace: module, blank, go, blank, "require (", first require
MODULE_LINE = 1
FAST = Timeouts(connect=1.0, total=1.5)
SUMDB_CODES = ("sumdb-mismatch", "sumdb-untrusted", "sumdb-unreachable")


# --------------------------------------------------------------------------- helpers


@dataclass
class Run:
    facts: Facts
    findings: list[Finding]
    sent: list[str]
    seconds: float

    @property
    def net(self) -> NetworkFacts:
        assert self.facts.network is not None
        return self.facts.network

    def find(self, code: str) -> list[Finding]:
        return [f for f in self.findings if f.code == code]

    def sumdb(self) -> list[tuple[str, str, int]]:
        """(code, file name, 1-based line) of the checksum-database findings."""
        return sorted(
            (f.code, Path(f.path).name, f.range.start.line)
            for f in self.findings
            if f.code in SUMDB_CODES
        )


def check(
    ws: Path,
    environ: dict[str, str],
    *,
    offline: bool = False,
    timeouts: Timeouts = FAST,
    cache: NetworkCache | None = None,
) -> Run:
    facts, _ = engine.gather(locate(ws), goenv.load(environ))
    sent: list[str] = []
    t = time.monotonic()
    facts.network = run_bounded(
        facts,
        environ,
        offline=offline,
        options=NetworkOptions(timeouts=timeouts),
        cache=cache,
        request_log=sent,
    )
    seconds = time.monotonic() - t
    result = engine.run(facts)
    assert not result.internal_errors
    return Run(facts, result.findings, sent, seconds)


World = ProxyAndDatabase  # (the proxy below serves this file's modules)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with GoProxy([MOD, OTHER]) as proxy, SumDBServer() as db:
        db.add_filler(4)
        db.add_module(MOD)
        db.add_filler(2)
        db.add_module(OTHER)
        yield World(tmp_path, proxy, db)


def go(ws: Path, env: dict[str, str], *args: str, mod: str = "readonly") -> tuple[int, str]:
    r = run_go(list(args), ws, {**env, "GOFLAGS": f"-mod={mod}"})
    return r.returncode, r.stderr


def said_by_go(stderr: str, path: str, version: str, message: str) -> bool:
    """go failed with these words, for the module or for its go.mod."""
    return f"{path}@{version}: {message}" in stderr or (
        f"{path}@{version}/go.mod: {message}" in stderr
    )


def lookups(db: SumDBServer) -> list[str]:
    return [r for r in db.requests if r.startswith("/lookup/")]


# --------------------------------------------------------------------------- verified


def test_matching_go_sum_is_verified_quietly(world: World, make_cache: Any) -> None:
    fx = make_cache([MOD])
    run = check(fx.workspace, world.env(fx))
    assert run.sumdb() == []
    sf = run.net.sumdb
    assert sf is not None and sf.name == world.db.name and sf.base == world.db.url
    rec = sf.records[(M, V)]
    assert (rec.kind, rec.zip_hash, rec.mod_hash) == ("ok", H1, MOD_H1)
    assert rec.record_id == world.db.record_id(M, V)
    assert lookups(world.db) == [f"/lookup/{M}@{V}"]
    assert run.net.sumdb_not_found == frozenset()
    # verified data is kept on disk (XDG_CACHE_HOME): a second check asks nothing
    world.db.requests.clear()
    again = check(fx.workspace, world.env(fx))
    assert again.net.sumdb is not None and again.net.sumdb.records[(M, V)].from_cache
    assert world.db.requests == []


# --------------------------------------------------------------------------- triage


@pytest.mark.parametrize("gomod", [False, True], ids=["zip-line", "go.mod-line"])
def test_edited_go_sum_line_is_wrong_and_the_fix_restores_it(
    world: World, make_cache: Any, gomod: bool
) -> None:
    fx = make_cache([MOD])
    env = world.env(fx)
    good = fx.go_sum.read_text()
    right = MOD_H1 if gomod else H1
    fx.go_sum.write_text(good.replace(right, WRONG))
    run = check(fx.workspace, env)
    sum_line = 2 if gomod else 1
    assert run.sumdb() == [
        ("sumdb-mismatch", "go.mod", REQUIRE_LINE),
        ("sumdb-mismatch", "go.sum", sum_line),
    ]
    on_mod, on_sum = sorted(run.find("sumdb-mismatch"), key=lambda f: Path(f.path).name)
    for f in (on_mod, on_sum):
        assert f.severity == Severity.ERROR
        assert f.fixes == ("replace-gosum-line",)
        assert f.data["triage"] == "gosum" and f.data["verified"] is True
        assert f.data["sumdbHash"] == right and f.data["goSumHash"] == WRONG
        assert f.data["goSumLine"] == sum_line and f.data["goMod"] == gomod
        assert "go.sum is wrong" in f.message
    # linked to each other, like sum-mismatch
    assert [(Path(r.path).name, r.range.start.line) for r in on_mod.related] == [
        ("go.sum", sum_line)
    ]
    assert [(Path(r.path).name, r.range.start.line) for r in on_sum.related] == [
        ("go.mod", REQUIRE_LINE)
    ]
    # go fails with the words we quote
    offline = {**env, "GOPROXY": "off"}
    code, said = go(fx.workspace, offline, "build", "./...")
    assert code != 0 and on_mod.data["goError"] + "\n" in said, said
    # the fix: the go.sum line's hash replaced with the verified value
    lines = fx.go_sum.read_text().splitlines(keepends=True)
    i = on_sum.data["goSumLine"] - 1
    lines[i] = lines[i].replace(on_sum.data["goSumHash"], on_sum.data["sumdbHash"])
    fx.go_sum.write_text("".join(lines))
    assert fx.go_sum.read_text() == good
    # the real go with the same GOSUMDB key and URL accepts it
    assert go(fx.workspace, offline, "mod", "verify") == (0, "")
    assert go(fx.workspace, offline, "build", "./...") == (0, "")
    assert check(fx.workspace, env).sumdb() == []


def test_wrong_cache_is_told_apart_from_a_wrong_go_sum(world: World, make_cache: Any) -> None:
    """The cache holds altered bits; go.sum has the database's lines: the cache is wrong."""
    fx = make_cache([ALTERED])
    fx.go_sum.write_text(record_text(M, V, H1, MOD_H1).decode())
    env = world.env(fx)
    run = check(fx.workspace, env)
    assert run.sumdb() == [
        ("sumdb-mismatch", "go.mod", REQUIRE_LINE),
        ("sumdb-mismatch", "go.sum", 1),
    ]
    for f in run.find("sumdb-mismatch"):
        assert f.data["triage"] == "cache" and f.fixes == ("redownload",)
        assert f.data["cacheHash"] == ALTERED_H1 and f.data["sumdbHash"] == H1
        assert "the cache is wrong" in f.message
    # the local check says so too (go.sum against the cache)
    assert {f.code for f in run.findings} >= {"sum-mismatch"}
    code, said = go(fx.workspace, {**env, "GOPROXY": "off"}, "build", "./...")
    assert code != 0 and "checksum mismatch" in said


def test_go_sum_and_cache_agreeing_against_the_database_is_gos_security_error(
    world: World, make_cache: Any
) -> None:
    """Both hold altered bits (fetched while checks were off). go builds with them
    without a word; without the go.sum line it refuses them: SECURITY ERROR."""
    fx = make_cache([ALTERED])
    env = world.env(fx)
    run = check(fx.workspace, env)
    assert run.sumdb() == [
        ("sumdb-mismatch", "go.mod", REQUIRE_LINE),
        ("sumdb-mismatch", "go.sum", 1),
    ]
    f = run.find("sumdb-mismatch")[0]
    assert f.data["triage"] == "security" and f.fixes == ("compare-proxies",)
    assert f.data["goSumHash"] == ALTERED_H1 == f.data["cacheHash"]
    assert network_check.SUMDB_SECURITY_ERROR in f.message
    assert "replace-gosum-line" not in f.fixes  # nothing says go.sum alone is wrong
    offline = {**env, "GOPROXY": "off"}
    assert go(fx.workspace, offline, "build", "./...") == (0, "")  # silently
    # without the go.sum line, go asks the database and refuses the cached copy
    fx.go_sum.write_text("")
    run2 = check(fx.workspace, env)
    (g,) = [x for x in run2.find("sumdb-mismatch")]
    assert (g.data["triage"], g.fixes, Path(g.path).name) == ("cache", ("redownload",), "go.mod")
    assert g.data["goSumLine"] is None
    code, said = go(fx.workspace, env, "mod", "download", M, mod="mod")
    assert code != 0
    assert said == g.data["goError"] + "\n"  # byte for byte
    assert g.data["goError"] in g.message


def test_go_sum_and_cache_both_wrong(world: World, make_cache: Any) -> None:
    fx = make_cache([ALTERED])
    fx.go_sum.write_text(fx.go_sum.read_text().replace(ALTERED_H1, WRONG))
    run = check(fx.workspace, world.env(fx))
    f = run.find("sumdb-mismatch")[0]
    assert f.data["triage"] == "gosum+cache"
    assert f.fixes == ("replace-gosum-line", "redownload")


def test_triage_follows_full_verification(world: World, make_cache: Any) -> None:
    """The .ziphash says the right hash, but the zip itself was altered: after full
    verification the cache is wrong (with the quick level only, go.sum is right)."""
    from gomod_doctor.cache.layout import module_files

    fx = make_cache([MOD])
    zip_path = Path(module_files(str(fx.gomodcache), M, V).zip)
    zip_path.chmod(0o644)
    zip_path.write_bytes(ALTERED.zip_bytes())
    env = world.env(fx)
    genv = goenv.load(env)
    facts, _ = engine.gather(locate(fx.workspace), genv, verify="full", no_memo=True)
    assert isinstance(facts.full, dict)
    facts.network = run_bounded(facts, env, options=NetworkOptions(timeouts=FAST))
    found = [f for f in engine.run(facts).findings if f.code == "sumdb-mismatch"]
    assert found and {f.data["triage"] for f in found} == {"cache"}
    assert {f.data["cacheHash"] for f in found} == {ALTERED_H1}
    facts.full = None  # the quick level: the .ziphash agrees with go.sum and the database
    assert not [f for f in engine.run(facts).findings if f.code == "sumdb-mismatch"]


# --------------------------------------------------------------------------- untrusted


def _alter_record(db: SumDBServer) -> None:
    fake = "h1:" + base64.b64encode(b"\x01" * 32).decode()
    db.altered[(M, V)] = record_text(M, V, fake, fake)


UNTRUSTED = {
    "tampered-note": (
        lambda db: setattr(db, "tamper_note", True),
        "bad-signature",
        "invalid signature for key",
    ),
    "wrong-key": (
        lambda db: db.sign_with(notes.generate_key(db.name)[0]),
        "unknown-key",
        "note has no verifiable signatures",
    ),
    "inconsistent-tile": (
        lambda db: db.corrupt_tiles(),
        "inconsistent-tile",
        "downloaded inconsistent tile",
    ),
    "bad-inclusion-proof": (
        lambda db: db.misdirect.__setitem__((M, V), 2),
        "unauthenticated",
        "cannot authenticate record data in server response",
    ),
    "unauthenticated-record": (
        _alter_record,
        "unauthenticated",
        "cannot authenticate record data in server response",
    ),
}


@pytest.mark.parametrize("fault", sorted(UNTRUSTED))
def test_untrusted_answers_are_refused_by_us_and_by_go(world: World, fault: str) -> None:
    setup, reason, words = UNTRUSTED[fault]
    setup(world.db)
    ws = world.tmp / "ws"
    write_workspace(ws, [MOD], [(M, V)])  # no go.sum line: go must ask the database
    env = world.env()
    run = check(ws, env)
    (f,) = run.find("sumdb-untrusted")
    assert (f.severity, Path(f.path).name, f.range.start.line) == (
        Severity.ERROR,
        "go.mod",
        REQUIRE_LINE,
    )
    assert f.data["reason"] == reason
    assert words in f.message
    assert "go refuses such answers, so the download will fail" in f.message
    # it takes the place of the cache-missing hint on the line, keeping its fact
    assert f.data["files"] == ["mod", "zip"]
    assert not run.find("cache-missing") and not run.find("cache-missing-summary")
    rec = run.net.sumdb.records[(M, V)]  # type: ignore[union-attr]
    assert (rec.kind, rec.zip_hash, rec.mod_hash) == ("untrusted", None, None)
    assert not run.find("sumdb-mismatch")  # nothing unverified is ever compared
    code, said = go(ws, env, "mod", "download", M, mod="mod")
    assert code != 0
    assert said_by_go(said, rec.module, rec.version, rec.message), said


def test_untrusted_answers_with_every_go_sum_line_present_warn_on_the_module_line(
    world: World, make_cache: Any
) -> None:
    fx = make_cache([MOD])
    world.db.tamper_note = True
    run = check(fx.workspace, world.env(fx))
    (f,) = run.find("sumdb-untrusted")
    assert (Path(f.path).name, f.range.start.line) == ("go.mod", MODULE_LINE)
    assert "invalid signature for key" in f.message
    assert f.data["modules"] == [f"{M}@{V}"]


def test_forked_log_is_refused_by_us_and_by_go(world: World) -> None:
    ws = world.tmp / "ws"
    write_workspace(ws, [MOD], [(M, V)])
    env = world.env()
    # both see the log once and keep its signed tree
    first = check(ws, env)
    assert first.net.sumdb is not None and first.net.sumdb.records[(M, V)].kind == "ok"
    assert go(ws, env, "mod", "download", M, mod="mod")[0] == 0
    world.db.fork(0)
    world.db.add_filler(3)
    write_workspace(ws, [MOD, OTHER], [(M, V), (OTHER.path, OTHER.version)])
    run = check(ws, env)
    other_line = REQUIRE_LINE + 1
    (f,) = run.find("sumdb-untrusted")
    assert (f.range.start.line, f.data["reason"]) == (other_line, "forked")
    assert "go.sum database server misbehavior detected!" in f.message
    code, said = go(ws, env, "mod", "download", OTHER.path, mod="mod")
    assert code != 0
    assert f.data["goError"].split("\n", 1)[1] in said  # byte for byte, proof included


# --------------------------------------------------------------------------- unreachable


def test_unreachable_database_warns_on_the_module_line(world: World, make_cache: Any) -> None:
    fx = make_cache([MOD])
    dead = f"{world.db.vkey} {refused_url()}"
    fx.go_sum.write_text("")  # go.sum lacks the lines: go must ask
    run = check(fx.workspace, world.env(fx, GOSUMDB=dead))
    assert run.sumdb() == [("sumdb-unreachable", "go.mod", MODULE_LINE)]
    (f,) = run.find("sumdb-unreachable")
    assert f.severity == Severity.WARNING
    assert "cannot be reached" in f.message and "connection refused" in f.message
    assert f"go.sum lacks lines for {M}@{V}" in f.message
    code, said = go(fx.workspace, world.env(fx, GOSUMDB=dead), "mod", "download", M, mod="mod")
    assert code != 0 and "connection refused" in said


def test_hanging_database_is_bounded_by_the_deadline(world: World, make_cache: Any) -> None:
    fx = make_cache([MOD])
    world.db.override(lambda p: p.startswith("/lookup/"), Response(hang=True))
    run = check(fx.workspace, world.env(fx), timeouts=Timeouts(connect=0.5, total=1.0))
    assert run.seconds < Timeouts(0.5, 1.0).overall + 1.5
    (f,) = run.find("sumdb-unreachable")
    assert "has no timeout" in f.message and "hang" in f.message
    assert "go.sum has every needed line" in f.message


def test_unreachable_database_is_backed_off(world: World, make_cache: Any) -> None:
    fx = make_cache([MOD])
    world.db.override(lambda p: p.startswith("/lookup/"), Response(reset=True))
    cache = NetworkCache(ttl=300, backoff=60)
    env = world.env(fx)
    first = check(fx.workspace, env, cache=cache)
    assert first.find("sumdb-unreachable")
    asked = len(lookups(world.db))
    assert asked >= 1
    again = check(fx.workspace, env, cache=cache)
    assert again.find("sumdb-unreachable")  # the held failure, without asking
    assert len(lookups(world.db)) == asked
    assert again.net.sumdb is not None and again.net.sumdb.records[(M, V)].cached
    cache.invalidate()  # gomod-doctor.recheck
    check(fx.workspace, env, cache=cache)
    assert len(lookups(world.db)) == 2 * asked


def test_invalid_gosumdb_is_said_in_gos_words_without_a_request(world: World) -> None:
    ws = world.tmp / "ws"
    write_workspace(ws, [MOD], [(M, V)])
    for offline in (True, False):
        run = check(ws, world.env(GOSUMDB="a b c"), offline=offline)
        (f,) = run.find("sumdb-unreachable")
        assert f.data["goError"] == "invalid GOSUMDB: too many fields"
        assert f.range.start.line == MODULE_LINE
    assert world.db.requests == []
    code, said = go(ws, world.env(GOSUMDB="a b c"), "mod", "download", M, mod="mod")
    assert code != 0 and f"{M}@{V}: verifying go.mod: invalid GOSUMDB: too many fields" in said


# --------------------------------------------------------------------------- routes and privacy


def test_database_reached_through_the_proxy(world: World, make_cache: Any) -> None:
    """GOSUMDB without a URL: go (and we) ask <proxy>/sumdb/<name>/supported first."""
    prefix = f"/sumdb/{world.db.name}"

    def answer(path: str, default: Response | None) -> Response | None:
        if path == prefix + "/supported":
            return Response(200, b"")
        return world.db.respond(path[len(prefix) :])

    world.proxy.override(lambda p: p.startswith(prefix + "/"), answer)
    fx = make_cache([MOD])
    fx.go_sum.write_text(fx.go_sum.read_text().replace(H1, WRONG))
    run = check(fx.workspace, world.env(fx, GOSUMDB=world.db.vkey))
    sf = run.net.sumdb
    assert sf is not None and sf.proxy == world.proxy.url
    assert f"{prefix}/supported" in world.proxy.requests
    assert f"{prefix}/lookup/{M}@{V}" in world.proxy.requests
    assert world.db.requests == []
    assert {f.data["triage"] for f in run.find("sumdb-mismatch")} == {"gosum"}


def test_private_paths_are_never_sent_to_the_database(world: World) -> None:
    priv = ModuleSpec("corp.example.com/secret", "v1.0.0", {"s.go": b"package secret\n"})
    nosum = ModuleSpec("nosum.example.org/lib", "v0.1.0", {"l.go": b"package lib\n"})
    world.proxy.add(priv, nosum)
    ws = world.tmp / "ws"
    write_workspace(
        ws,
        [MOD, priv, nosum],
        [(M, V), (priv.path, priv.version), (nosum.path, nosum.version)],
    )
    run = check(ws, world.env(GOPRIVATE="corp.example.com", GONOSUMDB="nosum.example.org"))
    assert lookups(world.db) == [f"/lookup/{M}@{V}"]  # the public one only
    to_db = world.db.requests + [u for u in run.sent if u.startswith(world.db.url)]
    assert not [r for r in to_db if "corp.example.com" in r or "nosum.example.org" in r]
    assert set(run.net.sumdb.records) == {(M, V)}  # type: ignore[union-attr]
    # GOPRIVATE: no proxy either; GONOSUMDB alone: the proxy may be asked
    assert not [r for r in world.proxy.requests + run.sent if "corp.example.com" in r]


def test_gosumdb_off_asks_nothing(world: World, make_cache: Any) -> None:
    fx = make_cache([MOD])
    fx.go_sum.write_text(fx.go_sum.read_text().replace(H1, WRONG))
    run = check(fx.workspace, world.env(fx, GOSUMDB="off"))
    assert world.db.requests == []
    assert run.net.sumdb is None and run.net.sumdb_not_found is None
    assert run.sumdb() == []
    assert [f.data["key"] for f in run.find("insecure-setting")] == ["GOSUMDB"]


def test_offline_sends_nothing(
    world: World, make_cache: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gomod_doctor.cli.main import main

    fx = make_cache([MOD])
    fx.go_sum.write_text(fx.go_sum.read_text().replace(H1, WRONG))
    run = check(fx.workspace, world.env(fx), offline=True)
    assert run.sent == [] and run.net.requests == 0
    assert run.net.sumdb is not None and run.net.sumdb.records == {}
    assert world.db.requests == [] and world.proxy.requests == []
    for k, v in world.env(fx).items():
        monkeypatch.setenv(k, v)
    assert main(["check", "--offline", "--format", "json", str(fx.workspace)]) == 1
    assert world.db.requests == [] and world.proxy.requests == []
    # without --offline, check asks the database and reports the wrong line
    out = subprocess.run(
        [
            *_cli(),
            "check",
            "--format",
            "json",
            "--severity",
            "insecure-setting=off",
            str(fx.workspace),
        ],
        env={**world.env(fx), "PYTHONPATH": str(Path(engine.__file__).parents[1])},
        capture_output=True,
        text=True,
        timeout=60,
    )
    codes = {f["code"] for f in json.loads(out.stdout)["findings"]}
    assert "sumdb-mismatch" in codes, out.stdout
    assert lookups(world.db) == [f"/lookup/{M}@{V}"]


def _cli() -> list[str]:
    import sys

    return [sys.executable, "-m", "gomod_doctor"]


def test_not_found_in_the_database_feeds_private_path_exposed(world: World) -> None:
    """A module no proxy and not the database has: its path leaks on every lookup. One
    the database knows is public, whatever the proxies say."""
    secret = ModuleSpec("example.net/secret", "v1.0.0", {"s.go": b"package secret\n"})
    ws = world.tmp / "ws"
    write_workspace(ws, [secret, OTHER], [(secret.path, secret.version), (OTHER.path, "v0.2.0")])
    world.proxy.override(lambda p: p.startswith("/example.com/other/"), Response(404, b"no\n"))
    run = check(ws, world.env())
    sf = run.net.sumdb
    assert sf is not None
    assert sf.records[(secret.path, secret.version)].kind == "not-found"
    assert sf.records[(OTHER.path, OTHER.version)].kind == "ok"
    assert run.net.sumdb_not_found == frozenset({(secret.path, secret.version)})
    (f,) = run.find("private-path-exposed")
    assert f.module == secret.path
    assert "and the checksum database answer" in f.message


# --------------------------------------------------------------------------- malformed records

#: Records the log really holds (signed, with an inclusion proof) that give go no
#: usable h1: hash: (record text, the line go trips over is the go.mod's, its value).
MALFORMED_RECORDS = {
    "zip-hash-not-base64": (f"{M} {V} h1:garbage\n{M} {V}/go.mod {MOD_H1}\n", False, "h1:garbage"),
    "go.mod-hash-too-short": (f"{M} {V} {H1}\n{M} {V}/go.mod h1:AAAA\n", True, "h1:AAAA"),
    "no-zip-line": (f"{M} {V}/go.mod {MOD_H1}\n", False, None),
    "no-h1-go.mod-line": (f"{M} {V} {H1}\n{M} {V}/go.mod h2:{H1[3:]}\n", True, None),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_RECORDS))
def test_record_without_a_well_formed_h1_hash_is_untrusted_and_never_kept(
    tmp_path: Path, make_cache: Any, case: str
) -> None:
    text, gomod, value = MALFORMED_RECORDS[case]
    with GoProxy([MOD]) as proxy, SumDBServer() as db:
        db.add_filler(3)
        db.add_text(M, V, text.encode())
        db.add_filler(2)
        fx = make_cache([MOD])
        fx.go_sum.write_text("")  # go must ask the database, and checks the cached copy
        env = {**fx.env, "GOPROXY": proxy.url, "GOSUMDB": db.gosumdb}
        run = check(fx.workspace, env)
        rec = run.net.sumdb.records[(M, V)]  # type: ignore[union-attr]
        assert (rec.kind, rec.reason, rec.zip_hash, rec.mod_hash) == (
            "untrusted",
            "malformed-record",
            None,
            None,
        )
        assert rec.problem is not None and (rec.problem.gomod, rec.problem.value) == (gomod, value)
        (f,) = run.find("sumdb-untrusted")
        assert (f.severity, Path(f.path).name, f.range.start.line) == (
            Severity.ERROR,
            "go.mod",
            REQUIRE_LINE,
        )
        assert "not a well-formed h1: hash" in f.message or "has no h1: hash" in f.message
        assert not run.find("sumdb-mismatch")  # nothing unverified is compared, or offered
        # go refuses it, in the words we quote (the cached copy's hash included)
        code, said = go(fx.workspace, env, "mod", "download", M, mod="mod")
        assert code != 0
        assert f.data["goError"] + "\n" in said, said
        # never kept as verified: the next check asks the database again
        kept = Path(env["XDG_CACHE_HOME"]) / "gomod-doctor" / "sumdb" / db.name / "lookup"
        assert not kept.exists() or not any(kept.rglob("*@*"))
        before = len(lookups(db))
        again = check(fx.workspace, env)
        assert len(lookups(db)) == before + 1
        assert again.net.sumdb.records[(M, V)].kind == "untrusted"  # type: ignore[union-attr]


def test_go_sum_agreeing_with_the_recorded_download_is_a_security_error_even_if_the_zip_changed(
    world: World, make_cache: Any
) -> None:
    """go.sum and the .ziphash (what go's download hashed to) agree, the zip was altered
    again since, the database says a third hash: go's SECURITY ERROR, not "go.sum is
    wrong". Copying the database's value into go.sum is never offered."""
    from gomod_doctor.cache.layout import module_files

    third = ModuleSpec(M, V, {"m.go": b"package m\n\nfunc M() int { return 3 }\n"})
    fx = make_cache([ALTERED])
    zip_path = Path(module_files(str(fx.gomodcache), M, V).zip)
    zip_path.chmod(0o644)
    zip_path.write_bytes(third.zip_bytes())
    env = world.env(fx)
    facts, _ = engine.gather(locate(fx.workspace), goenv.load(env), verify="full", no_memo=True)
    facts.network = run_bounded(facts, env, options=NetworkOptions(timeouts=FAST))
    found = [f for f in engine.run(facts).findings if f.code == "sumdb-mismatch"]
    assert found
    for f in found:
        assert f.data["triage"] == "security" and f.fixes == ("compare-proxies",)
        assert f.data["goSumHash"] == ALTERED_H1 == f.data["cacheHash"]
        assert "SECURITY ERROR" in f.message and "Do not copy the database's value" in f.message
    # go: without the go.sum line it checks the recorded download against the database
    fx.go_sum.write_text("")
    code, said = go(fx.workspace, env, "mod", "download", M, mod="mod")
    assert code != 0 and found[0].data["goError"] + "\n" in said, said


# --------------------------------------------------------------------------- toolchain


def _toolchain_world(tmp: Path) -> tuple[Path, ModuleSpec]:
    """A module whose go line asks for go1.99.0, and that toolchain as a module (its
    bin/go a script that says which toolchain runs)."""
    r = run_go(["env", "GOOS", "GOARCH"], tmp, isolated_env(tmp / "probe"))
    goos, goarch = r.stdout.split()
    spec = ModuleSpec(
        "golang.org/toolchain",
        f"v0.0.1-go1.99.0.{goos}-{goarch}",
        {
            "bin/go": b"#!/bin/sh\necho fake go1.99.0\n",
            f"pkg/tool/{goos}_{goarch}/compile": b"#!/bin/sh\n",
            "lib/time/README": b"no zoneinfo\n",
            "bin/gofmt": b"#!/bin/sh\n",
        },
    )
    ws = tmp / "ws"
    ws.mkdir()
    (ws / "go.mod").write_text("module example.com/w\n\ngo 1.99.0\n")
    return ws, spec


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_toolchain_download_needs_the_database_even_with_gosumdb_off(
    tmp_path: Path, offline: bool
) -> None:
    ws, spec = _toolchain_world(tmp_path)
    with GoProxy([spec]) as proxy:
        env = {
            **isolated_env(tmp_path / "env"),
            "GOPROXY": proxy.url,
            "GOSUMDB": "off",
            "GOTOOLCHAIN": "auto",
        }
        run = check(ws, env, offline=offline)
        (f,) = run.find("sumdb-required")
        assert (f.severity, Path(f.path).name, f.range.start.line) == (Severity.ERROR, "go.mod", 3)
        assert f.module == "golang.org/toolchain" and f.version == spec.version
        if not offline:
            assert "GOPROXY serves it" in f.message
            assert not [x for x in run.findings if x.code.startswith("proxy-")]
        if offline:
            assert proxy.requests == []
        res = run_go(["version"], ws, env, timeout=60)
        assert res.returncode != 0
        assert res.stderr.strip().splitlines()[-1] == "go: " + f.data["goError"]
        assert f"(go: {f.data['goError']})" in f.message
        # with the database on, nothing of the kind
        on = check(ws, {**env, "GOSUMDB": "sum.golang.org"}, offline=True)
        assert not on.find("sumdb-required")


def test_toolchain_from_a_single_file_proxy_needs_no_database(tmp_path: Path) -> None:
    """go's exception: GOPROXY=file://... alone (testing a distpack) skips the database;
    with GOSUMDB=off the toolchain runs, and nothing is said."""
    ws, spec = _toolchain_world(tmp_path)
    root = tmp_path / "fileproxy"
    d = root / "golang.org" / "toolchain" / "@v"
    d.mkdir(parents=True)
    (d / f"{spec.version}.info").write_bytes(spec.info_bytes())
    (d / f"{spec.version}.mod").write_bytes(spec.mod_bytes())
    (d / f"{spec.version}.zip").write_bytes(spec.zip_bytes())
    (d / "list").write_text(spec.version + "\n")
    env = {
        **isolated_env(tmp_path / "env"),
        "GOPROXY": root.as_uri(),
        "GOSUMDB": "off",
        "GOTOOLCHAIN": "auto",
    }
    run = check(ws, env)
    assert not run.find("sumdb-required")
    res = run_go(["version"], ws, env, timeout=60)
    assert (res.returncode, res.stdout) == (0, "fake go1.99.0\n"), res.stderr
    # a second entry after it: the database is needed again, and go fails without it
    fresh = {
        **isolated_env(tmp_path / "env2"),  # a module cache without the toolchain
        "GOPROXY": root.as_uri() + ",off",
        "GOSUMDB": "off",
        "GOTOOLCHAIN": "auto",
    }
    (f,) = check(ws, fresh).find("sumdb-required")
    res = run_go(["version"], ws, fresh, timeout=60)
    assert res.returncode != 0
    assert res.stderr.strip().splitlines()[-1] == "go: " + f.data["goError"]


# --------------------------------------------------------------------------- go's own state


def _go_sumdb_state(env: dict[str, str], name: str) -> tuple[Path, Path]:
    """go's signed tree head file and its cache of lookups and tiles for ``name``."""
    return (
        Path(env["GOPATH"]) / "pkg" / "sumdb" / name / "latest",
        Path(env["GOMODCACHE"]) / "cache" / "download" / "sumdb" / name,
    )


def test_a_log_inconsistent_with_gos_tree_head_is_misbehavior_though_we_saw_no_fork(
    world: World,
) -> None:
    ws = world.tmp / "ws"
    write_workspace(ws, [MOD], [(M, V)])
    env = world.env()
    # only go sees the log first, and keeps its signed tree head
    assert go(ws, env, "mod", "download", M, mod="mod")[0] == 0
    latest, _ = _go_sumdb_state(env, world.db.name)
    assert latest.is_file()
    world.db.fork(0)
    world.db.add_filler(3)
    write_workspace(ws, [MOD, OTHER], [(M, V), (OTHER.path, OTHER.version)])
    # we never saw the log, and go's cached lookups are not there: only go's head is
    fresh = {
        **env,
        "XDG_CACHE_HOME": str(world.tmp / "fresh-xdg"),
        "GOMODCACHE": str(world.tmp / "fresh-modcache"),
    }
    run = check(ws, fresh)
    (f,) = run.find("sumdb-untrusted")
    assert (f.range.start.line, f.data["reason"]) == (REQUIRE_LINE + 1, "forked")
    assert "go.sum database server misbehavior detected!" in f.message
    code, said = go(ws, env, "mod", "download", OTHER.path, mod="mod")
    assert code != 0
    assert f.data["goError"].split("\n", 1)[1] in said  # byte for byte, go's head as "old"
    head = latest.read_bytes().decode().replace("\n", "\n\t")
    assert f"old database:\n\t{head}" in f.data["goError"]  # go's head is the old one
    # without go's state (its head, its cached lookups), the log is consistent
    alone = check(
        ws,
        {
            **env,
            "GOPATH": str(world.tmp / "other-gopath"),
            "GOMODCACHE": str(world.tmp / "other-modcache"),
            "XDG_CACHE_HOME": str(world.tmp / "fresh-xdg2"),
        },
    )
    assert not alone.find("sumdb-untrusted")


def test_a_line_go_answers_from_its_cached_lookups_is_not_blocked_by_an_unreachable_database(
    world: World,
) -> None:
    ws = world.tmp / "ws"
    write_workspace(ws, [MOD], [(M, V)])
    env = world.env()
    assert go(ws, env, "mod", "download", M, mod="mod")[0] == 0  # go caches the lookup
    _, cached = _go_sumdb_state(env, world.db.name)
    assert (cached / "lookup" / f"{M}@{V}").is_file()
    (ws / "go.sum").write_text("")  # go.sum lacks the lines again
    dead = {**env, "GOSUMDB": f"{world.db.vkey} {refused_url()}"}
    run = check(ws, dead)
    rec = run.net.sumdb.records[(M, V)]  # type: ignore[union-attr]
    assert (rec.kind, rec.from_go_cache, rec.zip_hash) == ("ok", True, H1)
    assert not run.find("sumdb-unreachable")
    # go adds the lines without the database
    assert go(ws, {**dead, "GOPROXY": "off"}, "mod", "download", M, mod="mod") == (0, "")
    assert (ws / "go.sum").read_text() == record_text(M, V, H1, MOD_H1).decode()
    # a go without that cache cannot, and we say so
    (ws / "go.sum").write_text("")
    other = {**world.env(), **isolated_env(world.tmp / "goenv2")}
    other_dead = {**other, "GOPROXY": world.proxy.url, "GOSUMDB": dead["GOSUMDB"]}
    run2 = check(ws, other_dead)
    (f,) = run2.find("sumdb-unreachable")
    assert f.data["modules"] == [f"{M}@{V}"]
    code, said = go(ws, other_dead, "mod", "download", M, mod="mod")
    assert code != 0 and "connection refused" in said


def test_a_database_held_down_still_answers_from_gos_cached_lookups(world: World) -> None:
    ws = world.tmp / "ws"
    write_workspace(ws, [MOD], [(M, V)])
    env = world.env()
    assert go(ws, env, "mod", "download", M, mod="mod")[0] == 0
    (ws / "go.sum").write_text("")
    world.db.override(lambda p: p.startswith("/lookup/"), Response(reset=True))
    cache = NetworkCache(ttl=300, backoff=60)
    # a first check with another GOMODCACHE: the database fails, and is held down
    bare = {**env, "GOMODCACHE": str(world.tmp / "bare-modcache")}
    assert check(ws, bare, cache=cache).find("sumdb-unreachable")
    asked = len(lookups(world.db))
    run = check(ws, env, cache=cache)
    assert len(lookups(world.db)) == asked  # held: nothing sent
    rec = run.net.sumdb.records[(M, V)]  # type: ignore[union-attr]
    assert (rec.kind, rec.from_go_cache) == ("ok", True)
    assert not run.find("sumdb-unreachable")


def test_a_malformed_zip_line_does_not_block_a_module_only_in_the_graph(tmp_path: Path) -> None:
    """go checks only the go.mod line of a module whose packages the build does not
    load: a record whose zip line is malformed does not stop it."""
    text, _, _ = MALFORMED_RECORDS["zip-hash-not-base64"]
    with GoProxy([MOD]) as proxy, SumDBServer() as db:
        db.add_filler(3)
        db.add_text(M, V, text.encode())
        ws = tmp_path / "ws"
        write_workspace(ws, [], [(M, V)])  # required, nothing imported
        env = {**isolated_env(tmp_path / "env"), "GOPROXY": proxy.url, "GOSUMDB": db.gosumdb}
        run = check(ws, env)
        rec = run.net.sumdb.records[(M, V)]  # type: ignore[union-attr]
        assert (rec.kind, rec.reason) == ("untrusted", "malformed-record")
        assert not run.find("sumdb-untrusted")
        assert not [f for f in run.findings if f.severity >= Severity.WARNING]
        assert go(ws, env, "list", "-m", "all", mod="mod")[0] == 0
        # the zip is what go cannot verify
        code, said = go(ws, env, "mod", "download", M, mod="mod")
        assert code != 0 and "verifying module: checksum mismatch" in said
