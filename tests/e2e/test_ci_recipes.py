"""The CI and pre-commit recipes work as written.

``docs/ci/github-actions.yml``: parsed with PyYAML; its check step's script runs as
GitHub runs it (``bash --noprofile --norc -eo pipefail``) on the demo workspace (broken,
then repaired), the SARIF it writes validates against the SARIF 2.1.0 schema, the upload
step uploads that file, and the job fails exactly when there are error findings.

``.pre-commit-hooks.yaml``: PyPI's pre-commit runs the hook with ``pre-commit try-repo``
on a copy of this checkout (committed in a temp repository, so the hook is what a fresh
clone has), in a temp git repository: it passes on a clean go.sum and fails on a broken
one. pre-commit builds the hook's virtualenv with pip (the developer's pip configuration
and cache, PyPI otherwise, see ``packaging_support``); HOME, the XDG dirs and
PRE_COMMIT_HOME are in tmp.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gomod_doctor.demo import example
from gomod_doctor.demo.modules import make_writable
from gotool import GOROOT, isolated_env
from packaging_support import REPO, copy_checkout, tool_env
from sarif_support import assert_valid

WORKFLOW = REPO / "docs" / "ci" / "github-actions.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
GO_PATH = f"{GOROOT / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin"
GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]

# --------------------------------------------------------------------------- GitHub Actions


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    (job,) = workflow["jobs"].values()
    result: list[dict[str, Any]] = job["steps"]
    return result


def step_by(workflow: dict[str, Any], **match: str) -> dict[str, Any]:
    found = [
        s
        for s in steps(workflow)
        if all(re.fullmatch(v, str(s.get(k, ""))) for k, v in match.items())
    ]
    assert len(found) == 1, (match, found)
    return found[0]


def evaluate(condition: str | None, context: dict[str, str]) -> bool:
    """The few GitHub expressions the workflow's ``if:`` lines use: ``!cancelled()``,
    ``NAME == 'value'`` joined by ``&&``, in ``${{ }}`` or not."""
    if condition is None:
        return True
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    result = True
    for term in (t.strip() for t in text.split("&&")):
        if term == "!cancelled()":
            continue
        m = re.fullmatch(r"([\w.]+) == '([^']*)'", term)
        assert m is not None, f"unknown expression: {term}"
        result = result and context[m.group(1)] == m.group(2)
    return result


def test_workflow_installs_checks_uploads_and_fails(workflow: dict[str, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert set(triggers) == {"push", "pull_request"}
    assert workflow["permissions"]["security-events"] == "write"
    names = [s.get("uses", s.get("run", "")).split("@")[0].strip() for s in steps(workflow)]
    assert names[0] == "actions/checkout"
    install = step_by(workflow, run=r"pipx install gomod-doctor\s*")
    check = step_by(workflow, id="check")
    assert "gomod-doctor check --format sarif > gomod-doctor.sarif" in check["run"]
    upload = step_by(workflow, uses=r"github/codeql-action/upload-sarif@v\d+")
    assert upload["with"]["sarif_file"] == "gomod-doctor.sarif"
    fail = step_by(workflow, name="Fail on error findings")
    order = [steps(workflow).index(s) for s in (install, check, upload, fail)]
    assert order == sorted(order)


@pytest.mark.parametrize("broken", [True, False], ids=["broken", "repaired"])
def test_workflow_check_on_the_demo_workspace(
    workflow: dict[str, Any],
    validator: jsonschema.Draft4Validator,
    tmp_path: Path,
    broken: bool,
) -> None:
    root = tmp_path / "demo"
    root.mkdir()
    ex = example.build(root, path=GO_PATH, broken=broken)
    # gomod-doctor as `pipx install` puts it on PATH: this environment's console script.
    env = dict(ex.env)
    env["PATH"] = os.pathsep.join([sysconfig.get_path("scripts"), env["PATH"]])
    github_output = tmp_path / "github_output"
    github_output.write_text("")
    env["GITHUB_OUTPUT"] = str(github_output)

    check = step_by(workflow, id="check")
    assert check["shell"] == "bash"
    try:
        r = subprocess.run(
            [*GITHUB_BASH, "-c", check["run"]],
            cwd=ex.app,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        make_writable(root)
    assert r.returncode == 0, r.stdout + r.stderr
    outputs = dict(line.split("=", 1) for line in github_output.read_text().splitlines())
    assert outputs == {"status": "1" if broken else "0"}, r.stderr

    upload = step_by(workflow, uses=r"github/codeql-action/upload-sarif@v\d+")
    context = {"steps.check.outcome": "success", "steps.check.outputs.status": outputs["status"]}
    assert evaluate(upload.get("if"), context)
    sarif = json.loads((ex.app / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    assert_valid(validator, sarif)
    (run,) = sarif["runs"]
    results = {(res["ruleId"], res["level"]) for res in run["results"]}
    if broken:
        assert {
            ("cache-modified", "error"),
            ("cache-incomplete", "warning"),
            ("sum-mismatch", "error"),
            ("replace-missing", "error"),
            ("sum-conflict", "error"),
        } <= results, results
    else:
        assert not [res for res in run["results"] if res["level"] == "error"], results
        assert ("cache-modified", "error") not in results

    # The job fails exactly when the check found errors.
    fail = step_by(workflow, name="Fail on error findings")
    runs = evaluate(fail.get("if"), context)
    assert runs is broken
    r = subprocess.run([*GITHUB_BASH, "-c", fail["run"]], capture_output=True, text=True)
    assert r.returncode == 1 and "::error" in r.stdout


# --------------------------------------------------------------------------- pre-commit

MOD = "module example.com/{name}\n\ngo 1.22\n\nrequire golang.org/x/text v0.14.0\n"
SUM = (
    "golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=\n"
    "golang.org/x/text v0.14.0/go.mod h1:18ZOQIKpY8NJVqYksKHtTdi31H5itFRjB5/qKTNYzSU=\n"
)
# A merge that left its markers in go.sum (go: "unresolved git merge conflict"...).
CONFLICTED_SUM = "<<<<<<< HEAD\n" + SUM + "=======\n" + SUM + ">>>>>>> upgrade\n"


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    r = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """pre-commit's environment: HOME, XDG dirs, PRE_COMMIT_HOME (one for the module, so
    the hook's virtualenv is built once) and go's environment in tmp, no network for go."""
    base = tmp_path_factory.mktemp("pre-commit")
    env = tool_env(base / "home", PRE_COMMIT_HOME=str(base / "pre-commit-home"))
    go = isolated_env(base / "go")
    env.update({k: v for k, v in go.items() if k.startswith(("GO", "CGO_"))})
    # go's defaults for GOPROXY and GOSUMDB (never contacted: the hook runs --offline)
    env["GOPROXY"] = "https://proxy.golang.org,direct"
    env["GOSUMDB"] = "sum.golang.org"
    env["PATH"] = GO_PATH
    for who in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{who}_NAME"] = "gomod-doctor tests"
        env[f"GIT_{who}_EMAIL"] = "tests@example.invalid"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, hook_env: dict[str, str]) -> Path:
    """This checkout as a fresh clone has it, committed in a repository of its own."""
    repo = copy_checkout(tmp_path_factory.mktemp("hook-repo") / "gomod-doctor")
    git(repo, hook_env, "init", "-q")
    git(repo, hook_env, "add", "-A")
    git(repo, hook_env, "commit", "-q", "--no-gpg-sign", "-m", "gomod-doctor")
    return repo


def try_repo(
    hook_repo: Path, project: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(hook_repo),
            "gomod-doctor",
            "--all-files",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_hook_definition() -> None:
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert hook["id"] == "gomod-doctor"
    assert hook["language"] == "python"
    assert hook["files"] == r"(^|/)go\.(mod|sum|work)$"
    assert hook["entry"].split()[:2] == ["gomod-doctor", "check"]
    assert {"--offline", "--verify", "quick", "--dirs"} <= set(hook["entry"].split())
    pattern = re.compile(hook["files"])
    matched = ["go.mod", "go.sum", "go.work", "tools/go.mod", "a/b/go.sum"]
    assert all(pattern.search(p) for p in matched)
    assert not [
        p for p in ("go.work.sum", "xgo.mod", "go.mod.orig", "go.summary") if pattern.search(p)
    ]


def test_pre_commit_try_repo_passes_clean_and_fails_broken_go_sum(
    hook_repo: Path, hook_env: dict[str, str], tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "tools").mkdir(parents=True)
    (project / "go.mod").write_text(MOD.format(name="app"))
    (project / "go.sum").write_text(SUM)
    (project / "tools" / "go.mod").write_text(MOD.format(name="tools"))
    (project / "tools" / "go.sum").write_text(SUM)
    (project / "README.md").write_text("not a go file\n")
    git(project, hook_env, "init", "-q")
    git(project, hook_env, "add", "-A")

    clean = try_repo(hook_repo, project, hook_env)
    out = clean.stdout + clean.stderr
    assert clean.returncode == 0, out
    assert re.search(r"^gomod-doctor\.+Passed$", clean.stdout, re.M), out

    # a merge conflict left in the nested module's go.sum
    (project / "tools" / "go.sum").write_text(CONFLICTED_SUM)
    git(project, hook_env, "add", "-A")
    broken = try_repo(hook_repo, project, hook_env)
    out = broken.stdout + broken.stderr
    assert broken.returncode == 1, out
    assert re.search(r"^gomod-doctor\.+Failed$", broken.stdout, re.M), out
    assert "tools/go.sum:1:1: error[sum-conflict]: unresolved git merge conflict" in out, out
    # only the broken module has findings worth printing
    assert "error[" not in out.replace("tools/go.sum:1:1: error[sum-conflict]", "")


# --------------------------------------------------------------------------- the README

README = REPO / "README.md"


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_readme_in_ci_section_is_the_workflow() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", readme_section("In CI"), re.S)
    assert blocks == [WORKFLOW.read_text(encoding="utf-8")]


def test_readme_pre_commit_section_uses_the_hook() -> None:
    (block,) = re.findall(r"```yaml\n(.*?)```", readme_section("pre-commit"), re.S)
    (repo,) = yaml.safe_load(block)["repos"]
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert repo["hooks"] == [{"id": hook["id"]}]
    assert hook["entry"] in readme_section("pre-commit")


def test_readme_installation_leads_with_each_way_in() -> None:
    bullets = re.findall(r"^- \*\*(.+?)\*\*", readme_section("Installation"), re.M)
    assert bullets[:5] == [
        "VS Code",
        "The command line and other editors",
        "Neovim",
        "CI",
        "pre-commit",
    ]
    section = readme_section("Installation")
    for needle in (
        "pipx install gomod-doctor",
        ":checkhealth gomod_doctor",
        "(#in-ci)",
        "(#pre-commit)",
    ):
        assert needle in section, needle
