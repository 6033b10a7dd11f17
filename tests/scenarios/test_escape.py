"""gomod_doctor.module.escape: the module cache's and the proxy protocol's ``!`` escaping."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gomod_doctor.module import (
    InvalidPathError,
    InvalidVersionError,
    check_path,
    escape_path,
    escape_version,
    unescape_path,
    unescape_version,
)
from gotool import run_go
from xmod_oracle import Oracle, oracle


@pytest.fixture(scope="module")
def xmod() -> Oracle:
    return oracle()


PATHS = [
    ("github.com/Azure/go-autorest", "github.com/!azure/go-autorest"),
    (
        "github.com/GoogleCloudPlatform/cloudsql-proxy",
        "github.com/!google!cloud!platform/cloudsql-proxy",
    ),
    ("github.com/Sirupsen/logrus", "github.com/!sirupsen/logrus"),
    ("rsc.io/quote", "rsc.io/quote"),
    ("x.y/ABC~_-.z", "x.y/!a!b!c~_-.z"),
    ("gopkg.in/Yaml.v2", "gopkg.in/!yaml.v2"),
    ("x.y/Z/v2", "x.y/!z/v2"),
]

VERSIONS = [
    ("v1.0.0-RC1", "v1.0.0-!r!c1"),
    ("v1.2.3", "v1.2.3"),
    ("v2.0.0+incompatible", "v2.0.0+incompatible"),
    ("v1.0.0-RC1+Build.X", "v1.0.0-!r!c1+!build.!x"),
    ("master", "master"),
    ("Master", "!master"),
    ("v1.0.0 x", "v1.0.0 x"),  # not semver, but a valid file name
    ("x~1", "x~1"),  # Windows short names only matter in import paths
    ("a@b=c", "a@b=c"),
]


@pytest.mark.parametrize(("path", "escaped"), PATHS)
def test_escape_path(path: str, escaped: str) -> None:
    assert escape_path(path) == escaped
    assert unescape_path(escaped) == path


@pytest.mark.parametrize(("v", "escaped"), VERSIONS)
def test_escape_version(v: str, escaped: str) -> None:
    assert escape_version(v) == escaped
    assert unescape_version(escaped) == v


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("X.y/z", "malformed module path \"X.y/z\": invalid char 'X' in first path element"),
        ("x.y/a!b", "malformed module path \"x.y/a!b\": invalid char '!'"),
        ("", 'malformed module path "": empty string'),
        ("x.y/v1", 'malformed module path "x.y/v1": invalid version'),
    ],
)
def test_escape_path_errors(path: str, message: str) -> None:
    with pytest.raises(InvalidPathError) as info:
        escape_path(path)
    assert str(info.value) == message


@pytest.mark.parametrize("v", ["v1.0.0-!bad", "", "a/b", "con", "..", "v1.0.0*", "a\\b"])
def test_escape_version_errors(v: str) -> None:
    with pytest.raises(InvalidVersionError) as info:
        escape_version(v)
    assert str(info.value) == f'version "{v}" invalid: disallowed version string'.replace(
        "\\", "\\\\"
    )


def test_escape_version_non_ascii_letter() -> None:
    # A valid file name, so it passes the first check, but the escaping cannot hold it.
    with pytest.raises(ValueError, match=r"^internal error: inconsistency in EscapePath$"):
        escape_version("vé")


@pytest.mark.parametrize(
    ("escaped", "message"),
    [
        (
            "github.com/Azure/go-autorest",
            'invalid escaped module path "github.com/Azure/go-autorest"',
        ),
        ("github.com/x!", 'invalid escaped module path "github.com/x!"'),
        ("github.com/!!x", 'invalid escaped module path "github.com/!!x"'),
        ("github.com/!1", 'invalid escaped module path "github.com/!1"'),
        ("é.com/x", 'invalid escaped module path "é.com/x"'),
        (
            "x/y",
            'invalid escaped module path "x/y": malformed module path "x/y": '
            "missing dot in first path element",
        ),
        (
            "x.y/!c!o!n",
            'invalid escaped module path "x.y/!c!o!n": malformed module path "x.y/CON": '
            '"CON" disallowed as path element component on Windows',
        ),
    ],
)
def test_unescape_path_errors(escaped: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        unescape_path(escaped)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("escaped", "message"),
    [
        ("v1.0.0-RC1", 'invalid escaped version "v1.0.0-RC1"'),
        ("v1!", 'invalid escaped version "v1!"'),
        # The second kind of message quotes the unescaped version.
        ("!con", 'invalid escaped version "Con": "Con" disallowed as path element component on Windows'),
        ("", 'invalid escaped version "": empty path element'),
        ("a/b", "invalid escaped version \"a/b\": invalid char '/'"),
    ],
)  # fmt: skip
def test_unescape_version_errors(escaped: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        unescape_version(escaped)
    assert str(info.value) == message


# --- differential tests against x/mod itself --------------------------------------


def _result(fn: Callable[[str], str], arg: str) -> str:
    try:
        return "V" + fn(arg)
    except ValueError as e:
        return "E" + str(e)


def _check_against(xmod: Oracle, s: str) -> None:
    (esc_version,) = xmod.ask("version", s)
    assert _result(escape_version, s) == esc_version, s
    path, version = xmod.ask("unescape", s)
    assert _result(unescape_path, s) == path, s
    assert _result(unescape_version, s) == version, s
    # escape_path is compared in test_module_paths (the "path" request).


def test_tables_against_xmod(xmod: Oracle) -> None:
    for path, escaped in PATHS:
        assert xmod.ask("path", path)[-1] == "V" + escaped
        _check_against(xmod, escaped)
    for v, escaped in VERSIONS:
        _check_against(xmod, v)
        _check_against(xmod, escaped)


_TOKENS = [
    "a",
    "z",
    "A",
    "Z",
    "!",
    "!a",
    "!z",
    "!A",
    "/",
    ".",
    "-",
    "~1",
    "v1.0.0",
    "x.y/",
    "é",
    " ",
    "c",
    "on",
]
_assigned = st.characters(exclude_categories=("Cs", "Cn"))
escaped_like = st.one_of(
    st.lists(st.sampled_from(_TOKENS) | _assigned, max_size=10).map("".join),
    st.text(_assigned, max_size=10),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(escaped_like, max_size=20))
def test_matches_xmod(xmod: Oracle, strings: list[str]) -> None:
    for s in strings:
        _check_against(xmod, s)


# --- properties ----------------------------------------------------------------------

# Mostly valid paths (few are thrown away below: reserved names, short names)
_first = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,3}[a-z0-9])?\.[a-z]{1,4}", fullmatch=True)
_elem = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9._~-]{0,6}[a-zA-Z0-9])?", fullmatch=True)
module_paths = st.builds(
    lambda first, rest: "/".join([first, *rest]), _first, st.lists(_elem, max_size=4)
)


@given(module_paths)
def test_path_round_trip(path: str) -> None:
    try:
        check_path(path)
    except InvalidPathError:
        assume(False)
    escaped = escape_path(path)
    assert not any("A" <= c <= "Z" for c in escaped)
    assert escaped.lower() == escaped
    assert unescape_path(escaped) == path


@given(st.text(st.characters(max_codepoint=127, exclude_characters="!"), max_size=12))
def test_version_round_trip(v: str) -> None:
    try:
        escaped = escape_version(v)
    except InvalidVersionError:
        return
    assert escaped.lower() == escaped
    assert unescape_version(escaped) == v


@given(escaped_like)
def test_unescape_inverts_escape_exactly(s: str) -> None:
    """Every string has at most one unescaping, and escaping it gives the string back."""
    try:
        path = unescape_path(s)
    except ValueError:
        pass
    else:
        assert escape_path(path) == s
    try:
        v = unescape_version(s)
    except ValueError:
        pass
    else:
        assert "!" not in v
        assert escape_version(v) == s


# --- the go command ------------------------------------------------------------------

_READING = re.compile(r"reading (file://\S+)\.info: no such file or directory")


def test_go_fetches_our_escaped_names(tmp_path: Path, go_env: dict[str, str]) -> None:
    """The go command asks a file:// proxy for <escaped path>/@v/<escaped version>.info."""
    proxy = tmp_path / "proxy"
    proxy.mkdir()
    env = {**go_env, "GOPROXY": proxy.as_uri(), "GOFLAGS": ""}
    paths = [p for p, _ in PATHS] + ["example.com/A~B_c.d-E"]
    # Only versions the go command looks up directly: canonical semver or not semver at all.
    versions = ["v1.0.0", "v1.0.0-RC1", "v1.0.0-RC1+Build.X", "Master", "feature-Branch_X"]
    args = [f"{p}@{v}" for p in paths for v in versions]
    r = run_go(["mod", "download", "-json", *args], tmp_path, env)
    seen = _READING.findall(r.stdout)
    assert len(seen) == len(args), r.stdout
    prefix = proxy.as_uri() + "/"
    got = set()
    for url in seen:
        assert url.startswith(prefix)
        epath, _, eversion = url[len(prefix) :].partition("/@v/")
        got.add((urllib.parse.unquote(epath), urllib.parse.unquote(eversion)))
    want = {(escape_path(p), escape_version(v)) for p in paths for v in versions}
    assert got == want


def test_go_reports_our_disallowed_version_errors(tmp_path: Path, go_env: dict[str, str]) -> None:
    proxy = tmp_path / "proxy"
    proxy.mkdir()
    env = {**go_env, "GOPROXY": proxy.as_uri(), "GOFLAGS": ""}
    for v in ("v1.0.0-!bad", "con", "x*y"):
        with pytest.raises(InvalidVersionError) as info:
            escape_version(v)
        r = run_go(["mod", "download", "-json", f"x.y/z@{v}"], tmp_path, env)
        assert f'"Error": "x.y/z@{v}: invalid version: {info.value.err}"' in r.stdout
