"""gomod_doctor.module.paths: module/import/file path checks, path majors, errors, sorting.

Each table is checked three ways: against the expected text written here, against
x/mod itself (the vendored copy in the Go toolchain, see xmod_oracle), and where
the go command shows the result, against the go command's own output.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gomod_doctor.module import (
    InvalidPathError,
    InvalidVersionError,
    ModuleError,
    ModuleVersion,
    check,
    check_file_path,
    check_import_path,
    check_path,
    check_path_major,
    escape_path,
    is_standard_import_path,
    match_path_major,
    path_major_prefix,
    sort_module_versions,
    split_path_version,
    version_error,
)
from gomod_doctor.module.goquote import go_quote, go_quote_rune
from gomod_doctor.module.paths import _compare_module_versions
from gotool import run_go
from xmod_oracle import Oracle, oracle


@pytest.fixture(scope="module")
def xmod() -> Oracle:
    return oracle()


OK = ""

# (path, reason check_path gives, or OK); the message is 'malformed module path "<path>": <reason>'
MODULE_PATHS: list[tuple[str, str]] = [
    ("x.y/z", OK),
    ("x.y", OK),
    ("example.com/a/b/c", OK),
    ("github.com/Azure/go-autorest", OK),
    ("x.y/z~", OK),
    ("x.y/z~a1", OK),
    ("x.y/-", OK),
    ("x.y/a..b", OK),
    ("x..y/z", OK),  # checkElem has no rule against ".." inside an element
    ("x-.y/z", OK),
    ("x.y/conx", OK),
    ("x.y/com0", OK),
    ("x.y/v2", OK),
    ("x.y/v10", OK),
    ("x.y/zv1", OK),
    ("x.y/v", OK),
    ("x.y/v2/z", OK),
    ("x.y/v1/z", OK),
    ("gopkg.in/yaml.v2", OK),
    ("gopkg.in/yaml.v0", OK),
    ("gopkg.in/yaml.v1", OK),
    ("gopkg.in/yaml.v2-unstable", OK),
    ("gopkg.in/user/pkg.v3", OK),
    ("", "empty string"),
    ("x", "missing dot in first path element"),
    ("x/y.z", "missing dot in first path element"),
    ("-x.y", "leading dash"),
    ("x.y//z", "double slash"),
    ("x.y/z/", "trailing slash"),
    ("/x.y", "empty path element"),
    ("x.y/./z", 'invalid path element "."'),
    ("x.y/../z", 'invalid path element ".."'),
    ("x.y/...", 'invalid path element "..."'),
    ("x.y/.z", "leading dot in path element"),
    (".x.y/z", "leading dot in path element"),
    ("x.y/z.", "trailing dot in path element"),
    ("x.y/z~0", "trailing tilde and digits in path element"),
    ("x.y/~1", "trailing tilde and digits in path element"),
    ("x.y/ab~12.txt", "trailing tilde and digits in path element"),
    ("x.y/con", '"con" disallowed as path element component on Windows'),
    ("x.y/CON.txt", '"CON" disallowed as path element component on Windows'),
    ("x.y/Com1", '"Com1" disallowed as path element component on Windows'),
    ("x.y/lpt9.x.y", '"lpt9" disallowed as path element component on Windows'),
    ("x.y/nul", '"nul" disallowed as path element component on Windows'),
    ("x.y/aux", '"aux" disallowed as path element component on Windows'),
    ("x.y/prn", '"prn" disallowed as path element component on Windows'),
    ("con.com/x", '"con" disallowed as path element component on Windows'),
    ("X.y/z", "invalid char 'X' in first path element"),
    ("x_y.z/w", "invalid char '_' in first path element"),
    ("x~y.z/w", "invalid char '~' in first path element"),
    ("x.y/z+w", "invalid char '+'"),
    ("x.y/z w", "invalid char ' '"),
    ("x.y/z@v", "invalid char '@'"),
    ("x.y:80/z", "invalid char ':'"),
    ("x.y/z%20", "invalid char '%'"),
    ("x.y/é", "invalid char 'é'"),
    ("x.y/\x00", "invalid char '\\x00'"),
    ("x.y/z\t", "invalid char '\\t'"),
    ("x.y/\u00a0", "invalid char '\\u00a0'"),
    ("x.y/a'b", "invalid char '\\''"),
    ('x.y/a"b', "invalid char '\"'"),
    ("x.y/a\\b", "invalid char '\\\\'"),
    ("x.y/\U0001f600", "invalid char '\U0001f600'"),
    ("x.y/\udcff", "invalid UTF-8"),
    ("x.y/v1", "invalid version"),
    ("x.y/v0", "invalid version"),
    ("x.y/v02", "invalid version"),
    ("x.y/v2.0", "invalid version"),
    ("x.y/v1.2", "invalid version"),
    ("x.y/z/v2.0.0", "invalid version"),
    ("x.y/v2.", "trailing dot in path element"),
    ("gopkg.in/yaml", "invalid version"),
    ("gopkg.in/yaml.v00", "invalid version"),
    ("gopkg.in/yaml.v", "invalid version"),
    ("gopkg.in/v2", "invalid version"),
    ("gopkg.in/yaml.v2/v3", "invalid version"),
    ("gopkg.in/yaml.v2-stable", "invalid version"),
]

# (path, import-path reason, file-path reason)
OTHER_PATHS: list[tuple[str, str, str]] = [
    ("x", OK, OK),
    ("std/pkg", OK, OK),
    ("x/.hidden", OK, OK),
    ("x/a+b", OK, OK),
    ("x/a b", "invalid char ' '", OK),
    ("x/a@b", "invalid char '@'", OK),
    ("x/é", "invalid char 'é'", OK),
    ("x/ж", "invalid char 'ж'", OK),
    ("x/٣", "invalid char '٣'", "invalid char '٣'"),  # a digit, but not a letter
    ("x/a*b", "invalid char '*'", "invalid char '*'"),
    ("x/a:b", "invalid char ':'", "invalid char ':'"),
    ("x/a!b", "invalid char '!'", OK),
    ("x/[a]{b}(c)", "invalid char '['", OK),
    ("x/a~1", "trailing tilde and digits in path element", OK),
    ("x/con.go", '"con" disallowed as path element component on Windows', '"con" disallowed as path element component on Windows'),
    ("-x", "leading dash", OK),
    ("x/-", OK, OK),
    ("", "empty string", "empty string"),
    ("x//y", "double slash", "double slash"),
    ("x/", "trailing slash", "trailing slash"),
    ("x/..", 'invalid path element ".."', 'invalid path element ".."'),
    ("x/a.", "trailing dot in path element", "trailing dot in path element"),
    ("x/\x7f", "invalid char '\\x7f'", "invalid char '\\x7f'"),
    ("x/\u2028", "invalid char '\\u2028'", "invalid char '\\u2028'"),
    ("\udcc3x", "invalid UTF-8", "invalid UTF-8"),  # byte 0xC3, then no continuation byte
]  # fmt: skip


@pytest.mark.parametrize(("path", "reason"), MODULE_PATHS)
def test_check_path(path: str, reason: str) -> None:
    if reason == OK:
        check_path(path)
        return
    with pytest.raises(InvalidPathError) as info:
        check_path(path)
    err = info.value
    assert (err.kind, err.path, str(err.err)) == ("module", path, reason)
    assert str(err) == f"malformed module path {go_quote(path)}: {reason}"


@pytest.mark.parametrize(("path", "import_reason", "file_reason"), OTHER_PATHS)
def test_check_import_and_file_path(path: str, import_reason: str, file_reason: str) -> None:
    for kind, fn, reason in (
        ("import", check_import_path, import_reason),
        ("file", check_file_path, file_reason),
    ):
        if reason == OK:
            fn(path)
            continue
        with pytest.raises(InvalidPathError) as info:
            fn(path)
        assert str(info.value) == f"malformed {kind} path {go_quote(path)}: {reason}"


def test_go_quote() -> None:
    assert go_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert go_quote("é\n\x00\u00a0\U0001f600\udcff") == '"é\\n\\x00\\u00a0\U0001f600\\xff"'
    assert go_quote_rune("'") == "'\\''"
    assert go_quote_rune('"') == "'\"'"
    assert go_quote_rune("\U000e0001") == "'\\U000e0001'"


SPLIT: list[tuple[str, str, str, bool]] = [
    ("x.y/z", "x.y/z", "", True),
    ("x.y/z/v2", "x.y/z", "/v2", True),
    ("x.y/z/v10", "x.y/z", "/v10", True),
    ("x.y/z/v1", "x.y/z/v1", "", False),
    ("x.y/z/v0", "x.y/z/v0", "", False),
    ("x.y/z/v2.1", "x.y/z/v2.1", "", False),
    ("x.y/z/v02", "x.y/z/v02", "", False),
    ("x.y/zv2", "x.y/zv2", "", True),
    ("x.y/v2", "x.y", "/v2", True),
    ("v2", "v2", "", True),
    ("/v2", "", "/v2", True),
    ("a/v2", "a", "/v2", True),
    ("gopkg.in/yaml.v2", "gopkg.in/yaml", ".v2", True),
    ("gopkg.in/yaml.v0", "gopkg.in/yaml", ".v0", True),
    ("gopkg.in/yaml.v00", "gopkg.in/yaml.v00", "", False),
    ("gopkg.in/yaml.v2-unstable", "gopkg.in/yaml", ".v2-unstable", True),
    ("gopkg.in/yaml", "gopkg.in/yaml", "", False),
    ("gopkg.in/yaml/v2", "gopkg.in/yaml/v2", "", False),
]


@pytest.mark.parametrize(("path", "prefix", "major", "ok"), SPLIT)
def test_split_path_version(path: str, prefix: str, major: str, ok: bool) -> None:
    assert split_path_version(path) == (prefix, major, ok)
    if ok:
        assert prefix + major == path


# (version, path major, reason or OK)
PATH_MAJOR: list[tuple[str, str, str]] = [
    ("v1.0.0", "", OK),
    ("v0.1.0", "", OK),
    ("v2.0.0+incompatible", "", OK),
    ("v2.0.0", "", "should be v0 or v1, not v2"),
    ("v2.0.0+meta", "", "should be v0 or v1, not v2"),
    ("v2.0.0", "/v2", OK),
    ("v2.0.0+incompatible", "/v2", OK),
    ("v1.0.0", "/v2", "should be v2, not v1"),
    ("v3.0.0", "/v2", "should be v2, not v3"),
    ("v2.0.0", ".v2", OK),
    ("v2.0.0", ".v2-unstable", OK),
    ("v3.0.0", ".v2-unstable", "should be v2, not v3"),
    ("v0.0.0-20161208181325-20d25e280405", ".v1", OK),
    ("v0.1.0", ".v1", "should be v1, not v0"),
    ("v0.1.0", ".v0", OK),
    ("bad", "", "should be v0 or v1, not "),
    ("bad", "/v2", "should be v2, not "),
    ("v2.0.0", "v2", "should be v2, not v2"),
]


@pytest.mark.parametrize(("v", "path_major", "reason"), PATH_MAJOR)
def test_check_path_major(v: str, path_major: str, reason: str) -> None:
    assert match_path_major(v, path_major) is (reason == OK)
    if reason == OK:
        check_path_major(v, path_major)
        return
    with pytest.raises(InvalidVersionError) as info:
        check_path_major(v, path_major)
    assert str(info.value) == f"version {go_quote(v)} invalid: {reason}"
    assert not info.value.pseudo


def test_path_major_prefix() -> None:
    assert path_major_prefix("") == ""
    assert path_major_prefix("/v2") == "v2"
    assert path_major_prefix(".v1") == "v1"
    assert path_major_prefix(".v2-unstable") == "v2"
    assert path_major_prefix("/") == ""  # "" is its own major in Go's eyes
    for bad in ("v2", "/v2.0", "/x", "/v2-unstable"):
        with pytest.raises(ValueError):
            path_major_prefix(bad)


CHECK: list[tuple[str, str, str]] = [
    ("x.y/z", "v1.0.0", OK),
    ("x.y/z", "v1.2", OK),
    ("x.y/z", "v2.0.0+incompatible", OK),
    ("x.y/z", "v2.0.0", "x.y/z@v2.0.0: invalid version: should be v0 or v1, not v2"),
    ("x.y/z/v2", "v1.0.0", "x.y/z/v2@v1.0.0: invalid version: should be v2, not v1"),
    ("x.y/z/v2", "v2.0.0+incompatible", OK),
    ("x.y/z", "1.0.0", "x.y/z@1.0.0: invalid version: not a semantic version"),
    ("x.y/z", "", "x.y/z@: invalid version: not a semantic version"),
    ("gopkg.in/yaml.v2", "v2.1.0", OK),
    ("gopkg.in/yaml.v2", "v1.0.0", "gopkg.in/yaml.v2@v1.0.0: invalid version: should be v2, not v1"),
    ("gopkg.in/check.v1", "v0.0.0-20161208181325-20d25e280405", OK),
    ("gopkg.in/check.v1", "v0.1.0", "gopkg.in/check.v1@v0.1.0: invalid version: should be v1, not v0"),
    ("X.y/z", "v1.0.0", "malformed module path \"X.y/z\": invalid char 'X' in first path element"),
    ("x.y/v1", "v1.0.0", 'malformed module path "x.y/v1": invalid version'),
]  # fmt: skip


@pytest.mark.parametrize(("path", "version", "message"), CHECK)
def test_check(path: str, version: str, message: str) -> None:
    if message == OK:
        check(path, version)
        return
    with pytest.raises((ModuleError, InvalidPathError)) as info:
        check(path, version)
    assert str(info.value) == message
    # A bad path is reported as a path error, not wrapped in a module error.
    assert isinstance(info.value, InvalidPathError) == message.startswith("malformed")


def test_error_types() -> None:
    inner = InvalidVersionError("v1.0.0-x", True, "syntax error")
    assert str(inner) == 'pseudo-version "v1.0.0-x" invalid: syntax error'
    assert (
        str(ModuleError("x.y/z", "vX", inner))
        == "x.y/z@v1.0.0-x: invalid pseudo-version: syntax error"
    )
    assert str(ModuleError("x.y/z", "v1.0.0", "boom")) == "x.y/z@v1.0.0: boom"
    assert str(ModuleError("x.y/z", err=ValueError("boom"))) == "module x.y/z: boom"
    assert isinstance(ModuleError("x.y/z", err="boom").err, ValueError)
    path_err = InvalidPathError("import", "a b", "invalid char ' '")
    assert str(path_err) == "malformed import path \"a b\": invalid char ' '"
    for e in (inner, path_err):
        assert isinstance(e, ValueError)

    same = ModuleError("x.y/z", "v1.0.0", "boom")
    assert version_error("x.y/z", "v1.0.0", same) is same
    other = version_error("x.y/z", "v1.1.0", same)
    assert isinstance(other, ModuleError) and other.err is same
    assert str(other) == "x.y/z@v1.1.0: x.y/z@v1.0.0: boom"
    wrapped = version_error("x.y/z", "v2.0.0", inner)
    assert isinstance(wrapped, ModuleError) and wrapped.err is inner


def test_module_version() -> None:
    assert str(ModuleVersion("x.y/z", "v1.0.0")) == "x.y/z@v1.0.0"
    assert str(ModuleVersion("x.y/z")) == "x.y/z"
    assert ModuleVersion("a", "v1") == ModuleVersion("a", "v1")
    assert len({ModuleVersion("a", "v1"), ModuleVersion("a", "v1")}) == 1


def test_sort_module_versions() -> None:
    given_ = [
        ModuleVersion("b.c/x", "v1.0.0"),
        ModuleVersion("a.b/y", "v1.10.0"),
        ModuleVersion("a.b/y", "v1.2.0/go.mod"),
        ModuleVersion("a.b/y", "v1.2.0"),
        ModuleVersion("a.b/y", "v1.9.0/go.mod"),
        ModuleVersion("a.b/y/v2", "v2.0.0"),
    ]
    assert sort_module_versions(given_) == [
        ModuleVersion("a.b/y", "v1.2.0"),
        ModuleVersion("a.b/y", "v1.2.0/go.mod"),
        ModuleVersion("a.b/y", "v1.9.0/go.mod"),
        ModuleVersion("a.b/y", "v1.10.0"),
        ModuleVersion("a.b/y/v2", "v2.0.0"),
        ModuleVersion("b.c/x", "v1.0.0"),
    ]


def test_is_standard_import_path() -> None:
    assert is_standard_import_path("fmt")
    assert is_standard_import_path("net/http")
    assert not is_standard_import_path("example.com/x")
    assert not is_standard_import_path("gopkg.in/yaml.v2")


# --- differential tests against x/mod itself --------------------------------------


def _error_text(fn: Callable[..., object], *args: str) -> str:
    try:
        fn(*args)
    except ValueError as e:
        return "E" + str(e)
    return ""


def _escape_text(path: str) -> str:
    try:
        return "V" + escape_path(path)
    except ValueError as e:
        return "E" + str(e)


def _check_path_against(xmod: Oracle, path: str) -> None:
    mod_err, imp_err, file_err, prefix, major, ok, esc = xmod.ask("path", path)
    assert _error_text(check_path, path) == mod_err, path
    assert _error_text(check_import_path, path) == imp_err, path
    assert _error_text(check_file_path, path) == file_err, path
    assert split_path_version(path) == (prefix, major, ok == "1"), path
    assert _escape_text(path) == esc, path


def _check_major_against(xmod: Oracle, v: str, path_major: str) -> None:
    err, match, prefix = xmod.ask("pathmajor", v, path_major)
    assert _error_text(check_path_major, v, path_major) == err, (v, path_major)
    assert match_path_major(v, path_major) is (match == "1")
    try:
        ours = "V" + path_major_prefix(path_major)
    except ValueError as e:
        ours = "P" + str(e)
    assert ours == prefix, (v, path_major)


def test_tables_against_xmod(xmod: Oracle) -> None:
    for path, _ in MODULE_PATHS:
        _check_path_against(xmod, path)
    for path, _, _ in OTHER_PATHS:
        _check_path_against(xmod, path)
    for path, _, _, _ in SPLIT:
        _check_path_against(xmod, path)
    for v, path_major, _ in PATH_MAJOR:
        _check_major_against(xmod, v, path_major)
    for path, version, _ in CHECK:
        assert _error_text(check, path, version) == xmod.ask("check", path, version)[0]


def test_version_error_against_xmod(xmod: Oracle) -> None:
    for path, version in (("x.y/z", "v1.0.0"), ("x.y/z", "")):
        for inner_version, pseudo, wrap in (
            ("v1.0.0", "0", "module"),
            ("v2", "1", ""),
            ("", "0", ""),
        ):
            inner: Exception = InvalidVersionError(inner_version, pseudo == "1", "why")
            if wrap:
                inner = ModuleError(path, version, inner)
            want = xmod.ask("versionerror", path, version, inner_version, pseudo, "why", wrap)[0]
            assert str(version_error(path, version, inner)) == want


_PATH_TOKENS = [
    "x", "y", "Z", "0", "1", "2", ".", ".", "/", "/", "/", "-", "_", "~", "+", "@", " ",
    "é", "ж", "!", ":", "\x00", "\udcff", "v", "v2", "v1", "v0", "/v2", ".v1", ".v2",
    "gopkg.in/", "example.com/", "con", "COM1", "lpt9", "-unstable", "~1", "..",
]  # fmt: skip

# Characters unassigned in Python's Unicode database are left out: Go's tables are
# newer, so it may already call such a character a printable letter.
_assigned = st.characters(exclude_categories=("Cs", "Cn"))

path_like = st.one_of(
    st.lists(st.sampled_from(_PATH_TOKENS) | _assigned, max_size=10).map("".join),
    st.text(_assigned, max_size=10),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(path_like, max_size=20))
def test_paths_match_xmod(xmod: Oracle, paths: list[str]) -> None:
    for path in paths:
        _check_path_against(xmod, path)


_VERSIONS = st.sampled_from(
    [
        "v0.1.0",
        "v1.0.0",
        "v2.0.0",
        "v2.0.0+incompatible",
        "v3.1.0",
        "v0.0.0-2016-x",
        "bad",
        "",
        "v10.0.0",
    ]
)
_MAJORS = st.sampled_from(
    ["", "/v2", "/v3", ".v0", ".v1", ".v2", ".v2-unstable", "v2", "/v2.0", "/", "."]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_VERSIONS | path_like, _MAJORS | path_like), max_size=20))
def test_path_major_matches_xmod(xmod: Oracle, pairs: list[tuple[str, str]]) -> None:
    for v, path_major in pairs:
        _check_major_against(xmod, v, path_major)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(path_like, _VERSIONS | path_like), max_size=20))
def test_check_matches_xmod(xmod: Oracle, pairs: list[tuple[str, str]]) -> None:
    for path, version in pairs:
        assert _error_text(check, path, version) == xmod.ask("check", path, version)[0]


_SORT_VERSIONS = _VERSIONS | st.sampled_from(["v1.2.0/go.mod", "v1.2"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(path_like, _SORT_VERSIONS), max_size=8))
def test_sort_matches_xmod(xmod: Oracle, pairs: list[tuple[str, str]]) -> None:
    items = [ModuleVersion(p, v) for p, v in pairs]
    got = sort_module_versions(items)
    flat = xmod.ask("modsort", *(s for pair in pairs for s in pair))
    want = [ModuleVersion(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
    if any(_compare_module_versions(a, b) == 0 for a, b in itertools.combinations(items, 2)):
        # Go's sort is not stable: elements it ranks equal may come in any order.
        assert sorted(got, key=str) == sorted(want, key=str)
        assert all(_compare_module_versions(a, b) <= 0 for a, b in itertools.pairwise(got))
    else:
        assert got == want


@given(st.text(max_size=30))
def test_checks_raise_only_documented_errors(s: str) -> None:
    for fn in (check_path, check_import_path, check_file_path):
        try:
            fn(s)
        except InvalidPathError as e:
            assert e.path == s and str(e).startswith("malformed ")
    with contextlib.suppress(InvalidPathError, ModuleError):
        check(s, s)
    split_path_version(s)
    match_path_major(s, s)


# --- the go command -----------------------------------------------------------------


def test_go_mod_download_reports_our_path_errors(tmp_path: Path, go_env: dict[str, str]) -> None:
    """With GOPROXY=off, ``go mod download path@v1.0.0`` fails with module.CheckPath's
    error for a malformed path and with "module lookup disabled" for a valid one."""
    paths = [
        p
        for p, _ in MODULE_PATHS
        if p and "@" not in p and "..." not in p and not any(c in p for c in "\x00\udcff\t\\")
    ]
    args = [f"{p}@v1.0.0" for p in paths]
    r = run_go(["mod", "download", "-json", "x.y/first@v1.0.0", *args], tmp_path, go_env)
    decoder = json.JSONDecoder()
    text, results = r.stdout.strip(), []
    while text:
        obj, end = decoder.raw_decode(text)
        results.append(obj)
        text = text[end:].strip()
    assert len(results) == len(paths) + 1
    for p, res in zip(paths, results[1:], strict=True):
        assert res["Path"] == p
        try:
            check_path(p)
        except InvalidPathError as e:
            assert res["Error"] == f"{p}@v1.0.0: {e}"
        else:
            assert res["Error"] == f"{p}@v1.0.0: module lookup disabled by GOPROXY=off"


def test_go_mod_edit_reports_our_path_major_errors(tmp_path: Path, go_env: dict[str, str]) -> None:
    """``go mod edit -json`` checks each require line with module.CheckPathMajor."""
    pairs = [
        (path, v)
        for path in ("x.y/z", "x.y/z/v2", "x.y/z/v3", "x.y/z/v1", "x.y/z/v2.1", "gopkg.in/a.v1",
                     "gopkg.in/a.v2", "gopkg.in/a.v2-unstable", "gopkg.in/a.v0", "gopkg.in/a")
        for v in ("v0.1.0", "v1.0.0", "v2.0.0", "v2.0.0+incompatible", "v3.0.0",
                  "v0.0.0-20200101000000-abcdefabcdef")
    ]  # fmt: skip
    mod = "module example.com/m\n\ngo 1.27\n\n"
    mod += "".join(f"require {p} {v}\n" for p, v in pairs)
    (tmp_path / "go.mod").write_text(mod)
    r = run_go(["mod", "edit", "-json"], tmp_path, go_env)
    lines = {}
    for line in r.stderr.splitlines():
        if line.startswith(str(tmp_path / "go.mod") + ":"):
            num, _, msg = line[len(str(tmp_path / "go.mod")) + 1 :].partition(": ")
            lines[int(num)] = msg
    want = {}
    for i, (p, v) in enumerate(pairs):
        _, path_major, ok = split_path_version(p)
        if not ok:
            want[5 + i] = "invalid module path"
            continue
        try:
            check_path_major(v, path_major)
        except InvalidVersionError as e:
            want[5 + i] = f"require {p}: {e}"
    assert want, "the table should produce errors"
    assert lines == want


_ELEM_ALPHABET = st.sampled_from(
    [*"abcXYZ019-._~+!#$%&()=,@[]^{} \t/:*?\"<>|\\'`;", "é", "ß", "Ω", "中", "\xa0", "\u2028"]
)


@settings(max_examples=400, deadline=None)
@given(
    st.text(_ELEM_ALPHABET, min_size=1, max_size=12), st.sampled_from(["module", "import", "file"])
)
def test_element_check_fast_path_matches_the_character_rules(elem: str, kind: str) -> None:
    """Elements the ASCII fast path accepts get the verdict that the character-by-
    character rules give (the first bad character named)."""
    from gomod_doctor.module import paths

    ok = {
        "module": paths._mod_path_ok,
        "import": paths._import_path_ok,
        "file": paths._file_name_ok,
    }[kind]
    bad = next((c for c in elem if not ok(c)), None)
    got = paths._check_elem(elem, kind)  # type: ignore[arg-type]
    if (
        bad is not None
        and elem.count(".") != len(elem)
        and elem[-1] != "."
        and not (elem[0] == "." and kind == "module")
    ):
        assert got == f"invalid char {paths.go_quote_rune(bad)}"
    elif bad is None:
        assert got is None or "invalid char" not in got
