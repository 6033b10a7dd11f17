"""Replace-directive edits, checked by the real go and byte for byte.

Each edited file must parse with ``go mod edit -json`` / ``go work edit -json``
to exactly the expected Replace list, and nothing outside the edited lines may
change.
"""

from __future__ import annotations

import difflib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gocorpus import files, source_params
from gomod_doctor.modfile.edit import (
    add_replace,
    comment_out_replace,
    find_commented_replaces,
    remove_replace,
    uncomment_replace,
)
from gomod_doctor.modfile.rules import ModFile, mod_to_json, parse_mod, replace_json
from gomod_doctor.modfile.work import WorkFile, parse_work, work_to_json
from gomod_doctor.position import TextEdit, apply_edits
from gotool import isolated_env, run_go

AnyFile = ModFile | WorkFile


def parse(text: str, work: bool = False) -> AnyFile:
    return parse_work(text) if work else parse_mod(text)


def go_json(base: Path, env: dict[str, str], text: str, work: bool = False) -> dict[str, Any]:
    base.mkdir(parents=True, exist_ok=True)
    name = "go.work" if work else "go.mod"
    (base / name).write_bytes(text.encode("utf-8"))
    r = run_go(["work" if work else "mod", "edit", "-json", name], base, env)
    assert r.returncode == 0, f"go rejects the edited file:\n{text}\n{r.stderr}"
    out: dict[str, Any] = json.loads(r.stdout)
    return out


def replaces(j: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        (
            r["Old"]["Path"],
            r["Old"].get("Version", ""),
            r["New"]["Path"],
            r["New"].get("Version", ""),
        )
        for r in j.get("Replace", [])
    ]


def check(
    tmp_path: Path,
    env: dict[str, str],
    text: str,
    edits: list[TextEdit],
    expected_text: str,
    expected_replaces: list[tuple[str, str, str, str]],
    work: bool = False,
) -> str:
    out = apply_edits(text, edits)
    assert out == expected_text
    assert replaces(go_json(tmp_path, env, out, work)) == expected_replaces
    f = parse(out, work)
    assert f.errors == []
    return out


MOD = """\
module example.com/m

go 1.22

require (
\tgolang.org/x/net v0.20.0
\tgolang.org/x/text v0.14.0 // indirect
)
"""


# ---------------------------------------------------------------------------
# add_replace


def test_add_replace_after_require_block(tmp_path: Path, go_env: dict[str, str]) -> None:
    f = parse(MOD)
    edits = add_replace(f, "golang.org/x/net", "", "../net", "")
    check(
        tmp_path,
        go_env,
        MOD,
        edits,
        MOD + "\nreplace golang.org/x/net => ../net\n",
        [("golang.org/x/net", "", "../net", "")],
    )


def test_add_replace_with_versions_and_quoting(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = MOD + "\n// trailing comment\n"
    f = parse(text)
    edits = add_replace(f, "golang.org/x/net", "v0.20.0", "../my net", "")
    out = check(
        tmp_path,
        go_env,
        text,
        edits,
        MOD + '\nreplace golang.org/x/net v0.20.0 => "../my net"\n\n// trailing comment\n',
        [("golang.org/x/net", "v0.20.0", "../my net", "")],
    )
    f = parse(out)
    edits = add_replace(f, "golang.org/x/text", "", "example.com/fork/text", "v0.15.0")
    check(
        tmp_path,
        go_env,
        out,
        edits,
        MOD
        + '\nreplace golang.org/x/net v0.20.0 => "../my net"\n'
        + "replace golang.org/x/text => example.com/fork/text v0.15.0\n\n// trailing comment\n",
        [
            ("golang.org/x/net", "v0.20.0", "../my net", ""),
            ("golang.org/x/text", "", "example.com/fork/text", "v0.15.0"),
        ],
    )


def test_add_replace_into_block(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = (
        MOD + "\nreplace (\n    a.com/x => ../x // local\n    // end\n)\n\nexclude b.com/y v1.0.0\n"
    )
    f = parse(text)
    edits = add_replace(f, "c.com/z", "v1.0.0", "../z", "")
    check(
        tmp_path,
        go_env,
        text,
        edits,
        MOD
        + "\nreplace (\n    a.com/x => ../x // local\n    c.com/z v1.0.0 => ../z\n    // end\n)\n"
        + "\nexclude b.com/y v1.0.0\n",
        [("a.com/x", "", "../x", ""), ("c.com/z", "v1.0.0", "../z", "")],
    )


def test_add_replace_into_empty_block(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = "module m\n\nreplace (\n\t// nothing yet\n)\n"
    edits = add_replace(parse(text), "a.com/x", "", "./x", "")
    check(
        tmp_path,
        go_env,
        text,
        edits,
        "module m\n\nreplace (\n\ta.com/x => ./x\n\t// nothing yet\n)\n",
        [("a.com/x", "", "./x", "")],
    )


def test_add_replace_into_one_line_empty_block(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = "module m\nreplace () // none\n"
    check(
        tmp_path,
        go_env,
        text,
        add_replace(parse(text), "a.com/x", "", "./x", ""),
        "module m\nreplace (\n\ta.com/x => ./x\n) // none\n",
        [("a.com/x", "", "./x", "")],
    )


def test_add_replace_updates_existing(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = (
        MOD + "\nreplace golang.org/x/net v0.19.0 => ../old // why\n"
        "replace (\n\tgolang.org/x/net v0.20.0 => ../old2\n\ta.com/keep => ../keep\n)\n"
        "replace golang.org/x/net => ../old3\n"
    )
    f = parse(text)
    edits = add_replace(f, "golang.org/x/net", "", "../new", "")
    check(
        tmp_path,
        go_env,
        text,
        edits,
        MOD + "\nreplace golang.org/x/net => ../new // why\n"
        "replace (\n\ta.com/keep => ../keep\n)\n",
        [("golang.org/x/net", "", "../new", ""), ("a.com/keep", "", "../keep", "")],
    )


def test_add_replace_updates_only_matching_version(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = "module m\nreplace (\n\ta v1.0.0 => ../a1\n\ta v1.1.0 => ../a2\n)\n"
    edits = add_replace(parse(text), "a", "v1.1.0", "b", "v1.2.0")
    check(
        tmp_path,
        go_env,
        text,
        edits,
        "module m\nreplace (\n\ta v1.0.0 => ../a1\n\ta v1.1.0 => b v1.2.0\n)\n",
        [("a", "v1.0.0", "../a1", ""), ("a", "v1.1.0", "b", "v1.2.0")],
    )


def test_add_replace_minimal_files(tmp_path: Path, go_env: dict[str, str]) -> None:
    check(
        tmp_path / "a",
        go_env,
        "module m",
        add_replace(parse("module m"), "x", "", "../x", ""),
        "module m\n\nreplace x => ../x\n",
        [("x", "", "../x", "")],
    )
    check(
        tmp_path / "b",
        go_env,
        "",
        add_replace(parse(""), "x", "", "../x", ""),
        "replace x => ../x\n",
        [("x", "", "../x", "")],
    )
    text = "module m\nrequire a v1.0.0\ngo 1.21\n"
    check(
        tmp_path / "c",
        go_env,
        text,
        add_replace(parse(text), "a", "", "../a", ""),
        "module m\nrequire a v1.0.0\n\nreplace a => ../a\n\ngo 1.21\n",
        [("a", "", "../a", "")],
    )


def test_add_replace_crlf(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = "module m\r\n\r\nrequire a v1.0.0\r\n"
    check(
        tmp_path,
        go_env,
        text,
        add_replace(parse(text), "a", "", "../a", ""),
        "module m\r\n\r\nrequire a v1.0.0\r\n\r\nreplace a => ../a\r\n",
        [("a", "", "../a", "")],
    )


def test_add_replace_go_work(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n\ngodebug x=y\n"
    f = parse(text, work=True)
    check(
        tmp_path,
        go_env,
        text,
        add_replace(f, "example.com/c", "", "./c", ""),
        "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n\nreplace example.com/c => ./c\n\ngodebug x=y\n",
        [("example.com/c", "", "./c", "")],
        work=True,
    )


# ---------------------------------------------------------------------------
# remove_replace


def test_remove_single_line(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = MOD + "\n// local fork\nreplace a.com/x => ../x\n\nreplace b.com/y => ../y\n"
    f = parse(text)
    edits = remove_replace(f, f.replace[0])
    check(
        tmp_path,
        go_env,
        text,
        edits,
        MOD + "\nreplace b.com/y => ../y\n",
        [("b.com/y", "", "../y", "")],
    )
    edits = remove_replace(f, f.replace[1])
    check(
        tmp_path,
        go_env,
        text,
        edits,
        MOD + "\n// local fork\nreplace a.com/x => ../x\n",
        [("a.com/x", "", "../x", "")],
    )


def test_remove_block_entry_and_whole_block(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = (
        MOD + "\n// forks\nreplace (\n\ta.com/x => ../x\n\n\t// y is special\n"
        "\tb.com/y v1.0.0 => ../y // why\n)\n\nexclude c.com/z v1.0.0\n"
    )
    f = parse(text)
    first = check(
        tmp_path,
        go_env,
        text,
        remove_replace(f, f.replace[1]),
        MOD + "\n// forks\nreplace (\n\ta.com/x => ../x\n)\n\nexclude c.com/z v1.0.0\n",
        [("a.com/x", "", "../x", "")],
    )
    # Removing the last entry of the block removes the block (and its comments).
    g = parse(first)
    check(
        tmp_path,
        go_env,
        first,
        remove_replace(g, g.replace[0]),
        MOD + "\nexclude c.com/z v1.0.0\n",
        [],
    )


def test_remove_from_go_work(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = "go 1.22\nuse ./a\nreplace (\n\tx => ./x\n\ty => ./y\n)\n"
    f = parse(text, work=True)
    check(
        tmp_path,
        go_env,
        text,
        remove_replace(f, f.replace[0]),
        "go 1.22\nuse ./a\nreplace (\n\ty => ./y\n)\n",
        [("y", "", "./y", "")],
        work=True,
    )


# ---------------------------------------------------------------------------
# comment out / find / uncomment


def test_comment_out_and_back(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = (
        MOD + "\nreplace a.com/x v1.0.0 => ../x // note\n\n"
        "replace (\n\tb.com/y => ../y\n\tc.com/z => example.com/z v1.2.3\n)\n"
    )
    f = parse(text)
    out1 = check(
        tmp_path,
        go_env,
        text,
        comment_out_replace(f, f.replace[0]),
        text.replace("replace a.com", "// replace a.com"),
        [("b.com/y", "", "../y", ""), ("c.com/z", "", "example.com/z", "v1.2.3")],
    )
    g = parse(out1)
    out2 = check(
        tmp_path,
        go_env,
        out1,
        comment_out_replace(g, g.replace[1]),
        out1.replace("\tc.com/z", "\t// c.com/z"),
        [("b.com/y", "", "../y", "")],
    )
    h = parse(out2)
    found = find_commented_replaces(h)
    assert [(c.kind, c.old_path, c.old_version, c.new_path, c.new_version) for c in found] == [
        ("line", "a.com/x", "v1.0.0", "../x", ""),
        ("entry", "c.com/z", "", "example.com/z", "v1.2.3"),
    ]
    assert found[0].range.start.line == 10 and found[0].range.start.col == 1
    assert found[1].range.start.col == 2
    back = check(
        tmp_path,
        go_env,
        out2,
        uncomment_replace(h, found[1]),
        out1,
        [("b.com/y", "", "../y", ""), ("c.com/z", "", "example.com/z", "v1.2.3")],
    )
    k = parse(back)
    again = find_commented_replaces(k)
    assert [c.kind for c in again] == ["line"]
    assert apply_edits(back, uncomment_replace(k, again[0])) == text


def test_comment_out_last_live_entry_keeps_valid_block(
    tmp_path: Path, go_env: dict[str, str]
) -> None:
    text = "module m\nreplace (\n\ta => ../a\n)\n"
    f = parse(text)
    out = check(
        tmp_path,
        go_env,
        text,
        comment_out_replace(f, f.replace[0]),
        "module m\nreplace (\n\t// a => ../a\n)\n",
        [],
    )
    g = parse(out)
    [c] = find_commented_replaces(g)
    assert c.kind == "entry" and c.is_dir
    assert apply_edits(out, uncomment_replace(g, c)) == text


def test_find_commented_replaces_kinds(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = (
        "module m\n"
        "\n"
        "// replace is needed because of a bug\n"  # prose, not a directive
        "// replace a => b\n"  # not valid: b is not a directory and has no version
        "//replace c v1.0.0 => ../c\n"
        "\n"
        "require x v1.0.0 // replace d => ../d\n"  # a suffix comment: not a whole-line comment
        "\n"
        "// replace (\n"
        "//\te => ../e\n"
        "//\n"
        "//\tf v1.2.3 => g.com/f v1.3.0 // pinned\n"
        "// )\n"
        "\n"
        "require (\n"
        "\t// h => ../h\n"  # inside a require block: not a replace entry
        "\ty v1.0.0\n"
        ")\n"
    )
    f = parse(text)
    assert f.errors == []
    found = find_commented_replaces(f)
    assert [(c.kind, c.old_path, c.new_path) for c in found] == [
        ("line", "c", "../c"),
        ("block-entry", "e", "../e"),
        ("block-entry", "f", "g.com/f"),
    ]
    assert found[1].block_open is not None and found[1].block_open.token == "// replace ("
    assert found[2].block_close is not None and found[2].block_close.token == "// )"
    out = check(
        tmp_path,
        go_env,
        text,
        uncomment_replace(f, found[2]),
        text.replace("// replace (\n", "replace (\n")
        .replace("//\tf v1.2.3", "\tf v1.2.3")
        .replace("// )\n", ")\n"),
        [("f", "v1.2.3", "g.com/f", "v1.3.0")],
    )
    g = parse(out)
    assert [(c.kind, c.old_path) for c in find_commented_replaces(g)] == [
        ("line", "c"),
        ("entry", "e"),
    ]


def test_commented_replaces_in_go_work(tmp_path: Path, go_env: dict[str, str]) -> None:
    text = "go 1.22\n\nuse ./a\n\n// replace example.com/b => ./b\n"
    f = parse(text, work=True)
    [c] = find_commented_replaces(f)
    check(
        tmp_path,
        go_env,
        text,
        uncomment_replace(f, c),
        "go 1.22\n\nuse ./a\n\nreplace example.com/b => ./b\n",
        [("example.com/b", "", "./b", "")],
        work=True,
    )


# ---------------------------------------------------------------------------
# Every corpus file with replace directives: edits keep go happy and the rest intact.


ADDED = {"Old": {"Path": "example.com/gomod-doctor/added"}, "New": {"Path": "../added"}}


@dataclass
class Job:
    rel: str
    op: str
    work: bool
    before: str
    after: str
    expected: dict[str, Any]


def _ops(rel: str, kind: str, text: str) -> list[Job]:
    work = kind == "work"
    f = parse(text, work)
    if f.errors or not f.replace:
        return []
    base = work_to_json(f) if isinstance(f, WorkFile) else mod_to_json(f)
    jobs: list[Job] = []
    picks = {id(f.replace[0]): f.replace[0], id(f.replace[-1]): f.replace[-1]}
    for rep in picks.values():
        rest = [r for r in f.replace if r is not rep]
        want = dict(base)
        want.pop("Replace", None)
        if replace_json(rest):
            want["Replace"] = replace_json(rest)
        jobs.append(Job(rel, "remove", work, text, apply_edits(text, remove_replace(f, rep)), want))
        commented = apply_edits(text, comment_out_replace(f, rep))
        jobs.append(Job(rel, "comment", work, text, commented, want))
    added_want = dict(base)
    after = apply_edits(text, add_replace(f, "example.com/gomod-doctor/added", "", "../added", ""))
    jobs.append(Job(rel, "add", work, text, after, added_want))
    return jobs


def _corpus_jobs(source: str) -> list[Job]:
    jobs: list[Job] = []
    for f in files(source, "mod", "work"):
        jobs += _ops(f.id, f.kind, f.text)
    return jobs


@pytest.fixture(scope="module", params=source_params())
def corpus_results(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> list[tuple[Job, dict[str, Any] | str]]:
    """The edit jobs of one corpus source (tests/gocorpus.py) and go's verdict on each."""
    base = tmp_path_factory.mktemp("edits")
    env = isolated_env(base / "goenv")
    jobs = _corpus_jobs(request.param)

    def run(i: int, job: Job) -> tuple[Job, dict[str, Any] | str]:
        d = base / f"j{i}"
        d.mkdir()
        name = "go.work" if job.work else "go.mod"
        (d / name).write_bytes(job.after.encode("utf-8", "surrogateescape"))
        r = run_go(["work" if job.work else "mod", "edit", "-json", name], d, env)
        if r.returncode != 0:
            return job, r.stderr
        out: dict[str, Any] = json.loads(r.stdout)
        return job, out

    with ThreadPoolExecutor(4) as ex:
        return list(ex.map(lambda a: run(*a), enumerate(jobs)))


def _line_diff(before: str, after: str) -> list[tuple[str, list[str], list[str]]]:
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [(op, a[i1:i2], b[j1:j2]) for op, i1, i2, j1, j2 in sm.get_opcodes() if op != "equal"]


def test_corpus_edits_accepted_by_go(
    corpus_results: list[tuple[Job, dict[str, Any] | str]],
) -> None:
    assert len(corpus_results) > 100
    ops = {job.op for job, _ in corpus_results}
    assert ops == {"remove", "comment", "add"}
    for job, got in corpus_results:
        assert isinstance(got, dict), (job.rel, job.op, got)
        if job.op == "add":
            # The new entry lands in the last replace block or after the last
            # replace line; everything else is as before.
            assert got["Replace"].count(ADDED) == 1, job.rel
            got = {**got, "Replace": [r for r in got["Replace"] if r != ADDED]}
        assert got == job.expected, (job.rel, job.op)


def test_corpus_edits_touch_only_their_lines(
    corpus_results: list[tuple[Job, dict[str, Any] | str]],
) -> None:
    for job, _ in corpus_results:
        diff = _line_diff(job.before, job.after)
        assert diff, (job.rel, job.op)
        if job.op == "remove":
            assert all(op == "delete" for op, _, _ in diff), (job.rel, diff)
            removed = [line for _, old, _ in diff for line in old]
            assert any("=>" in line for line in removed), (job.rel, diff)
            assert all(
                "=>" in line
                or line.strip() == ""
                or line.lstrip().startswith(("//", ")"))
                or line.rstrip().endswith("(")
                for line in removed
            ), (job.rel, removed)
        elif job.op == "comment":
            [(op, old, new)] = diff
            assert op == "replace" and len(old) == len(new) == 1, (job.rel, diff)
            assert new[0].replace("// ", "", 1) == old[0]
        else:
            assert all(op == "insert" for op, _, _ in diff), (job.rel, diff)
            inserted = "".join(line for _, _, new in diff for line in new)
            assert inserted.strip().endswith("example.com/gomod-doctor/added => ../added")


def test_corpus_uncomment_restores_original(
    corpus_results: list[tuple[Job, dict[str, Any] | str]],
) -> None:
    for job, _ in corpus_results:
        if job.op != "comment":
            continue
        f = parse(job.after, job.work)
        candidates = [
            c
            for c in find_commented_replaces(f)
            if apply_edits(job.after, uncomment_replace(f, c)) == job.before
        ]
        assert candidates, job.rel
