"""``gomod-doctor watch -- go run .``: real go, real processes.

A small HTTP server module (``example.com/app``, run with ``go run .``) with a local
``replace`` of ``example.com/lib`` to a sibling directory. Its answer is
``<lib.Text()> <pid> <ppid>``: the text shows what was built, the pids which process
answers (the server, and ``go run`` above it). Every test has its own copy of the
two modules; the go build cache is shared by the tests of this file (built once).
Nothing is timed: every wait polls with a generous timeout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gomod_doctor.config import ConfigError, WatchConfig, load_file
from gomod_doctor.fswatch.roots import Root
from gomod_doctor.hotreload.rules import Embed, Rules, classify
from gomod_doctor.watchset import Targets, embed_patterns
from gotool import GO, isolated_env, run_go

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups: POSIX only")

TIMEOUT = 90.0  # seconds: a go build on a loaded machine
QUIET = 2.0  # seconds to watch for a restart that must not come

MAIN_GO = """package main

import (
	"fmt"
	"net/http"
	"os"

	"example.com/lib"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %d %d\\n", lib.Text(), os.Getpid(), os.Getppid())
	})
	fmt.Println("serving", os.Getpid())
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
"""

APP_GO_MOD = """module example.com/app

go 1.22

require example.com/lib v0.0.0

replace example.com/lib => ../lib
"""


def lib_go(text: str, package: str = "lib") -> str:
    return f'package {package}\n\nfunc Text() string {{ return "{text}" }}\n'


def write_modules(root: Path) -> Path:
    app, lib = root / "app", root / "lib"
    app.mkdir(parents=True)
    lib.mkdir()
    (app / "go.mod").write_text(APP_GO_MOD)
    (app / "main.go").write_text(MAIN_GO)
    (lib / "go.mod").write_text("module example.com/lib\n\ngo 1.22\n")
    (lib / "lib.go").write_text(lib_go("v1"))
    return app


@pytest.fixture(scope="module")
def go_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An isolated go environment whose build cache holds net/http (built once)."""
    base = tmp_path_factory.mktemp("watchenv")
    app = write_modules(base / "warm")
    out = run_go(["build", "-o", os.devnull, "."], app, isolated_env(base / "env"), timeout=600)
    assert out.returncode == 0, out.stderr
    return base / "env"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            return "\nState:\tZ" not in f.read()
    except FileNotFoundError:
        return False
    except OSError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 0)
            return True
        return False


class Session:
    """``gomod-doctor watch`` running in ``app``; its output collected by threads."""

    def __init__(self, app: Path, env: dict[str, str], *args: str) -> None:
        self.app = app
        self.port = free_port()
        self.env = {**env, "PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
        self.out: list[str] = []
        self.err: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gomod_doctor", "watch", *args, "--", GO, "run", "."],
            cwd=app,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a process group of its own, as a shell's job
        )
        for stream, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._read, args=(stream, into), daemon=True).start()

    @staticmethod
    def _read(stream: object, into: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append(line.rstrip("\n"))

    def transcript(self) -> str:
        return "stdout:\n" + "\n".join(self.out) + "\nstderr:\n" + "\n".join(self.err)

    def wait_for(self, what: str, pred: Callable[[], object], timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}\n{self.transcript()}")

    def get(self) -> str | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=5) as r:
                return str(r.read().decode().strip())
        except OSError:
            return None

    def answer(self, text: str) -> tuple[int, int]:
        """Wait until the server answers with ``text``: its pid and ppid."""
        got: list[str] = []

        def ok() -> bool:
            a = self.get()
            if a is not None and a.split()[0] == text:
                got.append(a)
                return True
            return False

        self.wait_for(f"the server answering {text!r}", ok)
        _, pid, ppid = got[-1].split()
        return int(pid), int(ppid)

    def restarts(self) -> int:
        return sum("restarted in" in line for line in self.err)

    def servings(self) -> int:
        return sum(line.startswith("serving ") for line in self.out)

    def watching(self) -> int:
        return sum(": watching " in line for line in self.err)

    def started(self) -> tuple[int, int]:
        """Wait for the first server and for the watches: its pid and ppid."""
        pids = self.answer("v1")
        self.wait_for("the watches", lambda: self.watching() > 0)
        return pids

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


@pytest.fixture
def session(tmp_path: Path, go_base: Path) -> Iterator[Callable[..., Session]]:
    env = isolated_env(go_base)
    made: list[Session] = []

    def start(*args: str, config: str | None = None) -> Session:
        app = write_modules(tmp_path)
        if config is not None:
            (app / "gomod-doctor.toml").write_text(config)
        s = Session(app, env, *args)
        made.append(s)
        return s

    yield start
    for s in made:
        s.stop()


def test_edit_in_replace_target_restarts(session: Callable[..., Session]) -> None:
    s = session()
    pid, _ = s.started()
    (s.app.parent / "lib" / "lib.go").write_text(lib_go("v2"))
    new_pid, _ = s.answer("v2")
    assert new_pid != pid
    s.wait_for("the status line", lambda: s.restarts() == 1)
    line = next(x for x in s.err if "restarted in" in x)
    assert "lib.go modified" in line and "check: ok" in line


def test_twenty_rapid_saves_restart_once(session: Callable[..., Session]) -> None:
    s = session()
    s.started()
    lib = s.app.parent / "lib" / "lib.go"
    for i in range(2, 22):
        lib.write_text(lib_go(f"v{i}"))
    s.answer("v21")
    time.sleep(QUIET)  # room for a second restart, which must not come
    assert s.restarts() == 1, s.transcript()
    assert s.servings() == 2, s.transcript()


def test_vendor_and_editor_files_restart_nothing(session: Callable[..., Session]) -> None:
    s = session()
    pid, _ = s.started()
    (s.app / "vendor").mkdir()
    (s.app / "vendor" / "x.go").write_text("package x\n")
    (s.app / ".main.go.swp").write_text("swap")
    (s.app / "main.go~").write_text(MAIN_GO)
    (s.app / "4913").write_text("")
    (s.app.parent / "lib" / ".#lib.go").write_text("lock")
    time.sleep(QUIET)
    assert s.restarts() == 0, s.transcript()
    assert s.answer("v1")[0] == pid
    # the watcher was listening all along: a real change restarts (those files aside)
    (s.app.parent / "lib" / "lib.go").write_text(lib_go("v2"))
    s.answer("v2")
    s.wait_for("the status line", lambda: s.restarts() == 1)
    line = next(x for x in s.err if "restarted in" in x)
    assert "vendor" not in line and "swp" not in line and "4913" not in line


def test_sum_conflict_keeps_the_old_server(session: Callable[..., Session]) -> None:
    s = session()
    pid, _ = s.started()
    gosum = s.app / "go.sum"
    gosum.write_text("<<<<<<< HEAD\n=======\n>>>>>>> theirs\n")
    s.wait_for("the sum-conflict finding", lambda: any("[sum-conflict]" in x for x in s.err))
    s.wait_for("the verdict", lambda: any("old process kept" in x for x in s.err))
    assert s.answer("v1")[0] == pid
    assert s.restarts() == 0
    gosum.write_text("")
    s.wait_for("a restart", lambda: s.restarts() == 1)
    assert s.answer("v1")[0] != pid


def test_replace_target_moved_away_keeps_the_old_server(
    session: Callable[..., Session],
) -> None:
    s = session()
    pid, _ = s.started()
    lib = s.app.parent / "lib"
    lib.rename(s.app.parent / "lib.moved")
    s.wait_for("the replace-missing finding", lambda: any("[replace-missing]" in x for x in s.err))
    s.wait_for("the verdict", lambda: any("old process kept" in x for x in s.err))
    assert s.answer("v1")[0] == pid
    assert s.restarts() == 0
    assert alive(pid)


def test_a_new_replace_is_followed(session: Callable[..., Session]) -> None:
    s = session()
    s.started()
    lib2 = s.app.parent / "lib2"
    lib2.mkdir()
    (lib2 / "go.mod").write_text("module example.com/lib2\n\ngo 1.22\n")
    (lib2 / "lib2.go").write_text(lib_go("w1", "lib2"))
    watching = s.watching()
    (s.app / "main.go").write_text(
        MAIN_GO.replace(
            '"example.com/lib"', '"example.com/lib"\n\tlib2 "example.com/lib2"'
        ).replace("lib.Text()", 'lib.Text()+"+"+lib2.Text()')
    )
    (s.app / "go.mod").write_text(
        APP_GO_MOD + "\nrequire example.com/lib2 v0.0.0\n\nreplace example.com/lib2 => ../lib2\n"
    )
    s.answer("v1+w1")
    s.wait_for("the new watches", lambda: s.watching() > watching)
    (lib2 / "lib2.go").write_text(lib_go("w2", "lib2"))
    s.answer("v1+w2")
    assert any("lib2.go modified" in x for x in s.err), s.transcript()


def children(pid: int) -> set[int]:
    out: set[int] = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                out.add(int(entry))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_ctrl_c_leaves_no_process_behind(session: Callable[..., Session]) -> None:
    """Ctrl+C in a terminal: SIGINT to the watcher's whole process group (the watcher
    leads one here, as a shell's job does)."""
    s = session()
    pid, ppid = s.started()
    kids = children(s.proc.pid)
    assert ppid in kids and len(kids) >= 2  # go run, and the watcher process
    os.killpg(s.proc.pid, signal.SIGINT)
    assert s.proc.wait(timeout=TIMEOUT) == 128 + signal.SIGINT
    deadline = time.monotonic() + 10
    while any(alive(p) for p in {pid, *kids}) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in {pid, *kids}), s.transcript()
    with pytest.raises(ProcessLookupError):
        os.killpg(ppid, 0)  # go run led the command's process group
    assert not any("watcher process exited" in x for x in s.err), s.transcript()


# --------------------------------------------------------------------------- no processes


def test_embed_patterns() -> None:
    src = (
        'package p\n\nimport _ "embed"\n\n//go:embed static/*.html index.txt\n'
        'var a string\n\n//go:embed "with space.txt" `raw.txt` all:assets\nvar b string\n'
        "// //go:embed not/this\n"
    )
    assert embed_patterns(src) == [
        "static/*.html",
        "index.txt",
        "with space.txt",
        "raw.txt",
        "assets",
    ]


def test_classify(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("ignored/\n")  # a workspace in an ignored dir
    tmp_path = tmp_path / "ignored"
    mod = tmp_path / "app"
    (mod / "static").mkdir(parents=True)
    (mod / "vendor").mkdir()
    (tmp_path / ".gitignore").write_text("gen/\n*.gen.go\n")
    (mod / "gen").mkdir()
    t = Targets(
        roots={Root(mod, False)},
        files={mod / "go.mod", mod / "go.sum"},
        go_dirs={mod},
        module_dirs={mod},
    )
    from gomod_doctor.hotreload.rules import load_rules

    main = mod / "main.go"
    main.write_text('package main\n\nimport "embed"\n\n//go:embed static/*.html\nvar f embed.FS\n')
    rules = load_rules(
        mod,
        t,
        module_roots=[mod],
        globs=["*_string.go"],
        exts=["tmpl"],
        sources={mod: [main]},
    )
    assert rules.embeds == (Embed(mod, ("static", "*.html")),)

    def c(name: str, kind: str = "modified") -> str | None:
        return classify(t, rules, kind, mod / name)  # type: ignore[arg-type]

    assert c("go.sum") == "modfile"
    assert c("main.go") == "source"
    assert c("main.go", "deleted") == "source"
    assert c("page.tmpl") == "source"
    assert c("static/a.html") == "source"
    assert c("static/a.css") is None
    assert c("README.md") is None
    assert c("vendor", "added") is None
    assert c("vendor/x.go", "added") is None
    assert c("gen", "added") is None  # .gitignore
    assert c("x.gen.go") is None  # .gitignore
    assert c("kind_string.go") is None  # --ignore
    assert c("main.go.swp") is None and c("4913") is None and c("main.go~") is None
    (mod / "newpkg").mkdir()
    assert c("newpkg", "added") == "dir"
    assert isinstance(rules, Rules) and rules.extra_roots() == {Root(mod / "static", True)}


def test_usage_and_platform(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gomod_doctor.cli import watch_cmd
    from gomod_doctor.cli.main import main

    assert main(["watch", "--debounce", "300ms"]) == 2
    assert "want a command after --" in capsys.readouterr().err
    assert main(["watch", "--debounce", "soon", "--", "true"]) == 2
    assert "--debounce" in capsys.readouterr().err
    monkeypatch.setattr(watch_cmd, "supported", lambda: False)
    assert main(["watch", "--", "true"]) == 2
    assert "not supported on" in capsys.readouterr().err


def test_watch_table(tmp_path: Path) -> None:
    (tmp_path / "gomod-doctor.toml").write_text(
        '[watch]\next = ["html"]\nignore = "*.gen.go"\ndebounce = "1s"\n'
        "kill-timeout = 2\ncheck = false\n"
    )
    assert load_file(tmp_path).watch == WatchConfig(
        ext=("html",), ignore=("*.gen.go",), debounce=1.0, kill_timeout=2.0, check=False
    )
    (tmp_path / "gomod-doctor.toml").write_text('[watch]\ndebounce = "soon"\n')
    with pytest.raises(ConfigError, match=r"watch\.debounce"):
        load_file(tmp_path)
    (tmp_path / "gomod-doctor.toml").write_text("[watch]\nrestart = true\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_file(tmp_path)


def test_watch_table_options_apply_and_the_command_line_wins(
    session: Callable[..., Session],
) -> None:
    """``check = false`` in the table: a go.sum conflict restarts; the command line's
    ``--debounce`` is taken over the table's ten minutes."""
    s = session(
        "--debounce",
        "100ms",
        config='[watch]\ncheck = false\ndebounce = "10m"\n',
    )
    pid, _ = s.started()
    (s.app / "go.sum").write_text("<<<<<<< HEAD\n=======\n>>>>>>> theirs\n")
    s.wait_for("a restart", lambda: s.restarts() == 1)
    assert not any("[sum-conflict]" in x for x in s.err)
    assert any("check: off" in x for x in s.err)
    assert s.answer("v1")[0] != pid


ALPHA_MAIN_GO = MAIN_GO.replace('"example.com/lib"', '"example.com/alpha"').replace(
    'fmt.Fprintf(w, "%s %d %d\\n", lib.Text(),', 'fmt.Fprintf(w, "a%d %d %d\\n", alpha.A(),'
)


def test_a_dependency_edited_in_the_module_cache_keeps_the_old_server(
    tmp_path: Path, go_base: Path, make_cache: Callable[..., Any]
) -> None:
    """The quick check cannot see an edit inside the module cache: the runner,
    which sees the change, verifies that module in full. go would build the edited
    copy without a word; the runner says cache-modified and keeps the old process,
    until the files are go's again."""
    from goproxy import ModuleSpec

    alpha = ModuleSpec(
        "example.com/alpha", "v1.0.0", {"alpha.go": b"package alpha\n\nfunc A() int { return 1 }\n"}
    )
    cache = make_cache([alpha])
    app = tmp_path / "app"
    app.mkdir()
    (app / "go.mod").write_text(
        "module example.com/app\n\ngo 1.22\n\nrequire example.com/alpha v1.0.0\n"
    )
    (app / "go.sum").write_text(cache.go_sum.read_text())
    (app / "main.go").write_text(ALPHA_MAIN_GO)
    env = {**isolated_env(go_base), "GOMODCACHE": str(cache.gomodcache), "GOPROXY": "off"}
    s = Session(app, env)
    try:
        pid, _ = s.answer("a1")
        s.wait_for("the watches", lambda: s.watching() > 0)
        source = cache.gomodcache / "example.com" / "alpha@v1.0.0" / "alpha.go"
        original = source.read_bytes()
        source.parent.chmod(0o755)
        source.chmod(0o644)
        source.write_bytes(original.replace(b"return 1", b"return 2"))
        # go builds the edited copy and says nothing
        built = run_go(["build", "-o", os.devnull, "."], app, env)
        assert built.returncode == 0, built.stderr
        s.wait_for(
            "the cache-modified finding", lambda: any("[cache-modified]" in x for x in s.err)
        )
        s.wait_for("the verdict", lambda: any("old process kept" in x for x in s.err))
        assert s.answer("a1")[0] == pid
        assert s.restarts() == 0
        # the files are go's again: the next change restarts
        source.write_bytes(original)
        s.wait_for("a restart", lambda: s.restarts() == 1)
        assert s.answer("a1")[0] != pid
    finally:
        s.stop()
