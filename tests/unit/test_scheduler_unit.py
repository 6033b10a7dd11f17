"""In-process tests of the language server's scheduling (lsp/scheduler.py, views.py,
publish.py): a :class:`GomodDoctorServer` driven on an event loop of the test, with
no client and no go command. What it would send the client is recorded.

The end-to-end suites (test_lsp_*.py) run the server as a subprocess under a real
client; these pin down the scheduler's promises one by one: diagnostics for the
version of the buffer they were computed from, never an older one after a newer;
a recheck returns once its analysis is published; a main file that disappears has
its diagnostics cleared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.lsp.server import GomodDoctorServer
from gomod_doctor.lsp.settings import Settings
from gomod_doctor.lsp.state import Document, WorkspaceView

BROKEN = "module example.com/m\n\ngo 1.21\n\nrequire (\n"
VALID = "module example.com/m\n\ngo 1.21\n"


class Recorder:
    """What the server sends: published diagnostics, by URI, in order."""

    def __init__(self, ls: GomodDoctorServer) -> None:
        self.published: list[types.PublishDiagnosticsParams] = []
        ls.text_document_publish_diagnostics = self.published.append  # type: ignore[method-assign]
        ls.protocol.notify = lambda *a, **k: None  # type: ignore[method-assign]
        ls.window_log_message = lambda *a, **k: None  # type: ignore[method-assign]

    def versions(self, uri: str) -> list[int | None]:
        return [p.version for p in self.published if p.uri == uri]

    def last(self, uri: str) -> types.PublishDiagnosticsParams:
        return [p for p in self.published if p.uri == uri][-1]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The memos the passes keep on disk go below the test's own directory."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def run(test: Callable[[GomodDoctorServer, Recorder], Awaitable[None]]) -> None:
    async def main() -> None:
        ls = GomodDoctorServer()
        rec = Recorder(ls)
        ls.background.loop = asyncio.get_running_loop()
        # quick passes of the workspace's files alone: nothing of a module cache or
        # the network, and no go command
        ls.state.settings = Settings(verify="off", network="off")
        ls.state.env = GoEnv()
        ls.lifecycle.set_ready()
        try:
            await asyncio.wait_for(test(ls, rec), 60)
        finally:
            ls.lifecycle.begin_shutdown()

    asyncio.run(main())


def open_doc(
    ls: GomodDoctorServer, path: Path, text: str, version: int
) -> tuple[Document, WorkspaceView]:
    """``path`` open in the editor (version ``version`` of ``text``), and its view."""
    doc = Document(path.as_uri(), path, text, version, "go.mod")
    ls.state.documents[doc.uri] = doc
    view = ls.views.ensure(path)
    assert view is not None
    return doc, view


async def settle(ls: GomodDoctorServer) -> None:
    """Until every runner is done."""
    for _ in range(200):
        tasks: list[Any] = [r.task for r in ls.scheduler.runs.values() if r.task is not None]
        if all(t.done() for t in tasks):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the runners never finished")


def test_open_publishes_for_the_buffers_version(tmp_path: Path) -> None:
    gomod = tmp_path / "go.mod"
    gomod.write_text(VALID)

    async def test(ls: GomodDoctorServer, rec: Recorder) -> None:
        doc, view = open_doc(ls, gomod, BROKEN, 1)
        await ls.scheduler.schedule(view)
        got = rec.last(doc.uri)
        assert got.version == 1
        assert [d.data["code"] for d in got.diagnostics] == ["parse-error"]
        assert view.findings and view.facts is not None

    run(test)


def test_edits_in_a_row_publish_the_newest_version_only(tmp_path: Path) -> None:
    gomod = tmp_path / "go.mod"
    gomod.write_text(VALID)

    async def test(ls: GomodDoctorServer, rec: Recorder) -> None:
        doc, view = open_doc(ls, gomod, BROKEN, 1)
        await ls.scheduler.schedule(view)
        # two edits before the loop runs again: the second supersedes the first
        doc.text, doc.version = VALID, 2
        first = ls.scheduler.schedule(view, edit=True)
        doc.text, doc.version = BROKEN + "\n", 3
        second = ls.scheduler.schedule(view, edit=True)
        await asyncio.gather(first, second)
        await settle(ls)
        assert rec.versions(doc.uri) == [1, 3]
        assert [d.data["code"] for d in rec.last(doc.uri).diagnostics] == ["parse-error"]

    run(test)


def test_a_pass_for_an_older_buffer_is_never_published(tmp_path: Path) -> None:
    """A trigger while a pass runs: its result is dropped, the newer one published."""
    gomod = tmp_path / "go.mod"
    gomod.write_text(VALID)

    async def test(ls: GomodDoctorServer, rec: Recorder) -> None:
        doc, view = open_doc(ls, gomod, BROKEN, 1)
        done = ls.scheduler.schedule(view)
        await asyncio.sleep(0)  # the runner has taken version 1's inputs
        doc.text, doc.version = VALID, 2
        newer = ls.scheduler.schedule(view, edit=True)
        await asyncio.gather(done, newer)
        await settle(ls)
        assert rec.versions(doc.uri) == [2]
        assert rec.last(doc.uri).diagnostics == []

    run(test)


def test_recheck_returns_once_published(tmp_path: Path) -> None:
    gomod = tmp_path / "go.mod"
    gomod.write_text(BROKEN)

    async def test(ls: GomodDoctorServer, rec: Recorder) -> None:
        await ls.recheck([tmp_path])
        uri = gomod.as_uri()
        assert rec.versions(uri) == [None]  # from the disk: no buffer version
        assert [d.data["code"] for d in rec.last(uri).diagnostics] == ["parse-error"]

    run(test)


def test_a_vanished_main_file_has_its_diagnostics_cleared(tmp_path: Path) -> None:
    gomod = tmp_path / "go.mod"
    gomod.write_text(BROKEN)

    async def test(ls: GomodDoctorServer, rec: Recorder) -> None:
        await ls.recheck([tmp_path])
        uri = gomod.as_uri()
        assert rec.last(uri).diagnostics
        gomod.unlink()
        (view,) = ls.state.workspaces.values()
        await ls.scheduler.schedule(view)
        assert rec.last(uri).diagnostics == []
        assert view.facts is None

    run(test)


def test_nothing_is_scheduled_after_shutdown(tmp_path: Path) -> None:
    gomod = tmp_path / "go.mod"
    gomod.write_text(BROKEN)

    async def test(ls: GomodDoctorServer, rec: Recorder) -> None:
        view = ls.views.ensure(gomod)
        assert view is not None
        ls.lifecycle.begin_shutdown()
        await ls.scheduler.schedule(view)
        assert rec.published == []
        assert all(r.task is None for r in ls.scheduler.runs.values())

    run(test)


def _proc_state(pid: int) -> str:
    """The kernel's one-letter state of process ``pid`` (``T``: stopped)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rpartition(")")[2].split()[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_background_work_is_paused_from_the_analysis_to_the_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit's analysis and its publish run with the background processes stopped
    (gomod_doctor.background), and they go on afterwards."""
    import subprocess
    import sys

    from gomod_doctor import background
    from gomod_doctor.lsp import scheduler

    gomod = tmp_path / "go.mod"
    gomod.write_text(VALID)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    seen: dict[str, str] = {}
    real_pass = scheduler.quick_pass

    def analysis(inp: Any) -> Any:
        seen["analysis"] = _proc_state(child.pid)
        return real_pass(inp)

    monkeypatch.setattr(scheduler, "quick_pass", analysis)

    async def test(ls: GomodDoctorServer, rec: Recorder) -> None:
        publish = rec.published.append

        def published(p: types.PublishDiagnosticsParams) -> None:
            seen["publish"] = _proc_state(child.pid)
            publish(p)

        ls.text_document_publish_diagnostics = published  # type: ignore[method-assign]
        doc, view = open_doc(ls, gomod, BROKEN, 1)
        background.add(child.pid, group=False)
        try:
            doc.text, doc.version = VALID, 2
            await ls.scheduler.schedule(view, edit=True)
            await settle(ls)
            after = _proc_state(child.pid)
        finally:
            background.discard(child.pid)
        assert seen == {"analysis": "T", "publish": "T"}
        assert after in ("S", "R")
        assert rec.versions(doc.uri) == [2]

    try:
        run(test)
    finally:
        child.kill()
        child.wait()
