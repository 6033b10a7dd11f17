"""The analysis passes: pure functions of their inputs, run in worker threads.

:func:`quick_pass` gathers the facts of a workspace and runs the checks (the
engine), then converts the findings to diagnostics; :func:`merge_pass`,
:func:`network_pass` and :func:`full_pass` re-run the checks of an outcome with
full verification results or network facts merged in. Nothing here touches the
server's state: the scheduler (:mod:`gomod_doctor.lsp.scheduler`) hands them copies
and applies what they return on the loop.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from gomod_doctor import engine
from gomod_doctor.config import Config, ConfigError, load_file
from gomod_doctor.facts import Facts
from gomod_doctor.lsp import convert
from gomod_doctor.lsp import network as lspnet
from gomod_doctor.lsp.settings import Settings
from gomod_doctor.lsp.watching import _Inputs, _Targets, _targets_signature
from gomod_doctor.netfacts import Comparison, NetworkFacts
from gomod_doctor.workspace import snapshot as snapshots

if TYPE_CHECKING:  # loads lazily, with the first full verification
    from gomod_doctor.cache import verify as cache_verify
    from gomod_doctor.cache.results import ModuleVerification
    from gomod_doctor.lsp.reporter import ProgressReporter

Key = tuple[str, str]  # (module path, version)
CacheKey = tuple[str, str, str]  # (GOMODCACHE, module path, version)


@dataclass
class FullEntry:
    verification: ModuleVerification
    when: float
    stale: bool = False


@dataclass
class Outcome:
    facts: Facts
    result: engine.Result
    config: Config
    wanted: dict[Key, bool]
    gomodcache: str
    known: dict[Key, FullEntry]
    missing: list[Key]
    diagnostics: dict[Path, list[types.Diagnostic]]
    texts: dict[Path, str]
    #: ``None`` until computed (after publishing, for a pass that cannot reuse them)
    targets: _Targets | None
    import_signature: dict[Path, tuple[str, ...]]
    needs_rescan: bool = False
    config_error: str | None = None


def import_signature(facts: Facts) -> dict[Path, tuple[str, ...]]:
    out: dict[Path, tuple[str, ...]] = {}
    for m in facts.snapshot.modules:
        if m.mod is not None:
            out[m.dir] = tuple(i.path for i in m.mod.ignore)
    return out


def _read_text(path: Path, overlays: Mapping[Path, str]) -> str | None:
    return snapshots.read_file(path, overlays).text


def _diagnostics(
    facts: Facts, result: engine.Result, inp: _Inputs
) -> tuple[dict[Path, list[types.Diagnostic]], dict[Path, str]]:
    texts: dict[Path, str] = {}
    present: set[Path] = set()
    for ft in facts.snapshot.files():
        p = Path(os.path.normpath(ft.path))
        if ft.text is not None:
            texts[p] = ft.text
            present.add(p)
        elif p in inp.overlays:
            texts[p] = inp.overlays[p]
            present.add(p)

    def text_of(path: str) -> str | None:
        p = Path(os.path.normpath(path))
        if p not in texts:
            got = _read_text(p, inp.overlays)
            if got is None:
                return None
            texts[p] = got
        return texts[p]

    out: dict[Path, list[types.Diagnostic]] = {p: [] for p in present}
    for f in result.findings:
        p = Path(os.path.normpath(f.path))
        text = text_of(f.path)
        if text is None and p not in inp.overlays:
            continue  # a file that does not exist: nothing to show it on
        out.setdefault(p, []).append(
            convert.finding_to_diagnostic(f, text or "", inp.encoding, related_text=text_of)
        )
    return out, texts


def _file_config(root: Path, settings: Settings) -> tuple[Config, str | None]:
    error: str | None = None
    try:
        base = load_file(root)
    except ConfigError as e:
        base, error = Config(), str(e)
    return base.with_severity(settings.severity), error


def quick_pass(inp: _Inputs) -> Outcome:
    level: engine.VerifyLevel = (
        "off" if inp.settings.verify == "off" and not inp.explicit_full else "quick"
    )
    facts, _ = engine.gather(
        inp.location,
        inp.env,
        overlays=inp.overlays,
        verify=level,
        imports=inp.imports,
        transitive_memo=inp.transitive_memo,
        state_memo=inp.state_memo,
        # the go.mod files the view's latest network gather fetched where the cache stops
        graph_mods=inp.network.graph_mods if inp.network is not None else None,
    )
    signature = import_signature(facts)
    needs_rescan = inp.imports is not None and (
        any(d not in inp.imports for d in signature) or signature != inp.import_signature
    )
    wanted = engine.wanted_versions(facts.needs) if level != "off" else {}
    gomodcache = facts.env.GOMODCACHE
    known: dict[Key, FullEntry] = {}
    missing: list[Key] = []
    for key in wanted:
        entry = inp.full_cache.get((gomodcache, *key))
        if entry is not None and (not entry.stale or inp.settings.verify == "full"):
            known[key] = entry
        if entry is None or entry.stale or inp.explicit_full:
            missing.append(key)
    if known:
        facts.full = {k: e.verification for k, e in known.items()}
        facts.verify_level = "full"
    facts.network = lspnet.carry_network(inp.network, facts, inp.comparisons)
    config, config_error = _file_config(inp.location.root, inp.settings)
    result = engine.run(facts, config)
    diags, texts = _diagnostics(facts, result, inp)
    # The watch targets of an edit that changed nothing they derive from are the
    # last ones; otherwise they are computed after the diagnostics are out.
    prev = inp.prev_targets
    targets = (
        prev
        if prev is not None and prev.signature == _targets_signature(facts, inp, wanted)
        else None
    )
    return Outcome(
        facts=facts,
        result=result,
        config=config,
        wanted=wanted,
        gomodcache=gomodcache,
        known=known,
        missing=missing,
        diagnostics=diags,
        texts=texts,
        targets=targets,
        import_signature=signature,
        needs_rescan=needs_rescan,
        config_error=config_error,
    )


def merge_pass(
    out: Outcome,
    full: dict[Key, FullEntry],
    inp: _Inputs,
    network: NetworkFacts | None = None,
) -> Outcome:
    """The quick outcome with full verification results merged in (and ``network``,
    the latest network facts, when given)."""
    known = {k: e for k, e in full.items() if k in out.wanted}
    facts = dataclasses.replace(
        out.facts,
        full={k: e.verification for k, e in known.items()},
        verify_level="full",
        network=network if network is not None else out.facts.network,
    )
    result = engine.run(facts, out.config)
    diags, texts = _diagnostics(facts, result, inp)
    missing = [k for k in out.wanted if k not in known or known[k].stale]
    return dataclasses.replace(
        out,
        facts=facts,
        result=result,
        known=known,
        missing=missing,
        diagnostics=diags,
        texts=texts,
    )


def network_pass(
    out: Outcome,
    network: NetworkFacts | None,
    comparisons: tuple[Comparison, ...],
    inp: _Inputs,
) -> Outcome:
    """The outcome with the latest network facts (gathered for it or for an earlier
    analysis) and the comparisons."""
    carried = lspnet.carry_network(network, out.facts, comparisons)
    facts = dataclasses.replace(out.facts, network=carried)
    result = engine.run(facts, out.config)
    diags, texts = _diagnostics(facts, result, inp)
    return dataclasses.replace(out, facts=facts, result=result, diagnostics=diags, texts=texts)


def full_pass(
    out: Outcome,
    full: dict[Key, FullEntry],
    inp: _Inputs,
    network: NetworkFacts | None,
    comparisons: tuple[Comparison, ...],
) -> Outcome:
    """The quick outcome with full verification results and the view's latest network
    facts merged in."""
    return merge_pass(out, full, inp, lspnet.carry_network(network, out.facts, comparisons))


def verify_modules(
    gomodcache: str,
    requests: list[tuple[str, str, bool]],
    reporter: ProgressReporter,
    cancel: threading.Event,
) -> cache_verify.VerifyResult:
    def progress(done: int, total: int, current: str) -> None:
        pct = int(done * 100 / total) if total > 0 else None
        mb = f"{done / 1e6:.0f}/{total / 1e6:.0f} MB"
        reporter.report(f"{mb} {current}".strip(), pct)

    from gomod_doctor.cache import verify as cache_verify

    # In the background (the user types): in a process of its own, whose cores - 1
    # workers run at lower priority.
    return cache_verify.verify_in_background(gomodcache, requests, progress=progress, cancel=cancel)
