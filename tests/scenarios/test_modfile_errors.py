"""Bad go.mod / go.work inputs, each checked against the real go's own output.

Every case runs ``go mod edit -json`` (or ``go work edit -json``) once, in a
temp dir; the error lines we would print must equal go's, and go's first line
must be the one the table expects (so the table documents what each case is).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from gomod_doctor.modfile.rules import mod_to_json, parse_mod
from gomod_doctor.modfile.syntax import LineBlock, parse_syntax
from gomod_doctor.modfile.work import parse_work, work_to_json
from gomod_doctor.position import Position
from gotool import isolated_env, run_go


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    first: str  # go's first error line
    work: bool = False


M = "module example.com/m\n"
W = "go 1.22\n"

CASES = [
    # --- syntax (read.go) -------------------------------------------------------
    Case(
        "unterminated-block",
        M + "\nrequire (\n\tgolang.org/x/net v1.0.0\n",
        "go.mod:5: syntax error (unterminated block started at go.mod:3:1)",
    ),
    Case(
        "unterminated-block-no-newline",
        M + "require (\n\ta v1.0.0\n  ",
        "go.mod:4:3: syntax error (unterminated block started at go.mod:2:1)",
    ),
    Case(
        "block-inside-block",
        M + "require (\n\ta v1.0.0\nreplace (\n\tb => ../b\n)\n",
        'go.mod:4: require replace: version "(" invalid: must be of the form v1.2.3',
    ),
    Case(
        "paren-then-token",
        M + "require (\n\ta v1.0.0\n) x\n",
        "go.mod:4:4: syntax error (expected newline after closing paren)",
    ),
    Case(
        "paren-then-paren",
        M + "require (\n)()\n",
        "go.mod:3:3: syntax error (expected newline after closing paren)",
    ),
    Case(
        "newline-in-string",
        M + 'require "golang.org/x/net v1.0.0\n',
        "go.mod:2:33: unexpected newline in string",
    ),
    Case("eof-in-string", M + 'module "abc', "go.mod:2:8: unexpected EOF in string"),
    Case("eof-in-raw-string", M + "module `abc", "go.mod:2:8: unexpected EOF in string"),
    Case("eof-after-backslash", M + 'module "abc\\', "go.mod:2:8: unexpected EOF in string"),
    Case(
        "escaped-newline-in-string",
        M + 'require "a\\\nb" v1.0.0\n',
        "go.mod:2: invalid quoted string: invalid syntax",
    ),
    Case(
        "vertical-tab",
        M + "require a\vb v1.0.0\n",
        "go.mod:2:10: unexpected input character '\\v'",
    ),
    Case("nul", M + "go 1.21\x00\n", "go.mod:2:8: unexpected input character '\\x00'"),
    Case("nbsp", M + "go\u00a01.21\n", "go.mod:2:3: unexpected input character '\\u00a0'"),
    Case("bom", "\ufeff" + M, "go.mod:1: unexpected input character '\\ufeff'"),
    Case("del", M + "go 1.21 \x7f\n", "go.mod:2:9: unexpected input character '\\x7f'"),
    Case(
        "slash-star",
        M + "/* comment */\n",
        "go.mod:2: mod files must use // comments (not /* */ comments)",
    ),
    Case(
        "slash-star-in-token",
        M + "require a/*b v1.0.0\n",
        "go.mod:2:10: mod files must use // comments (not /* */ comments)",
    ),
    Case(
        "non-ascii-column",
        M + 'require "ü/ö/日本" v1.0.0 \x01\n',
        "go.mod:2:25: unexpected input character '\\x01'",
    ),
    Case(
        "non-ascii-comment-then-bad-line",
        "// ünïcödé 日本語 comment\nmodule x\ngo 1.21 \x02\n",
        "go.mod:3:9: unexpected input character '\\x02'",
    ),
    Case(
        "syntax-error-in-work",
        W + 'use "./a\n',
        "go.work:2:9: unexpected newline in string",
        work=True,
    ),
    Case(
        "work-unterminated",
        W + "use (\n\t./a\n",
        "go.work:4: syntax error (unterminated block started at go.work:2:1)",
        work=True,
    ),
    # --- directives (rule.go) ---------------------------------------------------
    Case("unknown-directive", M + "frobnicate\n", "go.mod:2: unknown directive: frobnicate"),
    Case("unknown-directive-args", M + "frob a b c\n", "go.mod:2: unknown directive: frob"),
    Case("unknown-block", M + "frob (\n\tx\n)\n", "go.mod:2: unknown block type: frob"),
    Case(
        "block-with-two-tokens",
        M + "require foo (\n\ta v1.0.0\n)\n",
        "go.mod:2: unknown block type: require foo",
    ),
    Case("go-block", M + "go (\n\t1.21\n)\n", "go.mod:2: unknown block type: go"),
    Case("toolchain-block", M + "toolchain (\n)\n", "go.mod:2: unknown block type: toolchain"),
    Case("repeated-module", M + M, "go.mod:2: repeated module statement"),
    Case("module-no-arg", "module\n", "go.mod:1: usage: module module/path"),
    Case("module-two-args", "module a b\n", "go.mod:1: usage: module module/path"),
    Case(
        "module-bad-quote",
        'module "a\\q"\n',
        "go.mod:1: invalid quoted string: invalid syntax",
    ),
    Case(
        "module-raw-string",
        "module `a`\n",
        "go.mod:1: invalid quoted string: unquoted string cannot contain quote",
    ),
    Case(
        "module-single-quote",
        "module 'a'\n",
        "go.mod:1: invalid quoted string: unquoted string cannot contain quote",
    ),
    Case(
        "module-in-block-twice",
        "module (\n\ta\n\tb\n)\n",
        "go.mod:3:2: repeated module statement",
    ),
    Case("repeated-go", M + "go 1.21\ngo 1.22\n", "go.mod:3: repeated go statement"),
    Case("go-no-arg", M + "go\n", "go.mod:2: go directive expects exactly one argument"),
    Case(
        "go-two-args", M + "go 1.21 1.22\n", "go.mod:2: go directive expects exactly one argument"
    ),
    Case(
        "go-v-prefix",
        M + "go v1.21\n",
        "go.mod:2: invalid go version 'v1.21': must match format 1.23.0",
    ),
    Case(
        "go-four-parts",
        M + "go 1.21.0.1\n",
        "go.mod:2: invalid go version '1.21.0.1': must match format 1.23.0",
    ),
    Case(
        "go-leading-zero",
        M + "go 1.021\n",
        "go.mod:2: invalid go version '1.021': must match format 1.23.0",
    ),
    Case(
        "go-bad-rc",
        M + "go 1.21rc\n",
        "go.mod:2: invalid go version '1.21rc': must match format 1.23.0",
    ),
    Case(
        "go-quoted",
        M + 'go "1.21"\n',
        "go.mod:2: invalid go version '\"1.21\"': must match format 1.23.0",
    ),
    Case(
        "repeated-toolchain",
        M + "toolchain go1.22\ntoolchain go1.23\n",
        "go.mod:3: repeated toolchain statement",
    ),
    Case(
        "toolchain-no-arg",
        M + "toolchain\n",
        "go.mod:2: toolchain directive expects exactly one argument",
    ),
    Case(
        "toolchain-bad",
        M + "toolchain 1.22\n",
        "go.mod:2: invalid toolchain version '1.22': must match format go1.23.0 or default",
    ),
    Case(
        "toolchain-go2",
        M + "toolchain go2\n",
        "go.mod:2: invalid toolchain version 'go2': must match format go1.23.0 or default",
    ),
    Case("godebug-no-eq", M + "godebug foo\n", "go.mod:2: usage: godebug key=value"),
    Case("godebug-two-args", M + "godebug a=1 b=2\n", "go.mod:2: usage: godebug key=value"),
    Case("godebug-comma", M + "godebug a=1,b=2\n", "go.mod:2: usage: godebug key=value"),
    Case("godebug-quoted", M + 'godebug "a=1"\n', "go.mod:2: usage: godebug key=value"),
    Case(
        "godebug-block-entry",
        M + "godebug (\n\ta=1\n\tb\n)\n",
        "go.mod:4:2: usage: godebug key=value",
    ),
    Case("require-one-arg", M + "require a\n", "go.mod:2: usage: require module/path v1.2.3"),
    Case(
        "require-three-args",
        M + "require a v1.0.0 x\n",
        "go.mod:2: usage: require module/path v1.2.3",
    ),
    Case(
        "require-in-block-usage",
        M + "require (\n\ta\n)\n",
        "go.mod:3:2: usage: require module/path v1.2.3",
    ),
    Case(
        "require-bad-quote",
        M + 'require "a\\z" v1.0.0\n',
        "go.mod:2: invalid quoted string: invalid syntax",
    ),
    Case(
        "require-bad-version",
        M + "require golang.org/x/net 1.2.3\n",
        'go.mod:2: require golang.org/x/net: version "1.2.3" invalid: must be of the form v1.2.3',
    ),
    Case(
        "require-latest",
        M + "require golang.org/x/net latest\n",
        'go.mod:2: require golang.org/x/net: version "latest" invalid: must be of the form v1.2.3',
    ),
    Case(
        "require-quoted-bad-version",
        M + "require a `v1`\n",
        'go.mod:2: require a: version "`v1`" invalid: unquoted string cannot contain quote',
    ),
    Case(
        "require-major-v2-path-v1-version",
        M + "require example.com/a/v2 v1.0.0\n",
        'go.mod:2: require example.com/a/v2: version "v1.0.0" invalid: should be v2, not v1',
    ),
    Case(
        "require-v2-version-no-suffix",
        M + "require example.com/a v2.0.0\n",
        'go.mod:2: require example.com/a: version "v2.0.0" invalid: should be v0 or v1, not v2',
    ),
    Case(
        "require-gopkg-in",
        M + "require gopkg.in/yaml.v3 v2.0.0\n",
        'go.mod:2: require gopkg.in/yaml.v3: version "v2.0.0" invalid: should be v3, not v2',
    ),
    Case(
        "require-invalid-path-v1",
        M + "require example.com/a/v1 v1.0.0\n",
        "go.mod:2: invalid module path",
    ),
    Case(
        "require-invalid-gopkg",
        M + "require gopkg.in/yaml v1.0.0\n",
        "go.mod:2: invalid module path",
    ),
    Case(
        "require-block-mismatch",
        M + "require (\n\ta v1.0.0\n\tb/v3 v2.0.0\n)\n",
        'go.mod:4:2: require b/v3: version "v2.0.0" invalid: should be v3, not v2',
    ),
    Case("exclude-usage", M + "exclude a\n", "go.mod:2: usage: exclude module/path v1.2.3"),
    Case(
        "exclude-mismatch",
        M + "exclude x/v2 v1.0.0\n",
        'go.mod:2: exclude x/v2: version "v1.0.0" invalid: should be v2, not v1',
    ),
    Case(
        "replace-no-arrow",
        M + "replace a ../a\n",
        "go.mod:2: usage: replace module/path [v1.2.3] => other/module v1.4",
    ),
    Case(
        "replace-too-many",
        M + "replace a v1.0.0 => b v1.0.0 x\n",
        "go.mod:2: usage: replace module/path [v1.2.3] => other/module v1.4",
    ),
    Case(
        "replace-in-block-usage",
        M + "replace (\n\ta\n)\n",
        "go.mod:3:2: usage: replace module/path [v1.2.3] => other/module v1.4",
    ),
    Case(
        "replace-bad-quote-old",
        M + 'replace "a\\q" => ../a\n',
        "go.mod:2: invalid quoted string: invalid syntax",
    ),
    Case(
        "replace-bad-quote-new",
        M + "replace a => ../`a`\n",
        "go.mod:2: invalid quoted string: unquoted string cannot contain quote",
    ),
    Case(
        "replace-invalid-path",
        M + "replace a/v1 => ../a\n",
        "go.mod:2: replace a/v1: invalid module path",
    ),
    Case(
        "replace-old-version-invalid",
        M + "replace a v1 x => ../a\n",
        "go.mod:2: usage: replace module/path [v1.2.3] => other/module v1.4",
    ),
    Case(
        "replace-old-version-bad",
        M + "replace a vX => ../a\n",
        'go.mod:2: replace a: version "vX" invalid: must be of the form v1.2.3',
    ),
    Case(
        "replace-old-major-mismatch",
        M + "replace a/v2 v1.0.0 => ../a\n",
        'go.mod:2: replace a/v2: version "v1.0.0" invalid: should be v2, not v1',
    ),
    Case(
        "replace-not-directory",
        M + "replace a => b\n",
        "go.mod:2: replacement module without version must be directory path "
        "(rooted or starting with . or ..)",
    ),
    Case(
        "replace-path-at-version",
        M + "replace a => b@v1.0.0\n",
        "go.mod:2: replacement module must match format 'path version', not 'path@version'",
    ),
    Case(
        "replace-windows-path",
        M + "replace a => .\\b\n",
        "go.mod:2: replacement directory appears to be Windows path (on a non-windows system)",
    ),
    Case(
        "replace-dir-with-version",
        M + "replace a => ../b v1.0.0\n",
        'go.mod:2: replacement module directory path "../b" cannot have version',
    ),
    Case(
        "replace-new-version-bad",
        M + "replace a => b v1.x\n",
        'go.mod:2: replace b: version "v1.x" invalid: must be of the form v1.2.3',
    ),
    Case("retract-empty", M + "retract\n", "go.mod:2: expected '[' or version"),
    Case("retract-paren", M + "retract ( x\n", "go.mod:2: expected '[' or version"),
    Case("retract-open", M + "retract [\n", "go.mod:2: expected version after '['"),
    Case("retract-no-comma", M + "retract [v1.0.0\n", "go.mod:2: expected ',' after version"),
    Case("retract-no-high", M + "retract [v1.0.0,\n", "go.mod:2: expected version after ','"),
    Case(
        "retract-no-close",
        M + "retract [v1.0.0, v1.1.0\n",
        "go.mod:2: expected ']' after version",
    ),
    Case(
        "retract-trailing",
        M + "retract v1.0.0 v1.1.0\n",
        'go.mod:2: unexpected token after version: "v1.1.0"',
    ),
    Case(
        "retract-bad-quote",
        M + "retract 'v1'\n",
        "go.mod:2: retract: version \"'v1'\" invalid: unquoted string cannot contain quote",
    ),
    Case(
        "retract-block-entry",
        M + "retract (\n\tv1.0.0\n\t[v1.1.0]\n)\n",
        "go.mod:4:2: expected ',' after version",
    ),
    Case("tool-no-arg", M + "tool\n", "go.mod:2: tool directive expects exactly one argument"),
    Case(
        "tool-bad-quote",
        M + 'tool "a\\x4"\n',
        "go.mod:2: invalid quoted string: invalid syntax",
    ),
    Case(
        "ignore-two-args",
        M + "ignore a b\n",
        "go.mod:2: ignore directive expects exactly one argument",
    ),
    Case("use-in-go-mod", M + "use ./a\n", "go.mod:2: unknown directive: use"),
    # --- go.work (work.go) ------------------------------------------------------
    Case("work-module", W + M, "go.work:2: unknown directive: module", work=True),
    Case(
        "work-require", W + "require a v1.0.0\n", "go.work:2: unknown directive: require", work=True
    ),
    Case(
        "work-require-block",
        W + "require (\n)\n",
        "go.work:2: unknown block type: require",
        work=True,
    ),
    Case("work-use-usage", W + "use\n", "go.work:2: usage: use local/dir", work=True),
    Case("work-use-two", W + "use ./a ./b\n", "go.work:2: usage: use local/dir", work=True),
    Case(
        "work-use-block-usage",
        W + "use (\n\t./a\n\t./b ./c\n)\n",
        "go.work:4:2: usage: use local/dir",
        work=True,
    ),
    Case(
        "work-use-bad-quote",
        W + 'use "./a\\q"\n',
        "go.work:2: invalid quoted string: invalid syntax",
        work=True,
    ),
    Case(
        "work-replace",
        W + "replace a => b\n",
        "go.work:2: replacement module without version must be directory path "
        "(rooted or starting with . or ..)",
        work=True,
    ),
    Case("work-repeated-go", W + W, "go.work:2: repeated go statement", work=True),
    Case(
        "work-go-bad",
        "go 1.22.x\n",
        "go.work:1: invalid go version '1.22.x': must match format 1.23.0",
        work=True,
    ),
    Case(
        "work-toolchain-bad",
        W + "toolchain gox\n",
        "go.work:2: invalid toolchain version 'gox': must match format go1.23.0 or default",
        work=True,
    ),
    Case("work-godebug-bad", W + "godebug x\n", "go.work:2: usage: godebug key=value", work=True),
    Case(
        "work-retract", W + "retract v1.0.0\n", "go.work:2: unknown directive: retract", work=True
    ),
    Case("work-go-block", W + "go (\n)\n", "go.work:2: unknown block type: go", work=True),
    # --- several errors at once ----------------------------------------------
    Case(
        "many-errors",
        M
        + "go 1.21\nfrob\nrequire (\n\ta v1.0.0\n\tb v2.0.0\n\tc\n)\n"
        + "replace x => y\nretract [v1\ngo 1.22\n",
        "go.mod:3: unknown directive: frob",
    ),
    Case(
        "many-work-errors",
        W + "use (\n\t./a\n\t./b x\n)\nmodule m\nreplace a => b\n",
        "go.work:4:2: usage: use local/dir",
        work=True,
    ),
]


@dataclass
class GoResult:
    ok: bool
    stdout: str
    errors: list[str]


def _run(base: Path, env: dict[str, str], i: int, case: Case) -> GoResult:
    d = base / f"c{i}"
    d.mkdir()
    name = "go.work" if case.work else "go.mod"
    (d / name).write_bytes(case.text.encode("utf-8"))
    r = run_go(["work" if case.work else "mod", "edit", "-json", name], d, env)
    if r.returncode == 0:
        return GoResult(True, r.stdout, [])
    lines = r.stderr.splitlines()
    skip = 2 if case.work else 1
    return GoResult(False, "", lines[skip:])


@pytest.fixture(scope="module")
def go_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GoResult]:
    base = tmp_path_factory.mktemp("errors")
    env = isolated_env(base / "goenv")
    with ThreadPoolExecutor(4) as ex:
        results = list(ex.map(lambda a: _run(base, env, *a), enumerate(CASES)))
    return {c.id: r for c, r in zip(CASES, results, strict=True)}


def test_case_ids_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_error_matches_go(case: Case, go_results: dict[str, GoResult]) -> None:
    res = go_results[case.id]
    assert not res.ok, f"go accepted {case.text!r}: {res.stdout}"
    assert res.errors[0] == case.first
    f = parse_work(case.text) if case.work else parse_mod(case.text)
    ours = "\n".join(e.go_text for e in f.go_errors).splitlines()
    assert ours == res.errors
    # The reported position is the start of the error's range.
    assert f.errors and f.go_errors[0].range.start.line == int(case.first.split(":")[1])
    for e in f.errors:
        assert e.range.start <= e.range.end


# ---------------------------------------------------------------------------
# All errors collected, valid statements kept.


def test_many_errors_all_collected(go_results: dict[str, GoResult]) -> None:
    case = next(c for c in CASES if c.id == "many-errors")
    f = parse_mod(case.text)
    assert len(go_results[case.id].errors) == 6
    assert [e.range.start.line for e in f.errors] == [3, 6, 7, 9, 10, 11]
    assert all(e.go_reports and not e.syntax for e in f.errors)
    # The valid statements survive: a partial model.
    assert f.module is not None and f.module.path == "example.com/m"
    assert f.go is not None and f.go.version == "1.21"  # the later repeated go is an error
    assert [(r.path, r.version) for r in f.require] == [("a", "v1.0.0")]
    assert f.replace == [] and f.retract == []
    e = f.errors[1]
    assert (e.verb, e.mod_path) == ("require", "b")
    assert e.message == 'require b: version "v2.0.0" invalid: should be v0 or v1, not v2'
    assert e.range.start == Position(6, 2, e.range.start.offset)
    assert case.text[e.range.start.offset : e.range.end.offset] == "b v2.0.0"


def test_syntax_error_keeps_the_rest() -> None:
    text = (
        "module example.com/m\n"
        "go 1.21\n"
        "require (\n"
        "\tgolang.org/x/net v0.1.0\n"
        '\tbad "unterminated\n'
        "\tgolang.org/x/text v0.3.0\n"
        ")\n"
        "frob \x01\n"
        "replace golang.org/x/net => ../net\n"
        "exclude golang.org/x/text v0.2.0\n"
    )
    f = parse_mod(text)
    assert [e.go_text for e in f.go_errors] == ["go.mod:5:19: unexpected newline in string"]
    # Later syntax errors are found too, but go would not print them.
    syntax = [e for e in f.errors if e.syntax]
    assert [e.go_text for e in syntax] == [
        "go.mod:5:19: unexpected newline in string",
        "go.mod:8:6: unexpected input character '\\x01'",
    ]
    assert [e.go_reports for e in syntax] == [True, False]
    assert [r.path for r in f.require] == ["golang.org/x/net", "golang.org/x/text"]
    assert [(r.old_path, r.new_path, r.is_dir) for r in f.replace] == [
        ("golang.org/x/net", "../net", True)
    ]
    assert [x.path for x in f.exclude] == ["golang.org/x/text"]
    assert f.go is not None and f.go.version == "1.21"


def test_unterminated_block_keeps_its_lines() -> None:
    text = "module m\nrequire (\n\ta v1.0.0\n\tb v1.2\n"
    f = parse_mod(text)
    assert [e.go_text for e in f.errors] == [
        "go.mod:5: syntax error (unterminated block started at go.mod:2:1)"
    ]
    assert [(r.path, r.version) for r in f.require] == [("a", "v1.0.0"), ("b", "v1.2.0")]


def test_rule_errors_after_syntax_error_are_not_go_reported() -> None:
    f = parse_mod("module m\nfrob\nrequire a v1.0.0 \x0b\n")
    assert [(e.go_text, e.go_reports) for e in f.errors] == [
        ("go.mod:2: unknown directive: frob", False),
        ("go.mod:3:18: unexpected input character '\\v'", True),
    ]


def test_work_partial_model() -> None:
    f = parse_work("go 1.22\nuse (\n\t./a\n\t./b x\n\t./c\n)\nreplace m => ../m\nfoo\n")
    assert [e.go_text for e in f.errors] == [
        "go.work:4:2: usage: use local/dir",
        "go.work:8: unknown directive: foo",
    ]
    assert [u.path for u in f.use] == ["./a", "./c"]
    assert [r.new_path for r in f.replace] == ["../m"]


# ---------------------------------------------------------------------------
# Columns are characters, whatever comes earlier on the line.


def test_non_ascii_comment_columns() -> None:
    text = (
        "// ünïcödé ☃ 日本語 — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢\n"
        "module example.com/m // 模块 ☃\n"
        "require (\n"
        "\t// 注释 𝔘\n"
        '\t"ü/ö" v1.0.0 // ☃ indirect\n'
        "\tgolang.org/x/net v0.1.0 // indirect\n"
        ")\n"
    )
    f = parse_mod(text)
    assert f.errors == []
    assert [r.path for r in f.require] == ["ü/ö", "golang.org/x/net"]
    assert [r.indirect for r in f.require] == [False, True]
    fs = parse_syntax(text)
    block = fs.stmts[1]
    assert isinstance(block, LineBlock)
    line = block.lines[0]
    assert line.comments.before[0].token == "// 注释 𝔘"
    assert line.tokens[0].range.start.col == 2
    assert line.tokens[1].text == "v1.0.0"
    assert line.tokens[1].range.start.col == 8  # tab, '"ü/ö"' (5 chars), space
    assert line.comments.suffix[0].start.col == 15
    assert text[line.tokens[1].range.start.offset :].startswith("v1.0.0")
    second = block.lines[1]
    assert second.tokens[0].range.start == Position(6, 2, text.index("golang.org"))


def test_non_ascii_error_column_matches_go(go_results: dict[str, GoResult]) -> None:
    assert go_results["non-ascii-column"].errors == [
        "go.mod:2:25: unexpected input character '\\x01'"
    ]


def test_valid_counterparts_accepted(tmp_path: Path, go_env: dict[str, str]) -> None:
    """Near-misses of the bad cases that go accepts: we accept them with go's JSON."""
    good = {
        "noncanonical-version": M + "require golang.org/x/net v1.2\n",
        "quoted-version": M + 'require "golang.org/x/net" "v1.2.3"\n',
        "incompatible": M + "require example.com/a v2.0.0+incompatible\n",
        "gopkg-v1-pseudo": M + "require gopkg.in/yaml.v1 v0.0.0-20200101000000-abcdefabcdef\n",
        "retract-anything": M + 'retract [ "a" , b ] // why\n',
        "godebug-empty-value": M + "godebug a=\n",
        "godebug-empty-key": M + "godebug =b\n",
        "empty-block": M + "require ()\nreplace (\n)\n",
        "escapes": 'module "ex\\x61mple.com/\\u00fc"\ntool "a\\tb"\n',
        "deprecated": "// Deprecated: use x\n//\n// more\nmodule m\n",
        "toolchain-default": M + "toolchain default\n",
        "empty-module-path": 'module ""\n',
        "empty-require-path": M + 'require "" v1.0.0\n',
        "dup-replace": M + "replace a => ../a\nreplace a => ../b\nreplace a v1.0.0 => ../c\n",
        "dup-exclude": M + "exclude a v1.0.0\nexclude a v1.0.0\n",
    }
    for name, text in good.items():
        d = tmp_path / name
        d.mkdir()
        (d / "go.mod").write_text(text, encoding="utf-8")
        r = run_go(["mod", "edit", "-json", "go.mod"], d, go_env)
        assert r.returncode == 0, (name, r.stderr)
        f = parse_mod(text)
        assert f.errors == [], name
        assert mod_to_json(f) == json.loads(r.stdout), name


QUOTED = [
    '"plain"',
    '"ex\\x61mple.com/\\u00fc/\\U0001F600"',
    '"\\101\\102c"',
    '"tab\\there"',
    '"quote\\"inside"',
    '"bad\\\'single"',
    '"\\ud800"',
    '"\\U00110000"',
    '"\\400"',
    '"\\x4"',
    '"\\xff\\xfe"',
    '"\\xc3\\xa9"',
    '"trailing\\\\"',
    '"\\q"',
    '""',
    '"日本/ü"',
]


def test_quoted_strings_match_go(tmp_path: Path, go_env: dict[str, str]) -> None:
    """Go string literal unquoting (strconv.Unquote) agrees with go, escapes and all."""
    for i, lit in enumerate(QUOTED):
        text = f"module {lit}\ntool {lit}\n"
        d = tmp_path / str(i)
        d.mkdir()
        (d / "go.mod").write_text(text, encoding="utf-8")
        r = run_go(["mod", "edit", "-json", "go.mod"], d, go_env)
        f = parse_mod(text)
        if r.returncode == 0:
            assert f.errors == [], lit
            assert mod_to_json(f) == json.loads(r.stdout), lit
        else:
            ours = "\n".join(e.go_text for e in f.go_errors).splitlines()
            assert ours == r.stderr.splitlines()[1:], lit


def test_lax_parse_ignores_unknown_and_main_module_only() -> None:
    text = (
        "module m\ngo v1.21rc1\nfrob x\nfrob (\n)\nreplace a => b\nexclude q v1\n"
        "toolchain xx\nrequire a v1.0.0\nretract [v1, v2] junk\n"
    )
    strict = parse_mod(text)
    assert len(strict.errors) == 6
    lax = parse_mod(text, lax=True)
    assert lax.errors == []
    assert lax.go is not None and lax.go.version == "1.21"
    assert [r.path for r in lax.require] == ["a"]
    assert lax.replace == [] and lax.exclude == [] and lax.toolchain is None
    assert [(r.low, r.high) for r in lax.retract] == [("v1", "v2")]


def test_work_json_for_valid(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = (
        "go 1.22\ntoolchain go1.22.1\ngodebug (\n\tdefault=go1.21\n\t=x\n)\n"
        'use (\n\t./a\n\t"./b c"\n)\nuse ../d\nreplace x v1.0.0 => y v1.1.0\n'
        "replace x v1.0.0 => ../z\n"
    )
    (tmp_path / "go.work").write_text(text)
    r = run_go(["work", "edit", "-json", "go.work"], tmp_path, go_env)
    assert r.returncode == 0, r.stderr
    f = parse_work(text)
    assert f.errors == []
    assert work_to_json(f) == json.loads(r.stdout)
