"""The ``gomod-doctor check`` command end to end: formats, exit codes, workspace discovery."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gomod_doctor.cli.main import main

GOOD_MOD = "module example.com/m\n\ngo 1.22\n"
GOOD_SUM = (
    "golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=\n"
    "golang.org/x/text v0.14.0/go.mod h1:18ZOQIKpY8NJVqYksKHtTdi31H5itFRjB5/qKTNYzSU=\n"
)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GOPATH", str(tmp_path / "gopath"))
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "gopath" / "pkg" / "mod"))
    monkeypatch.setenv("GOENV", str(home / ".config" / "go" / "env"))
    monkeypatch.setenv("GOTOOLCHAIN", "local")
    monkeypatch.setenv("GOPROXY", "off")  # no test reaches beyond 127.0.0.1
    monkeypatch.delenv("GOWORK", raising=False)
    monkeypatch.delenv("GOFLAGS", raising=False)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["check", "--format", "json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_clean_module_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "m", {"go.mod": GOOD_MOD, "go.sum": GOOD_SUM})
    code, doc = run_json(capsys, str(tmp_path / "m"))
    assert code == 0
    assert doc == {
        "version": 1,
        "findings": [],
        "summary": {"error": 0, "warning": 0, "information": 0, "hint": 0},
    }


def test_parse_error_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "m", {"go.mod": GOOD_MOD + "\nfrobnicate x\n"})
    code, doc = run_json(capsys, str(tmp_path / "m" / "go.mod"))
    assert code == 1
    findings = doc["findings"]
    assert isinstance(findings, list) and len(findings) == 1
    f = findings[0]
    assert f == {
        "path": str(tmp_path / "m" / "go.mod"),
        "line": 5,
        "column": 1,
        "endLine": 5,
        "endColumn": f["endColumn"],
        "severity": "error",
        "code": "parse-error",
        "message": "unknown directive: frobnicate",
        "fixes": [],
    }
    assert f["endColumn"] > 1
    assert doc["summary"] == {"error": 1, "warning": 0, "information": 0, "hint": 0}


def test_text_format_is_compiler_style(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "m", {"go.mod": GOOD_MOD + "\nfrobnicate x\n"})
    monkeypatch.chdir(tmp_path / "m")
    code = main(["check"])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0] == "go.mod:5:1: error[parse-error]: unknown directive: frobnicate"
    assert "\033[" not in "\n".join(out)  # not a TTY: no colour


def test_finds_module_upward_and_sum_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conflict = "<<<<<<< HEAD\n" + GOOD_SUM + "=======\n" + GOOD_SUM + ">>>>>>> other\n"
    write(tmp_path / "m", {"go.mod": GOOD_MOD, "go.sum": conflict, "sub/dir/x.txt": ""})
    code, doc = run_json(capsys, str(tmp_path / "m" / "sub" / "dir"))
    assert code == 1
    codes = {f["code"] for f in doc["findings"]}  # type: ignore[index, union-attr]
    assert "sum-conflict" in codes


def test_malformed_sum_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "m", {"go.mod": GOOD_MOD, "go.sum": GOOD_SUM + "golang.org/x/text v0.1.0\n"})
    code, doc = run_json(capsys, str(tmp_path / "m"))
    assert code == 1
    (f,) = doc["findings"]  # type: ignore[misc]
    assert f["code"] == "sum-malformed"
    assert f["line"] == 3
    assert (
        f["message"] == f"malformed go.sum: {tmp_path / 'm' / 'go.sum'}:3: wrong number of fields 2"
    )


def test_workspace_via_go_work_and_gowork_env(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path / "ws",
        {
            "go.work": "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n",
            "a/go.mod": "module example.com/a\n\ngo 1.22\n",
            "b/go.mod": "module example.com/b\n\ngo 1.22\nbogus\n",
        },
    )
    code, doc = run_json(capsys, str(tmp_path / "ws" / "a"))
    assert code == 1
    (f,) = doc["findings"]  # type: ignore[misc]
    assert f["path"] == str(tmp_path / "ws" / "b" / "go.mod")
    assert f["line"] == 4
    # GOWORK=off: only module a, which is clean.
    monkeypatch.setenv("GOWORK", "off")
    code, doc = run_json(capsys, str(tmp_path / "ws" / "a"))
    assert code == 0 and doc["findings"] == []


def test_dirs_checks_the_workspace_of_each_files_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--dirs, as pre-commit passes files: each file stands for its directory, so a
    module's go.mod and go.sum inside a go.work are checked as go builds there (in
    workspace mode: a missing go.sum line is information) and reported once."""
    write(
        tmp_path / "ws",
        {
            "go.work": "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n",
            "a/go.mod": "module example.com/a\n\ngo 1.22\n\nrequire example.com/b v1.0.0\n",
            "a/go.sum": "",
            "b/go.mod": "module example.com/b\n\ngo 1.22\n",
        },
    )
    monkeypatch.chdir(tmp_path / "ws")
    by_dir = run_json(capsys, "a")
    assert by_dir[0] == 0, by_dir
    files = ("a/go.mod", "a/go.sum", "go.work")
    assert run_json(capsys, "--dirs", *files) == by_dir
    # Without --dirs a go.mod is that module alone, outside the workspace: go.sum lacks
    # example.com/b's lines, and no workspace module provides it.
    code, doc = run_json(capsys, "a/go.mod")
    assert code == 1
    assert "sum-missing" in {f["code"] for f in doc["findings"]}  # type: ignore[union-attr]
    assert main(["check", "a/go.sum"]) == 2  # a go.sum is not a PATH without --dirs
    capsys.readouterr()


def test_several_paths_each_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "x", {"go.mod": "module example.com/x\nrequire\n"})
    write(tmp_path / "y", {"go.mod": "module example.com/y\nfrobnicate\n"})
    code, doc = run_json(capsys, str(tmp_path / "x"), str(tmp_path / "y"))
    assert code == 1
    paths = sorted(f["path"] for f in doc["findings"])  # type: ignore[union-attr]
    assert paths == [str(tmp_path / "x" / "go.mod"), str(tmp_path / "y" / "go.mod")]


def test_severity_override_and_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "m", {"go.mod": GOOD_MOD + "frobnicate\n"})
    code, doc = run_json(capsys, "--severity", "parse-error=warning", str(tmp_path / "m"))
    assert code == 0
    assert [f["severity"] for f in doc["findings"]] == ["warning"]  # type: ignore[union-attr]
    write(tmp_path / "m", {"gomod-doctor.toml": '[severity]\nparse-error = "off"\n'})
    code, doc = run_json(capsys, str(tmp_path / "m"))
    assert code == 0 and doc["findings"] == []


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--format", "xml"],
        ["check", "--severity", "nonsense"],
        ["check", "--severity", "no-such-code=error"],
        ["check", "/no/such/dir/anywhere"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_two_without_traceback(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(("gomod-doctor", "go:"))
    assert "Traceback" not in err


def test_no_module_found_is_exit_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["check", str(tmp_path / "empty")]) == 2
    assert "go.mod file not found" in capsys.readouterr().err


def test_console_script_and_demo(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "gomod-doctor"
    out = subprocess.run(
        [str(exe), "demo"], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    assert out.returncode == 0, out.stderr
    assert "$ gomod-doctor check --verify full" in out.stdout
    assert "go.mod:7:2: error[cache-modified]: example.com/greet v1.0.0" in out.stdout
    assert "go.sum:3:1: error[sum-conflict]: unresolved git merge conflict" in out.stdout
    assert "error[replace-missing]" in out.stdout
