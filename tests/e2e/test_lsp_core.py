"""End-to-end tests of the language server's core: sync, diagnostics, scheduling,
progress, watching, configuration and shutdown (pytest-lsp over stdio, real caches
written by the real go)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import time
from pathlib import Path

import pytest
from lsprotocol import types

from gomod_doctor.fswatch.watcher import FileChange, FileWatcher, Root, WatchSummary, is_ignored
from gomod_doctor.lsp import convert
from gomod_doctor.lsp.settings import Settings
from goproxy import make_writable_and_remove
from lsp_support import (
    NEOVIM,
    PRESETS,
    VSCODE,
    change_doc,
    close_doc,
    codes,
    ended,
    lines_of,
    lsp_session,
    open_doc,
    progress_values,
    publishes,
    server_env,
    stop_session,
    wait_for_diagnostics,
    wait_for_log,
    wait_until,
    with_code,
)

ALPHA_LINE = 5  # 0-based line of example.com/alpha in the sample go.mod
PSEUDO_LINE = 7


def _writable(path: Path) -> None:
    os.chmod(path.parent, 0o755)
    if path.exists():
        os.chmod(path, 0o644)


def _line_of(text: str, prefix: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines()) if ln.startswith(prefix))


def _modify_alpha(fx) -> Path:
    ext = fx.gomodcache / "example.com" / "alpha@v1.0.0"
    target = ext / "alpha.go"
    _writable(target)
    target.write_text("package alpha\n\nfunc A() int { return 2 }\n")
    return target


@pytest.mark.asyncio
async def test_scenarios_on_the_right_lines(sample_cache) -> None:
    fx = sample_cache
    _modify_alpha(fx)
    gosum = fx.go_sum
    text = gosum.read_text()
    pseudo = "example.com/pseudo v0.0.0-20240102030405-abcdefabcdef h1:"
    sum_line = _line_of(text, pseudo)
    start = text.index(pseudo) + len(pseudo)
    gosum.write_text(text[:start] + "AAAA" + text[start + 4 :])
    gomod = fx.workspace / "go.mod"
    gomod.write_text(gomod.read_text() + "\nreplace example.com/Mixed/Big => ../nowhere\n")
    env = server_env(fx.env)
    async with lsp_session(env, workspace=fx.workspace) as client:  # default settings
        uri = open_doc(client, gomod)
        ds = await wait_for_diagnostics(
            client, uri, lambda ds: {"cache-modified", "sum-mismatch"} <= set(codes(ds))
        )
        by_code = {d.code: d for d in ds}
        assert by_code["cache-modified"].range.start.line == ALPHA_LINE
        assert "edited alpha.go" in by_code["cache-modified"].message
        assert by_code["cache-modified"].severity == types.DiagnosticSeverity.Error
        assert by_code["cache-modified"].source == "gomod-doctor"
        assert by_code["cache-modified"].data["code"] == "cache-modified"
        assert by_code["cache-modified"].data["module"] == "example.com/alpha"
        assert by_code["sum-mismatch"].range.start.line == PSEUDO_LINE
        replace_line = _line_of(gomod.read_text(), "replace example.com/Mixed/Big")
        assert by_code["replace-missing"].range.start.line == replace_line
        assert by_code["replace-missing"].range.start.character == 0
        # the go.sum (not open) gets its own publish, without a version
        sum_uri = gosum.as_uri()
        sds = await wait_for_diagnostics(client, sum_uri, lambda ds: "sum-mismatch" in codes(ds))
        assert [d.range.start.line for d in sds if d.code == "sum-mismatch"] == [sum_line]
        assert publishes(client, sum_uri)[-1].version is None

        # an unsaved edit counts: a half-typed line gives a parse error, and the
        # diagnostics of the valid lines stay
        text2 = gomod.read_text() + "requ"
        change_doc(client, uri, 2, text2)
        ds = await wait_for_diagnostics(client, uri, lambda ds: "parse-error" in codes(ds))
        assert {"cache-modified", "sum-mismatch", "replace-missing"} <= set(codes(ds))
        assert lines_of(ds, "parse-error") == [len(text2.splitlines()) - 1]
        assert publishes(client, uri)[-1].version == 2
        assert not gomod.read_text().endswith("requ")  # the disk is untouched


@pytest.mark.asyncio
async def test_versioned_publishes_never_go_back(sample_cache) -> None:
    fx = sample_cache
    gomod = fx.workspace / "go.mod"
    base = gomod.read_text()
    env = server_env(fx.env)
    # network off: GOSUMDB=off (the fixture's) would add insecure-setting to every version
    async with lsp_session(env, workspace=fx.workspace, init_options={"network": "off"}) as client:
        uri = open_doc(client, gomod)
        await wait_for_diagnostics(client, uri)
        # a burst of edits, alternating between broken and valid texts
        last = 40
        for v in range(2, last + 1):
            change_doc(client, uri, v, base + ("requ\n" if v % 2 else f"// edit {v}\n"))
        ds = await wait_for_diagnostics(
            client, uri, lambda ds: publishes(client, uri)[-1].version == last
        )
        assert codes(ds) == []  # version 40 is valid
        versions = [p.version for p in publishes(client, uri)]
        assert versions == sorted(versions), versions
        # every publish matches its version's text: odd versions are broken
        for p in publishes(client, uri):
            assert p.version is not None
            broken = p.version > 1 and p.version % 2 == 1
            assert ("parse-error" in codes(p.diagnostics)) == broken, p.version


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.asyncio
async def test_non_ascii_columns(tmp_path: Path, preset: str) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    gomod = ws / "go.mod"
    lines = [
        "module example.com/m",
        "",
        "go 1.21",
        "",
        "require example.com/é😀 v1.0.0 /* x */",
        'require "é😀" "abc',
    ]
    gomod.write_text("\n".join(lines) + "\n")
    env = server_env(tmp_path / "env")
    async with lsp_session(env, workspace=ws, preset=preset, init_options={"verify": "off"}) as c:
        uri = open_doc(c, gomod, preset=preset)
        ds = await wait_for_diagnostics(c, uri, lambda ds: len(codes(ds)) >= 2)
        ranges = sorted(
            (d.range.start.line, d.range.start.character, d.range.end.character)
            for d in ds
            if d.code == "parse-error"
        )
        # "require example.com/é😀 v1.0.0 " is 30 characters and the comment 7; the
        # second line ends (in its unterminated string) after 17 characters. é is 1
        # UTF-16 unit and 2 UTF-8 bytes, 😀 2 units and 4 bytes.
        if preset == VSCODE:
            assert ranges == [(4, 31, 38), (5, 18, 18)]
        else:
            assert ranges == [(4, 34, 41), (5, 21, 21)]


# --------------------------------------------------------------------------- progress


def _sparse_files(fx, count: int, size: int) -> None:
    """Large files (sparse: instant to write, slow to hash) in alpha's extracted dir."""
    ext = fx.gomodcache / "example.com" / "alpha@v1.0.0"
    os.chmod(ext, 0o755)
    for i in range(count):
        with open(ext / f"huge{i:02}.bin", "wb") as f:
            f.truncate(size)


async def _progress_token(client, *, timeout: float = 15.0) -> object:
    """The token of the first work-done progress that began."""

    def began() -> object | None:
        for token, values in client.progress_reports.items():
            if any(isinstance(v, types.WorkDoneProgressBegin) for v in values):
                return token
        return None

    assert await wait_until(lambda: began() is not None, timeout), client.progress_reports
    return began()


@pytest.mark.asyncio
async def test_full_verification_progress(sample_cache) -> None:
    fx = sample_cache
    _sparse_files(fx, 16, 32 << 20)
    env = server_env(fx.env)
    # default settings: verify is full
    async with lsp_session(env, workspace=fx.workspace) as client:
        uri = open_doc(client, fx.workspace / "go.mod")
        # quick results come first, without waiting for the verification
        ds = await wait_for_diagnostics(client, uri)
        assert "cache-modified" not in codes(ds)
        token = await _progress_token(client)
        assert await wait_until(lambda: ended(client, token), 60)
        values = progress_values(client, token)
        begin, end = values[0], values[-1]
        assert isinstance(begin, types.WorkDoneProgressBegin)
        assert begin.cancellable is True
        assert "Verifying" in begin.title
        assert isinstance(end, types.WorkDoneProgressEnd)
        reports = [v for v in values if isinstance(v, types.WorkDoneProgressReport)]
        assert reports
        pcts = [r.percentage for r in reports if r.percentage is not None]
        assert pcts == sorted(pcts) and all(0 <= p <= 100 for p in pcts)
        # the results are merged in when ready
        ds = await wait_for_diagnostics(client, uri, lambda ds: "cache-modified" in codes(ds))
        (d,) = with_code(ds, "cache-modified")
        assert d.range.start.line == ALPHA_LINE
        assert "added huge00.bin" in d.message


@pytest.mark.asyncio
async def test_cancelling_the_progress_stops_verification(sample_cache) -> None:
    fx = sample_cache
    _sparse_files(fx, 32, 64 << 20)
    env = server_env(fx.env)
    async with lsp_session(env, workspace=fx.workspace) as client:
        open_doc(client, fx.workspace / "go.mod")
        token = await _progress_token(client)
        assert await wait_until(
            lambda: any(
                isinstance(v, types.WorkDoneProgressReport) for v in progress_values(client, token)
            ),
            15,
        )
        t0 = time.monotonic()
        client.window_work_done_progress_cancel(
            types.WorkDoneProgressCancelParams(token=token)  # type: ignore[arg-type]
        )
        assert await wait_until(lambda: ended(client, token), 10)
        assert time.monotonic() - t0 < 2.0
        end = progress_values(client, token)[-1]
        assert isinstance(end, types.WorkDoneProgressEnd) and end.message == "Cancelled"
        # the cancelled verification is not restarted behind the user's back
        await asyncio.sleep(1.0)
        assert list(client.progress_reports) == [token]


@pytest.mark.asyncio
async def test_shutdown_during_verification_is_prompt(sample_cache) -> None:
    fx = sample_cache
    _sparse_files(fx, 8, 1 << 30)
    env = server_env(fx.env)
    async with lsp_session(env, workspace=fx.workspace) as client:
        open_doc(client, fx.workspace / "go.mod")
        await _progress_token(client)
        await asyncio.sleep(0.3)  # the hashing is under way
        proc = client._server
        assert proc is not None
        t0 = time.monotonic()
        await stop_session(client)
        elapsed = time.monotonic() - t0
        assert proc.returncode == 0, proc.returncode
        assert elapsed < 3.0, elapsed


@contextlib.asynccontextmanager
async def _verifying(fx, *, folder: bool = True):
    """A server with default settings, the workspace go.mod open and its background
    verification begun: (client, uri, the progress token)."""
    env = server_env(fx.env)
    async with lsp_session(env, workspace=fx.workspace if folder else None) as client:
        uri = open_doc(client, fx.workspace / "go.mod")
        yield client, uri, await _progress_token(client)


def _end_message(client, token) -> str | None:
    end = progress_values(client, token)[-1]
    assert isinstance(end, types.WorkDoneProgressEnd)
    return end.message


@pytest.mark.asyncio
async def test_edits_that_still_need_the_verification_keep_it(sample_cache) -> None:
    """Default settings: edits during the background verification that need the same
    module versions neither cancel nor restart it; its results are merged into the
    latest version of the buffer."""
    _modify_alpha(sample_cache)
    _sparse_files(sample_cache, 16, 32 << 20)
    async with _verifying(sample_cache) as (client, uri, token):
        text = (sample_cache.workspace / "go.mod").read_text()
        for version in range(2, 6):
            text += f"// edit {version}\n"
            change_doc(client, uri, version, text)
            await asyncio.sleep(0.05)
        assert await wait_until(lambda: ended(client, token), 60)
        assert _end_message(client, token) == "Done"
        ds = await wait_for_diagnostics(
            client,
            uri,
            lambda ds: "cache-modified" in codes(ds) and publishes(client, uri)[-1].version == 5,
        )
        assert lines_of(ds, "cache-modified") == [ALPHA_LINE]
        await asyncio.sleep(0.5)
        assert list(client.progress_reports) == [token]  # nothing left to verify


@pytest.mark.asyncio
async def test_an_edit_that_drops_a_module_cancels_the_verification(sample_cache) -> None:
    """A verification whose module versions an edit no longer needs is cancelled (what
    it finished is kept); one for what the edited go.mod still needs follows."""
    _sparse_files(sample_cache, 32, 64 << 20)
    async with _verifying(sample_cache) as (client, uri, token):
        lines = (sample_cache.workspace / "go.mod").read_text().splitlines(keepends=True)
        assert lines[ALPHA_LINE].strip().startswith("example.com/alpha v1.0.0")
        del lines[ALPHA_LINE]
        change_doc(client, uri, 2, "".join(lines))
        assert await wait_until(lambda: ended(client, token), 10)
        assert _end_message(client, token) == "Cancelled"
        assert await wait_until(lambda: len(client.progress_reports) == 2, 10)
        (again,) = [t for t in client.progress_reports if t != token]
        assert await wait_until(lambda: ended(client, again), 30)
        assert _end_message(client, again) == "Done"
        ds = await wait_for_diagnostics(client, uri, lambda ds: True)
        assert "cache-modified" not in codes(ds)


@pytest.mark.asyncio
async def test_closing_the_workspace_cancels_the_verification(sample_cache) -> None:
    """No workspace folder: closing the last document of the workspace cancels its
    background verification, and none starts again."""
    _sparse_files(sample_cache, 32, 64 << 20)
    async with _verifying(sample_cache, folder=False) as (client, uri, token):
        close_doc(client, uri)
        assert await wait_until(lambda: ended(client, token), 5)
        assert _end_message(client, token) == "Cancelled"
        await asyncio.sleep(1.0)
        assert list(client.progress_reports) == [token]


# --------------------------------------------------------------------------- watching


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.asyncio
async def test_watching_an_extracted_dir(sample_cache, preset: str) -> None:
    fx = sample_cache
    target = fx.gomodcache / "example.com" / "alpha@v1.0.0" / "sub" / "deep" / "deep.go"
    original = target.read_bytes()
    env = server_env(fx.env)
    init = {"watch": {"debounceMs": 100}}  # verify: the default (full)
    async with lsp_session(env, workspace=fx.workspace, preset=preset, init_options=init) as c:
        uri = open_doc(c, fx.workspace / "go.mod", preset=preset)
        await wait_for_diagnostics(c, uri)
        await wait_for_log(c, "file watching: watching")
        token = await _progress_token(c)  # the first full verification
        assert await wait_until(lambda: ended(c, token), 30)

        # an edit deep inside the extracted dir, on disk
        _writable(target)
        t0 = time.monotonic()
        target.write_bytes(original + b"// sneaky\n")
        ds = await wait_for_diagnostics(c, uri, lambda ds: "cache-modified" in codes(ds), timeout=5)
        latency = time.monotonic() - t0
        assert latency < 3.0  # 1 s is the target; slack for loaded test machines
        (d,) = with_code(ds, "cache-modified")
        assert "edited sub/deep/deep.go" in d.message
        assert d.range.start.line == ALPHA_LINE

        # put it back: the diagnostic goes
        target.write_bytes(original)
        await wait_for_diagnostics(c, uri, lambda ds: "cache-modified" not in codes(ds), timeout=5)


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.asyncio
async def test_go_mod_changed_on_disk(sample_cache, preset: str) -> None:
    fx = sample_cache
    gomod = fx.workspace / "go.mod"
    env = server_env(fx.env)
    async with lsp_session(env, workspace=fx.workspace, preset=preset) as c:
        # not open: the workspace folder's go.mod is diagnosed from the disk
        uri = gomod.as_uri()
        ds = await wait_for_diagnostics(c, uri)
        # (the network pass may already have added GOSUMDB=off's insecure-setting)
        assert [x for x in codes(ds) if x != "insecure-setting"] == []
        registered = [r.method for r in c.registrations]  # type: ignore[attr-defined]
        if preset == VSCODE:
            assert types.WORKSPACE_DID_CHANGE_WATCHED_FILES in registered
        else:  # Neovim 0.11 cannot register it: the server watches itself
            assert types.WORKSPACE_DID_CHANGE_WATCHED_FILES not in registered
        await wait_for_log(c, "file watching: watching")

        gomod.write_text(gomod.read_text() + "\nreplace example.com/alpha => ./nowhere\n")
        if preset == VSCODE:  # the client's watcher reports it
            c.workspace_did_change_watched_files(
                types.DidChangeWatchedFilesParams(
                    changes=[types.FileEvent(uri=uri, type=types.FileChangeType.Changed)]
                )
            )
        ds = await wait_for_diagnostics(
            c, uri, lambda ds: "replace-missing" in codes(ds), timeout=5
        )
        # the directory appears: the diagnostic goes (a watched ancestor tells)
        (fx.workspace / "nowhere").mkdir()
        (fx.workspace / "nowhere" / "go.mod").write_text("module example.com/alpha\n")
        if preset == VSCODE:
            c.workspace_did_change_watched_files(
                types.DidChangeWatchedFilesParams(
                    changes=[
                        types.FileEvent(
                            uri=(fx.workspace / "nowhere" / "go.mod").as_uri(),
                            type=types.FileChangeType.Created,
                        )
                    ]
                )
            )
        await wait_for_diagnostics(c, uri, lambda ds: "replace-missing" not in codes(ds), timeout=5)


# --------------------------------------------------------------------------- configuration

SITECUSTOMIZE = """
import os
import subprocess

_popen_log = os.environ.get("GOMOD_DOCTOR_TEST_POPEN_LOG")
if _popen_log:
    _init = subprocess.Popen.__init__

    def _logged_init(self, args, *a, **kw):
        with open(_popen_log, "a") as f:
            f.write(repr(args) + "\\n")
        _init(self, args, *a, **kw)

    subprocess.Popen.__init__ = _logged_init

if os.environ.get("GOMOD_DOCTOR_TEST_BROKEN_CHECK"):
    from gomod_doctor import engine

    def _broken(facts):
        raise RuntimeError("the check fell over")

    engine.CHECKS = (*engine.CHECKS, ("broken", _broken))
"""


def _with_sitecustomize(env: dict[str, str], tmp_path: Path, **extra: str) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return {**env, "PYTHONPATH": f"{site}{os.pathsep}{env['PYTHONPATH']}", **extra}


def _add_missing_replace(fx) -> Path:
    gomod = fx.workspace / "go.mod"
    gomod.write_text(gomod.read_text() + "\nreplace example.com/Mixed/Big => ../nowhere\n")
    return gomod


@pytest.mark.asyncio
async def test_configuration_and_severity_off(sample_cache) -> None:
    fx = sample_cache
    gomod = _add_missing_replace(fx)
    env = server_env(fx.env)
    off = {"diagnostics": {"severity": {"replace-missing": "off"}}}
    init = {"diagnostics": {"severity": {"replace-missing": "warning"}}}
    async with lsp_session(env, workspace=fx.workspace, init_options=init, configuration=off) as c:
        uri = open_doc(c, gomod)
        # workspace/configuration wins over initializationOptions
        ds = await wait_for_diagnostics(c, uri)
        assert "replace-missing" not in codes(ds)

        c.set_configuration(
            {"diagnostics": {"severity": {"replace-missing": "hint"}}}, section="gomodDoctor"
        )
        c.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        ds = await wait_for_diagnostics(c, uri, lambda ds: "replace-missing" in codes(ds))
        assert with_code(ds, "replace-missing")[0].severity == types.DiagnosticSeverity.Hint

        c.set_configuration({"diagnostics.severity.replace-missing": "off"}, section="gomodDoctor")
        c.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await wait_for_diagnostics(c, uri, lambda ds: "replace-missing" not in codes(ds))

        # bad settings are reported, never fatal; the good ones still apply
        c.set_configuration(
            {"verify": "sometimes", "diagnostics": {"severity": {"nope": "off"}}},
            section="gomodDoctor",
        )
        c.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await wait_for_log(c, "verify: want one of quick, full, off")
        await wait_for_log(c, "unknown diagnostic code 'nope'")
        await wait_for_diagnostics(c, uri, lambda ds: "replace-missing" in codes(ds))


@pytest.mark.asyncio
async def test_untrusted_starts_no_subprocess(sample_cache, tmp_path: Path) -> None:
    fx = sample_cache
    gosum = fx.go_sum
    gosum.write_text(gosum.read_text().replace("h1:txzMN8sT", "h1:AAAAAAAA"))
    fakebin = tmp_path / "fakebin"
    fakebin.mkdir()
    marker = tmp_path / "go-was-run"
    fake_go = fakebin / "go"
    fake_go.write_text(f'#!/bin/sh\necho "$@" >> {marker}\nexit 1\n')
    fake_go.chmod(0o755)
    popen_log = tmp_path / "popen.log"
    env = _with_sitecustomize(
        server_env(fx.env, PATH=f"{fakebin}{os.pathsep}{fx.env['PATH']}"),
        tmp_path,
        GOMOD_DOCTOR_TEST_POPEN_LOG=str(popen_log),
    )
    gomod = fx.workspace / "go.mod"

    # the control: trusted, the server asks this go about itself
    async with lsp_session(
        env, workspace=fx.workspace, init_options={"goBinary": str(fake_go)}
    ) as c:
        uri = open_doc(c, gomod)
        await wait_for_diagnostics(c, uri, lambda ds: "sum-mismatch" in codes(ds))
    assert marker.exists() and popen_log.exists()
    marker.unlink()
    popen_log.unlink()

    init = {"trusted": False, "goBinary": str(fake_go), "verify": "full"}
    async with lsp_session(env, workspace=fx.workspace, init_options=init) as c:
        uri = open_doc(c, gomod)
        # read-only diagnostics still come
        ds = await wait_for_diagnostics(c, uri, lambda ds: "sum-mismatch" in codes(ds))
        assert lines_of(ds, "sum-mismatch") == [ALPHA_LINE]
        # an edit, a change of settings, a command that would run go
        change_doc(c, uri, 2, gomod.read_text() + "// edited\n")
        await wait_for_diagnostics(c, uri, lambda ds: publishes(c, uri)[-1].version == 2)
        c.set_configuration({"trusted": False, "verify": "quick"}, section="gomodDoctor")
        c.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                c.workspace_execute_command_async(
                    types.ExecuteCommandParams(
                        command="gomod-doctor.downloadAll", arguments=[{"uri": uri}]
                    )
                ),
                10,
            )
        await asyncio.sleep(0.5)
    assert not marker.exists()
    assert not popen_log.exists(), popen_log.read_text()


# --------------------------------------------------------------------------- robustness


@pytest.mark.asyncio
async def test_a_failing_check_is_logged_and_the_others_publish(sample_cache, tmp_path) -> None:
    fx = sample_cache
    gomod = _add_missing_replace(fx)
    env = _with_sitecustomize(server_env(fx.env), tmp_path, GOMOD_DOCTOR_TEST_BROKEN_CHECK="1")
    async with lsp_session(env, workspace=fx.workspace) as c:
        uri = open_doc(c, gomod)
        await wait_for_diagnostics(c, uri, lambda ds: "replace-missing" in codes(ds))
        message = await wait_for_log(c, "internal error in check broken")
        assert "the check fell over" in message
        assert any(m.type == types.MessageType.Error for m in c.log_messages)


@pytest.mark.asyncio
async def test_unreadable_cache_dir(sample_cache) -> None:
    fx = sample_cache
    dl = fx.gomodcache / "cache" / "download" / "example.com" / "alpha" / "@v"
    if os.geteuid() != 0:
        os.chmod(dl, 0)
        expected = "permission denied"
    else:  # root reads anything: a symlink loop makes the directory unreadable
        os.chmod(dl.parent, 0o755)
        make_writable_and_remove(dl)
        os.symlink("@v", dl)
        expected = "too many levels of symbolic links"
    env = server_env(fx.env)
    try:
        async with lsp_session(env, workspace=fx.workspace) as c:
            uri = open_doc(c, fx.workspace / "go.mod")
            ds = await wait_for_diagnostics(c, uri, lambda ds: "cache-corrupt" in codes(ds))
            d = with_code(ds, "cache-corrupt")[0]
            assert expected in d.message and str(dl) in d.message
            assert d.range.start.line == ALPHA_LINE
    finally:
        if dl.is_dir() and not dl.is_symlink():
            os.chmod(dl, 0o755)


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.asyncio
async def test_files_deleted_or_renamed_while_open(tmp_path: Path, preset: str) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    gomod = ws / "go.mod"
    text = "module example.com/m\n\ngo 1.21\n\nrequ\n"
    gomod.write_text(text)
    env = server_env(tmp_path / "env")
    # network off: GOSUMDB=off (isolated_env's) would add insecure-setting
    async with lsp_session(env, workspace=ws, preset=preset, init_options={"network": "off"}) as c:
        uri = open_doc(c, gomod, preset=preset)
        await wait_for_diagnostics(c, uri, lambda ds: lines_of(ds, "parse-error") == [4])
        # deleted on disk while open: the buffer still counts
        gomod.unlink()
        change_doc(c, uri, 2, text + "requ\n")
        await wait_for_diagnostics(c, uri, lambda ds: lines_of(ds, "parse-error") == [4, 5])
        # renamed: the editor closes the old name and opens the new one
        new_dir = tmp_path / "renamed"
        new_dir.mkdir()
        new = new_dir / "go.mod"
        new.write_text(text)
        close_doc(c, uri)
        new_uri = open_doc(c, new, preset=preset)
        await wait_for_diagnostics(c, new_uri, lambda ds: lines_of(ds, "parse-error") == [4])
        # the file that is gone has its diagnostics cleared
        await wait_for_diagnostics(c, uri, lambda ds: codes(ds) == [])
        # and the server is still well
        change_doc(c, new_uri, 2, "module example.com/m\n")
        await wait_for_diagnostics(c, new_uri, lambda ds: codes(ds) == [])


@pytest.mark.asyncio
async def test_goenv_file_changes_are_picked_up(sample_cache) -> None:
    fx = sample_cache
    for d in (
        fx.gomodcache / "example.com" / "alpha@v1.0.0",
        fx.gomodcache / "cache" / "download" / "example.com" / "alpha",
    ):
        make_writable_and_remove(d)
    goenv_file = Path(fx.env["GOENV"])
    make_writable_and_remove(goenv_file.parent)  # its directory appears later
    env = server_env(fx.env)
    async with lsp_session(env, workspace=fx.workspace, preset=NEOVIM) as c:
        uri = open_doc(c, fx.workspace / "go.mod", preset=NEOVIM)
        # GOPROXY=off: go cannot fetch alpha, and the setting's finding says so
        ds = await wait_for_diagnostics(c, uri, lambda ds: "proxy-config" in codes(ds))
        assert "GOPROXY=off" in with_code(ds, "proxy-config")[0].message
        await wait_for_log(c, "file watching: watching")
        # `go env -w GONOPROXY=example.com`, by hand (the variable is empty in the
        # environment, so the file's value counts)
        goenv_file.parent.mkdir(parents=True)
        goenv_file.write_text("GONOPROXY=example.com\n")
        ds = await wait_for_diagnostics(
            c,
            uri,
            lambda ds: "GOPRIVATE/GONOPROXY" in " ".join(d.message for d in ds),
            timeout=5,
        )
        (d,) = with_code(ds, "cache-missing")  # now go fetches it directly: a hint
        assert d.range.start.line == ALPHA_LINE
        assert d.severity == types.DiagnosticSeverity.Hint
        assert "proxy-config" not in codes(ds)


@pytest.mark.asyncio
async def test_env_setting_is_merged(sample_cache) -> None:
    fx = sample_cache
    for d in (
        fx.gomodcache / "example.com" / "alpha@v1.0.0",
        fx.gomodcache / "cache" / "download" / "example.com" / "alpha",
    ):
        make_writable_and_remove(d)
    env = server_env(fx.env)
    init = {"env": {"GOPROXY": "https://proxy.invalid"}}
    async with lsp_session(env, workspace=fx.workspace, init_options=init) as c:
        uri = open_doc(c, fx.workspace / "go.mod")
        # the local findings come first; the network check (which cannot resolve
        # proxy.invalid) may then put its error in the hint's place
        await wait_for_diagnostics(c, uri, lambda ds: bool(codes(ds)))
        first = next(p.diagnostics for p in publishes(c, uri) if p.diagnostics)
        (d,) = with_code(first, "cache-missing")
        assert "from https://proxy.invalid" in d.message
        assert d.severity == types.DiagnosticSeverity.Hint
        c.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"gomodDoctor": {"env": {}}})
        )
        c.set_configuration({"env": {}}, section="gomodDoctor")
        c.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        ds = await wait_for_diagnostics(
            c, uri, lambda ds: "GOPROXY=off" in " ".join(d.message for d in ds)
        )
        # go cannot fetch it now: one error on the line, from the setting's finding.
        # Once the network facts are in, the fixture's GOSUMDB=off adds its
        # information-level note; whether that publish came first is a race.
        errors = [d for d in ds if d.severity == types.DiagnosticSeverity.Error]
        assert codes(errors) == ["proxy-config"]
        assert set(codes(ds)) <= {"proxy-config", "insecure-setting"}
        for d in with_code(ds, "insecure-setting"):
            assert d.severity == types.DiagnosticSeverity.Information
            assert "GOSUMDB=off" in d.message


@pytest.mark.asyncio
async def test_go_work_workspace(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "a").mkdir(parents=True)
    work = root / "go.work"
    work.write_text("go 1.21\n\nuse (\n\t./a\n\t./missing\n)\n")
    mod = root / "a" / "go.mod"
    mod.write_text("module example.com/a\n\ngo 1.21\n\nrequ\n")
    env = server_env(tmp_path / "env", GOFLAGS="")  # (-mod=mod is refused in workspace mode)
    async with lsp_session(env, workspace=root, init_options={"verify": "off"}) as c:
        # the module's go.mod is diagnosed in the go.work's view: the go.work (not
        # open) gets its own diagnostics
        uri = open_doc(c, mod)
        await wait_for_diagnostics(c, uri, lambda ds: lines_of(ds, "parse-error") == [4])
        wds = await wait_for_diagnostics(
            c, work.as_uri(), lambda ds: "work-use-missing" in codes(ds)
        )
        assert lines_of(wds, "work-use-missing") == [4]
        # fixing the go.work in its buffer clears its diagnostic
        wuri = open_doc(c, work)
        change_doc(c, wuri, 2, "go 1.21\n\nuse ./a\n")
        await wait_for_diagnostics(c, wuri, lambda ds: codes(ds) == [])
        await wait_for_diagnostics(c, uri, lambda ds: lines_of(ds, "parse-error") == [4])


# --------------------------------------------------------------------------- units


def test_settings_never_raise() -> None:
    for bad in (None, 3, "x", [], {"verify": 1}, {"env": [1]}, {"watch": "x"}, {"trusted": "no"}):
        settings, problems = Settings.from_json(bad)
        assert isinstance(settings, Settings)
    s, problems = Settings.from_json({"trusted": "no"})
    assert s.trusted is False and problems  # anything but true: untrusted
    s, problems = Settings.from_json(
        {
            "gomodDoctor": {
                "verify": "full",
                "diagnostics.severity.cache-missing": "off",
                "watch.debounceMs": 50,
                "env": {"GOFLAGS": "-mod=mod", "N": 1},
                "goBinary": "/opt/go/bin/go",
                "localReplaceSearchPaths": ["~/src"],
                "network": "off",
            }
        }
    )
    assert problems == []
    assert s.verify == "full" and s.severity == {"cache-missing": None}
    assert s.debounce_ms == 50 and s.env == {"GOFLAGS": "-mod=mod", "N": "1"}
    assert s.go_binary == "/opt/go/bin/go" and s.local_replace_search_paths == ("~/src",)
    assert s.network == "off" and s.trusted is True
    merged, _ = s.merged_json({"verify": "quick"})
    assert merged.verify == "quick" and merged.severity == {"cache-missing": None}


@pytest.mark.parametrize(
    ("encoding", "expected"), [("utf-16", [0, 1, 2, 4, 5]), ("utf-8", [0, 1, 3, 7, 8])]
)
def test_position_conversions(encoding: str, expected: list[int]) -> None:
    text = "aé😀b\nsecond\r\n"
    for offset, character in enumerate(expected):
        lsp = convert.offset_to_lsp(text, offset, encoding)
        assert (lsp.line, lsp.character) == (0, character)
        assert convert.lsp_to_offset(text, lsp, encoding) == offset
    # inside a character: its start; past the end of a line: the line's end
    inside = types.Position(line=0, character=expected[2] + 1)
    assert convert.lsp_to_offset(text, inside, encoding) == 2
    assert convert.lsp_to_offset(text, types.Position(line=1, character=99), encoding) == 11
    assert convert.lsp_to_offset(text, types.Position(line=9, character=0), encoding) == len(text)
    pos = convert.from_lsp_position(text, types.Position(line=1, character=2), encoding)
    assert (pos.line, pos.col, pos.offset) == (2, 3, 7)


def test_editor_temp_files_are_ignored() -> None:
    for name in ("go.mod.swp", ".go.mod.swx", "go.mod~", ".#go.mod", "4913", "x.tmp"):
        assert is_ignored(Path("/w") / name), name
    dl = Path("/c/cache/download/example.com/a/@v")
    assert is_ignored(dl / "v1.0.0.zip123456.tmp")
    assert is_ignored(dl / "v1.0.0.lock")
    assert is_ignored(dl / "v1.0.0.partial", "added")
    assert not is_ignored(dl / "v1.0.0.partial", "deleted")  # the extraction is done
    for name in ("go.mod", "go.sum", "main.go", "v1.0.0.zip"):
        assert not is_ignored(Path("/w") / name), name


def test_watch_budget_falls_back_to_polling(tmp_path: Path) -> None:
    big = tmp_path / "big"
    for i in range(5):
        (big / f"d{i}").mkdir(parents=True)
    small = tmp_path / "small"
    small.mkdir()
    changes: queue.Queue[set[FileChange]] = queue.Queue()
    ready: queue.Queue[WatchSummary] = queue.Queue()
    watcher = FileWatcher(changes.put, budget=3, poll_delay_ms=50, on_ready=ready.put)
    try:
        watcher.set_roots([Root(big, True), Root(small, False), Root(tmp_path / "gone", False)])
        summary = ready.get(timeout=10)
        # big needs 6 watches, more than the budget: it is polled; small is notified
        assert (summary.roots, summary.polled, summary.watches) == (3, 1, 1)
        assert watcher.polled_roots() == {Root(big, True)}

        def seen(path: Path) -> bool:
            end = time.monotonic() + 5
            while time.monotonic() < end:
                try:
                    got = changes.get(timeout=0.1)
                except queue.Empty:
                    continue
                if any(p == path for _, p in got):
                    return True
            return False

        (big / "d3" / "x.txt").write_text("x")
        assert seen(big / "d3" / "x.txt")
        (small / "y.txt").write_text("y")
        assert seen(small / "y.txt")
        (small / "y.txt.swp").write_text("editor junk")
        (small / "z.txt").write_text("z")
        got: set[Path] = set()
        end = time.monotonic() + 2
        while time.monotonic() < end and small / "z.txt" not in got:
            with contextlib.suppress(queue.Empty):
                got |= {p for _, p in changes.get(timeout=0.1)}
        assert small / "z.txt" in got and small / "y.txt.swp" not in got
    finally:
        watcher.close()


def test_full_collections_wait_for_an_idle_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's full garbage collections (tens of ms over a large workspace) run
    once nothing was published for a moment, not on an edit's analysis; never idle,
    it collects all the same after a while."""
    from gomod_doctor.lsp import scheduler as sched
    from gomod_doctor.lsp import server as srv

    counts = [(0, 0, 3)]
    collected: list[object] = []
    monkeypatch.setattr(sched.gc, "get_count", lambda: counts[0])
    monkeypatch.setattr(sched.gc, "collect", lambda *a: collected.append(a) or 0)

    async def go() -> None:
        ls = srv.GomodDoctorServer()
        ls.background.loop = asyncio.get_running_loop()
        ls.scheduler.collect_when_idle()
        await asyncio.sleep(sched.GC_IDLE * 4)
        assert collected == []  # little to collect yet
        counts[0] = (0, 0, sched.GC_FULL_AFTER)
        ls.scheduler.collect_when_idle()
        ls.scheduler.collect_when_idle()  # a publish soon after: the wait starts again
        assert collected == []
        await asyncio.sleep(sched.GC_IDLE * 4)
        assert len(collected) == 1
        counts[0] = (0, 0, sched.GC_FULL_ANYWAY)
        ls.scheduler.collect_when_idle()
        assert len(collected) == 2  # never idle for long: at once

    asyncio.run(go())
