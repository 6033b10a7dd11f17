"""The VS Code extension end to end, in a real VS Code: code-server in Debian's chromium.

Each scenario starts code-server (from npm, on Node 24, served on 127.0.0.1) with a
temp user-data dir holding the settings, a temp extensions dir holding the
extension's .vsix, and every config/XDG dir of its own. The extension starts the
language server through ``gomodDoctor.server.path``: a wrapper script that runs
this checkout's ``gomod-doctor`` with the test's isolated Go environment (a real
module cache written by the real go, as in ``test_lsp_features.py``). The
Playwright driver (``tests/vscode_e2e/driver.mjs``, playwright-core with
``/usr/bin/chromium``) then uses the editor as a person would: opens go.mod, sees the
squiggle and the Problems entry, presses Ctrl+., picks the fix. Afterwards the real
go proves the effect (``go mod verify``, ``go mod edit -json``).

Everything they need is installed by ``scripts/setup_vscode_e2e.sh`` (idempotent,
cached in ``.e2e/``), which the session fixture runs. A setup that cannot run (no
root for apt, no npm registry) fails the tests with its output. Developers without
that setup can opt out with ``GOMOD_DOCTOR_SKIP_VSCODE_E2E=1`` (CI never sets it).

Screenshots and logs of each scenario are kept in ``.e2e/artifacts/<scenario>/``.
``GOMOD_DOCTOR_UPDATE_SCREENSHOTS=1`` also copies the README's two screenshots
(a diagnostic with its hover and the Problems panel; the quick-fix menu) into
``docs/screenshots/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from goproxy import (
    SAMPLE_REQUIRES,
    SAMPLE_TIDY_GO_MOD,
    CacheFixture,
    GoProxy,
    build_cache,
    make_writable_and_remove,
    sample_modules,
)
from gotool import GOROOT, isolated_env, run_go

ROOT = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = ROOT / "scripts" / "setup_vscode_e2e.sh"
E2E_DIR = Path(os.environ.get("GOMOD_DOCTOR_E2E_DIR") or ROOT / ".e2e")
ARTIFACTS = E2E_DIR / "artifacts"
DRIVER = ROOT / "tests" / "vscode_e2e" / "driver.mjs"
README_SHOTS = ROOT / "docs" / "screenshots"
README_SHOT_NAMES = ("vscode-diagnostic.png", "vscode-quickfix.png")
MAX_SHOT_BYTES = 200_000

SETUP_TIMEOUT = 1800.0  # a fresh machine: ~5 minutes; a slow registry: more
START_TIMEOUT = 90.0  # code-server listening
DRIVER_TIMEOUT = 300.0  # one scenario in the browser (~20 s when all is well)

pytestmark = pytest.mark.skipif(
    os.environ.get("GOMOD_DOCTOR_SKIP_VSCODE_E2E") == "1",
    reason="GOMOD_DOCTOR_SKIP_VSCODE_E2E=1 (a developer's opt-out; CI runs these)",
)

TIDY_GO_MOD = SAMPLE_TIDY_GO_MOD
ALPHA = ("example.com/alpha", "v1.0.0")


# --------------------------------------------------------------------------- setup


@dataclass(frozen=True)
class Setup:
    node: Path
    code_server: Path  # code-server's out/node/entry.js
    chromium: Path
    vsix: Path
    vsix_build: Path  # the copy of vscode-extension/ the .vsix was packaged in
    python_bin: Path  # holds only python3: the Python the install scenario finds on PATH
    wheelhouse: Path  # the server's dependencies as wheels, for that Python


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def e2e_setup() -> Setup:
    """Runs scripts/setup_vscode_e2e.sh (a second or two when all is installed)."""
    try:
        r = subprocess.run(
            ["bash", str(SETUP_SCRIPT)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=SETUP_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"{SETUP_SCRIPT} took over {SETUP_TIMEOUT:.0f} s:\n{_tail(out)}")
    if r.returncode != 0:
        pytest.fail(
            f"{SETUP_SCRIPT} failed (exit {r.returncode}): the VS Code end-to-end tests "
            f"need it (GOMOD_DOCTOR_SKIP_VSCODE_E2E=1 opts a developer out).\n"
            f"{_tail(r.stdout, 30)}\n{_tail(r.stderr)}"
        )
    info = json.loads((E2E_DIR / "setup.json").read_text())
    setup = Setup(
        node=Path(info["node"]),
        code_server=Path(info["codeServerEntry"]),
        chromium=Path(info["chromium"]),
        vsix=Path(info["vsix"]),
        vsix_build=Path(info["vsixBuild"]),
        python_bin=Path(info["pythonBin"]),
        wheelhouse=Path(info["wheelhouse"]),
    )
    for p in (
        setup.node,
        setup.code_server,
        setup.chromium,
        setup.vsix,
        setup.python_bin / "python3",
    ):
        assert p.exists(), f"{p} is missing after {SETUP_SCRIPT}:\n{r.stdout}"
    return setup


def _code_server_env(home: Path, setup: Setup) -> dict[str, str]:
    """code-server's own environment: nothing of the user's (no ~/.config writes)."""
    env = {
        "PATH": f"{setup.node.parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(home / "home"),
        "XDG_CONFIG_HOME": str(home / "xdg" / "config"),
        "XDG_DATA_HOME": str(home / "xdg" / "data"),
        "XDG_CACHE_HOME": str(home / "xdg" / "cache"),
        "XDG_STATE_HOME": str(home / "xdg" / "state"),
        "XDG_RUNTIME_DIR": str(home / "xdg" / "runtime"),
        "LANG": "C.UTF-8",
        "TMPDIR": str(home / "tmp"),
        # no marketplace: nothing to look up, nothing to update
        "EXTENSIONS_GALLERY": "{}",
    }
    for key in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    Path(env["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    Path(env["TMPDIR"]).mkdir(parents=True, exist_ok=True)
    return env


@pytest.fixture(scope="session")
def extensions_dir(e2e_setup: Setup, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An extensions dir with the freshly built gomod-doctor .vsix installed."""
    base = tmp_path_factory.mktemp("vscode-extensions")
    ext = base / "extensions"
    env = _code_server_env(base / "install-home", e2e_setup)
    cmd = [
        str(e2e_setup.node),
        str(e2e_setup.code_server),
        "--config",
        str(base / "config.yaml"),
        "--user-data-dir",
        str(base / "user-data"),
        "--extensions-dir",
        str(ext),
        "--install-extension",
        str(e2e_setup.vsix),
    ]
    r = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert r.returncode == 0 and "successfully installed" in r.stdout, (
        f"code-server --install-extension failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    )
    assert list(ext.glob("gomod-doctor.gomod-doctor-*/package.json")), list(ext.iterdir())
    return ext


# --------------------------------------------------------------------------- processes


def _kill_group(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """SIGTERM the process group (the process was started in a session of its own),
    then SIGKILL whatever is left of it."""
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        pgid = proc.pid
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # the leader is gone; its children (extension host, language server) may not be
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.05)
        if not _group_alive(pgid):
            return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_for(cond: Callable[[], bool], timeout: float, what: str, step: float = 0.05) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(step)
    if not cond():
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Editor:
    """A running code-server with its own user data, and where its logs are."""

    url: str
    user_data: Path
    log: Path
    server_starts: Path  # one line per language server the extension started

    def extension_logs(self) -> str:
        out = []
        for f in sorted(self.user_data.glob("logs/*/exthost*/gomod-doctor.gomod-doctor/*.log")):
            out.append(f"--- {f.relative_to(self.user_data)}\n{f.read_text(errors='replace')}")
        for f in sorted(self.user_data.glob("logs/*/exthost*/remoteexthost.log")):
            out.append(
                f"--- {f.relative_to(self.user_data)}\n{_tail(f.read_text(errors='replace'), 40)}"
            )
        return "\n".join(out) or "(no extension log)"


def _write_wrapper(path: Path, go_env: dict[str, str], starts: Path) -> None:
    """``gomodDoctor.server.path``: this checkout's gomod-doctor in the isolated Go env."""
    exe = Path(sys.executable).parent / "gomod-doctor"
    server = [str(exe)] if exe.exists() else [sys.executable, "-m", "gomod_doctor"]
    env = {
        **go_env,
        "PYTHONPATH": str(ROOT / "server"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "GOMOD_DOCTOR_LOG": os.environ.get("GOMOD_DOCTOR_LOG", "WARNING"),
        "LANG": "C.UTF-8",
    }
    assigns = " ".join(shlex.quote(f"{k}={v}") for k, v in sorted(env.items()))
    path.write_text(
        "#!/bin/sh\n"
        "# Written by tests/test_vscode_e2e.py: the language server in the test's Go env.\n"
        f'echo "$$ $*" >> {shlex.quote(str(starts))}\n'
        f'exec env -i {assigns} {" ".join(shlex.quote(a) for a in server)} "$@"\n'
    )
    path.chmod(0o755)


@contextlib.contextmanager
def code_server(
    setup: Setup,
    extensions: Path,
    base: Path,
    *,
    go_env: dict[str, str],
    settings: dict[str, Any],
    trust: bool = False,
    server_path: bool = True,
    env: dict[str, str] | None = None,
) -> Iterator[Editor]:
    """code-server on 127.0.0.1 (an ephemeral port) in a session of its own.

    ``settings`` are the user settings (besides the quiet defaults);
    ``gomodDoctor.server.path`` goes into the machine settings, where a remote
    window (code-server's) reads machine-scoped settings. ``trust``: workspace
    trust on (the folder opens in Restricted Mode), else --disable-workspace-trust.
    ``server_path=False``: no such setting (and ``go_env`` unused): the extension
    looks for a server itself. ``env``: added to code-server's environment (the
    extension host's, and so the language server's and pip's).
    """
    user_data = base / "user-data"
    (user_data / "User").mkdir(parents=True)
    (user_data / "Machine").mkdir(parents=True)
    wrapper = base / "bin" / "gomod-doctor-test"
    wrapper.parent.mkdir(parents=True)
    starts = base / "server-starts.log"
    starts.touch()
    _write_wrapper(wrapper, go_env, starts)
    user = {
        "telemetry.telemetryLevel": "off",
        "chat.disableAIFeatures": True,
        "extensions.autoUpdate": False,
        "extensions.autoCheckUpdates": False,
        "extensions.ignoreRecommendations": True,
        "update.mode": "none",
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "workbench.colorTheme": "Default Dark Modern",
        "workbench.secondarySideBar.defaultVisibility": "hidden",
        "git.enabled": False,
        "remote.autoForwardPorts": False,
        "editor.minimap.enabled": False,
        "editor.fontSize": 14,
        "window.commandCenter": False,
        "security.workspace.trust.startupPrompt": "never",
        "security.workspace.trust.untrustedFiles": "open",
        **settings,
    }
    (user_data / "User" / "settings.json").write_text(json.dumps(user, indent=2))
    machine = {"gomodDoctor.server.path": str(wrapper)} if server_path else {}
    (user_data / "Machine" / "settings.json").write_text(json.dumps(machine, indent=2))
    cs_env = {**_code_server_env(base / "cs-home", setup), **(env or {})}
    log = base / "code-server.log"
    cmd = [
        str(setup.node),
        str(setup.code_server),
        "--config",
        str(base / "config.yaml"),
        "--auth",
        "none",
        "--bind-addr",
        "127.0.0.1:0",
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-getting-started-override",
        "--user-data-dir",
        str(user_data),
        "--extensions-dir",
        str(extensions),
    ]
    if not trust:
        cmd.append("--disable-workspace-trust")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            env=cs_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # setsid: the whole group is killed at the end
        )
    editor: Editor | None = None
    try:
        url: list[str] = []

        def listening() -> bool:
            if proc.poll() is not None:
                raise AssertionError(
                    f"code-server exited ({proc.returncode}) before listening:\n{log.read_text()}"
                )
            m = re.search(r"HTTP server listening on (http://127\.0\.0\.1:\d+)/", log.read_text())
            if m:
                url.append(m.group(1))
            return bool(m)

        _wait_for(listening, START_TIMEOUT, f"code-server to listen (log: {log})")
        editor = Editor(url=url[0], user_data=user_data, log=log, server_starts=starts)
        yield editor
    finally:
        _kill_group(proc)


@dataclass
class Artifacts:
    dir: Path

    def keep(self, editor: Editor) -> None:
        """Copy the logs next to the screenshots."""
        shutil.copy(editor.log, self.dir / "code-server.log")
        (self.dir / "extension.log").write_text(editor.extension_logs())


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Artifacts:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    d = ARTIFACTS / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return Artifacts(d)


def drive(
    setup: Setup,
    editor: Editor,
    artifacts: Artifacts,
    scenario: str,
    timeout: float = DRIVER_TIMEOUT,
    **params: Any,
) -> dict[str, Any]:
    """Runs one scenario of driver.mjs against ``editor``; its result JSON.

    On failure: the driver's output, code-server's log and the extension's output
    channel (the language server's stderr) are in the assertion message."""
    config = {
        "scenario": scenario,
        "url": editor.url,
        "chromium": str(setup.chromium),
        "artifacts": str(artifacts.dir),
        "timeoutMs": int((timeout - 10) * 1000),
        **params,
    }
    cfg_path = artifacts.dir / "config.json"
    cfg_path.write_text(json.dumps(config, indent=2))
    result_path = artifacts.dir / "result.json"
    home = Path(tempfile.mkdtemp(prefix="driver-home-"))
    out_path = artifacts.dir / "driver.log"
    started = time.monotonic()
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            [str(setup.node), str(DRIVER), str(cfg_path)],
            cwd=DRIVER.parent,
            env={
                "PATH": f"{setup.node.parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
                "HOME": str(home),
                "LANG": "C.UTF-8",
                "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
            },
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # chromium too: killed with the group
        )
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            _kill_group(proc)
    elapsed = time.monotonic() - started
    shutil.rmtree(home, ignore_errors=True)
    artifacts.keep(editor)
    if code != 0 or not result_path.exists():
        why = "timed out" if code is None else f"exited {code}"
        pytest.fail(
            f"the VS Code driver ({scenario}) {why} after {elapsed:.1f} s; screenshots and logs "
            f"in {artifacts.dir}\n--- driver\n{_tail(out_path.read_text(errors='replace'), 80)}\n"
            f"--- code-server\n{_tail(editor.log.read_text(errors='replace'), 40)}\n"
            f"--- extension output\n{_tail(editor.extension_logs(), 80)}"
        )
    result: dict[str, Any] = json.loads(result_path.read_text())
    result["elapsed"] = elapsed
    print(f"{scenario}: {elapsed:.1f} s in the browser")
    return result


# --------------------------------------------------------------------------- workspaces


@dataclass
class Ws:
    fx: CacheFixture

    @property
    def dir(self) -> Path:
        return self.fx.workspace

    def go(self, *args: str) -> tuple[int, str]:
        r = run_go(list(args), self.dir, self.fx.env_with(GOFLAGS="-mod=readonly"))
        return r.returncode, r.stdout + r.stderr

    def alpha_dir(self) -> Path:
        return self.fx.gomodcache / f"{ALPHA[0]}@{ALPHA[1]}"


@pytest.fixture
def modified_ws(cache_store: Path) -> Iterator[Ws]:
    """The sample workspace with a dependency file edited in its module cache, then
    built (the user's path: go builds with the edit, silently, and its module index
    in GOCACHE lists the edited dir's files, extra.go included).

    It lives under a short /tmp/gmd-* path (not pytest's long one): the paths show
    in the hover and the Problems panel of the README's screenshots."""
    base = Path(tempfile.mkdtemp(prefix="gmd-", dir="/tmp"))
    try:
        ws = Ws(build_cache(base / "ws", sample_modules(), SAMPLE_REQUIRES, store=cache_store))
        (ws.dir / "go.mod").write_text(TIDY_GO_MOD)
        assert ws.go("mod", "verify") == (0, "all modules verified\n")
        # Never built before the edit: go's module index (in GOCACHE) of alpha's dir
        # then lists extra.go, and go build passes after "Redownload" only because the
        # fix drops that index entry too (go keys it by the dir's path alone).
        ext = ws.alpha_dir()
        for p in (ext, ext / "alpha.go"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        (ext / "alpha.go").write_text("package alpha\n\nfunc A() int { return 2 }\n")
        (ext / "extra.go").write_text("package alpha\n")
        assert ws.go("build", "./...") == (0, "")  # go builds with the edit, silently
        code, out = ws.go("mod", "verify")
        assert code == 1 and "example.com/alpha v1.0.0: dir has been modified" in out, out
        yield ws
    finally:
        make_writable_and_remove(base)


# --------------------------------------------------------------------------- scenarios


def test_cache_modified_squiggle_problems_and_redownload(
    e2e_setup: Setup,
    extensions_dir: Path,
    modified_ws: Ws,
    artifacts: Artifacts,
    tmp_path: Path,
) -> None:
    """The cache-modified error shows in the editor and in Problems; Ctrl+. offers
    "Redownload"; running it clears the diagnostic and go verifies the cache."""
    ws = modified_ws
    with (
        GoProxy(sample_modules()) as proxy,
        code_server(
            e2e_setup,
            extensions_dir,
            tmp_path / "vscode",
            # GOPROXY=off in the server's environment: the proxy comes from gomodDoctor.env,
            # so the redownload also proves the settings reach the server.
            go_env=ws.fx.env,
            # No gomodDoctor.verify: the default (full, in the background) is what sees
            # an edited file in the module cache. GOSUMDB=off (the isolated env's) would
            # add an insecure-setting note: turned off through
            # gomodDoctor.diagnostics.severity, a setting the server must get too.
            settings={
                "gomodDoctor.env": {"GOPROXY": proxy.url},
                "gomodDoctor.diagnostics.severity": {"insecure-setting": "off"},
            },
        ) as editor,
    ):
        user = json.loads((editor.user_data / "User" / "settings.json").read_text())
        assert not any(k.startswith("gomodDoctor.verify") for k in user), user
        result = drive(
            e2e_setup,
            editor,
            artifacts,
            "cache-modified",
            folder=str(ws.dir),
            file="go.mod",
            line="example.com/alpha v1.0.0",
            problem="cache-modified",
            hoverText="Changed files",
            fix=f"Redownload {ALPHA[0]}@{ALPHA[1]}",
            readmeShots=list(README_SHOT_NAMES),
        )
        assert proxy.requests, "the redownload never asked the proxy"
        assert any(r.endswith("alpha/@v/v1.0.0.zip") for r in proxy.requests), proxy.requests
    # One entry in the Problems panel, on the require line (line 7, after the tab).
    (problem,) = result["problemsBefore"]
    assert "example.com/alpha v1.0.0: dir has been modified" in problem, problem
    assert "edited alpha.go, added extra.go" in problem and "[Ln 7, Col 2]" in problem, problem
    assert result["fixes"][0] == f"Redownload {ALPHA[0]}@{ALPHA[1]}", result["fixes"]
    assert "Changed files" in result["hover"], result["hover"]
    assert result["squigglesAfter"] == 0 and result["problemsAfter"] == [], result
    assert len(editor.server_starts.read_text().splitlines()) == 1
    # The cache is whole again: go agrees, offline.
    assert ws.go("mod", "verify") == (0, "all modules verified\n")
    assert not (ws.alpha_dir() / "extra.go").exists()
    # go's module index of the dir was dropped with it: the build reads the dir anew.
    code, out = ws.go("build", "./...")
    assert (code, out) == (0, ""), out
    _check_readme_shots(artifacts)


def _check_readme_shots(artifacts: Artifacts) -> None:
    for name in README_SHOT_NAMES:
        shot = artifacts.dir / name
        assert shot.exists(), f"the driver wrote no {name}"
        assert shot.stat().st_size < MAX_SHOT_BYTES, (name, shot.stat().st_size)
        if os.environ.get("GOMOD_DOCTOR_UPDATE_SCREENSHOTS") == "1":
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, README_SHOTS / name)


REPLACE_GO_MOD = """module example.com/app

go 1.21

require (
\texample.com/alpha v1.0.0 // ünïcode 😀
\texample.com/beta v1.2.0
)
"""
WITH_REPLACE = REPLACE_GO_MOD + "\nreplace example.com/alpha => ../alpha\n"


def test_local_replace_toggles_edit_go_mod(
    e2e_setup: Setup, extensions_dir: Path, artifacts: Artifacts, tmp_path: Path
) -> None:
    """Ctrl+. "Use local checkout ../alpha" adds the replace; Ctrl+. "Disable local
    replace" comments it out; the palette's "Enable all local replaces" brings it
    back; the saved go.mod is what go reads."""
    app = tmp_path / "project" / "app"
    app.mkdir(parents=True)
    (app / "go.mod").write_text(REPLACE_GO_MOD)
    alpha = tmp_path / "project" / "alpha"
    alpha.mkdir()
    (alpha / "go.mod").write_text("module example.com/alpha\n\ngo 1.21\n")
    go_env = isolated_env(tmp_path / "goenv")
    with code_server(
        e2e_setup,
        extensions_dir,
        tmp_path / "vscode",
        go_env=go_env,
        settings={"gomodDoctor.verify": "off", "gomodDoctor.network": "off"},
    ) as editor:
        result = drive(
            e2e_setup,
            editor,
            artifacts,
            "local-replace",
            folder=str(app),
            file="go.mod",
            requireLine="example.com/alpha v1.0.0",
            use="Use local checkout ../alpha",
            replaceLine="replace example.com/alpha => ../alpha",
            disable="Disable local replace",
            enableAll="gomod-doctor: Enable all local replaces",
        )
    assert result["afterUse"] == WITH_REPLACE
    assert result["afterDisable"] == WITH_REPLACE.replace("\nreplace ", "\n// replace ")
    assert result["afterEnableAll"] == WITH_REPLACE
    assert (app / "go.mod").read_text(encoding="utf-8") == WITH_REPLACE
    r = run_go(["mod", "edit", "-json"], app, go_env)
    assert r.returncode == 0, r.stderr
    replaces = json.loads(r.stdout)["Replace"]
    assert [(x["Old"]["Path"], x["New"]["Path"]) for x in replaces] == [
        ("example.com/alpha", "../alpha")
    ]


def test_untrusted_workspace_diagnoses_but_offers_no_redownload(
    e2e_setup: Setup,
    extensions_dir: Path,
    modified_ws: Ws,
    artifacts: Artifacts,
    tmp_path: Path,
) -> None:
    """Workspace trust on, the folder not trusted: Restricted Mode. The server runs
    with trusted: false: the diagnostic shows, Ctrl+. offers no "Redownload", and
    the module cache is left as it was."""
    ws = modified_ws
    with code_server(
        e2e_setup,
        extensions_dir,
        tmp_path / "vscode",
        go_env=ws.fx.env,
        settings={
            "gomodDoctor.diagnostics.severity": {"insecure-setting": "off"}
        },  # verify: default
        trust=True,
    ) as editor:
        result = drive(
            e2e_setup,
            editor,
            artifacts,
            "untrusted",
            folder=str(ws.dir),
            file="go.mod",
            line="example.com/alpha v1.0.0",
            problem="cache-modified",
            absent="Redownload",
        )
    assert result["restricted"] is True
    # Ctrl+. offers nothing here: "No code actions available" (the server offers only
    # "Verify all now", a source action, untrusted).
    assert result["fixes"] == [], result["fixes"]
    # The server's own status (the status bar item) says it runs untrusted.
    assert any(
        "untrusted workspace: gomod-doctor sends no request" in t for t in result["statusBar"]
    ), result["statusBar"]
    code, out = ws.go("mod", "verify")
    assert code == 1 and "dir has been modified" in out, out
    assert (ws.alpha_dir() / "extra.go").exists()


# --------------------------------------------------------------------------- the bundled server

EXTENSION_ID = "gomod-doctor.gomod-doctor"
INSTALL_TIMEOUT = 360.0  # the driver: venv + pip install from the wheelhouse (~25 s) + the check
OFFER = "Install the gomod-doctor server"


def _vsix_wheel(vsix: Path) -> tuple[str, bytes]:
    """The server's wheel inside the .vsix: its name and bytes."""
    with zipfile.ZipFile(vsix) as z:
        (name,) = [n for n in z.namelist() if re.fullmatch(r"extension/bundled/[^/]+\.whl", n)]
        return name.rsplit("/", 1)[1], z.read(name)


def test_install_the_bundled_server_when_none_is_found(
    e2e_setup: Setup,
    extensions_dir: Path,
    modified_ws: Ws,
    artifacts: Artifacts,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """No gomod-doctor anywhere (no setting, no Python extension, none on PATH): the
    extension offers to install the server its VSIX bundles; "Install" makes a venv
    in its global storage with the python3 on PATH, pip-installs the bundled wheel
    (the dependencies from a local wheelhouse, through the pip configuration in the
    environment: PIP_NO_INDEX, PIP_FIND_LINKS), starts it, and the cache-modified
    diagnostic appears."""
    ws = modified_ws
    short_tmp = Path(tempfile.mkdtemp(prefix="gmd-tmp-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(short_tmp, ignore_errors=True))
    path_dirs = [
        e2e_setup.node.parent,
        e2e_setup.python_bin,
        GOROOT / "bin",
        Path("/usr/bin"),
        Path("/bin"),
    ]
    for d in path_dirs:
        assert not (d / "gomod-doctor").exists(), (
            f"{d} has a gomod-doctor: the test needs none on PATH"
        )
    env = {
        # the go environment of the workspace's module cache (what the wrapper passes in
        # the other scenarios), here in the environment the server inherits
        **{k: v for k, v in ws.fx.env.items() if k.startswith(("GO", "CGO_"))},
        "PATH": os.pathsep.join(map(str, path_dirs)),
        "GOMOD_DOCTOR_LOG": os.environ.get("GOMOD_DOCTOR_LOG", "WARNING"),
        # the user's pip configuration: the wheelhouse, never an index
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(e2e_setup.wheelhouse),
        "PIP_CONFIG_FILE": os.devnull,
        # code-server would take PATH from a login shell (Debian's /etc/profile resets
        # it); as when VS Code is started from a terminal, the environment is kept
        "VSCODE_CLI": "1",
        # short: the server's worker processes put AF_UNIX sockets in it (108 bytes)
        "TMPDIR": str(short_tmp),
    }
    wheel_name, wheel_bytes = _vsix_wheel(e2e_setup.vsix)
    version = json.loads((ROOT / "vscode-extension" / "package.json").read_text())["version"]
    assert wheel_name == f"gomod_doctor-{version}-py3-none-any.whl"
    with code_server(
        e2e_setup,
        extensions_dir,
        tmp_path / "vscode",
        go_env=ws.fx.env,
        settings={"gomodDoctor.diagnostics.severity": {"insecure-setting": "off"}},
        server_path=False,
        env=env,
    ) as editor:
        result = drive(
            e2e_setup,
            editor,
            artifacts,
            "install",
            timeout=INSTALL_TIMEOUT,
            folder=str(ws.dir),
            file="go.mod",
            line="example.com/alpha v1.0.0",
            problem="cache-modified",
            offer=OFFER,
            install="Install",
            progress="installing the language server",
            installWaitMs=int((INSTALL_TIMEOUT - 60) * 1000),
        )
        logs = editor.extension_logs()
    assert OFFER in result["offer"], result["offer"]
    (problem,) = result["problems"]
    assert "example.com/alpha v1.0.0: dir has been modified" in problem, problem
    assert "[Ln 7, Col 2]" in problem, problem
    # No warning or error toast besides (the versions agree: no handshake warning).
    assert not [n for n in result["notifications"] if "gomod-doctor" in n and OFFER not in n], (
        result
    )
    # The environment in the extension's global storage, from the bundled wheel, made
    # with the python3 on PATH.
    managed = editor.user_data / "User" / "globalStorage" / EXTENSION_ID / "server"
    marker = json.loads((managed / "installed.json").read_text())
    assert marker["version"] == version
    assert marker["wheel"] == wheel_name
    assert marker["sha256"] == hashlib.sha256(wheel_bytes).hexdigest()
    assert Path(marker["python"]).resolve() == (e2e_setup.python_bin / "python3").resolve()
    venv_python = managed / "venv" / "bin" / "python"
    r = subprocess.run(
        [
            str(venv_python),
            "-c",
            "import gomod_doctor; print(gomod_doctor.__version__, gomod_doctor.__file__)",
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=True,
    )
    got_version, where = r.stdout.split()
    assert got_version == version
    assert Path(where).is_relative_to(managed / "venv"), where  # not this checkout
    # pip took the wheel from the extension and the dependencies from the wheelhouse
    # (its output is in the output channel); the server started from that venv and
    # reported its version.
    assert f"Looking in links: {e2e_setup.wheelhouse}" in logs, logs
    assert re.search(
        rf"Processing .*/extensions/{EXTENSION_ID}-{re.escape(version)}/bundled/{re.escape(wheel_name)}",
        logs,
    ), logs
    assert "Successfully installed" in logs and f"gomod-doctor-{version}" in logs, logs
    assert (
        f"{managed}/venv/bin/gomod-doctor serve (from the environment this extension installed)"
        in logs
    ), logs
    assert f"server gomod-doctor {version}; extension {version}" in logs, logs


# --------------------------------------------------------------------------- the package

# What the extension needs at run time, and what the Marketplace shows: nothing else.
VSIX_FILES = [
    "CHANGELOG.md",
    "LICENSE",
    "README.md",
    "bundled/gomod_doctor-{version}-py3-none-any.whl",
    "dist/extension.js",
    "images/icon.png",
    "language/go.mod.language-configuration.json",
    "package.json",
]
MAX_VSIX_BYTES = 3 * 1024 * 1024


def _in_vsix_build(setup: Setup, *cmd: str) -> subprocess.CompletedProcess[str]:
    """Runs ``cmd`` in the folder the .vsix was packaged in (its node_modules are
    there), with Node 24 and the setup's python3 first on PATH."""
    return subprocess.run(
        list(cmd),
        cwd=setup.vsix_build,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PATH": os.pathsep.join(
                map(str, [setup.node.parent, setup.python_bin, "/usr/bin", "/bin"])
            ),
            "HOME": str(setup.vsix_build),
            "npm_config_update_notifier": "false",
        },
    )


def test_vsix_holds_only_what_the_extension_needs(e2e_setup: Setup) -> None:
    """``vsce ls`` (in the folder the .vsix was packaged in) lists exactly the files
    the extension needs, and the .vsix holds them, in at most 3 MB."""
    version = json.loads((ROOT / "vscode-extension" / "package.json").read_text())["version"]
    r = _in_vsix_build(
        e2e_setup, "node", "node_modules/@vscode/vsce/vsce", "ls", "--no-dependencies"
    )
    assert r.returncode == 0, r.stdout + r.stderr
    want = sorted(f.format(version=version) for f in VSIX_FILES)
    assert sorted(r.stdout.split()) == want
    size = e2e_setup.vsix.stat().st_size
    assert size <= MAX_VSIX_BYTES, f"{e2e_setup.vsix}: {size} bytes"
    with zipfile.ZipFile(e2e_setup.vsix) as z:
        inside = sorted(
            n.removeprefix("extension/") for n in z.namelist() if n.startswith("extension/")
        )
    # vsce renames these three in the package
    renamed = {"LICENSE": "LICENSE.txt", "README.md": "readme.md", "CHANGELOG.md": "changelog.md"}
    assert inside == sorted(renamed.get(f, f) for f in want)
    # the wheel holds the server's package and nothing of the tests or the extension
    _, wheel = _vsix_wheel(e2e_setup.vsix)
    with zipfile.ZipFile(io.BytesIO(wheel)) as w:
        tops = {n.split("/", 1)[0] for n in w.namelist()}
    assert tops == {"gomod_doctor", f"gomod_doctor-{version}.dist-info"}, tops


def test_extension_unit_tests(e2e_setup: Setup) -> None:
    """The extension's own unit tests (``npm test``: TypeScript under plain Node), in
    the packaging copy (its node_modules are there)."""
    r = _in_vsix_build(e2e_setup, "npm", "test", "--silent")
    assert r.returncode == 0, _tail(r.stdout, 80) + r.stderr
    assert re.search(r"^(#|ℹ) fail 0$", r.stdout, re.M), _tail(r.stdout)
    assert re.search(r"^(#|ℹ) pass [1-9]", r.stdout, re.M), _tail(r.stdout)
