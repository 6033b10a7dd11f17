"""Online, the module graph goes on where the module cache stops (network/modfetch.py).

A go.mod the module cache lacks is fetched as go fetches it (the GOPROXY walk),
verified against go.sum or the checksum database, and kept in gomod-doctor's own cache
dir, never in GOMODCACHE. Each case stands beside the real go's verdict on the same
state: ``go list -m all`` for the graph, go's error for a go.sum line the download
contradicts, ``go list -m -u`` for retractions and deprecations whose latest version
is not cached. The test proxy logs every request: a private path is never asked for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from gomod_doctor import engine
from gomod_doctor.facts import Facts
from gomod_doctor.goenv import env as goenv
from gomod_doctor.network.gather import NetworkOptions, run_bounded
from gomod_doctor.network.http import Timeouts
from gomod_doctor.workspace.discover import locate
from gomod_doctor.workspace.modgraph import ModuleVersion
from goproxy import GoProxy, ModuleSpec, Response, make_writable_and_remove
from gotool import file_stats, isolated_env, run_go
from sumdb_server import SumDBServer, module_hashes

EXE = Path(sys.executable).parent / "gomod-doctor"
TIMEOUTS = Timeouts(connect=2.0, total=5.0, deadline=20.0)


def spec(
    path: str, version: str, requires: str = "", go: str = "1.16", head: str = ""
) -> ModuleSpec:
    name = path.rsplit("/", 1)[-1]
    gomod = f"{head}module {path}\n\ngo {go}\n"
    if requires:
        gomod += f"\nrequire (\n{requires})\n"
    return ModuleSpec(
        path, version, {"go.mod": gomod.encode(), f"{name}.go": f"package {name}\n".encode()}
    )


# An unpruned chain (go 1.16 go.mod files: go follows every requirement): the
# workspace requires a, a requires b, b requires c and the private p.
A = spec("example.com/a", "v1.0.0", "\texample.com/b v1.0.0\n")
B = spec("example.com/b", "v1.0.0", "\texample.com/c v1.1.0\n\tcorp.example/p v1.0.0\n")
C = spec("example.com/c", "v1.1.0")
P = spec("corp.example/p", "v1.0.0")
CHAIN = [A, B, C, P]


def write_ws(
    ws: Path, mods: list[ModuleSpec], requires: list[ModuleSpec], go: str = "1.16"
) -> None:
    """A go.mod requiring ``requires`` and a go.sum with the ``/go.mod`` line of every
    module of ``mods`` (what go needs to load the graph; nothing imports a package)."""
    ws.mkdir(parents=True, exist_ok=True)
    lines = ["module example.com/w", "", f"go {go}", ""]
    lines += ["require (", *(f"\t{m.path} {m.version}" for m in requires), ")", ""]
    (ws / "go.mod").write_text("\n".join(lines))
    sums = [f"{m.path} {m.version}/go.mod {module_hashes(m)[1]}" for m in mods]
    (ws / "go.sum").write_text("\n".join(sorted(sums)) + "\n")


def gather_online(ws: Path, environ: dict[str, str]) -> tuple[Facts, engine.Result]:
    """What ``gomod-doctor check`` does: the local gather, the network part, and the
    local gather again over the go.mod files fetched (until nothing new is fetched)."""
    genv = goenv.load(environ)
    mods: dict[tuple[str, str], bytes] = {}
    for _ in range(3):
        facts, _ = engine.gather(locate(ws), genv, graph_mods=mods)
        facts.network = run_bounded(facts, environ, options=NetworkOptions(timeouts=TIMEOUTS))
        if set(facts.network.graph_mods) == set(mods):
            break
        mods = dict(facts.network.graph_mods)
    return facts, engine.run(facts)


def go_list_all(ws: Path, env: dict[str, str]) -> list[str]:
    res = run_go(["list", "-m", "all"], ws, env)
    assert res.returncode == 0, res.stderr
    return res.stdout.split()[1:]  # the main module's path first, then "path version" pairs


def check_json(ws: Path, env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [str(EXE), "check", "--format", "json", *args],
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode in (0, 1), out.stderr
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def test_the_graph_goes_on_past_the_cache_as_go_loads_it(tmp_path: Path) -> None:
    ws = tmp_path / "w"
    write_ws(ws, CHAIN, [A])
    with GoProxy(CHAIN) as proxy:
        env = isolated_env(
            tmp_path / "env", GOPROXY=proxy.url, GOPRIVATE="corp.example", GOFLAGS="-mod=readonly"
        )
        gomodcache = Path(env["GOMODCACHE"])
        assert not gomodcache.exists()

        # offline the graph stops at a's go.mod, and the summary says so
        doc = check_json(ws, env, "--offline")
        (summary,) = [f for f in doc["findings"] if f["code"] == "cache-missing-summary"]
        assert summary["data"]["graphStops"] == ["example.com/a@v1.0.0"]
        assert proxy.requests == []

        facts, result = gather_online(ws, env)
        graph = facts.needs.graph
        assert graph is not None
        built = [f"{m.path} {m.version}" for m in graph.build_list()[1:]]
        # the private module's go.mod is never asked for: the graph stops there
        assert [str(m) for m in graph.missing] == ["corp.example/p@v1.0.0"]
        assert not any(r.startswith("/corp.example/") for r in proxy.requests)
        assert {r for r in proxy.requests if r.endswith(".mod")} == {
            f"/{m.path}/@v/{m.version}.mod" for m in (A, B, C)
        }
        # gomod-doctor wrote nothing into GOMODCACHE; it keeps them in its own cache dir
        assert not gomodcache.exists()
        kept = Path(env["XDG_CACHE_HOME"]) / "gomod-doctor" / "mod"
        assert sorted(p.relative_to(kept).as_posix() for p in kept.rglob("*.mod")) == [
            "example.com/a/@v/v1.0.0.mod",
            "example.com/b/@v/v1.0.0.mod",
            "example.com/c/@v/v1.1.0.mod",
        ]
        assert not any(f.severity.label in ("error", "warning") for f in result.findings), [
            f.message for f in result.findings
        ]

        # go's own graph: the same build list (GONOPROXY lets go fetch p from the proxy
        # only when it is not private; here the test proxy serves it to go directly)
        go_env = {**env, "GOPRIVATE": "", "GONOSUMDB": "corp.example"}
        listed = go_list_all(ws, go_env)
        assert [" ".join(listed[i : i + 2]) for i in range(0, len(listed), 2)] == built

        # and the CLI: online, the summary no longer says the graph stops at a
        make_writable_and_remove(gomodcache)
        proxy.requests.clear()
        doc = check_json(ws, env)
        (summary,) = [f for f in doc["findings"] if f["code"] == "cache-missing-summary"]
        assert summary["data"]["graphStops"] == ["corp.example/p@v1.0.0"]
        hinted = {f["module"] for f in doc["findings"] if f["code"] == "cache-missing"}
        assert {"example.com/b", "example.com/c"} <= hinted
        assert not gomodcache.exists()
        assert not any(r.startswith("/corp.example/") for r in proxy.requests)


def test_goproxy_off_fetches_nothing_and_the_graph_stops(tmp_path: Path) -> None:
    ws = tmp_path / "w"
    write_ws(ws, CHAIN, [A])
    with GoProxy(CHAIN) as proxy:
        env = isolated_env(tmp_path / "env", GOPROXY="off", GOFLAGS="-mod=readonly")
        facts, _ = gather_online(ws, env)
        assert facts.needs.graph is not None
        assert [str(m) for m in facts.needs.graph.missing] == ["example.com/a@v1.0.0"]
        assert proxy.requests == []
    res = run_go(["list", "-m", "all"], ws, env)
    assert "module lookup disabled by GOPROXY=off" in res.stderr


def test_a_wrong_gomod_line_of_a_module_not_in_the_cache(tmp_path: Path) -> None:
    """go.sum's ``/go.mod`` line of b is wrong; b is not in the cache. go fetches b's
    go.mod to load the graph and refuses it: the error sits on that go.sum line, in
    go's words, and the graph stops at b as go's does."""
    ws = tmp_path / "w"
    mods = [A, B, C]
    b2 = spec("example.com/b", "v1.0.0", "\texample.com/c v1.1.0\n")  # b without p
    write_ws(ws, mods, [A])
    wrong = module_hashes(b2)[1]
    text = (ws / "go.sum").read_text()
    right = module_hashes(B)[1]
    (ws / "go.sum").write_text(text.replace(right, wrong))
    with GoProxy(mods) as proxy:
        env = isolated_env(tmp_path / "env", GOPROXY=proxy.url, GOFLAGS="-mod=readonly")
        gomodcache = Path(env["GOMODCACHE"])
        facts, result = gather_online(ws, env)
        assert facts.needs.graph is not None
        assert [str(m) for m in facts.needs.graph.missing] == ["example.com/b@v1.0.0"]
        (f,) = [f for f in result.findings if f.code == "sum-mismatch"]
        assert (Path(f.path).name, f.severity.label) == ("go.sum", "error")
        line = f.range.start.line
        assert (
            (ws / "go.sum")
            .read_text()
            .splitlines()[line - 1]
            .startswith("example.com/b v1.0.0/go.mod ")
        )
        assert f.data["downloadedHash"] == right and f.data["goSumHash"] == wrong
        assert not gomodcache.joinpath("cache", "download", "example.com", "b").exists()

        res = run_go(["list", "-m", "all"], ws, env)
        assert res.returncode != 0
        # go's error, word for word (base.Fatalf prints it bare)
        go_error = res.stderr.strip()
        assert go_error.startswith("verifying example.com/b@v1.0.0/go.mod: checksum mismatch")
        assert go_error in f.message, (go_error, f.message)


def test_retraction_and_deprecation_from_a_latest_version_not_in_the_cache(
    tmp_path: Path,
) -> None:
    """The cache holds only the required r v1.0.0; the proxy also has v1.1.0, whose
    go.mod retracts v1.0.0 and deprecates the module. Offline, go's answer from the
    cache knows neither; online, ``go list -m -u`` says both, and so do we."""
    r1 = spec("example.com/r", "v1.0.0", go="1.21")
    r2 = spec(
        "example.com/r",
        "v1.1.0",
        go="1.21",
        head="// Deprecated: use example.com/s.\n",
    )
    r2.files["go.mod"] += b"\nretract v1.0.0 // broken\n"
    r2.go_mod = r2.files["go.mod"]
    ws = tmp_path / "w"
    write_ws(ws, [r1], [r1], go="1.21")
    sums = (ws / "go.sum").read_text()
    (ws / "go.sum").write_text(f"{r1.path} {r1.version} {module_hashes(r1)[0]}\n" + sums)
    (ws / "w.go").write_text('package w\n\nimport _ "example.com/r"\n')
    with GoProxy([r1, r2]) as proxy, SumDBServer() as db:
        db.add_module(r1)
        db.add_module(r2)
        env = isolated_env(
            tmp_path / "env", GOPROXY=proxy.url, GOSUMDB=db.gosumdb, GOFLAGS="-mod=readonly"
        )
        res = run_go(["mod", "download", "example.com/r@v1.0.0"], ws, env)
        assert res.returncode == 0, res.stderr
        gomodcache = Path(env["GOMODCACHE"])
        before = file_stats(gomodcache)

        genv = goenv.load(env)
        facts, _ = engine.gather(locate(ws), genv)
        offline = engine.run(facts)
        assert not [
            f for f in offline.findings if f.code in ("version-retracted", "module-deprecated")
        ]

        facts, result = gather_online(ws, env)
        (retracted,) = [f for f in result.findings if f.code == "version-retracted"]
        assert retracted.message.startswith(
            "example.com/r@v1.0.0: retracted by module author: broken\n"
        )
        (deprecated,) = [f for f in result.findings if f.code == "module-deprecated"]
        assert deprecated.message == "module example.com/r is deprecated: use example.com/s."
        assert file_stats(gomodcache) == before  # nothing written into go's cache

        # a private path is never asked about (and the cache knows no newer version)
        proxy.requests.clear()
        private_env = {**env, "GOPRIVATE": "example.com/r"}
        facts, result = gather_online(ws, private_env)
        assert not [r for r in proxy.requests if r.startswith("/example.com/r/")]
        assert not [f for f in result.findings if f.code == "version-retracted"]

        listed = run_go(["list", "-m", "-u", "-json", "example.com/r"], ws, env)
        assert listed.returncode == 0, listed.stderr
        info = json.loads(listed.stdout)
        assert info["Retracted"] == ["broken"]
        assert info["Deprecated"] == "use example.com/s."


def test_the_fetched_gomod_files_are_kept_and_reused(tmp_path: Path) -> None:
    ws = tmp_path / "w"
    write_ws(ws, [A, B, C], [A])
    b = spec("example.com/b", "v1.0.0", "\texample.com/c v1.1.0\n")
    with GoProxy([A, b, C]) as proxy:
        env = isolated_env(tmp_path / "env", GOPROXY=proxy.url, GOFLAGS="-mod=readonly")
        # go.sum vouches for B's go.mod, the proxy serves b's: nothing of it is kept
        facts, _ = gather_online(ws, env)
        kept = Path(env["XDG_CACHE_HOME"]) / "gomod-doctor" / "mod"
        assert sorted(p.name for p in kept.rglob("*.mod")) == ["v1.0.0.mod"]  # a's
        assert facts.network is not None
        assert set(facts.network.gomod_mismatches) == {("example.com/b", "v1.0.0")}
        # a second check reads the kept copy: the graph goes past a even when the
        # proxy no longer serves a's go.mod (go would fail to download it: the network
        # part says so on a's require line)
        proxy.override("/example.com/a/@v/v1.0.0.mod", Response(404, b"gone\n", "text/plain"))
        facts, result = gather_online(ws, env)
        assert facts.needs.graph is not None
        assert ModuleVersion("example.com/b", "v1.0.0") in facts.needs.graph.attempted
        assert [f.code for f in result.findings if f.module == "example.com/a"] == [
            "proxy-not-found"
        ]
        assert os.path.isfile(kept / "example.com" / "a" / "@v" / "v1.0.0.mod")


def test_without_go_sum_lines_the_checksum_database_vouches_or_the_graph_stops(
    tmp_path: Path,
) -> None:
    """go.sum has no lines (``-mod=mod``: go would add them). The checksum database
    knows a and b but records another go.mod for c than the proxy serves: a and b are
    used, c is not (go's SECURITY ERROR), and the graph stops at c as go's load does."""
    ws = tmp_path / "w"
    write_ws(ws, [], [A])
    (ws / "go.sum").write_text("")
    c_other = spec("example.com/c", "v1.1.0", "\texample.com/x v1.0.0\n")
    with GoProxy(CHAIN) as proxy, SumDBServer() as db:
        db.add_module(A)
        db.add_module(B)
        db.add_record(C.path, C.version, module_hashes(C)[0], module_hashes(c_other)[1])
        env = isolated_env(
            tmp_path / "env",
            GOPROXY=proxy.url,
            GOSUMDB=db.gosumdb,
            GONOSUMDB="corp.example",
            GONOPROXY="corp.example",
            GOFLAGS="-mod=mod",
        )
        facts, result = gather_online(ws, env)
        graph = facts.needs.graph
        assert graph is not None
        assert sorted(str(m) for m in graph.missing) == [
            "corp.example/p@v1.0.0",
            "example.com/c@v1.1.0",
        ]
        # go's SECURITY ERROR, on the require line c comes through
        (f,) = [f for f in result.findings if f.code == "sumdb-mismatch"]
        assert (f.module, f.data["triage"], f.range.start.line) == ("example.com/c", "download", 6)
        assert f.data["sumdbHash"] == module_hashes(c_other)[1]
        assert facts.network is not None
        assert set(facts.network.graph_mods) == {(A.path, A.version), (B.path, B.version)}
        kept = Path(env["XDG_CACHE_HOME"]) / "gomod-doctor" / "mod"
        assert not (kept / "example.com" / "c").exists()
        assert not any(r.startswith("/corp.example/") for r in proxy.requests)

        res = run_go(["list", "-m", "all"], ws, {**env, "GONOPROXY": "", "GOPRIVATE": ""})
        assert res.returncode != 0
        go_error = res.stderr.strip().removeprefix("go: ")
        assert go_error.startswith("example.com/a@v1.0.0 requires\n")
        assert "example.com/c@v1.1.0: verifying go.mod: checksum mismatch" in go_error
        assert f.message.startswith(go_error), (f.message, go_error)
