"""gomod_doctor.module.semver against x/mod/semver's rules and the real Go code."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gomod_doctor.module import canonical_version, is_pseudo_version, semver
from gotool import run_go
from xmod_oracle import Oracle, oracle


@pytest.fixture(scope="module")
def xmod() -> Oracle:
    return oracle()


# (version, canonical, major, major_minor, prerelease, build); canonical "" = invalid
TABLE: list[tuple[str, str, str, str, str, str]] = [
    ("bad", "", "", "", "", ""),
    ("", "", "", "", "", ""),
    ("v", "", "", "", "", ""),
    ("1.2.3", "", "", "", "", ""),
    ("V1.2.3", "", "", "", "", ""),
    ("v1", "v1.0.0", "v1", "v1.0", "", ""),
    ("v1.2", "v1.2.0", "v1", "v1.2", "", ""),
    ("v1.2.3", "v1.2.3", "v1", "v1.2", "", ""),
    ("v0.0.0", "v0.0.0", "v0", "v0.0", "", ""),
    ("v10.20.30", "v10.20.30", "v10", "v10.20", "", ""),
    ("v01.2.3", "", "", "", "", ""),
    ("v1.02.3", "", "", "", "", ""),
    ("v1.2.03", "", "", "", "", ""),
    ("v1.2.3.4", "", "", "", "", ""),
    ("v1.2.", "", "", "", "", ""),
    ("v1.", "", "", "", "", ""),
    ("v1.2-pre", "", "", "", "", ""),
    ("v1-pre", "", "", "", "", ""),
    ("v1.2+meta", "", "", "", "", ""),
    ("v1.2.3-pre", "v1.2.3-pre", "v1", "v1.2", "-pre", ""),
    ("v1.2.3-pre.1.x-y", "v1.2.3-pre.1.x-y", "v1", "v1.2", "-pre.1.x-y", ""),
    ("v1.2.3-0", "v1.2.3-0", "v1", "v1.2", "-0", ""),
    ("v1.2.3-01", "", "", "", "", ""),
    ("v1.2.3-pre.01", "", "", "", "", ""),
    ("v1.2.3-01a", "v1.2.3-01a", "v1", "v1.2", "-01a", ""),
    ("v1.2.3-", "", "", "", "", ""),
    ("v1.2.3-pre.", "", "", "", "", ""),
    ("v1.2.3-pre..1", "", "", "", "", ""),
    ("v1.2.3-pre_1", "", "", "", "", ""),
    ("v1.2.3+meta", "v1.2.3", "v1", "v1.2", "", "+meta"),
    ("v1.2.3+meta.01", "v1.2.3", "v1", "v1.2", "", "+meta.01"),
    ("v1.2.3+", "", "", "", "", ""),
    ("v1.2.3+a..b", "", "", "", "", ""),
    ("v1.2.3+a+b", "", "", "", "", ""),
    ("v1.2.3-pre+meta", "v1.2.3-pre", "v1", "v1.2", "-pre", "+meta"),
    ("v2.0.0+incompatible", "v2.0.0", "v2", "v2.0", "", "+incompatible"),
    ("v1.2.3-RC1", "v1.2.3-RC1", "v1", "v1.2", "-RC1", ""),
    ("v1.2.3 ", "", "", "", "", ""),
    ("v1.2.3\n", "", "", "", "", ""),
    ("v1.2.3-é", "", "", "", "", ""),
    ("v１.2.3", "", "", "", "", ""),  # fullwidth digit: only ASCII digits count
    (
        "v0.0.0-20191109021931-daa7c04131f5",
        "v0.0.0-20191109021931-daa7c04131f5",
        "v0",
        "v0.0",
        "-20191109021931-daa7c04131f5",
        "",
    ),
    (
        "v99999999999999999999.0.0",
        "v99999999999999999999.0.0",
        "v99999999999999999999",
        "v99999999999999999999.0",
        "",
        "",
    ),
]


@pytest.mark.parametrize(("v", "canon", "maj", "mm", "pre", "bld"), TABLE)
def test_table(v: str, canon: str, maj: str, mm: str, pre: str, bld: str) -> None:
    assert semver.is_valid(v) is (canon != "")
    assert semver.canonical(v) == canon
    assert semver.major(v) == maj
    assert semver.major_minor(v) == mm
    assert semver.prerelease(v) == pre
    assert semver.build(v) == bld


# Strictly increasing, by semver.org's precedence rules (with Go's shorthands).
ORDERED = [
    "bad",
    "v1.0.0-alpha",
    "v1.0.0-alpha.1",
    "v1.0.0-alpha.beta",
    "v1.0.0-beta",
    "v1.0.0-beta.2",
    "v1.0.0-beta.11",
    "v1.0.0-rc.1",
    "v1",
    "v1.0.1",
    "v1.1.0-0.20200101000000-abcdefabcdef",
    "v1.1.0-1",
    "v1.1.0-A",
    "v1.1.0-a",
    "v1.1",
    "v1.2.0",
    "v1.9.0",
    "v1.10.0",
    "v1.11.0",
    "v2.0.0-rc.1",
    "v2.0.0+incompatible",
    "v10.0.0",
]


def test_compare_order() -> None:
    for (i, a), (j, b) in itertools.product(enumerate(ORDERED), repeat=2):
        want = (i > j) - (i < j)
        assert semver.compare(a, b) == want, (a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("v1", "v1.0.0"),
        ("v1.2", "v1.2.0"),
        ("v1.2.3+meta", "v1.2.3"),
        ("v1.2.3+a", "v1.2.3+b"),
        ("bad", "v1.2.3.4"),
        ("", "x"),
    ],
)
def test_compare_equal(a: str, b: str) -> None:
    assert semver.compare(a, b) == 0
    assert semver.compare(b, a) == 0


def test_max_version() -> None:
    assert semver.max_version("v1.2", "v1.1.9") == "v1.2.0"
    assert semver.max_version("v1.2.3+meta", "v1.2.3") == "v1.2.3"
    assert semver.max_version("bad", "v0.0.1") == "v0.0.1"
    assert semver.max_version("bad", "worse") == ""


def test_sort_versions_breaks_ties_by_string() -> None:
    got = semver.sort_versions(["v1.2.3", "bad", "v1.2", "v1.2.0", "v1.2.3+b", "v1.2.3+a", "abc"])
    assert got == ["abc", "bad", "v1.2", "v1.2.0", "v1.2.3", "v1.2.3+a", "v1.2.3+b"]


def test_canonical_version_keeps_incompatible() -> None:
    assert canonical_version("v2.0.0+incompatible") == "v2.0.0+incompatible"
    assert canonical_version("v2.0+incompatible") == ""  # shorthands take no suffix
    assert canonical_version("v2.0.0+meta") == "v2.0.0"
    assert canonical_version("v2") == "v2.0.0"
    assert canonical_version("2.0.0") == ""


# --- differential tests against x/mod itself ------------------------------------

_TOKENS = [
    "v", "v", "v", "0", "1", "2", "9", "10", "01", "00", ".", ".", ".", "-", "-", "+",
    "alpha", "rc", "A", "Z", "x-y", "incompatible", "20200101000000", "abcdef123456",
    "_", " ", "é", "１", "\n", "!", "~",
]  # fmt: skip

version_like = st.one_of(
    st.lists(st.sampled_from(_TOKENS), max_size=12).map("".join),
    st.text(max_size=12),
)


def _check_one(xmod: Oracle, v: str) -> None:
    valid, canon, maj, mm, pre, bld, cv = xmod.ask("semver", v)
    assert semver.is_valid(v) is (valid == "1")
    assert semver.canonical(v) == canon
    assert semver.major(v) == maj
    assert semver.major_minor(v) == mm
    assert semver.prerelease(v) == pre
    assert semver.build(v) == bld
    assert canonical_version(v) == cv


def test_table_against_xmod(xmod: Oracle) -> None:
    for row in TABLE:
        _check_one(xmod, row[0])
    for a, b in itertools.product(ORDERED, repeat=2):
        cmp, mx = xmod.ask("compare", a, b)
        assert (semver.compare(a, b), semver.max_version(a, b)) == (int(cmp), mx)


@settings(max_examples=150, deadline=None)
@given(st.lists(version_like, max_size=20))
def test_functions_match_xmod(xmod: Oracle, versions: list[str]) -> None:
    for v in versions:
        _check_one(xmod, v)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(version_like, version_like), max_size=20))
def test_compare_matches_xmod(xmod: Oracle, pairs: list[tuple[str, str]]) -> None:
    for v, w in pairs:
        cmp, mx = xmod.ask("compare", v, w)
        assert semver.compare(v, w) == int(cmp), (v, w)
        assert semver.max_version(v, w) == mx, (v, w)


@settings(max_examples=100, deadline=None)
@given(st.lists(version_like, max_size=10))
def test_sort_matches_xmod(xmod: Oracle, versions: list[str]) -> None:
    assert semver.sort_versions(versions) == xmod.ask("sort", *versions)


# --- properties -------------------------------------------------------------------


@given(version_like)
def test_canonical_properties(v: str) -> None:
    c = semver.canonical(v)
    if not semver.is_valid(v):
        assert c == ""
        return
    assert semver.is_valid(c)
    assert semver.canonical(c) == c
    assert semver.build(c) == ""
    assert semver.compare(v, c) == 0
    assert c.startswith(semver.major_minor(c) + ".")
    assert semver.major_minor(v).startswith(semver.major(v))


@given(version_like, version_like, version_like)
def test_compare_is_a_total_preorder(a: str, b: str, c: str) -> None:
    assert semver.compare(a, b) == -semver.compare(b, a)
    assert semver.compare(a, a) == 0
    if semver.compare(a, b) <= 0 and semver.compare(b, c) <= 0:
        assert semver.compare(a, c) <= 0
    # Equal precedence means equal canonical form, for valid versions.
    if semver.is_valid(a) and semver.is_valid(b):
        assert (semver.compare(a, b) == 0) == (semver.canonical(a) == semver.canonical(b))


# --- the go command ---------------------------------------------------------------


def test_go_list_versions_filters_and_sorts_like_us(tmp_path: Path, go_env: dict[str, str]) -> None:
    """A file:// proxy's version list, as ``go list -m -versions`` filters and orders it."""
    listed = [
        "v1.0.0", "v1.0.0-RC1", "v1.2", "v1.0.0+meta", "v1.10.0", "v1.2.0-alpha.1",
        "v1.2.0-alpha.beta", "bogus", "v1.2.0-alpha", "v01.0.0", "v1.0.0-rc.01", "v1",
        "v0.0.0-20200101000000-abcdefabcdef", "v1.2.4-0.20200101000000-abcdefabcdef",
        "v1.2.3-pre.0.20200101000000-abcdefabcdef", "v1.2.0-alpha.10", "v1.2.0-alpha.9",
        "v1.0.0-0", "v1.0.0-a-b", "v1.0.0-A", "v1.0.0-2", "v1.0.0-10", "v1.0.0-x.1.2",
    ]  # fmt: skip
    proxy = tmp_path / "proxy"
    at_v = proxy / "example.com" / "versions" / "@v"
    at_v.mkdir(parents=True)
    (at_v / "list").write_text("".join(f"{v}\n" for v in listed))
    env = {**go_env, "GOPROXY": proxy.as_uri(), "GOFLAGS": ""}
    r = run_go(
        ["list", "-m", "-versions", "-retracted", "-json", "example.com/versions"], tmp_path, env
    )
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)["Versions"]
    want = semver.sort_versions(
        [v for v in listed if semver.is_valid(v) and not is_pseudo_version(v)]
    )
    assert got == want


def test_go_mod_edit_canonicalizes_like_us(tmp_path: Path, go_env: dict[str, str]) -> None:
    """``go mod edit -json`` stores require versions as module.CanonicalVersion does."""
    versions = [
        "v1", "v1.2", "v1.2.3", "v1.2.3+meta", "v2.0.0+incompatible", "v1.5.0+meta",
        "v1.2.3-pre+build.1", "v0.0.0-20200101000000-abcdefabcdef",
    ]  # fmt: skip
    mod = "module example.com/m\n\ngo 1.27\n\nrequire (\n"
    mod += "".join(f"\texample.com/r{i} {v}\n" for i, v in enumerate(versions)) + ")\n"
    (tmp_path / "go.mod").write_text(mod)
    r = run_go(["mod", "edit", "-json"], tmp_path, go_env)
    assert r.returncode == 0, r.stderr
    got = {req["Path"]: req["Version"] for req in json.loads(r.stdout)["Require"]}
    assert got == {f"example.com/r{i}": canonical_version(v) for i, v in enumerate(versions)}

    bad = ["1.2.3", "v1.2.3.4", "v01", "latest", "v1.2-pre", "v2+incompatible"]
    mod = "module example.com/m\n\ngo 1.27\n\n"
    mod += "".join(f"require example.com/b{i} {v}\n" for i, v in enumerate(bad))
    (tmp_path / "go.mod").write_text(mod)
    r = run_go(["mod", "edit", "-json"], tmp_path, go_env)
    assert r.returncode != 0
    for i, v in enumerate(bad):
        assert canonical_version(v) == ""
        want = f'go.mod:{5 + i}: require example.com/b{i}: version "{v}" invalid: must be of the form v1.2.3'
        assert want in r.stderr
