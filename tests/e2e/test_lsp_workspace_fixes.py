"""Language-server fixes of the module-graph and workspace findings (issue 11), each
applied as the editor applies it and then judged by the real go."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_lsp_features import by_title, session

from gotool import isolated_env, run_go
from lsp_support import VSCODE


@pytest.mark.asyncio
async def test_go_work_older_than_a_module_raised_as_go_work_use_does(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "a").mkdir(parents=True)
    (root / "a" / "go.mod").write_text("module example.com/a\n\ngo 1.23\n")
    (root / "a" / "a.go").write_text("package a\n")
    work = root / "go.work"
    work.write_text("go 1.22\n\nuse ./a\n")
    env = isolated_env(tmp_path / "env", GOFLAGS="")
    assert run_go(["list", "-m"], root, env).returncode != 0
    async with session(VSCODE, root, env, {"verify": "quick"}) as s:
        uri = s.open(work)
        diags = await s.diagnostics(uri, lambda d: any(x.code == "work-go-too-old" for x in d))
        (diag,) = [d for d in diags if d.code == "work-go-too-old"]
        assert diag.range.start.line == 2  # the use line
        fixes = by_title(await s.actions(uri, 2, [diag], only=["quickfix"]))
        title = "Set go.work's go line to 1.23 (as go work use does)"
        fixed = s.apply(uri, fixes[title])
        assert fixed == "go 1.23\n\nuse ./a\n"
        s.save(uri, work)
        await s.diagnostics(uri, lambda d: not any(x.code == "work-go-too-old" for x in d))
    assert run_go(["list", "-m"], root, env).returncode == 0
    assert run_go(["build", "./..."], root / "a", env).returncode == 0


@pytest.mark.asyncio
async def test_go_work_without_go_line_gets_one(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "a").mkdir(parents=True)
    (root / "a" / "go.mod").write_text("module example.com/a\n\ngo 1.21\n")
    work = root / "go.work"
    work.write_text("use ./a\n")
    env = isolated_env(tmp_path / "env", GOFLAGS="")
    assert run_go(["list", "-m"], root, env).returncode != 0
    async with session(VSCODE, root, env, {"verify": "quick"}) as s:
        uri = s.open(work)
        diags = await s.diagnostics(uri, lambda d: any(x.code == "work-go-too-old" for x in d))
        (diag,) = [d for d in diags if d.code == "work-go-too-old"]
        fixes = by_title(await s.actions(uri, 0, [diag], only=["quickfix"]))
        fixed = s.apply(uri, fixes["Set go.work's go line to 1.21 (as go work use does)"])
        s.save(uri, work)
    assert fixed == "go 1.21\n\nuse ./a\n"
    assert run_go(["list", "-m"], root, env).returncode == 0
