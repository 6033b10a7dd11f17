"""The network part when nothing can be sent (:mod:`gomod_doctor.network.quiet`).

For each setting where the gather cannot send a single request (offline, GOPROXY off,
direct or invalid, a checksum database that is off or has nothing to be asked), the
facts worked out at once must be those the async gather returns on the same facts,
and so must the findings. Where a request could be sent, the quiet path must step
aside. And ``gomod-doctor check`` with GOPROXY=off GOSUMDB=off reports its findings
without loading asyncio or ssl (nor the other commands' modules).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gomod_doctor import engine
from gomod_doctor.facts import Facts
from gomod_doctor.goenv import env as goenv
from gomod_doctor.netfacts import NetworkFacts
from gomod_doctor.network.gather import gather_network, run_bounded
from gomod_doctor.network.http import Timeouts
from gomod_doctor.network.quiet import (
    NetworkOptions,
    default_store_dir,
    quiet_gather,
    stored_gomod,
)
from gomod_doctor.workspace.discover import locate
from goproxy import CacheFixture, ModuleSpec

M, V = "example.com/m", "v1.0.0"
MOD = ModuleSpec(M, V, {"m.go": b"package m\n\nfunc M() int { return 1 }\n"})
#: required, and not in the module cache: a public one, a GOPRIVATE one, a GONOPROXY one
OTHER = ("example.com/other", "v1.2.0")
SECRET = ("corp.example.com/secret", "v1.0.0")
NOPROXY = ("noproxy.example.org/lib", "v0.1.0")
OPTIONS = NetworkOptions(timeouts=Timeouts(connect=1.0, total=1.5))


def workspace(fx: CacheFixture, *, go: str = "1.21") -> Path:
    """The fixture's workspace, requiring also three module versions the cache lacks."""
    gomod = fx.workspace / "go.mod"
    extra = "".join(f"\t{p} {v}\n" for p, v in (OTHER, SECRET, NOPROXY))
    text = gomod.read_text().replace(f"\t{M} {V}\n", f"\t{M} {V}\n{extra}")
    gomod.write_text(text.replace("go 1.21", f"go {go}"))
    return fx.workspace


def facts_of(ws: Path, environ: dict[str, str]) -> Facts:
    facts, _ = engine.gather(locate(ws), goenv.load(environ))
    return facts


def gathered(
    facts: Facts, environ: dict[str, str], offline: bool
) -> tuple[NetworkFacts, list[str]]:
    sent: list[str] = []
    nf = asyncio.run(
        gather_network(facts, environ, offline=offline, options=OPTIONS, request_log=sent)
    )
    return nf, sent


def findings(facts: Facts, nf: NetworkFacts) -> list[tuple[Any, ...]]:
    facts.network = nf
    result = engine.run(facts)
    assert not result.internal_errors
    return [
        (f.path, f.range.start.line, f.code, f.severity.label, f.message, f.data)
        for f in result.findings
    ]


# (id, environment, offline, go line)
QUIET: list[tuple[str, dict[str, str], bool, str]] = [
    ("goproxy-off", {"GOPROXY": "off", "GOSUMDB": "off"}, False, "1.21"),
    (
        "direct-sumdb-off",
        {"GOPROXY": "direct", "GOSUMDB": "off", "GOINSECURE": "*.corp"},
        False,
        "1.21",
    ),
    (
        "invalid-goproxy",
        {"GOPROXY": "ftp://mirror.example,https://proxy.example", "GOSUMDB": "sum.golang.org"},
        False,
        "1.21",
    ),
    (
        "offline-sumdb-on",
        {
            "GOPROXY": "https://user:secret@proxy.example|https://other.example,direct",
            "GOSUMDB": "sum.golang.org https://user:pw@sum.example",
            "GOPRIVATE": "corp.example.com",
            "GONOPROXY": "noproxy.example.org",
        },
        True,
        "1.21",
    ),
    (
        "off-private-noproxy-sumdb-has-nothing-to-ask",
        {
            "GOPROXY": "off",
            "GOSUMDB": "sum.golang.org",
            "GOPRIVATE": "example.com,corp.example.com,noproxy.example.org",
            "GONOPROXY": "noproxy.example.org",
        },
        False,
        "1.21",
    ),
    ("invalid-gosumdb", {"GOPROXY": "direct,off", "GOSUMDB": "a b c"}, False, "1.21"),
    (
        "toolchain-offline",
        {"GOPROXY": "https://proxy.example", "GOSUMDB": "off", "GOTOOLCHAIN": "auto"},
        True,
        "1.99.0",
    ),
    (
        "toolchain-goproxy-off",
        {"GOPROXY": "off", "GOSUMDB": "off", "GOTOOLCHAIN": "auto"},
        False,
        "1.99.0",
    ),
]


@pytest.mark.parametrize(("name", "extra", "offline", "go"), QUIET, ids=[q[0] for q in QUIET])
def test_quiet_facts_are_the_gathers(
    make_cache: Any, name: str, extra: dict[str, str], offline: bool, go: str
) -> None:
    fx = make_cache([MOD])
    ws = workspace(fx, go=go)
    environ = fx.env_with(**extra)
    facts = facts_of(ws, environ)
    quiet = quiet_gather(facts, environ, offline=offline, options=OPTIONS)
    assert quiet is not None, "nothing can be sent: the quiet path answers"
    nf, sent = gathered(facts, environ, offline)
    assert sent == [] and nf.requests == 0
    assert quiet == nf
    assert findings(facts, quiet) == findings(facts, nf)
    # what each setting leads to is there, not an empty answer
    assert set(quiet.availability) >= {OTHER, SECRET, NOPROXY}
    kinds = {k: m.outcome.kind for k, m in quiet.availability.items() if m.outcome}
    if name == "goproxy-off":
        assert kinds[OTHER] == "off"
        assert {i.key for i in quiet.insecure} == {"GOSUMDB"}
    elif name == "direct-sumdb-off":
        assert kinds[OTHER] == "direct"
        assert {i.key for i in quiet.insecure} == {"GOSUMDB", "GOINSECURE"}
    elif name == "invalid-goproxy":
        assert kinds[OTHER] == "config" and quiet.config_errors
        assert quiet.sumdb is not None and quiet.sumdb.name == "sum.golang.org"
    elif name == "offline-sumdb-on":
        assert kinds[NOPROXY] == "noproxy" and kinds[SECRET] == "unchecked"
        assert "secret" not in quiet.goproxy and quiet.sumdb is not None
        assert quiet.sumdb.base == "https://xxxxx@sum.example"
    elif name == "off-private-noproxy-sumdb-has-nothing-to-ask":
        assert kinds[NOPROXY] == "noproxy" and kinds[OTHER] == "off"
        assert quiet.sumdb is not None and not quiet.sumdb.records
    elif name == "invalid-gosumdb":
        assert quiet.sumdb is not None and "too many fields" in quiet.sumdb.config_error
    else:
        assert quiet.toolchain is not None and quiet.toolchain.toolchain == "go1.99.0"


def test_a_netrc_that_cannot_be_read_is_noted_on_both_paths(make_cache: Any) -> None:
    fx = make_cache([MOD])
    ws = workspace(fx)
    environ = fx.env_with(GOPROXY="direct", NETRC=str(fx.root))  # a directory
    facts = facts_of(ws, environ)
    quiet = quiet_gather(facts, environ, options=OPTIONS)
    assert quiet is not None
    assert any(n.startswith("GOAUTH=netrc: ") for n in quiet.notes)
    assert quiet == gathered(facts, environ, False)[0]


def test_the_quiet_path_steps_aside_when_a_request_can_be_sent(make_cache: Any) -> None:
    fx = make_cache([MOD])
    ws = workspace(fx)
    for extra in (
        {"GOPROXY": "https://proxy.example", "GOSUMDB": "off"},  # a proxy to ask
        {"GOPROXY": "direct", "GOSUMDB": "sum.golang.org"},  # public modules to look up
    ):
        environ = fx.env_with(**extra)
        assert quiet_gather(facts_of(ws, environ), environ, options=OPTIONS) is None
        # offline, the same settings send nothing
        assert quiet_gather(facts_of(ws, environ), environ, offline=True) is not None


def test_a_kept_gomod_the_graph_lacks_leaves_it_to_the_gather(make_cache: Any) -> None:
    """An earlier gather kept the go.mod of a module version the cache lacks: with
    GOPROXY=off the gather still reads it on (no request), so the quiet path must not
    answer in its place."""
    fx = make_cache([MOD])
    ws = workspace(fx)
    environ = fx.env_with(GOPROXY="off", GOSUMDB="off")
    facts = facts_of(ws, environ)
    assert quiet_gather(facts, environ, options=OPTIONS) is not None
    kept = stored_gomod(default_store_dir(environ), OTHER)
    assert kept is not None
    os.makedirs(os.path.dirname(kept))
    Path(kept).write_text(f"module {OTHER[0]}\n\ngo 1.21\n")
    assert quiet_gather(facts, environ, options=OPTIONS) is None
    nf = run_bounded(facts, environ, options=OPTIONS)
    assert OTHER in nf.graph_mods and nf.requests == 0


CHECK = """
import sys
from gomod_doctor.main import main
code = main(["check", "--format", "json", sys.argv[1]])
loaded = [m for m in ("asyncio", "ssl", "httpx") if m in sys.modules]
loaded += [m for m in sys.modules if m.startswith(
    ("gomod_doctor.network.gather", "gomod_doctor.network.proxy",
     "gomod_doctor.network.http.pool", "gomod_doctor.network.sumdb.client",
     "gomod_doctor.cli.cache_cmds", "gomod_doctor.cli.network_cmds"))]
print(repr((code, loaded)), file=sys.stderr)
"""


@pytest.mark.parametrize("verify", ["quick", "full"])
def test_check_with_goproxy_off_loads_no_network_client(make_cache: Any, verify: str) -> None:
    fx = make_cache([MOD])
    ws = workspace(fx)
    environ = {**os.environ, **fx.env_with(GOPROXY="off", GOSUMDB="off")}
    script = CHECK.replace('"--format"', f'"--verify", "{verify}", "--format"')
    res = subprocess.run(
        [sys.executable, "-c", script, str(ws)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    code, loaded = eval(res.stderr.strip().splitlines()[-1])
    assert loaded == []
    assert code == 1  # go cannot download what the cache lacks
    out = json.loads(res.stdout)["findings"]
    insecure = [f for f in out if f["code"] == "insecure-setting"]
    assert [f["data"]["key"] for f in insecure] == ["GOSUMDB"]
    config = {f["message"].rsplit(": ", 2)[-2] for f in out if f["code"] == "proxy-config"}
    assert config == {f"{p}@{v}" for p, v in (OTHER, SECRET, NOPROXY)}
    assert all(
        f["severity"] == "error" and f["message"].endswith("module lookup disabled by GOPROXY=off")
        for f in out
        if f["code"] == "proxy-config"
    )


def test_help_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    """check, demo and serve leave the other commands' modules unloaded; the help and
    the other commands still have them."""
    from gomod_doctor.cli.main import main

    for argv in (["--help"], ["clear", "--help"], ["compare-proxies", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("check", "clear", "download", "prune", "compare-proxies", "watch"):
        assert f"    {command}" in out
    assert "usage: gomod-doctor clear" in out and "usage: gomod-doctor compare-proxies" in out
