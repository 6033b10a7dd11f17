"""What the go command rejects when it loads go.mod and go.work (retract, godebug, use),
each case beside the real go's verdict on the same files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gomod_doctor import engine
from gomod_doctor.findings import Finding
from gomod_doctor.goenv import env as goenv
from gomod_doctor.goenv import godebugs
from gomod_doctor.workspace.discover import locate
from gotool import GOROOT, isolated_env, run_go


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def doctor(root: Path, env: dict[str, str], verify: engine.VerifyLevel = "off") -> list[Finding]:
    genv = goenv.load(env)
    loc = locate(root, gowork=genv.gowork_setting or genv.GOWORK, goroot=genv.GOROOT or None)
    facts, _ = engine.gather(loc, genv, verify=verify, no_memo=True)
    result = engine.run(facts)
    assert result.internal_errors == []
    return result.findings


def go(root: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    res = run_go(list(args), root, env)
    return res.returncode, res.stdout + res.stderr


CASES: dict[str, tuple[dict[str, str], list[tuple[str, int, str, str]]]] = {
    "retract without module": (
        {"go.mod": "go 1.22\n\nretract v1.0.0\nretract v1.0.1\n"},
        [("go.mod", 3, "parse-error", "no module directive found, so retract cannot be used")],
    ),
    "retract of another major": (
        {
            "go.mod": "module example.com/m/v2\n\ngo 1.22\n\nretract (\n\tv3.0.0\n"
            "\t[v2.0.0, v2.1.0]\n\t[v2.0.0, v4.0.0] // too far\n)\n"
        },
        [
            (
                "go.mod",
                6,
                "parse-error",
                'retract example.com/m/v2: version "v3.0.0" invalid: should be v2, not v3',
            ),
            (
                "go.mod",
                8,
                "parse-error",
                'retract example.com/m/v2: version "v4.0.0" invalid: should be v2, not v4',
            ),
        ],
    ),
    "retract v2 on a v1 path": (
        {"go.mod": "module example.com/m\n\ngo 1.22\n\nretract v2.0.0\n"},
        [
            (
                "go.mod",
                5,
                "parse-error",
                'retract example.com/m: version "v2.0.0" invalid: should be v0 or v1, not v2',
            )
        ],
    ),
    "godebug in go.mod": (
        {
            "go.mod": "module example.com/m\n\ngo 1.22\n\ngodebug (\n\tfoo=1\n\tx509sha1=1\n"
            "\tpanicnil=1\n\tdefault=go1.999\n\tx509sha1=0\n)\n"
        },
        [
            ("go.mod", 6, "godebug-invalid", 'unknown godebug "foo"'),
            (
                "go.mod",
                7,
                "godebug-invalid",
                'removed GODEBUG "x509sha1" set to old value "1" '
                "(https://go.dev/doc/godebug#go-124)",
            ),
            ("go.mod", 9, "godebug-invalid", "default=go1.999 too new (toolchain is go{local})"),
        ],
    ),
    "use listed twice": (
        {
            "go.work": "go 1.22\n\nuse ./a\nuse (\n\t./b\n\ta\n)\n",
            "a/go.mod": "module example.com/a\n\ngo 1.22\n",
            "b/go.mod": "module example.com/b\n\ngo 1.22\n",
        },
        [("go.work", 6, "work-use-duplicate", "path {root}/a appears multiple times in workspace")],
    ),
    "two use dirs of one module": (
        {
            "go.work": "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n",
            "a/go.mod": "module example.com/a\n\ngo 1.22\n",
            "b/go.mod": "module example.com/a\n\ngo 1.22\n",
        },
        [
            (
                "go.work",
                5,
                "work-use-duplicate",
                "module example.com/a appears multiple times in workspace",
            )
        ],
    ),
    "go.work with no modules": (
        {"go.work": "go 1.22\n"},
        [
            (
                "go.work",
                1,
                "work-empty",
                "no modules were found in the current workspace; see 'go help work'",
            )
        ],
    ),
    "go.work older than a module": (
        {
            "go.work": "go 1.22\n\nuse ./a\nuse ./b\n",
            "a/go.mod": "module example.com/a\n\ngo 1.23\n",
            "b/go.mod": "module example.com/b\n\ngo 1.20\n",
        },
        [
            (
                "go.work",
                3,
                "work-go-too-old",
                "module a listed in go.work file requires go >= 1.23, but go.work lists go 1.22; "
                "to download and use go 1.23:\n\tgo work use",
            )
        ],
    ),
    "go.work without a go line: 1.18": (
        {"go.work": "use .\n", "go.mod": "module example.com/m\n\ngo 1.21\n"},
        [
            (
                "go.work",
                1,
                "work-go-too-old",
                "module . listed in go.work file requires go >= 1.21, but go.work implicitly "
                "requires go 1.18; to download and use go 1.21:\n\tgo work use",
            )
        ],
    ),
    "godebug in go.work: go stops at the first": (
        {
            "go.work": "go 1.22\n\nuse ./a\n\ngodebug bar=1\ngodebug baz=2\n",
            "a/go.mod": "module example.com/a\n\ngo 1.22\n",
        },
        [("go.work", 5, "godebug-invalid", 'unknown godebug "bar"')],
    ),
    "unterminated block: one error, as go": (
        {"go.mod": "module example.com/m\n\ngo 1.22\n\nrequire (\n\texample.com/x v1.0.0\n"},
        [
            (
                "go.mod",
                7,
                "parse-error",
                "syntax error (unterminated block started at {root}/go.mod:5:1)",
            )
        ],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_load_errors_in_gos_words(tmp_path: Path, case: str) -> None:
    files, expected = CASES[case]
    root = tmp_path / "ws"
    write(root, files)
    env = isolated_env(tmp_path / "go", GOFLAGS="")
    local = (goenv.load(env).GOVERSION or "").removeprefix("go")
    want = [
        (name, line, code, msg.format(root=root, local=local)) for name, line, code, msg in expected
    ]
    got = [
        (Path(f.path).name, f.range.start.line, f.code, f.message)
        for f in doctor(root, env)
        if f.severity.label == "error"
    ]
    assert got == want
    # go fails, with the first of them in its words, at the same file and line
    code, out = go(root, env, "build", ".")
    assert code != 0
    name, line, _, msg = want[0]
    # go prints the column when it is not 1 (go.mod:6:2), and paths relative to its cwd;
    # some errors it prints without a place ("go: ...")
    said = re.compile(rf"^(?:{re.escape(name)}:{line}(:\d+)?|go): {re.escape(msg)}$", re.M)
    assert said.search(out) or said.search(out.replace(f"{root}/", "")), out


ACCEPTED: dict[str, dict[str, str]] = {
    "known and removed-but-not-old godebugs, retracts of the right major": {
        "go.mod": "module example.com/m/v2\n\ngo 1.22\n\ngodebug (\n\tpanicnil=1\n"
        "\tx509sha1=0\n\tdefault=go1.21\n)\n\nretract [v2.0.0, v2.0.5]\nretract v2.1.0\n",
    },
    "a go.work older than a module that predates go 1.21": {
        "go.work": "go 1.18\n\nuse ./a\n",
        "a/go.mod": "module example.com/a\n\ngo 1.20\n",
    },
    "go.mod's godebug lines do not count in workspace mode": {
        "go.work": "go 1.22\n\nuse ./a\n",
        "a/go.mod": "module example.com/a\n\ngo 1.22\n\ngodebug foo=1\n",
    },
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_quiet_where_go_loads(tmp_path: Path, case: str) -> None:
    root = tmp_path / "ws"
    write(root, ACCEPTED[case])
    env = isolated_env(tmp_path / "go", GOFLAGS="")
    code, out = go(root, env, "list", "-m", "all")
    assert code == 0, out
    assert [f for f in doctor(root, env) if f.severity.label in ("error", "warning")] == []


def test_godebug_table_read_from_the_toolchain() -> None:
    table = godebugs.load(str(GOROOT), "go1.27.3")
    assert table is not None
    assert "panicnil" in table.known
    assert table.check("godebug", "panicnil", "1") is None
    assert table.removed["asynctimerchan"].old == frozenset({"1", "2"})
    assert table.check("godebug", "k y", "1") == "key contains space"
    assert table.check("godebug", "k", "a,b") == "value contains comma"
    assert table.check("godebug", "default", "1.21") == "value for default= must be goVERSION"


def test_godebug_unknown_table_judges_nothing(tmp_path: Path) -> None:
    assert godebugs.load(str(tmp_path), "go1.27.3") is None
    assert godebugs.load("", "") is None
    assert godebugs.parse_table("package godebugs\n", "1.27") is None
    # a predicate this reader does not understand: nothing is judged rather than guessed
    odd = (
        'var All = []Info{\n\t{Name: "a"},\n}\n'
        'var Removed = []RemovedInfo{\n\t{Name: "b", Removed: 27, Old: isOld},\n}\n'
    )
    assert godebugs.parse_table(odd, "1.27") is None


@pytest.mark.parametrize("imported", [True, False])
def test_replacement_directory_needs_newer_go(tmp_path: Path, imported: bool) -> None:
    """A directory replacement's go line, read when go loads a package of it (graph
    pruning: not otherwise), in go's words on the require line."""
    root = tmp_path / "ws"
    write(
        root,
        {
            "go.mod": "module example.com/m\n\ngo 1.21\n\nrequire example.com/sub v0.0.0\n\n"
            "replace example.com/sub => ./sub\n",
            "m.go": 'package m\n\nimport _ "example.com/sub"\n' if imported else "package m\n",
            "sub/go.mod": "module example.com/sub\n\ngo 1.999\n",
            "sub/s.go": "package sub\n",
        },
    )
    env = isolated_env(tmp_path / "go", GOFLAGS="")
    local = (goenv.load(env).GOVERSION or "").removeprefix("go")
    res = run_go(["build", "./..."], root, env)
    found = [
        (f.code, f.range.start.line, f.message)
        for f in doctor(root, env, verify="quick")
        if f.severity.label == "error"
    ]
    if imported:
        text = f"module ./sub requires go >= 1.999 (running go {local}; GOTOOLCHAIN=local)"
        assert res.returncode != 0 and f"go: {text}" in res.stderr
        assert found == [("go-version", 5, text)]
    else:
        assert res.returncode == 0, res.stderr
        assert found == []


def test_replacement_directory_go_mod_that_does_not_parse(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(
        root,
        {
            "go.mod": "module example.com/m\n\ngo 1.21\n\nrequire example.com/sub v0.0.0\n\n"
            "replace example.com/sub => ./sub\n",
            "m.go": 'package m\n\nimport _ "example.com/sub"\n',
            "sub/go.mod": "module example.com/sub\n\ngo 1.21\n\nfrob (\n",
            "sub/s.go": "package sub\n",
        },
    )
    env = isolated_env(tmp_path / "go", GOFLAGS="")
    res = run_go(["build", "./..."], root, env)
    assert res.returncode != 0
    found = [f for f in doctor(root, env, verify="quick") if f.severity.label == "error"]
    assert [(f.code, f.range.start.line) for f in found] == [("module-gomod-invalid", 5)]
    text = found[0].message
    assert text == (
        f"module ./sub: parsing sub/go.mod: {root}/sub/go.mod:6: syntax error (unterminated "
        f"block started at {root}/sub/go.mod:5:1)"
    )
    assert f"m.go:3:8: {text}" in res.stderr


def test_one_directory_for_two_module_paths(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(
        root,
        {
            "go.mod": "module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/a v0.0.0\n"
            "\texample.com/b v0.0.0\n)\n\nreplace example.com/a => ./lib\n\n"
            "replace example.com/b => ./lib\n",
            "m.go": 'package m\n\nimport (\n\t_ "example.com/a"\n\t_ "example.com/b"\n)\n',
            "lib/go.mod": "module example.com/a\n\ngo 1.21\n",
            "lib/l.go": "package lib\n",
        },
    )
    env = isolated_env(tmp_path / "go", GOFLAGS="")
    res = run_go(["build", "./..."], root, env)
    found = [f for f in doctor(root, env, verify="quick") if f.code == "module-used-twice"]
    text = "./lib@ used for two different module paths (example.com/a and example.com/b)"
    assert [(f.range.start.line, f.message) for f in found] == [(7, text)]
    assert res.returncode != 0
    assert f"go: {text}" in res.stderr


def test_conflicting_replacements_across_workspace_modules(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    files = {
        "go.work": "go 1.21\n\nuse ./one\nuse ./two\n",
        "one/go.mod": "module example.com/one\n\ngo 1.21\n\nreplace example.com/x v1.0.0 => ../x1\n",
        "two/go.mod": "module example.com/two\n\ngo 1.21\n\nreplace example.com/x v1.0.0 => ../x2\n",
    }
    write(root, files)
    env = isolated_env(tmp_path / "go", GOFLAGS="")
    res = run_go(["list", "-m"], root, env)
    text = (
        f"conflicting replacements for example.com/x@v1.0.0:\n\t{root}/x1\n\t{root}/x2\n"
        'use "go work edit -replace example.com/x@v1.0.0=[override]" to resolve'
    )
    assert res.returncode != 0 and f"go: {text}" in res.stderr
    found = [f for f in doctor(root, env) if f.severity.label == "error"]
    assert [(f.code, Path(f.path).parent.name, f.range.start.line, f.message) for f in found] == [
        ("work-replace-conflict", "two", 5, text)
    ]
    # go.work's replace of that path settles it: go loads, and we are quiet
    (root / "go.work").write_text(files["go.work"] + "\nreplace example.com/x => ./x1\n")
    assert run_go(["list", "-m"], root, env).returncode == 0
    assert [f for f in doctor(root, env) if f.severity.label == "error"] == []


def test_mod_flag_in_workspace_mode(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(
        root, {"go.work": "go 1.21\n\nuse ./a\n", "a/go.mod": "module example.com/a\n\ngo 1.21\n"}
    )
    env = isolated_env(tmp_path / "go", GOFLAGS="-mod=mod")
    res = run_go(["list", "-m"], root, env)
    found = [f for f in doctor(root, env) if f.severity.label == "error"]
    assert [(f.code, f.range.start.line) for f in found] == [("work-mod-flag", 1)]
    assert res.returncode != 0 and f"go: {found[0].message}" in res.stderr
    readonly = isolated_env(tmp_path / "go", GOFLAGS="-mod=readonly")
    assert run_go(["list", "-m"], root, readonly).returncode == 0
    assert [f for f in doctor(root, readonly) if f.severity.label in ("error", "warning")] == []


@pytest.mark.parametrize("how", ["no GOPATH", "not a directory"])
def test_unusable_module_cache_is_one_error(tmp_path: Path, how: str) -> None:
    root = tmp_path / "ws"
    write(
        root,
        {
            "go.mod": "module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.0.0\n"
            "\texample.com/b v1.0.0\n)\n",
            "m.go": 'package m\n\nimport (\n\t_ "example.com/a"\n\t_ "example.com/b"\n)\n',
        },
    )
    # -mod=mod: go adds the missing go.sum lines itself, so it goes on to the cache
    env = isolated_env(tmp_path / "go", GOFLAGS="-mod=mod")
    if how == "no GOPATH":
        env.update(GOPATH="", GOMODCACHE="", HOME="")
        text = "module cache not found: neither GOMODCACHE nor GOPATH is set"
    else:
        (tmp_path / "file").write_text("")
        env["GOMODCACHE"] = str(tmp_path / "file")
        text = f'could not create module cache: "{tmp_path / "file"}" is not a directory'
    res = run_go(["build", "./..."], root, env)
    assert res.returncode != 0 and f"go: {text}" in res.stderr, res.stderr
    found = [
        f for f in doctor(root, env, verify="quick") if f.severity.label in ("error", "warning")
    ]
    assert [(f.code, f.range.start.line) for f in found] == [("modcache-unusable", 1)]
    assert found[0].message.startswith(text)


def test_module_outside_the_workspace(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(
        root,
        {
            "go.work": "go 1.21\n\nuse ./one\n",
            "one/go.mod": "module example.com/one\n\ngo 1.21\n",
            "three/go.mod": "module example.com/three\n\ngo 1.21\n",
            "three/t.go": "package three\n",
        },
    )
    env = isolated_env(tmp_path / "go", GOFLAGS="")
    three = root / "three"
    res = run_go(["build", "."], three, env)
    found = [f for f in doctor(three, env) if f.severity.label == "error"]
    assert [(f.code, f.path) for f in found] == [("work-module-outside", str(three / "go.mod"))]
    assert res.returncode != 0 and found[0].message in res.stderr
    # a module the workspace uses is fine, and so is GOWORK=off
    assert doctor(root / "one", env) == []
    assert run_go(["build", "."], three, {**env, "GOWORK": "off"}).returncode == 0
    assert doctor(three, {**env, "GOWORK": "off"}) == []


def test_incompatible_suffix_on_a_compatible_version(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(
        root,
        {
            "go.mod": "module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/x v0.1.1+incompatible\n"
            "\texample.com/y v2.0.0+incompatible\n)\n"
        },
    )
    env = isolated_env(tmp_path / "go", GOFLAGS="")
    found = [f for f in doctor(root, env) if f.code == "version-invalid"]
    # go's words: GOROOT/src/cmd/go/testdata/script/mod_invalid_version.txt
    script = (GOROOT / "src/cmd/go/testdata/script/mod_invalid_version.txt").read_text()
    assert (
        "invalid version: \\+incompatible suffix not allowed: major version v0 is compatible"
        in script
    )
    assert [(f.range.start.line, f.severity.label, f.message) for f in found] == [
        (
            6,
            "warning",
            "example.com/x@v0.1.1+incompatible: invalid version: +incompatible suffix not "
            "allowed: major version v0 is compatible",
        )
    ]
