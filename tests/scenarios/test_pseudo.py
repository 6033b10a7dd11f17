"""gomod_doctor.module.pseudo: pseudo-versions, checked against x/mod's pseudo.go."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gomod_doctor.module import (
    InvalidVersionError,
    ModuleError,
    is_pseudo_version,
    is_zero_pseudo_version,
    pseudo_version,
    pseudo_version_base,
    pseudo_version_rev,
    pseudo_version_time,
    semver,
    zero_pseudo_version,
)
from xmod_oracle import Oracle, oracle


@pytest.fixture(scope="module")
def xmod() -> Oracle:
    return oracle()


TS = "20191109021931"
REV = "daa7c04131f5"

# (version, is pseudo, base or "E<error reason>")
PSEUDO: list[tuple[str, bool, str]] = [
    (f"v0.0.0-{TS}-{REV}", True, ""),
    (f"v2.0.0-{TS}-{REV}", True, ""),
    (f"v1.2.4-0.{TS}-{REV}", True, "v1.2.3"),
    (f"v1.2.10-0.{TS}-{REV}", True, "v1.2.9"),
    (f"v1.2.100-0.{TS}-{REV}", True, "v1.2.99"),
    (f"v1.2.4-0.{TS}-{REV}+incompatible", True, "v1.2.3+incompatible"),
    (f"v1.2.3-pre.0.{TS}-{REV}", True, "v1.2.3-pre"),
    (f"v1.2.3-pre.0.{TS}-{REV}+incompatible", True, "v1.2.3-pre+incompatible"),
    (f"v1.2.3-0.0.{TS}-{REV}", True, "v1.2.3-0"),
    (f"v1.2.3-a.b.0.{TS}-{REV}", True, "v1.2.3-a.b"),
    (f"v1.2.0-0.{TS}-{REV}", True, "Eversion before v1.2.0 would have negative patch number"),
    (f"v0.0.0-0.{TS}-{REV}", True, "Eversion before v0.0.0 would have negative patch number"),
    (
        f"v2.0.0-{TS}-{REV}+incompatible",
        True,
        'Elacks base version, but has build metadata "+incompatible"',
    ),
    (f"v1.2.3-{TS}-{REV}", False, "Esyntax error"),  # form 1 needs vX.0.0
    ("v1.2.3", False, "Esyntax error"),
    ("v1.2.3-pre", False, "Esyntax error"),
    (f"v0.0.0-{TS[:-1]}-{REV}", False, "Esyntax error"),
    (f"v0.0.0-{TS}1-{REV}", False, "Esyntax error"),
    (f"v0.0.0-{TS}-", False, "Esyntax error"),
    (f"v0.0.0-{TS}-{REV}+", False, "Esyntax error"),
    (f"v0.0.0-{TS}-dead_beef", False, "Esyntax error"),
    (f"v0.0.0-{TS}", False, "Esyntax error"),
    (f"v1.2.4-1.{TS}-{REV}", False, "Esyntax error"),
    (f"v01.0.0-{TS}-{REV}", False, "Esyntax error"),
    (f"v0.0.0-{TS}-{REV}\n", False, "Esyntax error"),
    ("", False, "Esyntax error"),
]


def _outcome(fn: Callable[[str], str], v: str) -> str:
    try:
        return fn(v)
    except InvalidVersionError as e:
        assert e.version == v and e.pseudo
        return "E" + str(e.err)


@pytest.mark.parametrize(("v", "is_pseudo", "base"), PSEUDO)
def test_pseudo_version_table(v: str, is_pseudo: bool, base: str) -> None:
    assert is_pseudo_version(v) is is_pseudo
    assert _outcome(pseudo_version_base, v) == base
    if is_pseudo:
        assert pseudo_version_rev(v) == REV
        assert pseudo_version_time(v) == TS


def test_errors_read_as_go_prints_them() -> None:
    with pytest.raises(InvalidVersionError) as info:
        pseudo_version_rev("v1.2.3")
    assert str(info.value) == 'pseudo-version "v1.2.3" invalid: syntax error'
    assert str(ModuleError("x.y/z", "", info.value)) == (
        "x.y/z@v1.2.3: invalid pseudo-version: syntax error"
    )


@pytest.mark.parametrize(
    ("ts", "ok"),
    [
        ("20200229000000", True),
        ("20190229000000", False),
        ("21000229000000", False),
        ("20000229000000", True),
        ("00000229000000", True),  # Go accepts year 0, a leap year
        ("20191301000000", False),
        ("20190001000000", False),
        ("20190100000000", False),
        ("20190431000000", False),
        ("20191231235959", True),
        ("20191231240000", False),
        ("20191231236000", False),
        ("20191231235960", False),
    ],
)
def test_pseudo_version_time(ts: str, ok: bool) -> None:
    v = f"v0.0.0-{ts}-{REV}"
    if ok:
        assert pseudo_version_time(v) == ts
        return
    with pytest.raises(InvalidVersionError) as info:
        pseudo_version_time(v)
    assert str(info.value) == f'pseudo-version "{v}" invalid: malformed time "{ts}"'


T = datetime(2019, 11, 9, 2, 19, 31)


@pytest.mark.parametrize(
    ("major", "older", "t", "want"),
    [
        ("v1", "", T, f"v1.0.0-{TS}-{REV}"),
        ("", "", T, f"v0.0.0-{TS}-{REV}"),
        ("v1", "v1.2.3", T, f"v1.2.4-0.{TS}-{REV}"),
        ("v1", "v1.2.9", T, f"v1.2.10-0.{TS}-{REV}"),
        ("v1", "v1.2", T, f"v1.2.1-0.{TS}-{REV}"),
        ("v2", "v2.0.0+incompatible", T, f"v2.0.1-0.{TS}-{REV}+incompatible"),
        ("v1", "v1.2.3-pre", T, f"v1.2.3-pre.0.{TS}-{REV}"),
        ("v1", "v1.2.3-pre+incompatible", T, f"v1.2.3-pre.0.{TS}-{REV}+incompatible"),
        ("v1", "not-semver", T, f"v1.0.0-{TS}-{REV}"),
        (
            "v1",
            "",
            datetime(2019, 11, 9, 4, 19, 31, tzinfo=timezone(timedelta(hours=2))),
            f"v1.0.0-{TS}-{REV}",
        ),
    ],
)
def test_make_pseudo_version(major: str, older: str, t: datetime, want: str) -> None:
    assert pseudo_version(major, older, t, REV) == want


def test_zero_pseudo_version() -> None:
    assert zero_pseudo_version("v0") == "v0.0.0-00010101000000-000000000000"
    assert zero_pseudo_version("") == "v0.0.0-00010101000000-000000000000"
    assert zero_pseudo_version("v2") == "v2.0.0-00010101000000-000000000000"
    assert is_zero_pseudo_version("v2.0.0-00010101000000-000000000000")
    assert is_zero_pseudo_version("v0.0.0-00010101000000-000000000000")
    assert not is_zero_pseudo_version(f"v0.0.0-{TS}-{REV}")
    assert not is_zero_pseudo_version("v2.0.0-00010101000000-000000000001")


# --- differential tests against x/mod itself --------------------------------------


def _go_style(fn: Callable[[str], str], v: str) -> str:
    try:
        return "V" + fn(v)
    except InvalidVersionError as e:
        return "E" + str(e)


def _check_against(xmod: Oracle, v: str) -> None:
    is_pseudo, is_zero, base, ts, rev = xmod.ask("pseudo", v)
    assert is_pseudo_version(v) is (is_pseudo == "1"), v
    assert is_zero_pseudo_version(v) is (is_zero == "1"), v
    assert _go_style(pseudo_version_base, v) == base, v
    assert _go_style(pseudo_version_time, v) == ts, v
    assert _go_style(pseudo_version_rev, v) == rev, v


def test_tables_against_xmod(xmod: Oracle) -> None:
    for v, _, _ in PSEUDO:
        _check_against(xmod, v)
    for major in ("", "v0", "v1", "v2", "v10"):
        assert xmod.ask("zeropseudo", major) == [zero_pseudo_version(major)]


_TOKENS = [
    "v", "0", "1", "2", "9", "10", ".", "-", "+", "0.", "0.0-", "pre", "incompatible",
    TS, "20200229000000", "20190229000000", "00010101000000", "99991231235959", REV,
    "000000000000", "_", "a",
]  # fmt: skip

# Characters unassigned in Python's Unicode database are left out: Go's tables are
# newer and may quote such a character as printable.
pseudo_like = st.lists(st.sampled_from(_TOKENS), max_size=12).map("".join) | st.text(
    st.characters(exclude_categories=("Cs", "Cn")), max_size=20
)


@settings(max_examples=150, deadline=None)
@given(st.lists(pseudo_like, max_size=20))
def test_matches_xmod(xmod: Oracle, versions: list[str]) -> None:
    for v in versions:
        _check_against(xmod, v)


_times = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
_majors = st.sampled_from(["", "v0", "v1", "v2", "v11"])
_olders = st.one_of(
    st.just(""),
    st.sampled_from(["v1.2.3", "v1.2", "v0.0.0", "v1.9.99", "v2.0.0+incompatible", "v1.2.3-pre",
                     "v1.2.3-0", "v1.2.3-pre.0", "v1.2.3+meta", "bogus"]),
    st.lists(st.sampled_from(["v", "1", "0", "9", ".", "-", "+", "a", "incompatible"]), max_size=9).map("".join),
)  # fmt: skip
_revs = st.text("0123456789abcdefABC", min_size=1, max_size=14)


@settings(max_examples=300, deadline=None)
@given(_majors, _olders, _times, _revs)
def test_make_matches_xmod(xmod: Oracle, major: str, older: str, t: datetime, rev: str) -> None:
    ts = (
        t.strftime("%Y%m%d%H%M%S") if t.year >= 1000 else f"{t.year:04d}" + t.strftime("%m%d%H%M%S")
    )
    assert xmod.ask("mkpseudo", major, older, ts, rev) == [
        "V" + pseudo_version(major, older, t, rev)
    ]


@given(_majors, _olders, _times, _revs)
def test_pseudo_version_parts_round_trip(major: str, older: str, t: datetime, rev: str) -> None:
    v = pseudo_version(major, older, t, rev)
    assert is_pseudo_version(v)
    assert pseudo_version_rev(v) == rev
    assert pseudo_version_time(v) == f"{t.year:04d}" + t.strftime("%m%d%H%M%S")
    canon = semver.canonical(older)
    if not canon:
        assert pseudo_version_base(v) == ""
        assert semver.major(v) == (major or "v0")
        return
    assert pseudo_version_base(v) == canon + semver.build(older)
    # A pseudo-version sorts after the tag it is based on...
    assert semver.compare(v, older) > 0
    # ...and, for a release tag, before the next patch release.
    if not semver.prerelease(canon):
        assert semver.prerelease(v).startswith("-0.")
        next_patch = semver.canonical(v)[: -len(semver.prerelease(v))]
        assert semver.compare(v, next_patch) < 0
