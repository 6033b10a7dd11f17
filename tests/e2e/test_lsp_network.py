"""The language server's network checks end to end (issue 5): ``gomod-doctor serve``
over stdio with pytest-lsp, a GOPROXY and a checksum database on 127.0.0.1.

- the network gather runs after the local diagnostics, without delaying them, hover,
  code actions or shutdown, even while a proxy hangs (measured loosely here; the
  100 ms p95 target is ``make bench``'s);
- ``sumdb-mismatch``'s quick fix edits go.sum to the verified value, and the real go
  with the same GOSUMDB key and URL then accepts go.sum;
- ``gomod-doctor.compareProxies`` reports ``proxy-tampered`` naming the proxy;
- ``private-path-exposed``'s fix runs ``go env -w GOPRIVATE=...`` after asking;
- ``network: off`` and ``trusted: false``: request logs show nothing was sent;
- ``gomod-doctor.recheck`` forgets the cached answers; ``gomodDoctor/status`` says
  how the proxies are.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from test_lsp_features import PRESETS, Session, by_title, codes

from goproxy import GoProxy, ModuleSpec, Response, refused_url, write_workspace
from gotool import isolated_env, run_go
from lsp_support import VSCODE, lsp_session, publishes, server_env, stop_session
from sumdb_server import ProxyAndDatabase, SumDBServer, module_hashes

M, V = "example.com/m", "v1.0.0"
MOD = ModuleSpec(M, V, {"m.go": b"package m\n\nfunc M() int { return 1 }\n"})
ALTERED = ModuleSpec(M, V, {"m.go": b"package m\n\nfunc M() int { return 2 }\n"})
H1, MOD_H1 = module_hashes(MOD)
WRONG = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
REQUIRE = 5  # 0-based LSP line of write_workspace's first require
MODULE = 0
REPLACE_TITLE = "Replace the go.sum line with the checksum database's value"
TIMEOUT = 30.0
NETWORK = {"verify": "quick", "network": "auto"}


@asynccontextmanager
async def session(
    preset: str, root: Path, env: dict[str, str], settings: dict[str, Any] | None = None
) -> AsyncIterator[Session]:
    opts = {**NETWORK, **(settings or {})}
    async with lsp_session(
        server_env(env), workspace=root, preset=preset, init_options=opts, configuration=opts
    ) as client:
        yield Session(client, preset, root)


World = ProxyAndDatabase  # (the proxy below serves this file's modules)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with GoProxy([MOD]) as proxy, SumDBServer() as db:
        db.add_filler(3)
        db.add_module(MOD)
        yield World(tmp_path, proxy, db)


def statuses(s: Session) -> list[dict[str, Any]]:
    return list(s.client.statuses)  # type: ignore[attr-defined]


async def wait_status(
    s: Session, pred: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT
) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while True:
        got = [x for x in statuses(s) if pred(x)]
        if got:
            return got[-1]
        if time.monotonic() > end:
            raise AssertionError(f"no gomodDoctor/status matching; got {statuses(s)}")
        await asyncio.sleep(0.05)


def go(ws: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    r = run_go(list(args), ws, {**env, "GOFLAGS": "-mod=readonly", "GOPROXY": "off"})
    return r.returncode, r.stdout + r.stderr


def sumdb_codes(ds: list[types.Diagnostic]) -> list[tuple[str, int]]:
    return [c for c in codes(ds) if c[0].startswith(("sumdb-", "proxy-", "private-"))]


def edits_for(edit: types.WorkspaceEdit, uri: str) -> tuple[int | None, list[types.TextEdit]]:
    if edit.document_changes is not None:
        (change,) = edit.document_changes
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == uri
        return change.text_document.version, [
            e for e in change.edits if isinstance(e, types.TextEdit)
        ]
    assert edit.changes is not None and list(edit.changes) == [uri]
    return None, list(edit.changes[uri])


# --------------------------------------------------------------------------- sumdb-mismatch


@pytest.mark.asyncio
@pytest.mark.parametrize("preset", PRESETS)
async def test_sumdb_mismatch_quick_fix_restores_the_verified_line(
    preset: str, world: World, make_cache: Any
) -> None:
    from test_lsp_features import apply_lsp_edits

    fx = make_cache([MOD])
    good = fx.go_sum.read_text()
    fx.go_sum.write_text(good.replace(H1, WRONG))
    env = world.env(fx)
    async with session(preset, fx.workspace, env) as s:
        mod_uri = s.open(fx.workspace / "go.mod")
        sum_uri = s.open(fx.go_sum)
        sum_diags = await s.diagnostics(
            sum_uri, lambda d: ("sumdb-mismatch", 0) in codes(d), timeout=TIMEOUT
        )
        mod_diags = await s.diagnostics(mod_uri, lambda d: ("sumdb-mismatch", REQUIRE) in codes(d))
        (on_sum,) = [d for d in sum_diags if d.code == "sumdb-mismatch"]
        assert on_sum.severity == types.DiagnosticSeverity.Error
        assert isinstance(on_sum.data, dict) and on_sum.data["sumdbHash"] == H1
        assert on_sum.data["triage"] == "gosum" and on_sum.data["verified"] is True
        assert on_sum.related_information and on_sum.related_information[0].location.uri == mod_uri
        # offered on the require line too: the edit is of go.sum
        on_mod = [d for d in mod_diags if d.code == "sumdb-mismatch"]
        from_mod = by_title(await s.actions(mod_uri, REQUIRE, on_mod, only=["quickfix"]))
        assert REPLACE_TITLE in from_mod
        edit = from_mod[REPLACE_TITLE].edit
        assert edit is not None
        assert edits_for(edit, sum_uri)[0] in (None, s.versions[sum_uri])
        # applied to the go.sum buffer, as the editor does, and saved
        fixes = by_title(await s.actions(sum_uri, 0, [on_sum], only=["quickfix"]))
        action = fixes[REPLACE_TITLE]
        assert action.is_preferred and action.command is None and action.edit is not None
        version, edits = edits_for(action.edit, sum_uri)
        assert version in (None, s.versions[sum_uri])
        fixed = apply_lsp_edits(s.texts[sum_uri], edits, s.encoding)
        assert fixed == good
        s.change(sum_uri, fixed)
        s.save(sum_uri, fx.go_sum)
        await s.diagnostics(sum_uri, lambda d: not sumdb_codes(d))
        await s.diagnostics(mod_uri, lambda d: not sumdb_codes(d))
    # the real go, with the same GOSUMDB key and URL, accepts go.sum
    assert fx.go_sum.read_text() == good
    assert go(fx.workspace, env, "mod", "verify") == (0, "all modules verified\n")
    assert go(fx.workspace, env, "build", "./...") == (0, "")


# --------------------------------------------------------------------------- responsiveness


def _missing_workspace(world: World) -> Path:
    """go.mod requiring MOD, nothing in the cache: the gather walks GOPROXY for it."""
    ws = world.tmp / "ws"
    write_workspace(ws, [MOD], [(M, V)])
    return ws


@pytest.mark.asyncio
async def test_a_hanging_proxy_delays_nothing(world: World) -> None:
    world.proxy.override(lambda _p: True, Response(hang=True))
    ws = _missing_workspace(world)
    env = world.env(GOSUMDB="off")
    async with session(VSCODE, ws, env) as s:
        t0 = time.monotonic()
        uri = s.open(ws / "go.mod")
        await s.diagnostics(uri, lambda d: ("cache-missing", REQUIRE) in codes(d))
        local = time.monotonic() - t0
        # the gather is under way and hangs on the proxy
        assert await asyncio.to_thread(world.proxy.wait_for_request, lambda _p: True, 10.0)
        hung_at = time.monotonic()
        latencies: list[float] = []
        for i in range(20):
            t = time.monotonic()
            await s.client.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri),
                    position=types.Position(line=REQUIRE, character=2),
                )
            )
            latencies.append(time.monotonic() - t)
            t = time.monotonic()
            await s.actions(uri, REQUIRE if i % 2 else MODULE)
            latencies.append(time.monotonic() - t)
        assert time.monotonic() - hung_at < 5.0, "measured while the proxy still hung"
        latencies.sort()
        p95 = latencies[int(len(latencies) * 0.95)]
        assert p95 < 1.0, latencies  # loose here: the 100 ms target is make bench's
        assert local < 10.0
        # an edit is diagnosed at once too, while the gather still waits
        t = time.monotonic()
        s.change(uri, s.texts[uri] + "// edited\n")
        await s.diagnostics(
            uri, lambda d: any(p.version == s.versions[uri] for p in publishes(s.client, uri))
        )
        assert time.monotonic() - t < 3.0
        # the deadline ends the gather: go will hang on this proxy
        ds = await s.diagnostics(uri, lambda d: ("proxy-unreachable", REQUIRE) in codes(d))
        (f,) = [d for d in ds if d.code == "proxy-unreachable"]
        assert "no timeout" in f.message
        status = await wait_status(s, lambda x: x.get("proxy") == "unreachable")
        assert status["uri"] == ws.as_uri()
        assert world.proxy.url.removeprefix("http://") in status["proxyDetail"]


@pytest.mark.asyncio
async def test_shutdown_is_prompt_while_a_proxy_hangs(world: World) -> None:
    world.proxy.override(lambda _p: True, Response(hang=True))
    ws = _missing_workspace(world)
    opts = {**NETWORK}
    async with lsp_session(
        server_env(world.env(GOSUMDB="off")),
        workspace=ws,
        init_options=opts,
        configuration=opts,
    ) as client:
        s = Session(client, VSCODE, ws)
        s.open(ws / "go.mod")
        assert await asyncio.to_thread(world.proxy.wait_for_request, lambda _p: True, 10.0)
        t = time.monotonic()
        await asyncio.wait_for(client.shutdown_session(), 5.0)
        proc = client._server
        assert proc is not None
        await asyncio.wait_for(proc.wait(), 5.0)
        assert time.monotonic() - t < 3.0
        await stop_session(client)


# --------------------------------------------------------------------------- nothing sent


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "settings",
    [{"network": "off"}, {"trusted": False}],
    ids=["network-off", "untrusted"],
)
async def test_network_off_and_untrusted_send_nothing(
    world: World, settings: dict[str, Any]
) -> None:
    ws = _missing_workspace(world)
    async with session(VSCODE, ws, world.env(), settings) as s:
        uri = s.open(ws / "go.mod")
        await s.diagnostics(uri, lambda d: ("cache-missing", REQUIRE) in codes(d))
        status = await wait_status(s, lambda x: x.get("uri") == ws.as_uri())
        assert status["proxy"] == "off"
        # the command that downloads from every proxy refuses too
        result = await s.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="gomod-doctor.compareProxies", arguments=[{"module": M, "version": V}]
            )
        )
        assert result["ok"] is False
        # edits and a recheck: still nothing
        s.change(uri, s.texts[uri] + "// edited\n")
        await s.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="gomod-doctor.recheck", arguments=[{}])
        )
        await asyncio.sleep(1.0)
        ds = s.client.diagnostics.get(uri) or []
        assert not sumdb_codes(list(ds)) and "insecure-setting" not in [d.code for d in ds]
    assert world.proxy.requests == []
    assert world.db.requests == []


# --------------------------------------------------------------------------- cache and status


@pytest.mark.asyncio
async def test_answers_are_cached_until_recheck(world: World) -> None:
    ws = _missing_workspace(world)
    async with session(VSCODE, ws, world.env()) as s:
        uri = s.open(ws / "go.mod")
        status = await wait_status(s, lambda x: x.get("proxy") == "ok")
        assert status["modules"] == 1 and status["uri"] == ws.as_uri()
        assert "ok (" in status["proxyDetail"]
        first = len(world.proxy.requests)
        assert first > 0
        assert [r for r in world.db.requests if r.startswith("/lookup/")] == [f"/lookup/{M}@{V}"]
        n = len(statuses(s))
        s.change(uri, s.texts[uri] + "// edited\n")
        await wait_status(s, lambda x: len(statuses(s)) > n + 1)
        await asyncio.sleep(0.5)
        assert len(world.proxy.requests) == first  # answered from the server's cache
        await s.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="gomod-doctor.recheck", arguments=[{}])
        )
        end = time.monotonic() + TIMEOUT
        while len(world.proxy.requests) < 2 * first and time.monotonic() < end:
            await asyncio.sleep(0.05)
        assert len(world.proxy.requests) >= 2 * first  # asked again


@pytest.mark.asyncio
async def test_unreachable_proxy_and_database_in_status_and_diagnostics(world: World) -> None:
    ws = _missing_workspace(world)
    dead = refused_url()
    env = world.env(GOPROXY=dead, GOSUMDB=f"{world.db.vkey} {refused_url()}")
    async with session(VSCODE, ws, env) as s:
        uri = s.open(ws / "go.mod")
        ds = await s.diagnostics(
            uri,
            lambda d: (
                {("proxy-unreachable", REQUIRE), ("sumdb-unreachable", MODULE)} <= set(codes(d))
            ),
        )
        (f,) = [d for d in ds if d.code == "sumdb-unreachable"]
        assert f.severity == types.DiagnosticSeverity.Warning
        status = await wait_status(s, lambda x: x.get("proxy") == "unreachable")
        assert "connection refused" in status["proxyDetail"]


# --------------------------------------------------------------------------- commands


@pytest.mark.asyncio
async def test_compare_proxies_reports_the_tampering_proxy(world: World, make_cache: Any) -> None:
    fx = make_cache([MOD])
    with GoProxy([ALTERED]) as evil:
        env = world.env(fx, GOPROXY=f"{world.proxy.url}|{evil.url}")
        async with session(VSCODE, fx.workspace, env) as s:
            uri = s.open(fx.workspace / "go.mod")
            await wait_status(s, lambda x: x.get("proxy") in ("ok", "degraded"))
            result = await s.client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="gomod-doctor.compareProxies",
                    arguments=[{"module": M, "version": V}],
                )
            )
            assert result["ok"] is False
            assert result["tampered"] == [evil.url]
            assert result["reference"] == "go.sum and the checksum database"
            host = evil.url.removeprefix("http://")
            assert host in result["message"]
            ds = await s.diagnostics(uri, lambda d: ("proxy-tampered", REQUIRE) in codes(d))
            (f,) = [d for d in ds if d.code == "proxy-tampered"]
            assert host in f.message and world.proxy.url.removeprefix("http://") not in f.message
            reports = s.progress()[f"Comparing the proxies' copies of {M}@{V}"]
            assert isinstance(reports[0], types.WorkDoneProgressBegin)
            assert isinstance(reports[-1], types.WorkDoneProgressEnd)
            # it stays through edits
            s.change(uri, s.texts[uri] + "// edited\n")
            await asyncio.sleep(0.5)
            await s.diagnostics(uri, lambda d: ("proxy-tampered", REQUIRE) in codes(d))
        assert any(r.endswith(".zip") for r in evil.requests)


@pytest.mark.asyncio
async def test_private_path_exposed_fix_sets_goprivate_after_asking(world: World) -> None:
    secret = ModuleSpec("example.net/secret", "v1.0.0", {"s.go": b"package secret\n"})
    ws = world.tmp / "ws"
    write_workspace(ws, [secret], [(secret.path, secret.version)])
    env = world.env()
    goenv_file = Path(env["GOENV"])
    async with session(VSCODE, ws, env) as s:
        uri = s.open(ws / "go.mod")
        ds = await s.diagnostics(uri, lambda d: ("private-path-exposed", REQUIRE) in codes(d))
        (f,) = [d for d in ds if d.code == "private-path-exposed"]
        assert "and the checksum database" in f.message
        fixes = by_title(await s.actions(uri, REQUIRE, [f], only=["quickfix"]))
        action = fixes["Add example.net to GOPRIVATE"]
        assert action.command is not None
        # declined: nothing runs
        s.answer(None)
        result = await s.run(action.command)
        assert result["declined"] is True
        assert "GOPRIVATE" in s.asked()[-1] and "go env -w GOPRIVATE=example.net" in s.asked()[-1]
        assert not goenv_file.exists() or "GOPRIVATE" not in goenv_file.read_text()
        # accepted: go env -w, then the module is private: never sent again
        s.answer("Add")
        result = await s.run(action.command)
        assert result["ok"] is True, result
        assert "GOPRIVATE=example.net" in goenv_file.read_text()
        await s.diagnostics(uri, lambda d: not [c for c in codes(d) if c[0].startswith("pri")])
        world.proxy.requests.clear()
        world.db.requests.clear()
        await s.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="gomod-doctor.recheck", arguments=[{}])
        )
        await wait_status(s, lambda x: True)
        await asyncio.sleep(1.0)
        assert not [r for r in world.proxy.requests + world.db.requests if "example.net" in r]


@pytest.mark.asyncio
async def test_untrusted_offers_no_network_fix(world: World) -> None:
    secret = ModuleSpec("example.net/secret", "v1.0.0", {"s.go": b"package secret\n"})
    ws = world.tmp / "ws"
    write_workspace(ws, [secret], [(secret.path, secret.version)])
    async with session(VSCODE, ws, world.env(), {"trusted": False}) as s:
        uri = s.open(ws / "go.mod")
        await s.diagnostics(uri, lambda d: ("cache-missing", REQUIRE) in codes(d))
        fake = types.Diagnostic(
            range=types.Range(
                start=types.Position(line=REQUIRE, character=0),
                end=types.Position(line=REQUIRE, character=1),
            ),
            message="x",
            code="private-path-exposed",
            source="gomod-doctor",
            data={
                "code": "private-path-exposed",
                "prefix": "example.net",
                "fixes": ["set-goprivate"],
            },
        )
        titles = [a.title for a in await s.actions(uri, REQUIRE, [fake], only=["quickfix"])]
        assert "Add example.net to GOPRIVATE" not in titles
        result = await s.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="gomod-doctor.setGoprivate", arguments=[{"prefix": "example.net"}]
            )
        )
        assert result["ok"] is False and not s.asked()
    assert world.proxy.requests == [] and world.db.requests == []


@pytest.mark.asyncio
async def test_triage_decides_the_quick_fixes(world: World, make_cache: Any) -> None:
    """The cache is wrong: redownload (no go.sum edit). go.sum and the cache agree
    against the database: compare the proxies (no go.sum edit either)."""
    from sumdb_server import record_text

    fx = make_cache([ALTERED])
    altered_sum = fx.go_sum.read_text()
    fx.go_sum.write_text(record_text(M, V, H1, MOD_H1).decode())
    async with session(VSCODE, fx.workspace, world.env(fx)) as s:
        uri = s.open(fx.workspace / "go.mod")
        ds = await s.diagnostics(uri, lambda d: ("sumdb-mismatch", REQUIRE) in codes(d))
        (f,) = [d for d in ds if d.code == "sumdb-mismatch"]
        assert isinstance(f.data, dict) and f.data["triage"] == "cache"
        titles = list(by_title(await s.actions(uri, REQUIRE, [f], only=["quickfix"])))
        assert f"Redownload {M}@{V}" in titles and REPLACE_TITLE not in titles

        sum_uri = s.open(fx.go_sum)
        s.change(sum_uri, altered_sum)  # as go wrote it while checks were off
        ds = await s.diagnostics(
            uri,
            lambda d: any(
                x.code == "sumdb-mismatch"
                and isinstance(x.data, dict)
                and x.data["triage"] == "security"
                for x in d
            ),
        )
        (f,) = [d for d in ds if d.code == "sumdb-mismatch"]
        assert "SECURITY ERROR" in f.message
        titles = list(by_title(await s.actions(uri, REQUIRE, [f], only=["quickfix"])))
        assert f"Compare the proxies' copies of {M}@{V}" in titles
        assert REPLACE_TITLE not in titles


# --------------------------------------------------------------------------- the online graph


@pytest.mark.asyncio
async def test_the_graph_goes_on_past_the_cache_and_a_wrong_gomod_line_is_found(
    tmp_path: Path,
) -> None:
    """An empty module cache; a (go 1.16: unpruned) requires b; go.sum's ``/go.mod``
    line of b is wrong. Offline the graph stops at a. Online the server fetches a's
    go.mod (go.sum vouches for it), reads on to b, whose go.mod the proxy serves
    differently from go.sum: ``sum-mismatch`` on b's go.sum line, as go says, and the
    module line's summary says the graph stops at b. Nothing is written to GOMODCACHE."""
    a = ModuleSpec(
        "example.com/a",
        "v1.0.0",
        {"go.mod": b"module example.com/a\n\ngo 1.16\n\nrequire example.com/b v1.0.0\n"},
    )
    b = ModuleSpec("example.com/b", "v1.0.0", {"go.mod": b"module example.com/b\n\ngo 1.16\n"})
    ws = tmp_path / "w"
    ws.mkdir()
    (ws / "go.mod").write_text("module example.com/w\n\ngo 1.16\n\nrequire example.com/a v1.0.0\n")
    (ws / "go.sum").write_text(
        f"example.com/a v1.0.0/go.mod {module_hashes(a)[1]}\nexample.com/b v1.0.0/go.mod {WRONG}\n"
    )
    with GoProxy([a, b]) as proxy:
        env = isolated_env(tmp_path / "goenv", GOPROXY=proxy.url, GOFLAGS="-mod=readonly")
        gomodcache = Path(env["GOMODCACHE"])
        async with session(VSCODE, ws, env) as s:
            mod_uri = s.open(ws / "go.mod")
            sum_uri = s.open(ws / "go.sum")
            sum_diags = await s.diagnostics(
                sum_uri, lambda d: ("sum-mismatch", 1) in codes(d), timeout=TIMEOUT
            )
            (mismatch,) = [d for d in sum_diags if d.code == "sum-mismatch"]
            assert mismatch.severity == types.DiagnosticSeverity.Error
            assert mismatch.message.startswith(
                "verifying example.com/b@v1.0.0/go.mod: checksum mismatch\n"
                f"\tdownloaded: {module_hashes(b)[1]}\n\tgo.sum:     {WRONG}\n\nSECURITY ERROR\n"
            )

            def stops_at_b(ds: list[types.Diagnostic]) -> bool:
                return any(
                    d.code == "cache-missing-summary"
                    and isinstance(d.data, dict)
                    and d.data.get("graphStops") == ["example.com/b@v1.0.0"]
                    for d in ds
                )

            await s.diagnostics(mod_uri, stops_at_b)
            assert not gomodcache.exists()
        assert not any(r.startswith("/example.com/b/@v/v1.0.0.zip") for r in proxy.requests)
        # go's verdict on the same state, with the same proxy
        res = run_go(["list", "-m", "all"], ws, env)
        assert res.returncode != 0
        assert mismatch.message.startswith(res.stderr.strip()), res.stderr
