"""In-process tests of the checks: :class:`Facts` built by hand, each check run alone.

Nothing here reads a file or runs go: the workspace's files are in-memory
:class:`FileText` values under a directory that does not exist, the module cache's
state is a hand-made :class:`ModuleState`, and the network's answers a hand-made
:class:`NetworkFacts`. The end-to-end suites (test_scenarios.py, test_load_checks.py...)
assert the same findings against real go; these pin each check's own logic down
and run in well under a second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from gomod_doctor import engine
from gomod_doctor.cache import layout
from gomod_doctor.cache.modstate import FileStat, ModuleState
from gomod_doctor.checks import cache as cache_check
from gomod_doctor.checks import goversion, proxyhealth, replace, sums, syntax
from gomod_doctor.facts import DirInfo, Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.netfacts import Attempt, EntryRef, NetworkFacts, ProbeResult
from gomod_doctor.workspace import needs as build_needs
from gomod_doctor.workspace.imports import ImportSite, ModuleImports
from gomod_doctor.workspace.model import FileText, ModuleFiles, Snapshot, WorkspaceLocation

DEP = ("example.com/dep", "v1.0.0")
REQUIRE_DEP = "module example.com/m\n\ngo 1.21\n\nrequire example.com/dep v1.0.0\n"
DEP_SUMS = "example.com/dep v1.0.0 h1:zip0=\nexample.com/dep v1.0.0/go.mod h1:mod0=\n"
PROXY = "https://proxy.example.com"


def make_facts(
    root: Path,
    gomod: str,
    gosum: str | None = None,
    *,
    imports: Iterable[str] = (),
    env: GoEnv | None = None,
) -> Facts:
    """The facts of a one-module workspace at ``root`` (nothing on disk): its go.mod
    and go.sum texts, and a main.go importing ``imports``."""
    mf = ModuleFiles(root, FileText(root / "go.mod", gomod), FileText(root / "go.sum", gosum))
    snap = Snapshot(WorkspaceLocation(root=root, gomod=root / "go.mod"), modules=(mf,))
    mi = ModuleImports(root, files=[root / "main.go"], package_dirs=[""])
    for i, path in enumerate(imports):
        mi.imports[path] = [ImportSite(root / "main.go", 3 + i, 2)]
    known = {root: mi}
    return Facts(
        snapshot=snap,
        env=env or GoEnv(),
        needs=build_needs.compute(snap, known),
        imports=known,
    )


def cache_state(gomodcache: str, key: tuple[str, str], **kw: object) -> ModuleState:
    """The module cache's state of ``key``: nothing cached unless ``kw`` says so."""
    return ModuleState(*key, layout.module_files(gomodcache, *key), **kw)  # type: ignore[arg-type]


def codes(found: Iterable[Finding]) -> list[str]:
    return sorted(f.code for f in found)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "ws"  # never created: the checks read nothing


@pytest.fixture
def gomodcache(tmp_path: Path) -> str:
    return str(tmp_path / "modcache")


# --------------------------------------------------------------------------- syntax


def test_syntax_reports_an_unterminated_block_once_where_it_starts(root: Path) -> None:
    facts = make_facts(
        root, "module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/dep v1.0.0\n"
    )
    found = syntax.check(facts)
    assert codes(found) == ["parse-error"]
    (f,) = found
    assert f.severity == Severity.ERROR
    assert f.message == f"syntax error (unterminated block started at {root / 'go.mod'}:5:1)"


def test_syntax_finds_nothing_in_a_valid_gomod(root: Path) -> None:
    assert syntax.check(make_facts(root, REQUIRE_DEP, DEP_SUMS)) == []


# --------------------------------------------------------------------------- sums


def test_sum_missing_names_both_lines_go_wants_with_gos_fix(root: Path) -> None:
    facts = make_facts(root, REQUIRE_DEP, "", imports=["example.com/dep"])
    found = sums.check(facts)
    assert codes(found) == ["sum-missing"]
    (f,) = found
    assert f.severity == Severity.ERROR
    assert f.range.start.line == 5  # the require line
    assert f.message == (
        "example.com/dep@v1.0.0: missing go.sum entry for go.mod file; to add it:\n"
        "\tgo mod download example.com/dep\n"
        "missing go.sum entry for module providing package example.com/dep "
        "(imported by example.com/m); to add:\n"
        "\tgo get example.com/m"
    )


def test_sums_present_for_every_line_go_wants_say_nothing(root: Path) -> None:
    assert sums.check(make_facts(root, REQUIRE_DEP, DEP_SUMS, imports=["example.com/dep"])) == []


def test_sum_mismatch_against_the_cached_mod_on_the_require_and_the_gosum_line(
    root: Path, gomodcache: str
) -> None:
    facts = make_facts(root, REQUIRE_DEP, DEP_SUMS, imports=["example.com/dep"])
    facts.cache = {
        DEP: cache_state(gomodcache, DEP, stats={"mod": FileStat(30, 1)}, mod_h1="h1:other=")
    }
    found = sums.check(facts)
    assert codes(found) == ["sum-mismatch", "sum-mismatch"]
    assert {(Path(f.path).name, f.range.start.line) for f in found} == {
        ("go.mod", 5),
        ("go.sum", 2),
    }
    assert all(
        f.message == "verifying example.com/dep@v1.0.0/go.mod: checksum mismatch\n"
        "\tdownloaded: h1:other=\n"
        "\tgo.sum:     h1:mod0="
        for f in found
    )


def test_sums_agreeing_with_the_cache_say_nothing(root: Path, gomodcache: str) -> None:
    facts = make_facts(root, REQUIRE_DEP, DEP_SUMS, imports=["example.com/dep"])
    facts.cache = {
        DEP: cache_state(gomodcache, DEP, stats={"mod": FileStat(30, 1)}, mod_h1="h1:mod0=")
    }
    assert sums.check(facts) == []


# --------------------------------------------------------------------------- cache


def test_cache_missing_says_what_the_next_build_downloads_and_from_where(
    root: Path, gomodcache: str
) -> None:
    env = GoEnv(GOMODCACHE=gomodcache, GOPROXY=f"{PROXY},direct")
    facts = make_facts(root, REQUIRE_DEP, DEP_SUMS, imports=["example.com/dep"], env=env)
    facts.cache = {DEP: cache_state(gomodcache, DEP)}
    found = {f.code: f for f in cache_check.check(facts)}
    assert sorted(found) == ["cache-missing", "cache-missing-summary"]
    missing = found["cache-missing"]
    assert missing.severity == Severity.HINT  # go downloads it: not a problem
    assert missing.message == (
        "example.com/dep@v1.0.0 is not in the module cache: the next build will download "
        f"its go.mod and its source zip from {PROXY}"
    )
    assert missing.data["files"] == ["mod", "zip"]
    assert found["cache-missing-summary"].data["count"] == 1


def test_cache_missing_only_the_zip_when_the_mod_is_cached(root: Path, gomodcache: str) -> None:
    env = GoEnv(GOMODCACHE=gomodcache, GOPROXY=f"{PROXY},direct")
    facts = make_facts(root, REQUIRE_DEP, DEP_SUMS, imports=["example.com/dep"], env=env)
    facts.cache = {
        DEP: cache_state(
            gomodcache,
            DEP,
            stats={"mod": FileStat(30, 1), "info": FileStat(30, 1)},
            mod_h1="h1:mod0=",
        )
    }
    (missing,) = [f for f in cache_check.check(facts) if f.code == "cache-missing"]
    assert missing.message.endswith(f"the next build will download its source zip from {PROXY}")


# --------------------------------------------------------------------------- replace


def test_replace_missing_directory_in_gos_words(root: Path) -> None:
    gomod = (
        "module example.com/m\n\ngo 1.21\n\nreplace example.com/dep => ../dep\n"
        "require example.com/dep v1.0.0\n"
    )
    facts = make_facts(root, gomod, "", imports=["example.com/dep"])
    dep = root.parent / "dep"
    facts.dirs = {dep: DirInfo(dep, exists=False)}
    found = replace.check(facts)
    assert codes(found) == ["replace-missing"]
    (f,) = found
    assert f.severity == Severity.ERROR
    assert f.range.start.line == 5
    assert f.message == "example.com/dep@v1.0.0: replacement directory ../dep does not exist"


# --------------------------------------------------------------------------- go version


def test_go_line_newer_than_the_local_toolchain(root: Path) -> None:
    env = GoEnv(GOVERSION="go1.27.0", GOTOOLCHAIN="local")
    found = goversion.check(make_facts(root, "module example.com/m\n\ngo 1.999\n", env=env))
    assert codes(found) == ["go-version"]
    (f,) = found
    assert f.severity == Severity.ERROR
    assert f.range.start.line == 3
    assert f.message == "go.mod requires go >= 1.999 (running go 1.27.0; GOTOOLCHAIN=local)"


def test_go_line_the_toolchain_can_build(root: Path) -> None:
    env = GoEnv(GOVERSION="go1.27.0", GOTOOLCHAIN="local")
    assert goversion.check(make_facts(root, "module example.com/m\n\ngo 1.21\n", env=env)) == []


# --------------------------------------------------------------------------- the engine


def test_engine_runs_every_check_and_reports_a_failing_one(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(facts: Facts) -> list[Finding]:
        raise RuntimeError("boom")

    checks: list[tuple[str, Callable[[Facts], list[Finding]]]] = [
        *engine.CHECKS,
        ("broken", broken),
    ]
    monkeypatch.setattr(engine, "CHECKS", checks)
    facts = make_facts(root, REQUIRE_DEP, "", imports=["example.com/dep"])
    result = engine.run(facts)
    assert "sum-missing" in codes(result.findings)
    assert len(result.internal_errors) == 1 and "broken" in result.internal_errors[0]


# --------------------------------------------------------------------------- proxy health


def _probe(index: int, kind: str, latency: float, reason: str = "") -> ProbeResult:
    entry = EntryRef(
        index, "proxy", f"https://p{index}.example.com", False, f"p{index}.example.com"
    )
    attempt = Attempt(
        entry,
        f"{entry.url}/x/@v/v1.0.0.info",
        "info",
        kind,  # type: ignore[arg-type]
        reason=reason,
        latency=latency,
        go_error="" if kind == "ok" else f"dial tcp: {reason}",
    )
    return ProbeResult(entry, "example.com/x", "v1.0.0", attempt)


def _network(*probes: ProbeResult) -> NetworkFacts:
    return NetworkFacts(
        goproxy=",".join(p.entry.url for p in probes),
        entries=[p.entry for p in probes],
        probes=list(probes),
    )


@pytest.mark.parametrize(
    ("probes", "status"),
    [
        ((_probe(0, "ok", 0.05),), "ok"),
        ((_probe(0, "ok", proxyhealth.SLOW_PROXY + 1),), "degraded"),
        ((_probe(0, "error", 0.01, "refused"), _probe(1, "ok", 0.05)), "degraded"),
        ((_probe(0, "error", 0.01, "refused"),), "unreachable"),
    ],
)
def test_proxy_health_verdict(probes: tuple[ProbeResult, ...], status: str) -> None:
    got, detail = proxyhealth.proxy_health(_network(*probes))
    assert got == status
    assert detail.startswith("p0.example.com: ")


def test_proxy_health_before_any_answer_and_offline() -> None:
    assert proxyhealth.proxy_health(None)[0] == "unknown"
    assert proxyhealth.proxy_health(NetworkFacts(goproxy="off", offline=True))[0] == "off"
