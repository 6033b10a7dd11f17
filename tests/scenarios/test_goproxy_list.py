"""GOPROXY lists and GOPRIVATE-style matching, checked against the real go command.

No test here lets go reach the network: go is only run with lists that fail to
parse, lists that start with "off", or file:// proxies in temp dirs (and, for
GONOPROXY, modules whose direct fetch is refused by GOVCS before any network use).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gomod_doctor.goenv.env import GoEnv, resolve
from gomod_doctor.goenv.proxy import NO_ENTRIES, parse_proxy_list
from gotool import isolated_env, run_go

MOD = "example.com/x@v1.0.0"

INVALID = [
    "foo",
    ",",
    " ",
    " , | ,",
    "ftp://proxy.example.com",
    "file://host/srv/proxy",
    "file:/srv/proxy",
    "file:///srv/proxy?x=1",
    "file:///srv/proxy#frag",
    "file://user@/srv",
    "https://a b",
    "https://u:secret@x y",
    ":foo",
    "x:y",
    "http://[::1",
    "http://[1.2.3.4]/",
    "http://[::g]/",
    "http://[1:2:3:4:5:6:7:8:9]/",
    "http://[fe80::1%25]/",
    "http://x[::1]/",
    "https://%zz",
    "https://h/%zz",
    "https://a%41b/",
    "https://user:pw@%zz",
    "https://us er:pw@host/",
    "https://host:80:90/",
    "/abs/path",
    "C:/goproxy",
    "HTTPS://héllo wörld",
    "https://example.com/\x01",
    "foo,off",
    "ftp://u:secret@h/,off",
    "bad1|bad2",
    "  https://ok.example.com ,ftp://second",
]


@pytest.fixture(scope="module")
def go_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return isolated_env(tmp_path_factory.mktemp("proxyenv"))


def go_download_error(env: dict[str, str], cwd: Path, goproxy: str, **extra: str) -> str:
    e = {**env, "GOPROXY": goproxy, **extra}
    r = run_go(["mod", "download", "-json", MOD], cwd, e)
    assert r.returncode != 0
    error = json.loads(r.stdout)["Error"]
    assert isinstance(error, str)
    return error


@pytest.mark.parametrize("value", INVALID)
def test_invalid_lists_match_go(value: str, go_env: dict[str, str], tmp_path: Path) -> None:
    parsed = parse_proxy_list(value)
    # go checks the whole list before fetching anything, so a list it rejects
    # never reaches the network.
    assert parsed.errors
    got = go_download_error(go_env, tmp_path, value)
    assert got == f"{MOD}: {parsed.errors[0]}"


def test_errors_are_all_collected() -> None:
    parsed = parse_proxy_list("foo|ftp://x,https://ok.example.com,file://h/p")
    assert parsed.errors == [
        "invalid proxy URL missing scheme: foo",
        "invalid proxy URL scheme (must be https, http, file): ftp://x",
        "invalid file:// proxy URL with non-path elements: file://h/p",
    ]
    assert [s.raw for s in parsed.error_spans] == ["foo", "ftp://x", "file://h/p"]
    assert [e.url for e in parsed.entries] == ["https://ok.example.com"]
    assert not parsed.ok


def test_no_entries() -> None:
    assert parse_proxy_list(" ,|, ").errors == [NO_ENTRIES]
    # The empty string is not an error here; go's defaults make it non-empty.
    assert parse_proxy_list("").errors == [NO_ENTRIES]


def test_entries_and_fallback_semantics() -> None:
    parsed = parse_proxy_list(
        " proxy.corp.example.com/go/ | https://u:pw@mirror.example.com,file:///srv/p/,direct,zz"
    )
    assert parsed.ok
    a, b, c, d = parsed.entries
    assert (a.kind, a.url, a.fallback_on_any_error) == (
        "proxy",
        "https://proxy.corp.example.com/go/",
        True,
    )
    assert a.raw == " proxy.corp.example.com/go/ " and a.start == 0
    assert a.base_path == "/go"
    assert (b.url, b.redacted, b.fallback_on_any_error) == (
        "https://u:pw@mirror.example.com",
        "https://u:xxxxx@mirror.example.com",
        False,
    )
    assert (c.scheme, c.base_path) == ("file", "/srv/p")
    assert d.kind == "direct"
    assert parsed.ends_with == "direct"
    assert parsed.ignored == "zz"
    assert parsed.value[parsed.ignored_start :] == "zz"


def test_scheme_less_entries_get_https() -> None:
    # Anything with ".", ":" or "/" but no ":/" and not an absolute path.
    (e,) = parse_proxy_list("mailto:someone@example.com").entries
    assert e.url == "https://mailto:someone@example.com"
    assert e.redacted == "https://mailto:xxxxx@example.com"
    (e,) = parse_proxy_list("proxy.example.com:8443/sub").entries
    assert e.url == "https://proxy.example.com:8443/sub"
    assert parse_proxy_list("localhost").errors == ["invalid proxy URL missing scheme: localhost"]


def test_off_ends_the_list() -> None:
    parsed = parse_proxy_list("off,https://never.example.com")
    assert [e.kind for e in parsed.entries] == ["off"]
    assert parsed.ignored == "https://never.example.com"
    assert parsed.off and not parsed.direct


def test_noproxy() -> None:
    assert parse_proxy_list("https://p.example.com", gonoproxy="*.corp").noproxy
    assert not parse_proxy_list("direct", gonoproxy="*.corp").noproxy
    assert not parse_proxy_list("https://p.example.com").noproxy


# --- behaviour against go, offline ------------------------------------------------------


@pytest.fixture(scope="module")
def proxies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """file:// proxies: "good" serves example.com/x and github.com/a/b v1.0.0
    (.info and .mod only), "bad" answers garbage, "none" does not exist."""
    root = tmp_path_factory.mktemp("proxies")
    for mod, gomod in (
        ("example.com/x", "module example.com/x\n"),
        ("github.com/a/b", "module github.com/a/b\n"),
    ):
        d = root / "good" / mod / "@v"
        d.mkdir(parents=True)
        (d / "list").write_text("v1.0.0\n")
        (d / "v1.0.0.info").write_text('{"Version":"v1.0.0","Time":"2020-01-01T00:00:00Z"}')
        (d / "v1.0.0.mod").write_text(gomod)
    bad = root / "bad" / "example.com" / "x" / "@v"
    bad.mkdir(parents=True)
    (bad / "v1.0.0.info").write_text("garbage")
    return {name: f"file://{root / name}" for name in ("good", "bad", "none")}


def go_list(cwd: Path, goproxy: str) -> tuple[int, str]:
    # A fresh module cache each time: a cached .info would hide the proxies.
    env = isolated_env(cwd / "env", GOPROXY=goproxy)
    r = run_go(["list", "-m", "-json", MOD], cwd, env)
    return r.returncode, r.stderr


@pytest.mark.parametrize(
    ("template", "succeeds"),
    [
        ("{good}", True),
        ("{good}/", True),
        ("{none},{good}", True),  # not found: "," falls back
        ("{bad},{good}", False),  # another error: "," stops
        ("{bad}|{good}", True),  # "|" falls back after any error
        ("{none},off,{good}", False),  # off ends the list
        ("off|{good}", False),
    ],
)
def test_fallback_against_go(
    template: str,
    succeeds: bool,
    proxies: dict[str, str],
    tmp_path: Path,
) -> None:
    value = template.format(**proxies)
    parsed = parse_proxy_list(value)
    assert parsed.ok
    assert all(e.kind == "off" or e.scheme == "file" for e in parsed.entries)
    code, stderr = go_list(tmp_path, value)
    assert (code == 0) == succeeds, stderr
    # What our model predicts: walk the list as go's TryProxies does.
    outcome = {"good": "ok", "none": "notfound", "bad": "error"}
    predicted = False
    for e in parsed.entries:
        if e.kind == "off":
            break
        result = next(v for k, v in outcome.items() if e.url.rstrip("/").endswith("/" + k))
        if result == "ok":
            predicted = True
            break
        if result == "error" and not e.fallback_on_any_error:
            break
    assert predicted == succeeds


# --- GOPRIVATE / GONOPROXY / GONOSUMDB through GoEnv ----------------------------------


def env_with(**settings: str) -> GoEnv:
    environ = {"HOME": "/home/u", **settings}
    return resolve(
        environ,
        goenv_file=None,
        goroot_env_file="GOPROXY=https://proxy.golang.org,direct\nGOSUMDB=sum.golang.org\n",
        goroot="/usr/local/go",
        go_version="go1.27.3",
        goos="linux",
    )


def test_private_helpers() -> None:
    e = env_with(GOPRIVATE="*.corp.example.com,rsc.io/private")
    assert e.is_private("git.corp.example.com/team/repo")
    assert e.is_private("rsc.io/private/sub")
    assert not e.is_private("rsc.io/privateer")
    assert not e.is_private("corp.example.com/x")
    assert e.no_proxy("rsc.io/private") and e.no_sumdb("rsc.io/private")
    e = env_with(GOPRIVATE="rsc.io", GONOPROXY="none", GOSUMDB="off")
    assert e.is_private("rsc.io/x") and not e.no_proxy("rsc.io/x")
    assert not e.uses_sumdb("example.com/anything")
    assert e.proxy_list.noproxy


@pytest.mark.parametrize(
    "settings",
    [
        {"GONOPROXY": "github.com/a"},
        {"GONOPROXY": "github.com/zz"},
        {"GOPRIVATE": "github.com/*"},
        {"GOPRIVATE": "github.com/*", "GONOPROXY": "none.example"},
        {"GOPRIVATE": "*.example.com"},
        {},
    ],
)
def test_noproxy_and_private_against_go(
    settings: dict[str, str], proxies: dict[str, str], tmp_path: Path
) -> None:
    """A direct fetch is refused by GOVCS=*:off before any network use, and go
    names the module "private" or "public" by GOPRIVATE; a proxied one reads the
    file:// proxy (and fails only for the missing zip)."""
    path = "github.com/a/b"
    e = env_with(**settings)
    env = isolated_env(tmp_path / "env", GOPROXY=proxies["good"], GOVCS="*:off", **settings)
    r = run_go(["mod", "download", "-json", f"{path}@v1.0.0"], tmp_path, env)
    error = json.loads(r.stdout)["Error"]
    if e.no_proxy(path):
        kind = "private" if e.is_private(path) else "public"
        assert f"GOVCS disallows using git for {kind} {path}" in error
    else:
        assert "v1.0.0.zip: no such file or directory" in error


@pytest.mark.parametrize(
    "settings",
    [{}, {"GONOSUMDB": "github.com"}, {"GOPRIVATE": "github.com/a"}, {"GONOSUMDB": "gitlab.com"}],
)
def test_nosumdb_against_go(
    settings: dict[str, str], proxies: dict[str, str], tmp_path: Path
) -> None:
    """An unusable GOSUMDB fails only for modules that go checks against it."""
    path = "github.com/a/b"
    env = isolated_env(
        tmp_path / "env",
        GOPROXY=proxies["good"],
        GOSUMDB="bad",
        GONOPROXY="none.example",
        **settings,
    )
    e = env_with(GOSUMDB="bad", **settings)
    r = run_go(["mod", "download", "-json", f"{path}@v1.0.0"], tmp_path, env)
    error = json.loads(r.stdout)["Error"]
    if e.uses_sumdb(path):
        assert "invalid GOSUMDB: malformed verifier id" in error
    else:
        assert "v1.0.0.zip: no such file or directory" in error
