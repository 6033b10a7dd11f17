"""Network checks (issue 5): GOPROXY health, availability as go walks GOPROXY, privacy,
responsiveness, proxy-copy comparison.

Every server is local (127.0.0.1). Faults are injected with tests/goproxy.py. For
"," and "|" chains the real go runs on the same setup (``go mod download -json M@V``
with a clean GOMODCACHE) and gomod-doctor must have predicted what it did: which
proxy it asked for which file, which served it, and the error it stopped on.
"""

from __future__ import annotations

import asyncio
import datetime
import http.server
import ipaddress
import json
import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gomod_doctor import engine
from gomod_doctor.checks import network as network_check
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv import env as goenv
from gomod_doctor.netfacts import NetworkFacts
from gomod_doctor.network.gather import NetworkOptions, gather_network, run_bounded
from gomod_doctor.network.http import (
    FetchError,
    HttpPool,
    HttpSettings,
    Timeouts,
    classify_exception,
    parse_netrc,
    safe_url,
)
from gomod_doctor.network.private import (
    goprivate_argv,
    insecure_settings,
    is_broad_pattern,
    suggest_private_prefix,
)
from gomod_doctor.network.proxy import NetworkCache
from gomod_doctor.workspace.discover import locate
from goproxy import (
    GoProxy,
    ModuleSpec,
    Response,
    parse_json_stream,
    refused_url,
    write_workspace,
)
from gotool import isolated_env, run_go

M, V = "example.com/m", "v1.0.0"
MV = f"{M}@{V}"
MOD = ModuleSpec(M, V, {"m.go": b"package m\n\nfunc M() int { return 1 }\n"})
NETWORK_CODES = {
    "proxy-unreachable",
    "proxy-error",
    "proxy-not-found",
    "proxy-config",
    "proxy-tampered",
    "insecure-setting",
    "private-path-exposed",
}
REQUIRE_LINE = 6  # write_workspace: module, blank, go, blank, "require (", first require
MODULE_LINE = 1
FAST = Timeouts(connect=1.0, total=1.5)


def is_module_file(path: str) -> bool:
    return path.startswith(f"/{M}/@v/")


# --------------------------------------------------------------------------- TLS


@dataclass
class Cert:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def make_cert(d: Path) -> Cert:
    """A self-signed certificate for 127.0.0.1 (its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gomod-doctor test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    d.mkdir(parents=True, exist_ok=True)
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Cert(d / "cert.pem", d / "key.pem")


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    return make_cert(tmp_path_factory.mktemp("tls"))


# --------------------------------------------------------------------------- helpers


@dataclass
class Run:
    facts: Facts
    findings: list[Finding]
    network_seconds: float
    local_seconds: float
    sent: list[str]

    @property
    def net(self) -> NetworkFacts:
        assert self.facts.network is not None
        return self.facts.network

    def codes(self, *, line: int | None = None) -> list[tuple[str, str, int]]:
        """(code, severity, line) of the network findings but insecure-setting, sorted."""
        return sorted(
            (f.code, f.severity.label, f.range.start.line)
            for f in self.findings
            if f.code in NETWORK_CODES
            and f.code != "insecure-setting"
            and (line is None or f.range.start.line == line)
        )

    def find(self, code: str) -> list[Finding]:
        return [f for f in self.findings if f.code == code]


def workspace(root: Path, requires: list[tuple[str, str]] | None = None, go: str = "1.21") -> Path:
    ws = root / "w"
    write_workspace(ws, [MOD], requires or [(M, V)])
    if go != "1.21":
        text = (ws / "go.mod").read_text().replace("go 1.21", f"go {go}")
        (ws / "go.mod").write_text(text)
    return ws


def check(
    ws: Path,
    environ: dict[str, str],
    *,
    offline: bool = False,
    timeouts: Timeouts = FAST,
    cache: NetworkCache | None = None,
    with_info: bool = False,
) -> Run:
    genv = goenv.load(environ)
    t0 = time.monotonic()
    facts, _ = engine.gather(locate(ws), genv)
    local = engine.run(facts)
    local_seconds = time.monotonic() - t0
    assert not local.internal_errors
    sent: list[str] = []
    t1 = time.monotonic()
    facts.network = run_bounded(
        facts,
        environ,
        offline=offline,
        options=NetworkOptions(timeouts=timeouts, with_info=with_info),
        cache=cache,
        request_log=sent,
    )
    network_seconds = time.monotonic() - t1
    result = engine.run(facts)
    assert not result.internal_errors
    # local findings are the same with or without the network part, but for a cache
    # miss the network part finds go cannot fetch: the error that says why takes the
    # place of its hint (one finding per line), and the module line no longer counts it
    keys = {(f.code, f.range.start.line, f.message) for f in result.findings}
    errors = {
        (f.range.start.line, f.module) for f in result.findings if f.severity.label == "error"
    }
    hinted = {(f.range.start.line, f.module) for f in result.findings if f.code == "cache-missing"}
    for f in local.findings:
        if f.code == "cache-missing" and (f.range.start.line, f.module) in errors:
            continue
        if f.code == "cache-missing" and (f.range.start.line, f.module) in hinted:
            continue  # the network part may name the entry go actually reaches
        if f.code == "cache-missing-summary":
            continue
        assert (f.code, f.range.start.line, f.message) in keys, f
    return Run(facts, result.findings, network_seconds, local_seconds, sent)


def env_for(root: Path, goproxy: str, **extra: str) -> dict[str, str]:
    return isolated_env(root / "goenv", GOPROXY=goproxy, **extra)


GARBAGE = Response(body=b"\x00\xffnot what go expects", content_type="application/octet-stream")


def fault(name: str) -> Response | None:
    """The Response that injects ``name`` (None: serve normally)."""
    return {
        "403": Response(403, b"forbidden\n", "text/plain; charset=utf-8"),
        "404": Response(404, b"not found\n", "text/plain; charset=utf-8"),
        "410": Response(410, b"gone\n", "text/plain; charset=utf-8"),
        "500": Response(500, b"boom\n", "text/plain; charset=utf-8"),
        "503": Response(503, b""),
        "hang": Response(hang=True),
        "reset": Response(reset=True),
        "slow": Response(delay=0.4),
    }.get(name)


def inject(proxy: GoProxy, name: str) -> None:
    """Apply fault ``name`` to every request for M on ``proxy``."""
    r = fault(name)
    if r is not None:
        if name == "slow":
            proxy.override(
                is_module_file,
                lambda _p, d: Response(d.status, d.body, d.content_type, delay=0.4) if d else None,
            )
        else:
            proxy.override(is_module_file, r)
    elif name == "truncated":
        proxy.override(
            is_module_file,
            lambda _p, d: (
                Response(d.status, d.body, d.content_type, truncate_at=len(d.body) // 2)
                if d
                else None
            ),
        )
    elif name == "garbage":
        # garbage .info and .zip; a valid .mod (go mod download does not parse it)
        proxy.override(lambda p: is_module_file(p) and not p.endswith(".mod"), GARBAGE)


@pytest.fixture
def good() -> Iterator[GoProxy]:
    with GoProxy([MOD]) as p:
        yield p


@pytest.fixture
def bad() -> Iterator[GoProxy]:
    with GoProxy([MOD]) as p:
        yield p


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("refused", "proxy-unreachable", "connect: connection refused"),
        ("404", "proxy-not-found", "404 Not Found"),
        ("410", "proxy-not-found", "410 Gone"),
        ("403", "proxy-error", "403 Forbidden"),
        ("500", "proxy-error", "500 Internal Server Error"),
        ("503", "proxy-error", "503 Service Unavailable"),
        ("hang", "proxy-unreachable", "will hang"),
        ("reset", "proxy-unreachable", "connection reset"),
        ("truncated", "proxy-error", "unexpected EOF"),
        ("garbage", "proxy-error", "not a go.mod file"),
        ("slow", None, ""),
        ("tls", "proxy-unreachable", "certificate signed by unknown authority"),
    ],
)
def test_fault_gives_the_right_finding_on_the_require_line(
    tmp_path: Path, cert: Cert, name: str, code: str | None, words: str
) -> None:
    ws = workspace(tmp_path)
    if name == "refused":
        proxy: GoProxy | None = None
        url = refused_url()
    else:
        proxy = GoProxy([MOD], ssl_context=cert.server_context() if name == "tls" else None)
        proxy.start()
        url = proxy.url
        if name == "garbage":
            proxy.override(is_module_file, GARBAGE)  # the .mod too: go fails on it
        else:
            inject(proxy, name)
    try:
        run = check(ws, env_for(tmp_path, url))
    finally:
        if proxy is not None:
            proxy.stop()
    got = run.codes()
    assert run.network_seconds < FAST.overall + 1.0
    if code is None:
        assert got == []
        probe = run.net.probes[0].attempt
        assert probe is not None and probe.kind == "ok" and probe.latency >= 0.4
        return
    if code == "proxy-not-found":
        # nobody has it and GOPRIVATE does not cover it: a private path leaking?
        assert got == [
            ("private-path-exposed", "warning", REQUIRE_LINE),
            (code, "error", REQUIRE_LINE),
        ], run.findings
    else:
        assert got == [(code, "error", REQUIRE_LINE)], run.findings
    (f,) = run.find(code)
    assert words in f.message
    assert f.message.startswith(f"{MV}: ")
    # go's words name the full URL of the request, not host:port
    assert f"{url}/{M}/@v/{V}." in f.message
    if name != "hang":  # go has no words for a proxy that never answers
        said = str(f.data["goError"]).split("\n", 1)[0]
        assert f.message.startswith(f"{MV}: {said}. ")
    assert f.module == M and f.version == V
    # one GOPROXY entry: it is the last one, so the download fails (or hangs)
    if name == "hang":
        assert "no timeout" in f.message
    elif code != "proxy-not-found":
        assert "last GOPROXY entry" in f.message or "fails on it" in f.message


@pytest.mark.parametrize("name", ["refused", "500", "hang"])
def test_broken_entry_with_nothing_to_fetch_warns_on_the_module_line(
    tmp_path: Path, make_cache: Any, bad: GoProxy, name: str
) -> None:
    fx = make_cache([MOD])
    url = refused_url() if name == "refused" else bad.url
    inject(bad, name)
    run = check(fx.workspace, fx.env_with(GOPROXY=f"{url},direct"))
    code = "proxy-error" if name == "500" else "proxy-unreachable"
    assert run.codes() == [(code, "warning", MODULE_LINE)]
    (f,) = run.find(code)
    # the full URL of the request go makes, in go's words
    assert f.message.startswith(f"GOPROXY entry {url}: ")
    if name == "500":
        assert f"reading {url}/{M}/@v/{V}.info: 500 Internal Server Error. " in f.message
    elif name == "refused":
        assert f'Get "{url}/{M}/@v/{V}.info": dial tcp ' in f.message
    if name == "hang":
        assert "no timeout" in f.message and "will hang" in f.message
    else:
        assert "With ',' the go command does not fall back to direct on this error" in f.message
        assert "Fix the proxy or use '|'" in f.message
    assert run.network_seconds < FAST.overall + 1.0


def test_connect_timeout_message_matches_the_issue(tmp_path: Path) -> None:
    """The issue's example wording, from a classified connect timeout."""
    from gomod_doctor.netfacts import EntryRef
    from gomod_doctor.network.http import Fetched
    from gomod_doctor.network.proxy import classify

    e = EntryRef(0, "proxy", "https://proxy.example.net", False, "proxy.example.net")
    nf = NetworkFacts(
        "https://proxy.example.net,direct",
        entries=[e, EntryRef(1, "direct", "direct", False, "direct")],
    )
    f = Fetched(
        "https://proxy.example.net/x", error=FetchError("connect-timeout", "connection timed out")
    )
    a = classify(e, "mod", V, f)
    text = f"{a.entry.name}: {network_check.describe(a, nf)}. {network_check.consequence(nf, a, pending=True)}"
    assert text == (
        "proxy.example.net: connection timed out after 3 s. With ',' the go command does not "
        "fall back to direct on this error, so this download will fail. Fix the proxy or use '|'"
    )
    assert (
        a.go_error
        == 'Get "https://proxy.example.net/x": dial tcp proxy.example.net:443: i/o timeout'
    )


def test_exception_classification() -> None:
    import httpx

    def wrapped(exc: BaseException, outer: type[httpx.HTTPError]) -> httpx.HTTPError:
        try:
            try:
                raise exc
            except BaseException as inner:
                raise outer("x") from inner
        except httpx.HTTPError as e:
            return e

    assert (
        classify_exception(
            wrapped(socket.gaierror(-2, "Name or service not known"), httpx.ConnectError)
        ).kind
        == "dns"
    )
    assert (
        classify_exception(wrapped(ConnectionRefusedError(111, "x"), httpx.ConnectError)).kind
        == "refused"
    )
    assert (
        classify_exception(wrapped(ConnectionResetError(104, "x"), httpx.ReadError)).kind == "reset"
    )
    assert classify_exception(httpx.ConnectTimeout("x")).kind == "connect-timeout"
    tls = ssl.SSLCertVerificationError(1, "certificate verify failed")
    tls.verify_message = "self-signed certificate"
    err = classify_exception(wrapped(tls, httpx.ConnectError))
    assert err.kind == "tls" and "unknown authority" in err.detail


# --------------------------------------------------------------------------- the real go


def go_download(
    root: Path, goproxy: str, *, timeout: float = 20.0, **extra: str
) -> tuple[str, dict[str, Any] | None]:
    """``go mod download -json M@V`` with a clean module cache: ("ok"|"fail"|"hang", json)."""
    ws = root / "w"
    ws.mkdir(parents=True)
    (ws / "go.mod").write_text("module x\n\ngo 1.21\n")
    env = isolated_env(root / "env", GOPROXY=goproxy, **extra)
    try:
        res = run_go(["mod", "download", "-json", MV], ws, env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hang", None
    objs = parse_json_stream(res.stdout)
    obj = objs[0] if objs else {"Error": res.stderr}
    return ("fail" if obj.get("Error") or res.returncode else "ok"), obj


def asked(proxy: GoProxy) -> set[str]:
    return {r.rsplit(".", 1)[-1] for r in proxy.requests if is_module_file(r)}


@pytest.mark.parametrize("sep", [",", "|"])
@pytest.mark.parametrize(
    "name",
    ["403", "404", "410", "500", "503", "reset", "truncated", "garbage", "refused", "tls", "hang"],
)
def test_prediction_matches_the_real_go(
    tmp_path: Path, cert: Cert, good: GoProxy, name: str, sep: str
) -> None:
    p1 = GoProxy([MOD], ssl_context=cert.server_context() if name == "tls" else None)
    with p1:
        inject(p1, name)
        first = refused_url() if name == "refused" else p1.url
        goproxy = f"{first}{sep}{good.url}"

        # gomod-doctor's prediction (what go mod download fetches: .info, .mod, .zip)
        ws = workspace(tmp_path / "doctor")
        run = check(ws, env_for(tmp_path / "doctor", goproxy), with_info=True)
        avail = run.net.availability[(M, V)]
        outcome = avail.outcome
        assert outcome is not None
        predicted: dict[int, set[str]] = {0: set(), 1: set()}
        for v in avail.verdicts:
            for a in v.steps:
                predicted[a.entry.index].add(a.file)
        p1.requests.clear()
        good.requests.clear()

        # what go does
        state, obj = go_download(tmp_path / "go", goproxy, timeout=3.0 if name == "hang" else 20.0)

    if state == "hang":
        assert outcome.kind == "hang" and outcome.entry is not None and outcome.entry.index == 0
        assert run.codes() == [("proxy-unreachable", "error", REQUIRE_LINE)]
        return
    assert outcome.kind != "hang"
    # go asked each proxy for exactly the files gomod-doctor said it would
    if name not in ("refused", "tls"):  # those never reach the HTTP server
        assert asked(p1) == predicted[0], (asked(p1), predicted)
    assert asked(good) == predicted[1], (asked(good), predicted)
    if state == "ok":
        assert outcome.kind == "found" and outcome.entry is not None
        assert outcome.entry.index == 1  # the good proxy served it
        assert "zip" in asked(good)
        assert run.codes(line=REQUIRE_LINE) == []
        return
    assert obj is not None
    go_error: str = obj["Error"]
    assert outcome.fails
    assert outcome.entry is not None and outcome.entry.index == 0
    if name in ("403", "500", "503", "truncated", "refused", "tls") or (name, sep) == (
        "garbage",
        ",",
    ):
        assert go_error == f"{MV}: {outcome.go_error}"
    elif name == "garbage":  # "|": the .info falls through, the garbage zip does not
        assert go_error == outcome.go_error == "zip: not a valid zip file"
    else:
        assert go_error.startswith(f"{MV}: ") and go_error.endswith(
            outcome.go_error.split(": ", 1)[-1]
        )
    codes = run.codes(line=REQUIRE_LINE)
    assert len(codes) == 1 and codes[0][1] == "error"
    # our message says what go prints, the full URL included
    (f,) = [x for x in run.findings if x.code == codes[0][0]]
    said = go_error.split("\n", 1)[0]
    # the one thing we cannot know: go's local port in "read tcp LOCAL->REMOTE: read: ..."
    said = re.sub(r"read tcp \S+->\S+: read: ", "read: ", said)
    if said.startswith(f"{MV}: "):
        assert f.message.startswith(f"{said}. "), (f.message, said)
    else:
        assert f.message.startswith(f"{MV}: {said}. "), (f.message, said)


def test_all_not_found_and_off_match_the_real_go(
    tmp_path: Path, good: GoProxy, bad: GoProxy
) -> None:
    inject(bad, "404")
    inject(good, "410")
    for i, goproxy in enumerate([f"{bad.url},{good.url}", f"{bad.url}|off"]):
        root = tmp_path / str(i)
        run = check(workspace(root), env_for(root, goproxy), with_info=True)
        outcome = run.net.availability[(M, V)].outcome
        assert outcome is not None
        state, obj = go_download(root / "go", goproxy)
        assert state == "fail" and obj is not None
        assert obj["Error"] == f"{MV}: {outcome.go_error}"
        if "off" in goproxy:
            assert outcome.kind == "off"
            assert obj["Error"].endswith("module lookup disabled by GOPROXY=off")
        else:
            assert outcome.kind == "not-found"
        assert run.codes(line=REQUIRE_LINE) == [
            ("private-path-exposed", "warning", REQUIRE_LINE),
            ("proxy-not-found", "error", REQUIRE_LINE),
        ]
        (f,) = run.find("proxy-not-found")
        assert f.message.startswith(obj["Error"].split("\n", 1)[0] + ". ")


def test_a_cache_miss_names_the_entry_go_fetches_from(
    tmp_path: Path, good: GoProxy, bad: GoProxy
) -> None:
    """The first proxy answers 404, so go goes on to the second: the hint (and the
    module line's count) name the second, where go's download comes from."""
    inject(bad, "404")
    goproxy = f"{bad.url},{good.url}"
    run = check(workspace(tmp_path), env_for(tmp_path, goproxy))
    (hint,) = run.find("cache-missing")
    assert (hint.range.start.line, hint.severity) == (REQUIRE_LINE, Severity.HINT)
    assert hint.message == (
        f"{MV} is not in the module cache: the next build will download its go.mod and its "
        f"source zip from {good.url}"
    )
    (summary,) = run.find("cache-missing-summary")
    assert f"downloads it from {good.url} (" in summary.message
    assert run.codes(line=REQUIRE_LINE) == []  # no error: go gets it
    state, obj = go_download(tmp_path / "go", goproxy)
    assert state == "ok" and obj is not None
    assert any(r.startswith(f"/{M}/@v/{V}.zip") for r in good.requests)


def test_invalid_goproxy_is_reported_in_gos_words(tmp_path: Path, good: GoProxy) -> None:
    goproxy = f"ftp://mirror.example,{good.url}"
    run = check(workspace(tmp_path), env_for(tmp_path, goproxy))
    state, obj = go_download(tmp_path / "go", goproxy)
    assert state == "fail" and obj is not None
    # the setting, on the module line; and the download it stops, on the require line
    f, g = run.find("proxy-config")
    assert f.range.start.line == MODULE_LINE and f.severity == Severity.ERROR
    want = "invalid proxy URL scheme (must be https, http, file): ftp://mirror.example"
    assert want in f.message and want in obj["Error"]
    assert (g.range.start.line, g.severity, g.module) == (REQUIRE_LINE, Severity.ERROR, M)
    assert g.message.endswith(f"so the next build cannot download it: {want}")
    assert not run.find("cache-missing") and not run.find("cache-missing-summary")
    assert run.sent == [] and good.requests == []


def test_goproxy_off_with_cache_misses_is_proxy_config_on_those_requires(
    tmp_path: Path, make_cache: Any
) -> None:
    fx = make_cache([MOD])
    gomod = fx.workspace / "go.mod"
    gomod.write_text(
        gomod.read_text().replace(f"\t{M} {V}\n", f"\t{M} {V}\n\texample.com/other v1.2.0\n")
    )
    run = check(fx.workspace, fx.env_with(GOPROXY="off"), offline=True)
    got = run.codes()
    assert got == [("proxy-config", "error", REQUIRE_LINE + 1)]
    (f,) = run.find("proxy-config")
    assert f.message.endswith("example.com/other@v1.2.0: module lookup disabled by GOPROXY=off")


def test_toolchain_download_prediction_matches_the_real_go(tmp_path: Path, good: GoProxy) -> None:
    ws = workspace(tmp_path, go="1.99.0")
    environ = env_for(tmp_path, good.url, GOTOOLCHAIN="auto")
    run = check(ws, environ)
    tc = run.net.toolchain
    assert tc is not None and tc.toolchain == "go1.99.0"
    assert tc.availability.module == "golang.org/toolchain"
    outcome = tc.availability.outcome
    assert outcome is not None and outcome.kind == "not-found"
    (f,) = run.find("proxy-not-found")
    assert f.range.start.line == 3  # the go line
    assert "toolchain go1.99.0" in f.message
    res = run_go(["version"], ws, environ, timeout=30)
    assert res.returncode != 0
    said = res.stderr.strip().splitlines()[-1].removeprefix("go: ")
    assert said.startswith("download go1.99.0 for") and said.endswith("toolchain not available")
    assert f.message.endswith(f"go says: {said}")
    # go asked the proxy for the toolchain zip we predicted
    assert any(
        r.startswith("/golang.org/toolchain/@v/v0.0.1-go1.99.0.") and r.endswith(".zip")
        for r in good.requests
    )


# --------------------------------------------------------------------------- privacy


def test_private_paths_are_never_sent(tmp_path: Path, good: GoProxy, bad: GoProxy) -> None:
    priv = ModuleSpec("corp.example.com/secret", "v1.0.0", {"s.go": b"package secret\n"})
    noprox = ModuleSpec("noproxy.example.org/lib", "v0.1.0", {"l.go": b"package lib\n"})
    ws = tmp_path / "w"
    write_workspace(
        ws, [MOD, priv, noprox], [(M, V), (priv.path, priv.version), (noprox.path, noprox.version)]
    )
    environ = env_for(
        tmp_path,
        f"{bad.url}|{good.url},direct",
        GOPRIVATE="corp.example.com",
        GONOPROXY="noproxy.example.org",
    )
    inject(bad, "500")
    run = check(ws, environ, with_info=True)
    everything = good.requests + bad.requests + run.sent
    assert everything, "the public module was asked about"
    assert not [r for r in everything if "corp.example.com" in r or "noproxy.example.org" in r]
    # GONOPROXY: go itself asks no proxy; GOPRIVATE alone (GONOPROXY set apart): go
    # would, but we never send it, so it stays unchecked
    assert run.net.availability[(noprox.path, noprox.version)].outcome.kind == "noproxy"  # type: ignore[union-attr]
    assert run.net.availability[(priv.path, priv.version)].outcome.kind == "unchecked"  # type: ignore[union-attr]


def test_offline_sends_nothing(tmp_path: Path, good: GoProxy) -> None:
    ws = workspace(tmp_path)
    run = check(ws, env_for(tmp_path, good.url, GOINSECURE="*.corp"), offline=True)
    assert good.requests == [] and run.sent == [] and run.net.requests == 0
    assert run.net.offline
    # what needs no request is still said
    assert {f.data["key"] for f in run.find("insecure-setting")} == {"GOSUMDB", "GOINSECURE"}
    assert all(f.range.start.line == MODULE_LINE for f in run.find("insecure-setting"))
    assert run.codes() == []


def test_cli_check_offline_sends_nothing(
    tmp_path: Path, good: GoProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gomod_doctor.cli.main import main

    ws = workspace(tmp_path)
    for k, v in env_for(tmp_path, good.url).items():
        monkeypatch.setenv(k, v)
    assert main(["check", "--offline", "--format", "json", str(ws)]) in (0, 1)
    assert good.requests == []


def test_private_path_exposed_and_its_fix(tmp_path: Path, good: GoProxy, bad: GoProxy) -> None:
    inject(good, "404")
    inject(bad, "410")
    ws = workspace(tmp_path)
    run = check(ws, env_for(tmp_path, f"{bad.url},{good.url},direct", GOPRIVATE="other.example"))
    (f,) = run.find("private-path-exposed")
    assert f.severity == Severity.WARNING and f.range.start.line == REQUIRE_LINE
    assert f.fixes == ("set-goprivate",)
    assert f.data["prefix"] == "example.com"
    assert f.data["argv"] == ["go", "env", "-w", "GOPRIVATE=other.example,example.com"]
    assert run.codes() == [("private-path-exposed", "warning", REQUIRE_LINE)]  # direct may find it
    # the checksum database knows it: not a private path
    facts = run.facts
    assert facts.network is not None
    facts.network.sumdb_not_found = frozenset()
    assert not [x for x in network_check.check(facts) if x.code == "private-path-exposed"]
    facts.network.sumdb_not_found = frozenset({(M, V)})
    assert [x for x in network_check.check(facts) if x.code == "private-path-exposed"]


def test_an_unknown_version_of_a_known_path_is_a_wrong_version_not_a_private_path(
    tmp_path: Path, good: GoProxy
) -> None:
    """The proxy has example.com/m (v1.0.0), not v1.9.9: go fails on the version, and
    the path is public, so GOPRIVATE is never advised."""
    wrong = "v1.9.9"
    ws = workspace(tmp_path, requires=[(M, wrong)])
    environ = env_for(tmp_path, good.url, GOFLAGS="-mod=mod")
    run = check(ws, environ, with_info=True)
    assert run.codes() == [("proxy-not-found", "error", REQUIRE_LINE)], run.findings
    (f,) = run.find("proxy-not-found")
    assert run.net.known_paths == {M: (V,)}
    assert f.data["knownVersions"] == [V]
    assert "v1.0.0" in f.message and "version is wrong" in f.message
    assert "GOPRIVATE" not in f.message
    # bounded: the version's files, then the path's list, once
    asked_list = [r for r in good.requests if r == f"/{M}/@v/list"]
    assert len(asked_list) == 1
    # go's verdict: the version does not exist, in the words our message starts with
    good.requests.clear()
    res = run_go(["mod", "download", "-json", f"{M}@{wrong}"], ws, environ)
    obj = parse_json_stream(res.stdout)[0]
    assert res.returncode != 0
    said = obj["Error"].split("\n", 1)[0]
    assert said == f"{M}@{wrong}: reading {good.url}/{M}/@v/{wrong}.info: 404 Not Found"
    assert f.message.startswith(said + ". ")
    # go itself knows the path: its version list names v1.0.0
    outside = tmp_path / "outside"
    outside.mkdir()
    res = run_go(["list", "-m", "-versions", f"{M}@latest"], outside, environ)
    assert res.returncode == 0 and res.stdout.split() == [M, V], res


def test_a_path_known_only_by_its_latest_pseudo_version_is_a_wrong_version(
    tmp_path: Path,
) -> None:
    """No tagged version (an empty @v/list), but @latest answers: the proxy knows the
    path, so a missing pseudo-version is a wrong version."""
    have = ModuleSpec(
        "example.com/p", "v0.0.0-20240102030405-abcdefabcdef", {"p.go": b"package p\n"}
    )
    wrong = "v0.0.0-20240102030405-000000000000"
    with GoProxy([have]) as proxy:
        ws = tmp_path / "w"
        write_workspace(ws, [have], [(have.path, wrong)])
        environ = env_for(tmp_path, proxy.url)
        run = check(ws, environ, with_info=True)
        assert run.codes() == [("proxy-not-found", "error", REQUIRE_LINE)], run.findings
        assert run.net.known_paths == {have.path: (have.version,)}
        assert {f"/{have.path}/@v/list", f"/{have.path}/@latest"} <= set(proxy.requests)
        # go: the list is empty, @latest names the pseudo-version
        outside = tmp_path / "outside"
        outside.mkdir()
        res = run_go(["list", "-m", f"{have.path}@latest"], outside, environ)
        assert res.returncode == 0 and res.stdout.split() == [have.path, have.version], res


def test_a_path_no_proxy_knows_is_private_path_exposed(tmp_path: Path, good: GoProxy) -> None:
    other = "example.org/nobody/knows"
    ws = tmp_path / "w"
    write_workspace(ws, [MOD], [(other, "v0.1.0")])
    environ = env_for(tmp_path, good.url)
    run = check(ws, environ, with_info=True)
    assert run.codes() == [
        ("private-path-exposed", "warning", REQUIRE_LINE),
        ("proxy-not-found", "error", REQUIRE_LINE),
    ], run.findings
    assert run.net.unknown_paths == frozenset({other}) and run.net.known_paths == {}
    (p,) = run.find("private-path-exposed")
    assert f"no version of {other}" in p.message
    assert f"/{other}/@v/list" in good.requests
    # go: the proxy knows no version of it
    outside = tmp_path / "outside"
    outside.mkdir()
    res = run_go(["list", "-m", "-versions", f"{other}@latest"], outside, environ)
    assert res.returncode != 0
    assert f"reading {good.url}/{other}/@v/list: 404 Not Found" in res.stderr, res


def test_private_prefix_and_argv() -> None:
    assert suggest_private_prefix("github.com/acme/secret/v2") == "github.com/acme"
    assert suggest_private_prefix("git.corp.example/team/mod") == "git.corp.example"
    assert suggest_private_prefix("corp/mod") == "corp"
    assert goprivate_argv("", "x.example") == ["go", "env", "-w", "GOPRIVATE=x.example"]
    assert goprivate_argv("a,x.example", "x.example") == [
        "go",
        "env",
        "-w",
        "GOPRIVATE=a,x.example",
    ]


def test_insecure_settings() -> None:
    env = goenv.resolve(
        {
            "GOSUMDB": "off",
            "GOINSECURE": "*.corp.example",
            "GONOSUMDB": "*,git.corp.example,github.com,*.com,*.corp.example",
            "GOFLAGS": "-mod=mod -insecure",
            "HOME": "/nonexistent",
        },
        goenv_file=None,
        goroot_env_file=None,
        goroot=None,
        go_version="go1.27.3",
    )
    got = {s.key: s for s in insecure_settings(env, {"GONOSUMCHECK": "1"})}
    assert set(got) == {"GOSUMDB", "GOINSECURE", "GONOSUMCHECK", "GONOSUMDB", "GOFLAGS"}
    assert got["GONOSUMDB"].risk.startswith("*, github.com, *.com covers public modules")
    assert all(s.risk and "\n" not in s.risk for s in got.values())
    assert not is_broad_pattern("git.corp.example") and not is_broad_pattern("*.corp.example")
    assert is_broad_pattern("*") and is_broad_pattern("com") and is_broad_pattern("gitlab.com")
    assert not is_broad_pattern("github.com/acme")


def test_credentials_go_only_to_the_netrc_host_and_are_never_shown(
    tmp_path: Path, cert: Cert, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[int, str, str | None]] = []

    def serve() -> http.server.ThreadingHTTPServer:
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                port = self.server.server_address[1]
                seen.append((port, self.path, self.headers.get("Authorization")))
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a: Any) -> None:
                pass

        s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        s.socket = cert.server_context().wrap_socket(s.socket, server_side=True)
        threading.Thread(target=s.serve_forever, daemon=True).start()
        return s

    a, b = serve(), serve()
    try:
        pa, pb = a.server_address[1], b.server_address[1]
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine 127.0.0.1:{pa} login alice password s3cr3t-netrc\n")
        plain = refused_url().replace("http://", "http://bob:s3cr3t-url@")
        environ = env_for(
            tmp_path,
            f"https://127.0.0.1:{pa}|https://127.0.0.1:{pb}|{plain}",
            NETRC=str(netrc),
            SSL_CERT_FILE=str(cert.cert),
        )
        caplog.set_level("DEBUG")
        run = check(workspace(tmp_path), environ)
    finally:
        a.shutdown()
        b.shutdown()
    assert seen and {p for p, _, _ in seen} == {pa, pb}
    assert all(auth is not None and auth.startswith("Basic ") for p, _, auth in seen if p == pa)
    assert all(auth is None for p, _, auth in seen if p == pb)
    blob = repr(run.facts.network) + repr(run.findings) + caplog.text + repr(run.sent)
    assert "s3cr3t" not in blob and "alice" not in blob
    # go refuses credentials on plain http, and so do we
    assert "refusing to pass credentials to insecure URL" in blob


def test_netrc_parsing() -> None:
    lines = parse_netrc(
        "machine a.example login u password p\n"
        "machine b.example\n login v\n password q\n"
        "macdef init\ncd /\n\n"
        "machine c.example login w password r\n"
        "default login x password y\n"
        "machine d.example login z password s\n"
    )
    # as go's parser: "default" ends the file only as a line's last word, so the
    # "default login x password y" line is skipped and d.example is still read
    assert [(x.machine, x.login) for x in lines] == [
        ("a.example", "u"),
        ("b.example", "v"),
        ("c.example", "w"),
        ("d.example", "z"),
    ]
    assert [
        x.machine
        for x in parse_netrc(
            "machine a login u password p\ndefault\nmachine b login v password q\n"
        )
    ] == ["a"]
    s = HttpSettings(netrc=tuple(lines))
    assert s.credentials_for("https://a.example/path/x") == ("u", "p")
    assert s.credentials_for("http://a.example/path/x") is None
    assert s.credentials_for("https://a.example:8443/x") is None
    assert "p" not in repr(lines[0]).split("login")[1]


def test_proxy_environment_rules() -> None:
    s = HttpSettings(
        https_proxy="proxy.corp:3128",
        http_proxy="http://hproxy:80",
        no_proxy="internal.example, .svc, 10.0.0.0/8, *.skip.example, [::1]:9, nope.example:8443",
    )
    assert s.proxy_for("https://proxy.golang.org/x") == "http://proxy.corp:3128"
    assert s.proxy_for("http://plain.example/x") == "http://hproxy:80"
    assert s.proxy_for("https://internal.example/x") is None
    assert s.proxy_for("https://a.internal.example/x") is None
    assert s.proxy_for("https://svc/x") == "http://proxy.corp:3128"  # ".svc": subdomains only
    assert s.proxy_for("https://a.svc/x") is None
    assert s.proxy_for("https://10.1.2.3/x") is None
    assert s.proxy_for("https://a.skip.example/x") is None
    assert s.proxy_for("https://nope.example/x") == "http://proxy.corp:3128"
    assert s.proxy_for("https://nope.example:8443/x") is None
    assert s.proxy_for("https://127.0.0.1:8443/x") is None  # loopback is never proxied
    assert s.proxy_for("https://localhost/x") is None
    assert HttpSettings(https_proxy="p:1", no_proxy="*").proxy_for("https://x.example/") is None
    cgi = HttpSettings.from_environ({"HTTP_PROXY": "p:1", "REQUEST_METHOD": "GET"})
    assert cgi.proxy_for("http://x.example/") is None


def test_requests_go_through_http_proxy(tmp_path: Path, good: GoProxy) -> None:
    """GOPROXY names a host nobody resolves; HTTP_PROXY (a local server) gets the request."""
    environ = env_for(tmp_path, "http://goproxy.invalid", HTTP_PROXY=good.url)
    run = check(workspace(tmp_path), environ)
    assert f"/{M}/@v/{V}.info" in good.requests
    assert run.net.availability[(M, V)].outcome.kind == "found"  # type: ignore[union-attr]
    assert run.codes() == []


def test_safe_url_redacts_userinfo() -> None:
    assert safe_url("https://u:p@h.example/x") == "https://xxxxx@h.example/x"
    assert safe_url("https://h.example/x") == "https://h.example/x"


# --------------------------------------------------------------------------- responsiveness


def test_every_proxy_hangs_and_the_check_is_still_bounded(
    tmp_path: Path, good: GoProxy, bad: GoProxy
) -> None:
    good.override(lambda _p: True, Response(hang=True))
    bad.override(lambda _p: True, Response(hang=True))
    two = ModuleSpec("example.com/two", "v1.0.0", {"t.go": b"package two\n"})
    ws = tmp_path / "w"
    write_workspace(ws, [MOD, two], [(M, V), (two.path, two.version)])
    (ws / "go.mod").write_text((ws / "go.mod").read_text().replace("go 1.21", "go 1.99.0"))
    environ = env_for(tmp_path, f"{bad.url}|{good.url}", GOTOOLCHAIN="auto")
    timeouts = Timeouts(connect=0.5, total=1.0)
    run = check(ws, environ, timeouts=timeouts)
    assert run.local_seconds < 2.0
    assert run.network_seconds < timeouts.overall + 1.0
    hung = [f for f in run.find("proxy-unreachable") if "will hang" in f.message]
    assert {f.range.start.line for f in hung} >= {REQUIRE_LINE, REQUIRE_LINE + 1, 3}


def test_async_gather_keeps_the_event_loop_free(tmp_path: Path, bad: GoProxy) -> None:
    """While a proxy hangs, other coroutines run within milliseconds."""
    bad.override(lambda _p: True, Response(hang=True))
    environ = env_for(tmp_path, bad.url)
    facts, _ = engine.gather(locate(workspace(tmp_path)), goenv.load(environ))

    async def main() -> tuple[NetworkFacts, list[float]]:
        task = asyncio.create_task(
            gather_network(facts, environ, options=NetworkOptions(timeouts=Timeouts(0.5, 1.0)))
        )
        lags: list[float] = []
        while not task.done():
            t = time.monotonic()
            await asyncio.sleep(0.01)
            lags.append(time.monotonic() - t - 0.01)
        return task.result(), sorted(lags)

    nf, lags = asyncio.run(main())
    assert len(lags) > 20
    assert lags[int(len(lags) * 0.95)] < 0.1  # the issue's p95 bound for the server
    assert nf.availability[(M, V)].outcome.kind == "hang"  # type: ignore[union-attr]


def test_cli_check_is_bounded_when_every_proxy_hangs(tmp_path: Path, bad: GoProxy) -> None:
    bad.override(lambda _p: True, Response(hang=True))
    import sys

    environ = env_for(tmp_path, f"{bad.url}|{bad.url}/second")
    t = time.monotonic()
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "gomod_doctor",
            "check",
            "--format",
            "json",
            str(workspace(tmp_path)),
        ],
        env={**environ, "PYTHONPATH": str(Path(engine.__file__).parents[1])},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert time.monotonic() - t < 5.0 + 1.0 + 1.0 + 4.0  # total + deadline slack + startup
    assert "Traceback" not in res.stderr
    json.loads(res.stdout)


# --------------------------------------------------------------------------- the cache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_results_are_cached_with_ttl_scope_and_backoff(tmp_path: Path, good: GoProxy) -> None:
    clock = Clock()
    cache = NetworkCache(ttl=300, backoff=10, clock=clock)
    ws = workspace(tmp_path)
    environ = env_for(tmp_path, good.url)
    check(ws, environ, cache=cache)
    first = len(good.requests)
    assert first > 0
    check(ws, environ, cache=cache)
    assert len(good.requests) == first  # answered from the cache
    clock.now += 301
    check(ws, environ, cache=cache)
    assert len(good.requests) == 2 * first  # the TTL ran out
    check(ws, {**environ, "GONOSUMDB": "x.example", "HTTPS_PROXY": "p.example:1"}, cache=cache)
    assert len(good.requests) == 3 * first  # a new environment
    cache.invalidate()
    check(ws, {**environ, "GONOSUMDB": "x.example", "HTTPS_PROXY": "p.example:1"}, cache=cache)
    assert len(good.requests) == 4 * first  # recheck

    # a failing entry is backed off: 10 s, then 20 s
    dead = refused_url()
    env_dead = env_for(tmp_path, f"{dead}|{good.url}")
    good.requests.clear()
    sent: list[int] = []
    for step in (0, 5, 6, 15, 21):
        clock.now += step
        run = check(ws, env_dead, cache=cache)
        sent.append(sum(1 for u in run.sent if u.startswith(dead)))
    assert sent == [1, 0, 1, 0, 1]


# --------------------------------------------------------------------------- proxy copies


def test_proxy_tampered_names_the_proxy_with_altered_bytes(
    tmp_path: Path, make_cache: Any, good: GoProxy
) -> None:
    from gomod_doctor.network.compare import compare_proxies

    fx = make_cache([MOD])
    altered = ModuleSpec(M, V, {"m.go": b"package m\n\nfunc M() int { return 2 }\n"})
    with GoProxy([altered]) as evil:
        environ = fx.env_with(GOPROXY=f"{good.url}|{evil.url}")
        genv = goenv.load(environ)
        facts, _ = engine.gather(locate(fx.workspace), genv)
        sums = fx.download(M, V)
        c = asyncio.run(
            compare_proxies(
                genv, M, V, gosum_zip=sums["Sum"], gosum_mod=sums["GoModSum"], environ=environ
            )
        )
        assert c.reference == "go.sum"
        assert [x.entry.url for x in c.tampered] == [evil.url]
        assert c.tampered[0].differs == ("zip",)
        facts.network = NetworkFacts(genv.GOPROXY, comparisons=[c])
        (f,) = [x for x in engine.run(facts).findings if x.code == "proxy-tampered"]
        assert f.range.start.line == REQUIRE_LINE and f.severity == Severity.ERROR
        assert evil.url.removeprefix("http://") in f.message and sums["Sum"] in f.message

        # a different go.mod is caught too, and with a checksum-database answer as reference
        evil.override(f"/{M}/@v/{V}.mod", Response(body=b"module example.com/m\n\ngo 1.22\n"))

        async def sumdb(path: str, version: str) -> tuple[str | None, str | None]:
            return sums["Sum"], sums["GoModSum"]

        c2 = asyncio.run(compare_proxies(genv, M, V, sumdb=sumdb, environ=environ))
        assert c2.reference == "checksum database"
        assert c2.tampered[0].differs == ("mod", "zip")


def test_compare_proxies_cli(
    tmp_path: Path,
    make_cache: Any,
    good: GoProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import argparse

    from gomod_doctor.cli import network_cmds

    fx = make_cache([MOD])
    altered = ModuleSpec(M, V, {"m.go": b"package m // altered\n"})
    parser = argparse.ArgumentParser()
    network_cmds.register(parser.add_subparsers())
    with GoProxy([altered]) as evil:
        for k, v in fx.env_with(GOPROXY=f"{good.url},{evil.url}").items():
            monkeypatch.setenv(k, v)
        args = parser.parse_args(
            ["compare-proxies", MV, "--dir", str(fx.workspace), "--format", "json"]
        )
        assert args.func(args) == network_cmds.EXIT_DIFFERS
        doc = json.loads(capsys.readouterr().out)
        assert [c["proxy"] for c in doc["copies"] if c["differs"]] == [evil.url]
        assert [f["code"] for f in doc["findings"]] == ["proxy-tampered"]

        args = parser.parse_args(["compare-proxies", "not a module"])
        assert args.func(args) == network_cmds.EXIT_USAGE
        before = len(good.requests) + len(evil.requests)
        monkeypatch.setenv("GOPRIVATE", M)
        args = parser.parse_args(["compare-proxies", MV, "--dir", str(fx.workspace)])
        assert args.func(args) == network_cmds.EXIT_USAGE
        assert "never sent to a proxy" in capsys.readouterr().out
        assert len(good.requests) + len(evil.requests) == before


# --------------------------------------------------------------------------- odds and ends


def test_file_proxy_is_read_from_disk(tmp_path: Path) -> None:
    root = tmp_path / "proxy"
    d = root / M / "@v"
    d.mkdir(parents=True)
    (d / f"{V}.info").write_text(json.dumps({"Version": V}))
    (d / f"{V}.mod").write_text(f"module {M}\n")
    (d / f"{V}.zip").write_bytes(MOD.zip_bytes())
    run = check(workspace(tmp_path), env_for(tmp_path, root.as_uri()))
    assert run.net.availability[(M, V)].outcome.kind == "found"  # type: ignore[union-attr]
    (d / f"{V}.zip").unlink()
    run = check(workspace(tmp_path / "2"), env_for(tmp_path, root.as_uri()))
    assert run.codes() == [("proxy-not-found", "error", REQUIRE_LINE)]


def test_pool_never_raises_on_bad_urls() -> None:
    async def main() -> list[str]:
        async with HttpPool(HttpSettings(), timeouts=Timeouts(0.5, 0.5)) as pool:
            out = []
            for url in (
                "http://[::1",
                "gopher://x/",
                "file:///nonexistent/x",
                "http://127.0.0.1:0/",
            ):
                got = await pool.get(url)
                out.append(got.error.kind if got.error else str(got.status))
            return out

    kinds = asyncio.run(main())
    assert kinds[2] == "404" and len(kinds) == 4


def test_no_network_facts_means_no_findings(tmp_path: Path) -> None:
    facts, _ = engine.gather(locate(workspace(tmp_path)), goenv.load(env_for(tmp_path, "off")))
    assert facts.network is None
    assert network_check.check(facts) == []


def test_compare_proxies_cli_with_the_checksum_database(
    tmp_path: Path,
    good: GoProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No go.sum line: the verified checksum-database record is the reference."""
    import argparse

    from gomod_doctor.cli import network_cmds
    from sumdb_server import SumDBServer

    altered = ModuleSpec(M, V, {"m.go": b"package m // altered\n"})
    parser = argparse.ArgumentParser()
    network_cmds.register(parser.add_subparsers())
    with GoProxy([altered]) as evil, SumDBServer() as db:
        db.add_module(MOD)
        environ = env_for(tmp_path, f"{evil.url}|{good.url}", GOSUMDB=db.gosumdb)
        for k, v in environ.items():
            monkeypatch.setenv(k, v)
        args = parser.parse_args(
            ["compare-proxies", MV, "--dir", str(tmp_path), "--format", "json"]
        )
        assert args.func(args) == network_cmds.EXIT_DIFFERS
        doc = json.loads(capsys.readouterr().out)
        assert doc["reference"] == "checksum database"
        assert doc["goSum"] == {"zip": None, "mod": None}
        assert [c["proxy"] for c in doc["copies"] if c["differs"]] == [evil.url]
        assert any(r.startswith("/lookup/") for r in db.requests)

        # GONOSUMDB covers it: the database is never asked
        db.requests.clear()
        monkeypatch.setenv("GONOSUMDB", "example.com")
        args = parser.parse_args(["compare-proxies", MV, "--dir", str(tmp_path)])
        assert args.func(args) == network_cmds.EXIT_OK  # nothing to tell them apart
        assert db.requests == []
        assert "neither go.sum nor the checksum database" in capsys.readouterr().out
