"""``--format sarif``: the log validates against the official SARIF 2.1.0 schema and has
what GitHub code scanning needs (rules for every ruleId, levels, 1-based regions,
relative URIs under the source root, stable fingerprints)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import jsonschema
import pytest

from gomod_doctor import __version__
from gomod_doctor.cli.main import main
from gomod_doctor.findings import CATALOG, Finding, RelatedInfo, Severity
from gomod_doctor.position import Position, Range
from gomod_doctor.report.sarif import FINGERPRINT_KEY, SRCROOT, render_sarif
from sarif_support import SCHEMA_ID, assert_valid

UNLISTED = "zz-test-unlisted-code"


def rng(line: int, col: int, end_line: int, end_col: int) -> Range:
    return Range(Position(line, col, 0), Position(end_line, end_col, 0))


def sample(root: Path, outside: Path) -> list[Finding]:
    app_mod = root / "app" / "go.mod"
    odd_sum = root / "dir with space" / "héllo ü#1" / "go.sum"
    cached = outside / "pkg" / "mod" / "golang.org" / "x" / "text@v0.14.0" / "go.mod"
    return [
        Finding(
            str(app_mod),
            rng(7, 2, 7, 18),
            "parse-error",
            Severity.ERROR,
            'require example.com/lib: version "master" invalid: must be of the form v1.2.3',
        ),
        Finding(
            str(odd_sum),
            rng(3, 1, 3, 74),
            "sum-duplicate",
            Severity.WARNING,
            "golang.org/x/text v0.14.0: two different hashes\n\tgo uses the first (line 1)",
            module="golang.org/x/text",
            version="v0.14.0",
            fixes=("remove-line",),
            data={"line": 3, "keep": (1,), "path": Path("x")},
            related=(
                RelatedInfo(str(odd_sum), rng(1, 1, 1, 74), "first hash: ünïcode"),
                RelatedInfo(str(cached), rng(1, 1, 1, 1), ""),
            ),
        ),
        Finding(
            str(cached),
            rng(1, 1, 1, 1),
            UNLISTED,
            Severity.INFORMATION,
            "the cached go.mod differs",
            module="golang.org/x/text",
            version="v0.14.0",
        ),
        Finding(str(app_mod), rng(2, 1, 4, 1), "sum-conflict", Severity.HINT, "hint ✓"),
        # Same problem twice: same fingerprint hash, told apart by the suffix.
        Finding(str(app_mod), rng(9, 1, 9, 5), "sum-malformed", Severity.ERROR, "bad line"),
        Finding(str(app_mod), rng(10, 1, 10, 5), "sum-malformed", Severity.ERROR, "bad line"),
    ]


def render(findings: list[Finding], cwd: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render_sarif(findings, cwd=str(cwd)))
    return doc


def uri_to_path(uri: str) -> str:
    parts = urlsplit(uri)
    assert parts.scheme == "file" and parts.netloc == ""
    return url2pathname(parts.path)


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "repo"
    root.mkdir()
    return root, tmp_path / "gopath"


def test_valid_against_official_schema(
    validator: jsonschema.Draft4Validator, layout: tuple[Path, Path]
) -> None:
    root, outside = layout
    assert_valid(validator, render(sample(root, outside), root))


def test_validator_rejects_broken_logs(
    validator: jsonschema.Draft4Validator, layout: tuple[Path, Path]
) -> None:
    root, outside = layout
    for path, value in (
        (("results", 0, "level"), "info"),
        (("results", 0, "locations", 0, "physicalLocation", "artifactLocation", "uri"), "a b"),
        (("results", 0, "locations", 0, "physicalLocation", "region", "startLine"), 0),
        (("originalUriBaseIds", SRCROOT, "uri"), "file:///a b/"),
        (("columnKind",), "bytes"),
    ):
        doc = render(sample(root, outside), root)
        node = doc["runs"][0]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        assert not validator.is_valid(doc), path


def test_empty_log_is_valid(
    validator: jsonschema.Draft4Validator, layout: tuple[Path, Path]
) -> None:
    doc = render([], layout[0])
    assert_valid(validator, doc)
    assert doc["runs"][0]["results"] == []
    assert [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]] == list(CATALOG)


def test_log_and_driver(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    doc = render(sample(root, outside), root)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"] == SCHEMA_ID
    assert len(doc["runs"]) == 1
    run = doc["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    driver = run["tool"]["driver"]
    assert driver["name"] == "gomod-doctor"
    assert driver["version"] == __version__
    assert "informationUri" not in driver  # the project has no public home page yet
    base = run["originalUriBaseIds"][SRCROOT]["uri"]
    assert base.endswith("/")
    assert Path(uri_to_path(base)) == root


def test_rules_from_catalog(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    rules = render(sample(root, outside), root)["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == [*CATALOG, UNLISTED]
    levels = {
        Severity.ERROR: "error",
        Severity.WARNING: "warning",
        Severity.INFORMATION: "note",
        Severity.HINT: "note",
    }
    for rule, info in zip(rules[: len(CATALOG)], CATALOG.values(), strict=True):
        assert rule["fullDescription"]["text"] == info.meaning
        assert info.meaning.startswith(rule["shortDescription"]["text"])
        assert rule["defaultConfiguration"]["level"] == levels[info.severity]
        if info.fixes:
            assert rule["help"]["text"] == info.fixes
    assert rules[-1]["defaultConfiguration"]["level"] == "note"


def test_github_code_scanning_requirements(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    findings = sample(root, outside)
    run = render(findings, root)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(set(ids)) == len(ids)
    assert len(run["results"]) == len(findings)
    for result, f in zip(run["results"], findings, strict=True):
        assert result["ruleId"] == f.code
        assert result["ruleId"] in ids
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note", "none")
        assert result["message"]["text"] == f.message
        (loc,) = result["locations"]
        region = loc["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert region == {
            "startLine": f.range.start.line,
            "startColumn": f.range.start.col,
            "endLine": f.range.end.line,
            "endColumn": f.range.end.col,
        }
        artifact = loc["physicalLocation"]["artifactLocation"]
        if Path(f.path).is_relative_to(root):
            assert artifact["uriBaseId"] == SRCROOT
            assert urlsplit(artifact["uri"]).scheme == ""
            assert not artifact["uri"].startswith("/")
        fp = result["partialFingerprints"][FINGERPRINT_KEY]
        assert isinstance(fp, str) and fp
    assert [r["level"] for r in run["results"]] == [
        "error",
        "warning",
        "note",
        "note",
        "error",
        "error",
    ]


def test_uris_are_encoded_and_resolve(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    findings = sample(root, outside)
    run = render(findings, root)["runs"][0]
    base = run["originalUriBaseIds"][SRCROOT]["uri"]

    def artifact(i: int) -> dict[str, str]:
        loc: dict[str, str] = run["results"][i]["locations"][0]["physicalLocation"][
            "artifactLocation"
        ]
        return loc

    assert artifact(0) == {"uri": "app/go.mod", "uriBaseId": SRCROOT}
    odd = artifact(1)
    assert odd == {
        "uri": "dir%20with%20space/h%C3%A9llo%20%C3%BC%231/go.sum",
        "uriBaseId": SRCROOT,
    }
    assert odd["uri"].isascii()
    assert uri_to_path(urljoin(base, odd["uri"])) == findings[1].path
    # Outside the source root: an absolute file URI and no base.
    cached = artifact(2)
    assert set(cached) == {"uri"}
    assert cached["uri"].startswith("file:///")
    assert uri_to_path(cached["uri"]) == findings[2].path
    assert unquote(urlsplit(cached["uri"]).path) == findings[2].path


def test_related_locations(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    findings = sample(root, outside)
    run = render(findings, root)["runs"][0]
    assert "relatedLocations" not in run["results"][0]
    first, second = run["results"][1]["relatedLocations"]
    assert first["id"] == 1 and second["id"] == 2
    assert first["message"] == {"text": "first hash: ünïcode"}
    assert first["physicalLocation"] == {
        "artifactLocation": {
            "uri": "dir%20with%20space/h%C3%A9llo%20%C3%BC%231/go.sum",
            "uriBaseId": SRCROOT,
        },
        "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 74},
    }
    assert "message" not in second
    assert second["physicalLocation"]["artifactLocation"]["uri"].startswith("file:///")


def test_properties(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    results = render(sample(root, outside), root)["runs"][0]["results"]
    assert "properties" not in results[0]
    assert results[1]["properties"] == {
        "module": "golang.org/x/text",
        "version": "v0.14.0",
        "fixes": ["remove-line"],
        "data": {"line": 3, "keep": [1], "path": "x"},
    }
    assert results[2]["properties"] == {"module": "golang.org/x/text", "version": "v0.14.0"}


def fingerprints(findings: list[Finding], cwd: Path) -> list[str]:
    results = render(findings, cwd)["runs"][0]["results"]
    return [r["partialFingerprints"][FINGERPRINT_KEY] for r in results]


def test_fingerprints_stable_and_distinct(tmp_path: Path) -> None:
    a, b = tmp_path / "checkout-a", tmp_path / "elsewhere" / "checkout-b"
    outside = tmp_path / "gopath"
    fa = fingerprints(sample(a, outside), a)
    # Another checkout of the same repository: the same fingerprints.
    assert fingerprints(sample(b, outside), b) == fa
    assert len(set(fa)) == len(fa)
    # Identical problems share the hash and differ in the occurrence suffix.
    assert fa[4].split(":") == [fa[5].split(":")[0], "1"]
    assert fa[5].endswith(":2")

    f = sample(a, outside)[1]
    moved = Finding(f.path, rng(40, 3, 40, 9), f.code, f.severity, f.message, f.module, f.version)
    reworded = Finding(
        f.path, f.range, f.code, f.severity, f.message.split("\n")[0] + "\nother detail", f.module
    )
    base = fingerprints([f], a)[0]
    # Where it sits and what follows the first line of the message do not count...
    assert fingerprints([moved], a)[0] == base
    assert fingerprints([reworded], a)[0] != base  # (version dropped)
    reworded = Finding(f.path, f.range, f.code, f.severity, reworded.message, f.module, f.version)
    assert fingerprints([reworded], a)[0] == base
    # ...but the code, module, version, first line and file do.
    for other in (
        Finding(f.path, f.range, "sum-malformed", f.severity, f.message, f.module, f.version),
        Finding(f.path, f.range, f.code, f.severity, f.message, "golang.org/x/mod", f.version),
        Finding(f.path, f.range, f.code, f.severity, f.message, f.module, "v0.15.0"),
        Finding(f.path, f.range, f.code, f.severity, "other first line", f.module, f.version),
        Finding(str(a / "go.sum"), f.range, f.code, f.severity, f.message, f.module, f.version),
    ):
        assert fingerprints([other], a)[0] != base


def test_default_cwd_and_non_ascii_text(
    validator: jsonschema.Draft4Validator,
    layout: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, outside = layout
    monkeypatch.chdir(root)
    text = render_sarif(sample(root, outside))
    assert "ünïcode" in text and text.endswith("}\n")
    doc = json.loads(text)
    assert_valid(validator, doc)
    assert doc == render(sample(root, outside), root)


def test_degenerate_ranges_are_clamped(
    validator: jsonschema.Draft4Validator, layout: tuple[Path, Path]
) -> None:
    root, _ = layout
    bad = Finding(str(root / "go.mod"), rng(0, 0, 0, 0), "parse-error", Severity.ERROR, "")
    doc = render([bad], root)
    assert_valid(validator, doc)
    result = doc["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "startColumn": 1,
        "endLine": 1,
        "endColumn": 1,
    }
    assert result["message"]["text"] == "parse-error"


@pytest.fixture
def isolated_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GOPATH", str(tmp_path / "gopath"))
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "gopath" / "pkg" / "mod"))
    monkeypatch.setenv("GOENV", str(home / ".config" / "go" / "env"))
    monkeypatch.setenv("GOTOOLCHAIN", "local")
    monkeypatch.delenv("GOWORK", raising=False)
    monkeypatch.delenv("GOFLAGS", raising=False)


@pytest.mark.usefixtures("isolated_go")
def test_check_command_writes_valid_sarif(
    validator: jsonschema.Draft4Validator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mod = tmp_path / "répo" / "go.mod"
    mod.parent.mkdir()
    mod.write_text("module example.com/m\n\ngo 1.22\n\nfrobnicate x\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = main(["check", "--offline", "--format", "sarif", str(mod.parent)])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert_valid(validator, doc)
    results = doc["runs"][0]["results"]
    parse = [r for r in results if r["ruleId"] == "parse-error"]
    assert len(parse) == 1
    loc = parse[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "r%C3%A9po/go.mod", "uriBaseId": SRCROOT}
    assert loc["region"]["startLine"] == 5
    assert os.path.samefile(
        uri_to_path(doc["runs"][0]["originalUriBaseIds"][SRCROOT]["uri"]), tmp_path
    )
