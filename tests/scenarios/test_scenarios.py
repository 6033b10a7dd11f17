"""One real scenario per finding code, with the go command's own verdict in the same test.

Each test takes a real workspace and module cache written by ``go mod download``
(:func:`goproxy.build_cache`, memoized per session), damages it the way a developer
would, runs gomod-doctor (the engine, or the CLI) and asserts the finding: code,
severity, file, exact line, module/version, message, fixes and data. Then it asks the
real go command (``go build ./...``, ``go mod verify``, ``go list -m``) what it makes
of the same scenario, showing where we agree with go and where we see more (an edited
extracted dir that ``go build`` compiles silently, a ``.partial`` leftover that
``go mod verify`` calls verified, a go.sum hash ``go mod verify`` never compares).

The go command only ever runs in the fixture's isolated environment, against no
network but the 127.0.0.1 proxies started here.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gomod_doctor import engine
from gomod_doctor.cache.layout import ModuleFiles, module_files
from gomod_doctor.cli.main import main
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv import env as goenv
from gomod_doctor.workspace.discover import locate
from goproxy import (
    SAMPLE_REQUIRES,
    SAMPLE_TIDY_GO_MOD,
    CacheFixture,
    GoProxy,
    ModuleSpec,
    make_writable_and_remove,
    parse_json_stream,
    sample_modules,
)
from gotool import run_go

TIDY_GO_MOD = SAMPLE_TIDY_GO_MOD
GO_LINE = 3
ALPHA_LINE = 7  # the require line of example.com/alpha v1.0.0
CASE_LINE = 10
REPLACE_LINE = 15  # a replace appended by add_replace()

ALPHA = ("example.com/alpha", "v1.0.0")
# go.sum as go wrote it (sorted): the line numbers of alpha's two hashes
ALPHA_ZIP_SUM_LINE = 3
ALPHA_MOD_SUM_LINE = 4
ALPHA_H1 = "h1:txzMN8sTFTs9QWoDm3HxAQ2xomBR4zKX9HUbupL5Fcg="
ALPHA_MOD_H1 = "h1:YHow77xbH+ggU39aBbYdg0ePvfXlEwA+H5UduKJe4xw="
BAD_H1 = "h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="
ALTERED_H1 = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

LEVELS: tuple[engine.VerifyLevel, ...] = ("quick", "full")
SECURITY_ERROR = (
    "SECURITY ERROR\nThis download does NOT match an earlier download recorded in go.sum."
)
ALL_VERIFIED = "all modules verified\n"


# --------------------------------------------------------------------------- helpers


@dataclass
class Scenario:
    """The sample workspace and cache, with gomod-doctor and go at hand."""

    fx: CacheFixture

    @property
    def ws(self) -> Path:
        return self.fx.workspace

    @property
    def gomod(self) -> Path:
        return self.ws / "go.mod"

    @property
    def gosum(self) -> Path:
        return self.ws / "go.sum"

    def files(self, path: str = ALPHA[0], version: str = ALPHA[1]) -> ModuleFiles:
        return module_files(self.fx.gomodcache, path, version)

    def env(self, **extra: str) -> dict[str, str]:
        return self.fx.env_with(**extra)

    def doctor(
        self, verify: engine.VerifyLevel = "quick", *, root: Path | None = None, **env: str
    ) -> list[Finding]:
        """gomod-doctor through the engine, in the fixture's Go environment, with the
        go command's mode as :meth:`go` runs it unless a test says otherwise."""
        genv = goenv.load(self.env(**{"GOFLAGS": "-mod=readonly", **env}))
        loc = locate(
            root or self.ws,
            gowork=genv.gowork_setting or genv.GOWORK,
            goroot=genv.GOROOT or None,
        )
        facts, _ = engine.gather(loc, genv, verify=verify, no_memo=True)
        result = engine.run(facts)
        assert result.internal_errors == []
        return result.findings

    def run_go(
        self, *args: str, mod: str | None = "readonly", cwd: Path | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """The real go command, with GOFLAGS=-mod=``mod`` (none when ``mod`` is None)."""
        e = self.env(**env)
        e["GOFLAGS"] = f"-mod={mod}" if mod else ""
        return run_go(list(args), cwd or self.ws, e)

    def go(
        self, *args: str, mod: str | None = "readonly", cwd: Path | None = None, **env: str
    ) -> tuple[int, str]:
        """The real go command: exit code and stdout+stderr."""
        res = self.run_go(*args, mod=mod, cwd=cwd, **env)
        return res.returncode, res.stdout + res.stderr

    def sum_lines(self) -> list[str]:
        return self.gosum.read_text().splitlines(keepends=True)

    def sum_line(self, prefix: str) -> int:
        """The 1-based line of go.sum starting with ``prefix``."""
        for i, line in enumerate(self.sum_lines(), 1):
            if line.startswith(prefix):
                return i
        raise AssertionError(f"no go.sum line {prefix!r}")

    def rewrite_sum(self, edit: Callable[[str], list[str]]) -> None:
        """Replace each go.sum line by ``edit(line)`` (zero or more lines)."""
        self.gosum.write_text("".join(out for line in self.sum_lines() for out in edit(line)))

    def add_replace(self, text: str) -> None:
        self.gomod.write_text(TIDY_GO_MOD + "\n" + text + "\n")
        assert self.gomod.read_text().splitlines()[REPLACE_LINE - 1] == text

    def remove_from_cache(self, *suffixes: str, extracted: bool = True) -> None:
        """Delete alpha's download files with these suffixes (and its extracted dir)."""
        f = self.files()
        for suffix in suffixes:
            os.unlink(getattr(f, suffix))
        if extracted:
            make_writable_and_remove(f.extracted_dir)


def where(f: Finding) -> tuple[str, str, int, Severity]:
    return (f.code, Path(f.path).name, f.range.start.line, f.severity)


def summary(findings: list[Finding]) -> list[tuple[str, str, int, Severity]]:
    return sorted(where(f) for f in findings)


def only(findings: list[Finding], code: str) -> Finding:
    got = [f for f in findings if f.code == code]
    assert len(got) == 1, [where(f) for f in findings]
    return got[0]


def writable(*dirs: str | Path) -> None:
    """go leaves extracted trees and their files read-only."""
    for d in dirs:
        os.chmod(d, 0o755)


@pytest.fixture
def sc(make_cache: Callable[..., CacheFixture]) -> Scenario:
    fx = make_cache(sample_modules(), SAMPLE_REQUIRES)
    (fx.workspace / "go.mod").write_text(TIDY_GO_MOD)
    return Scenario(fx)


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, dict[str, Any]]]:
    """``cli(scenario, *args, **env)``: ``gomod-doctor check --format json`` in the
    scenario's Go environment (and nothing of this process's)."""

    def run(s: Scenario, *args: str, **env: str) -> tuple[int, dict[str, Any]]:
        for key in list(os.environ):
            if key.startswith("GO") or key.startswith("XDG_"):
                monkeypatch.delenv(key)
        for key, value in s.env(**env).items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        # The scenarios run with GOSUMDB=off (their proxies are local): the network
        # check's note on that setting is not what these tests are about.
        code = main(["check", "--format", "json", "--severity", "insecure-setting=off", *args])
        captured = capsys.readouterr()
        assert "internal error" not in captured.err
        doc: dict[str, Any] = json.loads(captured.out)
        return code, doc

    return run


def json_where(f: dict[str, Any]) -> tuple[str, str, int, str]:
    return (f["code"], Path(f["path"]).name, f["line"], f["severity"])


# --------------------------------------------------------------------------- clean


def test_clean_workspace_has_no_findings_and_go_agrees(sc: Scenario) -> None:
    assert sc.doctor("quick") == []
    assert sc.doctor("full") == []
    assert sc.go("mod", "verify") == (0, ALL_VERIFIED)
    assert sc.go("build", "./...") == (0, "")


def test_full_verification_hashes_equal_go_sum(sc: Scenario) -> None:
    """Every module of the sample (upper-case paths, +incompatible, a pseudo-version,
    a /v2 module, an indirect one): the zip, extracted dir and .mod hashes computed by
    full verification are go.sum's lines and what go mod download reported."""
    go_sum = {}
    for line in sc.gosum.read_text().splitlines():
        path, version, h1 = line.split()
        go_sum[(path, version)] = h1
    genv = goenv.load(sc.env())
    loc = locate(sc.ws, goroot=genv.GOROOT or None)
    facts, _ = engine.gather(loc, genv, verify="full", no_memo=True)
    assert facts.full is not None
    assert sorted(facts.full) == sorted((d["Path"], d["Version"]) for d in sc.fx.downloads)
    dirs_checked = set()
    for d in sc.fx.downloads:
        key = (d["Path"], d["Version"])
        v, st = facts.full[key], facts.cache[key]
        assert v.zip_h1 == go_sum[key] == d["Sum"] == st.ziphash_value, key
        assert st.mod_h1 == go_sum[(key[0], key[1] + "/go.mod")] == d["GoModSum"], key
        if v.dir_checked:
            assert v.dir_h1 == go_sum[key], key
            dirs_checked.add(key[0])
    # The extracted dirs of the modules whose packages the build imports: the workspace's
    # and example.com/dep, imported by example.com/two/v2's package.
    assert dirs_checked == {p for p, _ in SAMPLE_REQUIRES} | {"example.com/dep"}
    assert engine.run(facts).findings == []


# --------------------------------------------------------------------------- cache-missing


def test_cache_missing_says_what_the_next_build_fetches_and_from_where(sc: Scenario) -> None:
    """A module the next build simply downloads is a hint on its require line, and the
    module line says, once, how many there are and from where they come."""
    sc.remove_from_cache("info", "mod", "zip", "ziphash")
    with GoProxy(sample_modules()) as proxy:
        findings = sc.doctor(GOPROXY=f"{proxy.url},direct")
        assert summary(findings) == [
            ("cache-missing", "go.mod", ALPHA_LINE, Severity.HINT),
            ("cache-missing-summary", "go.mod", 1, Severity.INFORMATION),
        ]
        f = only(findings, "cache-missing")
        assert (f.module, f.version, f.fixes) == (*ALPHA, ("download",))
        assert f.message == (
            "example.com/alpha@v1.0.0 is not in the module cache: the next build will "
            f"download its go.mod and its source zip from {proxy.url}"
        )
        assert f.data == {
            "module": ALPHA[0],
            "version": ALPHA[1],
            "files": ["mod", "zip"],
            "from": proxy.url,
        }
        s = only(findings, "cache-missing-summary")
        assert s.message == (
            "1 needed module version is not in the module cache yet: the next build "
            f"downloads it from {proxy.url} (the module graph is read up to its go.mod: "
            "what it requires is known once it is downloaded)"
        )
        assert s.fixes == ("download-missing",)
        assert s.data == {
            "count": 1,
            "graphStops": ["example.com/alpha@v1.0.0"],
            "modules": [
                {
                    "module": ALPHA[0],
                    "version": ALPHA[1],
                    "files": ["mod", "zip"],
                    "from": proxy.url,
                }
            ],
        }

        # The next build does exactly that, from there.
        assert sc.go("build", "./...", GOPROXY=proxy.url) == (
            0,
            "go: downloading example.com/alpha v1.0.0\n",
        )
        fetched = {r for r in proxy.requests if r.startswith("/example.com/alpha/")}
        assert {"/example.com/alpha/@v/v1.0.0.mod", "/example.com/alpha/@v/v1.0.0.zip"} <= fetched
        assert sc.doctor() == []


def test_cache_missing_zip_only_and_other_sources(sc: Scenario) -> None:
    sc.remove_from_cache("zip", "ziphash")
    with GoProxy(sample_modules()) as proxy:
        f = only(sc.doctor(GOPROXY=proxy.url), "cache-missing")
        assert where(f) == ("cache-missing", "go.mod", ALPHA_LINE, Severity.HINT)
        assert f.message.endswith(f"will download its source zip from {proxy.url}")

        # GOPRIVATE paths bypass the proxy (not run: go would go to the network), even
        # with GOPROXY=off.
        direct = "its version control repository directly (GOPRIVATE/GONOPROXY)"
        for goproxy in (proxy.url, "off"):
            findings = sc.doctor(GOPROXY=goproxy, GOPRIVATE="example.com/alpha")
            f = only(findings, "cache-missing")
            assert f.severity == Severity.HINT
            assert f.message.endswith(f"from {direct}")
            assert only(findings, "cache-missing-summary").message.endswith(f"it from {direct}")
        # The first GOPROXY entry, its password redacted as go does.
        f = only(
            sc.doctor(GOPROXY="https://me:secret@proxy.example.com/go,direct"), "cache-missing"
        )
        assert f.message.endswith("from https://me:xxxxx@proxy.example.com/go")

        assert sc.go("build", "./...", GOPROXY=proxy.url)[0] == 0
        fetched = {r for r in proxy.requests if r.startswith("/example.com/alpha/")}
        assert "/example.com/alpha/@v/v1.0.0.zip" in fetched
        assert "/example.com/alpha/@v/v1.0.0.mod" not in fetched  # it had the .mod
    assert sc.doctor() == []


def test_cache_missing_with_goproxy_off_is_one_proxy_config_error_in_gos_words(
    sc: Scenario, cli: Callable[..., tuple[int, dict[str, Any]]]
) -> None:
    sc.remove_from_cache("info", "mod", "zip", "ziphash")
    want = (
        "example.com/alpha@v1.0.0 is not in the module cache and GOPROXY=off: "
        "example.com/alpha@v1.0.0: module lookup disabled by GOPROXY=off"
    )
    # From the settings alone (the engine, no network facts) ...
    (f,) = sc.doctor()  # the fixture's env has GOPROXY=off
    assert (where(f), f.message) == (("proxy-config", "go.mod", ALPHA_LINE, Severity.ERROR), want)
    # ... and from the CLI, whose network check says the same: one finding on the line.
    code, doc = cli(sc, str(sc.ws))
    assert code == 1
    (g,) = doc["findings"]
    assert json_where(g) == ("proxy-config", "go.mod", ALPHA_LINE, "error")
    assert g["message"] == want
    assert (g["module"], g["version"], g["fixes"]) == (*ALPHA, [])
    # every fact of the cache miss is kept: the files go must fetch
    assert g["data"]["files"] == ["mod", "zip"]
    assert g["data"]["module"] == ALPHA[0] and g["data"]["version"] == ALPHA[1]
    assert doc["summary"] == {"error": 1, "warning": 0, "information": 0, "hint": 0}

    rc, out = sc.go("build", "./...")
    assert rc == 1
    assert "deps.go:5:2: module lookup disabled by GOPROXY=off" in out


# --------------------------------------------------------------------------- cache-incomplete


def _partial(sc: Scenario) -> str:
    Path(sc.files().partial).write_bytes(b"")
    return f"extraction was interrupted ({sc.files().partial} is left over)"


def _partial_half_extracted(sc: Scenario) -> str:
    """An extraction cut short: the marker, and files not written yet. go never builds
    from such a dir (it extracts again), so it is incomplete, not "modified"."""
    d = Path(sc.files().extracted_dir)
    os.chmod(d, 0o755)
    victim = next(p for p in sorted(d.iterdir()) if p.is_file())
    victim.unlink()
    return _partial(sc)


def _zip_tmp(sc: Scenario) -> str:
    tmp = sc.files().zip + "123456789.tmp"
    Path(tmp).write_bytes(b"PK\x03\x04 half a zip")
    return f"a download was interrupted ({tmp} is left over)"


def _empty_mod(sc: Scenario) -> str:
    Path(sc.files().mod).write_bytes(b"")
    return (
        "the cached go.mod is empty (zero bytes): go fails on it with "
        "'verifying example.com/alpha@v1.0.0/go.mod: checksum mismatch'"
    )


@pytest.mark.parametrize(
    "damage",
    [_partial, _partial_half_extracted, _zip_tmp, _empty_mod],
    ids=lambda f: f.__name__[1:],
)
def test_cache_incomplete(sc: Scenario, damage: Callable[[Scenario], str]) -> None:
    reason = damage(sc)
    for level in LEVELS:
        findings = sc.doctor(level)
        # Only this finding: no sum-mismatch blaming go.sum for an empty .mod.
        assert summary(findings) == [("cache-incomplete", "go.mod", ALPHA_LINE, Severity.WARNING)]
        f = findings[0]
        assert (f.module, f.version, f.fixes) == (*ALPHA, ("redownload", "clear"))
        assert f.message == f"example.com/alpha@v1.0.0: incomplete in the module cache: {reason}"
        assert f.data["reasons"] == [reason]

    files = sc.files()
    verify_rc, verify_out = sc.go("mod", "verify")
    build_rc, build_out = sc.go("build", "./...")
    if damage in (_partial, _partial_half_extracted):
        # go mod verify calls it verified; go build quietly extracts the zip again.
        assert (verify_rc, verify_out) == (0, ALL_VERIFIED)
        assert (build_rc, build_out) == (0, "")
        assert not os.path.exists(files.partial)
    elif damage is _zip_tmp:
        # go ignores the leftover, and leaves it there for ever.
        assert (verify_rc, verify_out) == (0, ALL_VERIFIED)
        assert (build_rc, build_out) == (0, "")
        assert os.path.exists(files.zip + "123456789.tmp")
    else:
        # Both fail with the checksum mismatch of the empty file.
        for rc, out in ((verify_rc, verify_out), (build_rc, build_out)):
            assert rc == 1
            assert "verifying example.com/alpha@v1.0.0/go.mod: checksum mismatch\n" in out
            assert f"\tgo.sum:     {ALPHA_MOD_H1}\n" in out
    after = summary(sc.doctor())
    if damage in (_partial, _partial_half_extracted):
        assert after == []  # go build repaired it
    else:
        assert after == [("cache-incomplete", "go.mod", ALPHA_LINE, Severity.WARNING)]


def test_missing_ziphash_is_what_go_mod_verify_rejects(sc: Scenario) -> None:
    """A zip without its .ziphash: go mod verify fails with "missing ziphash", so it is
    an error in go's words (cache-corrupt), not a guess about a download."""
    files = sc.files()
    os.unlink(files.ziphash)
    said = (
        f"example.com/alpha v1.0.0: missing ziphash: open {files.ziphash}: "
        "no such file or directory"
    )
    for level in LEVELS:
        findings = sc.doctor(level)
        # one finding for the problem on the line (no cache-incomplete beside it)
        assert summary(findings) == [("cache-corrupt", "go.mod", ALPHA_LINE, Severity.ERROR)]
        f = findings[0]
        assert f.message.startswith(said + ". ")
        assert "go mod verify fails" in f.message
        assert (f.module, f.version, f.fixes) == (*ALPHA, ("redownload", "clear"))
        assert f.data["goError"] == said
    # go's verdicts: go mod verify fails in these words; go build hashes the zip again
    assert sc.go("mod", "verify") == (1, said + "\n")
    build_rc, _ = sc.go("build", "./...")
    assert build_rc == 0
    assert Path(files.ziphash).read_text().strip() == ALPHA_H1
    assert sc.go("mod", "verify") == (0, ALL_VERIFIED)
    assert summary(sc.doctor()) == []


def test_a_download_go_rejected_is_not_an_interrupted_one(sc: Scenario) -> None:
    """go downloads a zip that differs from go.sum, refuses it (checksum mismatch) and
    leaves the whole zip as a .tmp file; its next download removes it."""
    alpha = next(m for m in sample_modules() if (m.path, m.version) == ALPHA)
    altered = ModuleSpec(
        alpha.path, alpha.version, {**alpha.files, "alpha.go": b"package alpha\n\nvar X = 2\n"}
    )
    sc.remove_from_cache("info", "mod", "zip", "ziphash")
    files = sc.files()
    dl = Path(files.zip).parent
    with GoProxy([altered]) as bad:
        rc, out = sc.go("build", "./...", GOPROXY=bad.url, GOSUMDB="off")
        # go's verdict: the download is refused ...
        assert rc == 1
        assert "verifying example.com/alpha@v1.0.0: checksum mismatch\n" in out
        assert f"\tgo.sum:     {ALPHA_H1}\n" in out and SECURITY_ERROR in out
        downloaded = out.split("\tdownloaded: ", 1)[1].split("\n", 1)[0]
        # ... and the whole zip is left beside the zip's place
        (tmp,) = [p for p in dl.iterdir() if p.name.endswith(".tmp")]
        assert tmp.name.startswith("v1.0.0.zip") and not os.path.exists(files.zip)

        findings = sc.doctor(GOPROXY=bad.url)
        assert summary(findings) == [
            ("cache-missing", "go.mod", ALPHA_LINE, Severity.HINT),
            ("cache-missing-summary", "go.mod", 1, Severity.INFORMATION),
            ("download-rejected", "go.mod", ALPHA_LINE, Severity.INFORMATION),
        ]
        f = only(findings, "download-rejected")
        assert f.data["zipHash"] == downloaded and f.data["goSumHash"] == ALPHA_H1
        assert f.data["file"] == str(tmp)
        assert str(f.data["goError"]).startswith(
            "verifying example.com/alpha@v1.0.0: checksum mismatch\n"
            f"\tdownloaded: {downloaded}\n\tgo.sum:     {ALPHA_H1}\n"
        )
        assert "not an interrupted one" in f.message and "interrupted (" not in f.message
        assert f.fixes == ("compare-proxies",)

        # go's next download removes it and fails the same way
        rc, out = sc.go("build", "./...", GOPROXY=bad.url, GOSUMDB="off")
        assert rc == 1 and f"downloaded: {downloaded}" in out
        assert not tmp.exists()
    # from a proxy serving the right bits, go builds, and nothing is left to say
    with GoProxy(sample_modules()) as good:
        assert sc.go("build", "./...", GOPROXY=good.url, GOSUMDB="off") == (
            0,
            "go: downloading example.com/alpha v1.0.0\n",
        )
        assert [p for p in dl.iterdir() if p.name.endswith(".tmp")] == []
        assert summary(sc.doctor(GOPROXY=good.url)) == []


# --------------------------------------------------------------------------- cache-corrupt


@pytest.mark.parametrize("how", ["truncated", "garbage"])
def test_cache_corrupt_zip(sc: Scenario, how: str) -> None:
    z = Path(sc.files().zip)
    data = z.read_bytes()
    z.write_bytes(data[: len(data) // 2] if how == "truncated" else b"not a zip\n" * 100)

    assert sc.doctor("quick") == []  # nothing to see without hashing
    findings = sc.doctor("full")
    assert summary(findings) == [("cache-corrupt", "go.mod", ALPHA_LINE, Severity.ERROR)]
    f = findings[0]
    assert (f.module, f.version, f.fixes) == (*ALPHA, ("redownload", "clear"))
    assert f.message == "example.com/alpha v1.0.0: zip: not a valid zip file"

    # go mod verify says the same; go build uses the intact extracted dir.
    assert sc.go("mod", "verify") == (1, f.message + "\n")
    assert sc.go("build", "./...") == (0, "")


def test_cache_corrupt_altered_ziphash(sc: Scenario) -> None:
    files = sc.files()
    Path(files.ziphash).write_text(ALTERED_H1)

    # Quick: the .ziphash disagrees with go.sum, as go build says.
    quick = sc.doctor("quick")
    assert summary(quick) == [
        ("sum-mismatch", "go.mod", ALPHA_LINE, Severity.ERROR),
        ("sum-mismatch", "go.sum", ALPHA_ZIP_SUM_LINE, Severity.ERROR),
    ]
    # Full: the zip still hashes to go.sum's value, so the .ziphash is the liar.
    full = sc.doctor("full")
    assert summary(full) == [("cache-corrupt", "go.mod", ALPHA_LINE, Severity.ERROR)]
    f = full[0]
    assert f.message.startswith(
        f"example.com/alpha v1.0.0: zip has been modified ({files.zip}): it hashes to "
        f"{ALPHA_H1}, but its .ziphash says {ALTERED_H1}. The zip matches go.sum, so the "
        ".ziphash was altered"
    )
    assert f.data["zipHash"] == ALPHA_H1 and f.data["ziphash"] == ALTERED_H1

    rc, out = sc.go("mod", "verify")
    assert rc == 1
    assert out == (
        f"example.com/alpha v1.0.0: zip has been modified ({files.zip})\n"
        f"example.com/alpha v1.0.0: dir has been modified ({files.extracted_dir})\n"
    )
    rc, out = sc.go("build", "./...")
    assert rc == 1
    assert out.startswith(
        "verifying example.com/alpha@v1.0.0: checksum mismatch\n"
        f"\tdownloaded: {ALTERED_H1}\n"
        f"\tgo.sum:     {ALPHA_H1}\n"
    )
    assert SECURITY_ERROR in out
    assert f"downloaded: {ALTERED_H1}" in f.message


def test_cache_corrupt_unreadable_mod(sc: Scenario) -> None:
    mod = Path(sc.files().mod)
    mod.unlink()
    mod.mkdir()  # (as root, chmod 000 would not stop a read)

    findings = sc.doctor()
    assert summary(findings) == [("cache-corrupt", "go.mod", ALPHA_LINE, Severity.ERROR)]
    f = findings[0]
    assert f.message == f"example.com/alpha v1.0.0: read {mod}: not a regular file"
    assert (f.module, f.version, f.fixes) == (*ALPHA, ("redownload", "clear"))

    # go takes the .mod for absent and wants to download it again.
    rc, out = sc.go("build", "./...")
    assert rc == 1
    assert "deps.go:5:2: module lookup disabled by GOPROXY=off" in out
    with GoProxy(sample_modules()) as proxy:
        rc, out = sc.go("build", "./...", GOPROXY=proxy.url)
        # It cannot write it over the directory; it carries on with the downloaded one.
        assert rc == 0
        assert out.startswith("go: writing go.mod cache: rename ")
        assert out.rstrip().endswith(f"{mod}: file exists")
    # ... leaving the directory, and its temp file beside it.
    assert mod.is_dir()
    findings = sc.doctor()
    assert summary(findings) == [
        ("cache-corrupt", "go.mod", ALPHA_LINE, Severity.ERROR),
        ("cache-incomplete", "go.mod", ALPHA_LINE, Severity.WARNING),
    ]
    (tmp,) = [p for p in mod.parent.iterdir() if p.name.endswith(".tmp")]
    assert f"({tmp} is left over)" in only(findings, "cache-incomplete").message


# --------------------------------------------------------------------------- cache-modified


def test_cache_modified(sc: Scenario, cli: Callable[..., tuple[int, dict[str, Any]]]) -> None:
    d = Path(sc.files().extracted_dir)
    writable(d, d / "sub" / "deep")
    (d / "alpha.go").chmod(0o644)
    (d / "alpha.go").write_text("package alpha\n\nfunc A() int { return 2 }\n")
    (d / "zz_new.go").write_text("package alpha\n\nfunc B() int { return 3 }\n")
    (d / "sub" / "deep" / "extra.go").write_text("package deep\n")
    (d / "LICENSE").unlink()

    assert sc.doctor("quick") == []
    code, doc = cli(sc, "--verify", "full", "--no-memo", str(sc.ws))
    assert code == 1
    (f,) = doc["findings"]
    assert json_where(f) == ("cache-modified", "go.mod", ALPHA_LINE, "error")
    assert (f["module"], f["version"], f["fixes"]) == (*ALPHA, ["redownload", "clear"])
    assert f["message"] == (
        f"example.com/alpha v1.0.0: dir has been modified ({d}): edited alpha.go, "
        "added sub/deep/extra.go, added zz_new.go and 1 more. "
        "go build compiles the modified files without a word. go's module index in "
        "GOCACHE may hold the changed file list: the fix drops it too."
    )
    data = f["data"]
    assert data["edited"] == ["alpha.go"]
    assert data["added"] == ["sub/deep/extra.go", "zz_new.go"]
    assert data["removed"] == ["LICENSE"]
    assert data["expected"] == ALPHA_H1 and data["dirHash"] != ALPHA_H1

    # go build compiles the edited files without a word; go mod verify notices.
    assert sc.go("build", "./...") == (0, "")
    assert sc.go("mod", "verify") == (
        1,
        f"example.com/alpha v1.0.0: dir has been modified ({d})\n",
    )
    # With the hash memo (under the fixture's XDG_CACHE_HOME), cold then warm: the same;
    # full is check's default level.
    for level in (["--verify", "full"], []):
        code, doc = cli(sc, *level, str(sc.ws))
        assert [json_where(f) for f in doc["findings"]] == [
            ("cache-modified", "go.mod", ALPHA_LINE, "error")
        ]
        assert doc["findings"][0]["data"]["added"] == ["sub/deep/extra.go", "zz_new.go"]


# --------------------------------------------------------------------------- go.sum


def test_sum_missing_go_mod_line(sc: Scenario) -> None:
    sc.rewrite_sum(
        lambda line: [] if line.startswith("example.com/alpha v1.0.0/go.mod ") else [line]
    )
    findings = sc.doctor()
    assert summary(findings) == [("sum-missing", "go.mod", ALPHA_LINE, Severity.ERROR)]
    f = findings[0]
    go_text = (
        "example.com/alpha@v1.0.0: missing go.sum entry for go.mod file; to add it:\n"
        "\tgo mod download example.com/alpha"
    )
    assert f.message == go_text
    assert (f.module, f.version, f.fixes) == (*ALPHA, ("download",))
    assert f.data["lines"] == [{"kind": "go.mod", "line": "example.com/alpha v1.0.0/go.mod"}]

    rc, out = sc.go("build", "./...")
    assert rc == 1
    assert f"deps.go:5:2: {go_text}\n" in out
    # go mod verify does not look at go.sum's go.mod lines of a graph it can load.
    assert sc.go("mod", "verify") == (0, ALL_VERIFIED)
    # -mod=mod lets go add the line from the cache.
    assert sc.go("build", "./...", mod="mod") == (0, "")
    assert sc.doctor() == []


@pytest.mark.parametrize(
    ("module", "line", "importer_line"),
    [(ALPHA, ALPHA_LINE, 5), (("github.com/Upper/Case", "v2.1.0+incompatible"), CASE_LINE, 10)],
    ids=["alpha", "incompatible"],
)
def test_sum_missing_zip_line(
    sc: Scenario, module: tuple[str, str], line: int, importer_line: int
) -> None:
    path, version = module
    sc.rewrite_sum(lambda s: [] if s.startswith(f"{path} {version} ") else [s])
    findings = sc.doctor()
    assert summary(findings) == [("sum-missing", "go.mod", line, Severity.ERROR)]
    f = findings[0]
    go_text = (
        f"missing go.sum entry for module providing package {path} (imported by "
        "example.com/workspace); to add:\n\tgo get example.com/workspace"
    )
    assert f.message == go_text
    assert (f.module, f.version) == (path, version)
    assert f.data["lines"] == [{"kind": "zip", "line": f"{path} {version}", "package": path}]

    rc, out = sc.go("build", "./...")
    assert rc == 1
    assert f"deps.go:{importer_line}:2: {go_text}\n" in out


@pytest.mark.parametrize("gomod", [False, True], ids=["zip-line", "go.mod-line"])
def test_sum_mismatch(
    sc: Scenario, gomod: bool, cli: Callable[..., tuple[int, dict[str, Any]]]
) -> None:
    prefix = "example.com/alpha v1.0.0/go.mod " if gomod else "example.com/alpha v1.0.0 "
    sum_line = ALPHA_MOD_SUM_LINE if gomod else ALPHA_ZIP_SUM_LINE
    good = ALPHA_MOD_H1 if gomod else ALPHA_H1
    sc.rewrite_sum(lambda s: [prefix + BAD_H1 + "\n"] if s.startswith(prefix) else [s])
    assert sc.sum_line(prefix) == sum_line
    shown = "example.com/alpha@v1.0.0" + ("/go.mod" if gomod else "")
    go_text = f"verifying {shown}: checksum mismatch\n\tdownloaded: {good}\n\tgo.sum:     {BAD_H1}"

    for level in LEVELS:
        findings = sc.doctor(level)
        assert summary(findings) == [
            ("sum-mismatch", "go.mod", ALPHA_LINE, Severity.ERROR),
            ("sum-mismatch", "go.sum", sum_line, Severity.ERROR),
        ]
        on_require, on_sum = findings
        for f in findings:
            assert f.message == go_text
            assert (f.module, f.fixes) == (ALPHA[0], ("redownload",))
            assert f.version == ALPHA[1] + ("/go.mod" if gomod else "")
            assert f.data["cacheHash"] == good and f.data["goSumHash"] == BAD_H1
        assert [(Path(r.path).name, r.range.start.line) for r in on_require.related] == [
            ("go.sum", sum_line)
        ]
        assert [(Path(r.path).name, r.range.start.line) for r in on_sum.related] == [
            ("go.mod", ALPHA_LINE)
        ]

    code, doc = cli(sc, str(sc.gomod))
    assert code == 1
    assert [json_where(f) for f in doc["findings"]] == [
        ("sum-mismatch", "go.mod", ALPHA_LINE, "error"),
        ("sum-mismatch", "go.sum", sum_line, "error"),
    ]
    assert doc["findings"][0]["related"][0]["line"] == sum_line

    rc, out = sc.go("build", "./...")
    assert rc == 1
    assert out.startswith(go_text + "\n")
    assert SECURITY_ERROR in out
    rc, out = sc.go("mod", "verify")
    if gomod:
        assert rc == 1 and out.startswith(go_text + "\n")
    else:
        # go mod verify never compares go.sum's zip hash with the cache.
        assert (rc, out) == (0, ALL_VERIFIED)


def test_sum_conflict(sc: Scenario) -> None:
    lines = sc.sum_lines()
    zip_line = lines[ALPHA_ZIP_SUM_LINE - 1]
    theirs = zip_line.replace(ALPHA_H1, BAD_H1)
    sc.gosum.write_text(
        "".join(lines[:2])
        + "<<<<<<< HEAD\n"
        + zip_line
        + "=======\n"
        + theirs
        + ">>>>>>> feature\n"
        + "".join(lines[3:])
    )
    findings = sc.doctor()
    assert summary(findings) == [
        ("sum-conflict", "go.sum", 3, Severity.ERROR),
        # the two sides disagree: the cache says which is right
        ("sum-duplicate", "go.sum", 6, Severity.WARNING),
    ]
    conflict = only(findings, "sum-conflict")
    assert "merge conflict" in conflict.message and "lines 3-7" in conflict.message
    assert conflict.fixes == ("resolve-conflict",)
    dup = only(findings, "sum-duplicate")
    assert "go uses the first (line 4), which matches the module cache" in dup.message

    rc, out = sc.go("build", "./...")
    assert rc == 1
    assert out.startswith(f"malformed go.sum:\n{sc.gosum}:3: wrong number of fields 2\n")
    assert sc.go("mod", "verify") == (rc, out)


@pytest.mark.parametrize("right_first", [True, False], ids=["right-first", "wrong-first"])
@pytest.mark.parametrize("gomod", [False, True], ids=["zip-line", "go.mod-line"])
def test_sum_duplicate(sc: Scenario, gomod: bool, right_first: bool) -> None:
    prefix = "example.com/alpha v1.0.0/go.mod " if gomod else "example.com/alpha v1.0.0 "
    good = ALPHA_MOD_H1 if gomod else ALPHA_H1
    first_line = ALPHA_MOD_SUM_LINE if gomod else ALPHA_ZIP_SUM_LINE

    def dup(s: str) -> list[str]:
        if not s.startswith(prefix):
            return [s]
        bad = prefix + BAD_H1 + "\n"
        return [s, bad] if right_first else [bad, s]

    sc.rewrite_sum(dup)
    findings = sc.doctor()
    d = only(findings, "sum-duplicate")
    assert where(d) == ("sum-duplicate", "go.sum", first_line + 1, Severity.WARNING)
    what = "example.com/alpha v1.0.0" + ("/go.mod" if gomod else "")
    assert (d.module, d.version) == (ALPHA[0], what.split()[1])
    base = f"go.sum has two hashes for {what}; go uses the first (line {first_line})"
    assert [(Path(r.path).name, r.range.start.line) for r in d.related] == [("go.sum", first_line)]
    assert d.data["cacheHash"] == good
    rc, out = sc.go("build", "./...")
    if right_first:
        assert d.message == base + ", which matches the module cache: this line is the wrong one"
        assert d.data["wrongLine"] == first_line + 1
        assert summary(findings) == [where(d)]
        assert (rc, out) == (0, "")  # go uses the first, the right one
    else:
        assert d.message == base + f", but the module cache matches this line ({good})"
        assert d.data["wrongLine"] == first_line
        assert summary(findings) == sorted(
            [
                where(d),
                ("sum-mismatch", "go.mod", ALPHA_LINE, Severity.ERROR),
                ("sum-mismatch", "go.sum", first_line, Severity.ERROR),
            ]
        )
        assert rc == 1
        assert f"checksum mismatch\n\tdownloaded: {good}\n\tgo.sum:     {BAD_H1}\n" in out


# --------------------------------------------------------------------------- replace


def test_replace_missing_dir_and_dir_without_go_mod(sc: Scenario) -> None:
    sc.add_replace("replace example.com/alpha => ../alpha-local")
    target = sc.fx.root / "alpha-local"

    findings = sc.doctor()
    assert summary(findings) == [("replace-missing", "go.mod", REPLACE_LINE, Severity.ERROR)]
    f = findings[0]
    assert (
        f.message == "example.com/alpha@v1.0.0: replacement directory ../alpha-local does not exist"
    )
    assert (f.module, f.data["reason"], f.data["dir"]) == (ALPHA[0], "no-dir", str(target))
    rc, out = sc.go("build", "./...")
    assert rc == 1
    assert f"deps.go:5:2: {f.message}\n" in out
    list_no_dir = sc.go("list", "-m", "all")

    target.mkdir()
    (target / "alpha.go").write_text("package alpha\n")
    findings = sc.doctor()
    assert summary(findings) == [("replace-missing", "go.mod", REPLACE_LINE, Severity.ERROR)]
    f = findings[0]
    go_text = (
        "example.com/alpha@v1.0.0 (replaced by ../alpha-local): reading "
        f"../alpha-local/go.mod: open {target}/go.mod: no such file or directory"
    )
    assert f.message == go_text + " (the directory exists, but has no go.mod file)"
    assert f.data["reason"] == "no-go-mod"
    rc, out = sc.go("build", "./...")
    assert rc == 1
    assert f"deps.go:6:2: {go_text}\n" in out
    # go list -m says the same for both; go build tells them apart, and so do we.
    list_no_go_mod = sc.go("list", "-m", "all")
    assert list_no_dir == list_no_go_mod == (1, f"go: {go_text}\n")


def test_replace_path_mismatch_go_accepts(sc: Scenario) -> None:
    sc.add_replace("replace example.com/alpha => ../alpha-local")
    target = sc.fx.root / "alpha-local"
    (target / "sub" / "deep").mkdir(parents=True)
    (target / "go.mod").write_text("module example.com/other\n\ngo 1.21\n")
    (target / "alpha.go").write_text("package alpha\n")
    (target / "sub" / "deep" / "deep.go").write_text("package deep\n")

    findings = sc.doctor()
    assert summary(findings) == [
        ("replace-path-mismatch", "go.mod", REPLACE_LINE, Severity.WARNING)
    ]
    f = findings[0]
    assert "declares module example.com/other, not example.com/alpha" in f.message
    assert "the go command accepts this" in f.message
    assert f.data["declared"] == "example.com/other"

    assert sc.go("build", "./...") == (0, "")
    rc, out = sc.go("list", "-m", "all")
    assert rc == 0 and "example.com/alpha v1.0.0 => ../alpha-local\n" in out


def test_replace_unused(sc: Scenario) -> None:
    sc.add_replace("replace example.com/unused v1.2.3 => ../unused")
    findings = sc.doctor()
    assert summary(findings) == [("replace-unused", "go.mod", REPLACE_LINE, Severity.HINT)]
    f = findings[0]
    assert f.message == "example.com/unused@v1.2.3 is not in the build: this replace has no effect"
    assert (f.module, f.version) == ("example.com/unused", "v1.2.3")
    assert sc.go("build", "./...") == (0, "")  # go does not mind


def test_replacement_module_findings_go_on_the_replace_line(sc: Scenario) -> None:
    fork = ModuleSpec(
        "example.com/alphafork",
        "v1.0.1",
        {
            "go.mod": b"module example.com/alpha\n\ngo 1.21\n",
            "alpha.go": b"package alpha\n",
            "sub/deep/deep.go": b"package deep\n",
        },
    )
    sc.add_replace("replace example.com/alpha v1.0.0 => example.com/alphafork v1.0.1")
    with GoProxy([*sample_modules(), fork]) as proxy:
        findings = sc.doctor(GOPROXY=proxy.url)
        assert summary(findings) == [
            ("cache-missing", "go.mod", REPLACE_LINE, Severity.HINT),
            ("cache-missing-summary", "go.mod", 1, Severity.INFORMATION),
            ("sum-missing", "go.mod", REPLACE_LINE, Severity.ERROR),
        ]
        missing = only(findings, "cache-missing")
        assert (missing.module, missing.version) == ("example.com/alphafork", "v1.0.1")
        assert missing.message == (
            "example.com/alphafork@v1.0.1 is not in the module cache: the next build will "
            f"download its go.mod and its source zip from {proxy.url}"
        )
        # One finding on the line names both missing go.sum lines, in go's words.
        sum_missing = only(findings, "sum-missing")
        sums = sum_missing.message.split("\n", 2)
        sums = ["\n".join(sums[:2]), sums[2]]
        assert sums == [
            "example.com/alphafork@v1.0.1: missing go.sum entry for go.mod file; to add it:\n"
            "\tgo mod download example.com/alpha",
            "missing go.sum entry for module providing package example.com/alpha (imported by "
            "example.com/workspace); to add:\n\tgo get example.com/workspace",
        ]
        fork_at = "example.com/alphafork v1.0.1"
        assert sum_missing.data["lines"] == [
            {"kind": "go.mod", "line": f"{fork_at}/go.mod"},
            {"kind": "zip", "line": fork_at, "package": "example.com/alpha"},
        ]
        assert sum_missing.data["goModule"] == "example.com/alpha"
        rc, out = sc.go("build", "./...", GOPROXY=proxy.url)
        assert rc == 1
        assert "deps.go:5:2: " + sums[1] + "\n" in out

        assert sc.go("mod", "download", "example.com/alpha", mod="mod", GOPROXY=proxy.url)[0] == 0
    assert sc.doctor() == []
    assert sc.go("build", "./...") == (0, "")


# --------------------------------------------------------------------------- go.work


def test_work_use_missing_in_gos_words(sc: Scenario) -> None:
    root = sc.fx.root
    (root / "nomod").mkdir()
    (root / "nomod" / "x.go").write_text("package nomod\n")
    work = root / "go.work"
    work.write_text("go 1.21\n\nuse (\n\t./work\n\t./missing\n\t./nomod\n)\n")

    # (GOFLAGS as go runs below: -mod=mod is refused in workspace mode)
    findings = sc.doctor(root=root, GOFLAGS="")
    assert summary(findings) == [
        ("work-use-missing", "go.work", 5, Severity.ERROR),
        ("work-use-missing", "go.work", 6, Severity.ERROR),
    ]
    missing, nomod = findings
    # go, run in the go.work's directory (it prints paths relative to where it runs)
    rc, out = sc.go("list", "-m", mod=None, cwd=root)
    assert rc == 1
    go_missing = "cannot load module missing listed in go.work file: open missing/go.mod: no such file or directory"
    go_nomod = "cannot load module nomod listed in go.work file: open nomod/go.mod: no such file or directory"
    assert out == f"go: {go_missing}\ngo: {go_nomod}\n"
    assert missing.message == go_missing + " (the directory does not exist)"
    assert nomod.message == go_nomod + " (the directory exists, but has no go.mod file)"
    assert (missing.data["exists"], nomod.data["exists"]) == (False, True)
    assert missing.data["dir"] == str(root / "missing")

    # An absolute use path: go shortens it too.
    work.write_text(f"go 1.21\n\nuse ./work\nuse {root / 'missing'}\n")
    (f,) = sc.doctor(root=root, GOFLAGS="")
    assert where(f) == ("work-use-missing", "go.work", 4, Severity.ERROR)
    rc, out = sc.go("list", "-m", mod=None, cwd=root)
    assert (rc, out) == (1, f"go: {go_missing}\n")
    assert f.message.startswith(go_missing)


# --------------------------------------------------------------------------- go-version


def _local_go(sc: Scenario) -> str:
    version = goenv.load(sc.env()).GOVERSION.removeprefix("go")
    assert version
    return version


def test_go_version_of_the_workspace(sc: Scenario) -> None:
    sc.gomod.write_text(TIDY_GO_MOD.replace("go 1.21", "go 1.99"))
    local = _local_go(sc)

    findings = sc.doctor()  # GOTOOLCHAIN=local
    assert summary(findings) == [("go-version", "go.mod", GO_LINE, Severity.ERROR)]
    go_text = f"go.mod requires go >= 1.99 (running go {local}; GOTOOLCHAIN=local)"
    assert findings[0].message == go_text
    assert findings[0].data == {"go": "1.99"}
    assert sc.go("build", "./...") == (1, f"go: {go_text}\n")
    assert sc.go("mod", "verify") == (1, f"go: {go_text}\n")

    findings = sc.doctor(GOTOOLCHAIN="auto")
    assert summary(findings) == [("go-version", "go.mod", GO_LINE, Severity.INFORMATION)]
    assert findings[0].message == (
        f"go.mod requires go >= 1.99 (running go {local}): the build will download "
        "toolchain go1.99.0 (GOTOOLCHAIN=auto)"
    )
    # go tries to, and fails only because GOPROXY=off.
    rc, out = sc.go("build", "./...", GOTOOLCHAIN="auto")
    assert rc == 1
    assert out.startswith("go: downloading go1.99.0 ")
    assert "toolchain not available" in out

    findings = sc.doctor(GOTOOLCHAIN="path")
    assert findings[0].severity == Severity.INFORMATION
    assert "will look for go1.99.0 on PATH" in findings[0].message
    assert sc.go("build", "./...", GOTOOLCHAIN="path") == (
        1,
        'go: cannot find "go1.99.0" in PATH\n',
    )


def test_go_version_of_a_needed_module(sc: Scenario) -> None:
    future = ModuleSpec(
        "example.com/future",
        "v1.0.0",
        {"go.mod": b"module example.com/future\n\ngo 1.99\n", "f.go": b"package future\n"},
    )
    with GoProxy([future]) as proxy:
        # go downloads it, then refuses it.
        res = sc.run_go(
            "mod", "download", "-json", "example.com/future@v1.0.0", mod=None, GOPROXY=proxy.url
        )
    assert res.returncode == 1
    (dl,) = parse_json_stream(res.stdout)
    local = _local_go(sc)
    go_text = f"example.com/future@v1.0.0 requires go >= 1.99 (running go {local}"
    assert dl["Error"] == go_text + "; GOTOOLCHAIN=local)"
    sc.gomod.write_text(
        TIDY_GO_MOD.replace(
            "\texample.com/alpha v1.0.0\n",
            "\texample.com/alpha v1.0.0\n\texample.com/future v1.0.0\n",
        )
    )
    with sc.gosum.open("a") as out:
        out.write(f"example.com/future v1.0.0 {dl['Sum']}\n")
        out.write(f"example.com/future v1.0.0/go.mod {dl['GoModSum']}\n")
    (sc.ws / "future.go").write_text('package workspace\n\nimport _ "example.com/future"\n')

    findings = sc.doctor()
    assert summary(findings) == [("go-version", "go.mod", 8, Severity.ERROR)]
    f = findings[0]
    assert f.message == go_text + "; GOTOOLCHAIN=local)"
    assert (f.module, f.version, f.data["go"]) == ("example.com/future", "v1.0.0", "1.99")
    assert sc.go("build", "./...") == (1, f"go: {f.message}\n")

    # GOTOOLCHAIN=auto does not help: go build never switches for a dependency.
    findings = sc.doctor(GOTOOLCHAIN="auto")
    assert summary(findings) == [("go-version", "go.mod", 8, Severity.ERROR)]
    assert findings[0].message.startswith(go_text + ").")
    assert "does not switch toolchains for a dependency" in findings[0].message
    assert sc.go("build", "./...", GOTOOLCHAIN="auto") == (1, f"go: {go_text})\n")

    # Unless the workspace's own go line switches to a new enough toolchain first.
    sc.gomod.write_text(sc.gomod.read_text().replace("go 1.21", "go 1.99"))
    findings = sc.doctor(GOTOOLCHAIN="auto")
    assert summary(findings) == [("go-version", "go.mod", GO_LINE, Severity.INFORMATION)]


# --------------------------------------------------------------------------- configuration


def test_severity_overrides(sc: Scenario, cli: Callable[..., tuple[int, dict[str, Any]]]) -> None:
    _partial(sc)
    code, doc = cli(sc, str(sc.ws))
    assert code == 0  # a warning
    assert [json_where(f) for f in doc["findings"]] == [
        ("cache-incomplete", "go.mod", ALPHA_LINE, "warning")
    ]
    code, doc = cli(sc, "--severity", "cache-incomplete=off", str(sc.ws))
    assert (code, doc["findings"]) == (0, [])

    (sc.ws / "gomod-doctor.toml").write_text('[severity]\ncache-incomplete = "error"\n')
    code, doc = cli(sc, str(sc.ws))
    assert code == 1
    assert [json_where(f) for f in doc["findings"]] == [
        ("cache-incomplete", "go.mod", ALPHA_LINE, "error")
    ]
    # The command line wins over the file.
    code, doc = cli(sc, "--severity", "cache-incomplete=hint", str(sc.ws))
    assert code == 0
    assert doc["findings"][0]["severity"] == "hint"
    assert doc["summary"] == {"error": 0, "warning": 0, "information": 0, "hint": 1}
