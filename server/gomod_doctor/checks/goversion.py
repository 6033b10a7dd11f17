"""``go`` lines that need a newer Go than the local toolchain, and what GOTOOLCHAIN
lets the go command do about it.

At startup the go command reads the ``go`` and ``toolchain`` lines of the go.work
(workspace mode) or of the main module's go.mod and, when GOTOOLCHAIN allows it
(``auto``, ``path``, ``<name>+auto``), switches to a newer toolchain
(cmd/go/internal/toolchain.Select). It never switches for a dependency's ``go``
line: ``go build`` fails with ``requires go >= ...`` whatever GOTOOLCHAIN says.
"""

from __future__ import annotations

from dataclasses import dataclass

from gomod_doctor.checks.locate import need_sites
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv import gover
from gomod_doctor.position import Range
from gomod_doctor.workspace.modgraph import ModuleVersion


@dataclass(frozen=True)
class _Switch:
    """The toolchain the go command switches to at startup."""

    toolchain: str
    version: str
    sets: str  # go's "; go.mod sets go 1.99" explanation, without the "; "


def _startup_switch(facts: Facts, local: str, mode: str) -> _Switch | None:
    """What toolchain.Select switches to, or None (no switch, or switching forbidden)."""
    if mode == "forbidden":
        return None
    snap = facts.snapshot
    if snap.work is not None and snap.work_file is not None:
        name, go, toolchain = "go.work", snap.work.go, snap.work.toolchain
    elif len(snap.modules) == 1 and snap.modules[0].mod is not None:
        mod = snap.modules[0].mod
        name, go, toolchain = "go.mod", mod.go, mod.toolchain
    else:
        return None
    min_vers = local
    found: _Switch | None = None
    if toolchain is not None and toolchain.name != "default":
        tv = gover.from_toolchain(toolchain.name)
        if tv is not None and gover.compare(tv, min_vers) > 0:
            found = _Switch(toolchain.name, tv, f"{name} sets toolchain {toolchain.name}")
            min_vers = tv
    if go is not None and gover.parse(go.version) and gover.compare(go.version, min_vers) > 0:
        tc = gover.toolchain_name(go.version)
        found = _Switch(tc, tc.removeprefix("go"), f"{name} sets go {go.version}")
    return found


def _verdict(facts: Facts, what: str, need_go: str) -> tuple[Severity, str] | None:
    """A workspace ``go`` line (go.work or a workspace module's go.mod)."""
    local = facts.env.GOVERSION
    if not local or gover.parse(local) is None or gover.parse(need_go) is None:
        return None
    running = local.removeprefix("go")
    if gover.compare(need_go, running) <= 0:
        return None
    setting = facts.env.GOTOOLCHAIN or "auto"
    mode = gover.toolchain_switching(setting)
    if mode == "forbidden":
        return (
            Severity.ERROR,
            f"{what} requires go >= {need_go} (running go {running}; GOTOOLCHAIN={setting})",
        )
    switch = _startup_switch(facts, running, mode)
    target = switch.toolchain if switch is not None else gover.toolchain_name(need_go)
    if mode == "path":
        return (
            Severity.INFORMATION,
            f"{what} requires go >= {need_go} (running go {running}): the go command will "
            f"look for {target} on PATH (GOTOOLCHAIN={setting})",
        )
    return (
        Severity.INFORMATION,
        f"{what} requires go >= {need_go} (running go {running}): the build will download "
        f"toolchain {target} (GOTOOLCHAIN={setting})",
    )


def _dependency_verdict(facts: Facts, what: str, need_go: str) -> tuple[Severity, str] | None:
    """A needed module's ``go`` line: an error whenever the toolchain that will run (the
    local one, or the one the workspace's own lines switch to) is older."""
    local = facts.env.GOVERSION
    if not local or gover.parse(local) is None or gover.parse(need_go) is None:
        return None
    running = local.removeprefix("go")
    setting = facts.env.GOTOOLCHAIN or "auto"
    mode = gover.toolchain_switching(setting)
    switch = _startup_switch(facts, running, mode)
    if switch is not None:
        running = switch.version
    if gover.compare(need_go, running) <= 0:
        return None
    # gover.TooNewError's words
    explain = f"; GOTOOLCHAIN={setting}" if setting != "auto" else ""
    if switch is not None:
        explain += f"; {switch.sets}"
    message = f"{what} requires go >= {need_go} (running go {running}{explain})"
    if mode != "forbidden":
        message += (
            f". go build does not switch toolchains for a dependency: raise the "
            f"workspace's go line (go get go@{need_go})"
        )
    return Severity.ERROR, message


def _finding(
    path: str,
    rng: Range,
    v: tuple[Severity, str],
    need_go: str,
    module: str | None = None,
    version: str | None = None,
) -> Finding:
    data: dict[str, object] = {"go": need_go}
    if module is not None:
        data.update(module=module, version=version)
    return Finding(path, rng, "go-version", v[0], v[1], module=module, version=version, data=data)


def check(facts: Facts) -> list[Finding]:
    out: list[Finding] = []
    snap = facts.snapshot
    if snap.work is not None and snap.work.go is not None and snap.work_file is not None:
        v = _verdict(facts, "go.work", snap.work.go.version)
        if v is not None:
            out.append(
                _finding(
                    str(snap.work_file.path), snap.work.go.syntax.range, v, snap.work.go.version
                )
            )
    for m in snap.modules:
        if m.mod is None or m.mod.go is None:
            continue
        v = _verdict(facts, "go.mod", m.mod.go.version)
        if v is not None:
            out.append(_finding(str(m.gomod.path), m.mod.go.syntax.range, v, m.mod.go.version))
    graph = facts.needs.graph
    for need in facts.needs.needs.values():
        if graph is not None and not need.needs_gomod:
            continue  # go never reads its go.mod (graph pruning): its go line is not seen
        fetch = need.fetch
        if fetch is None:
            # a directory replacement: go reads <dir>/go.mod (modgraph has its go line)
            summary = graph.summaries.get(ModuleVersion(need.path, need.version)) if graph else None
            if need.replace is None or summary is None or not summary.go:
                continue
            v = _dependency_verdict(facts, f"module {need.replace.stmt.new_path}", summary.go)
            if v is None:
                continue
            for site in need_sites(need):
                out.append(_finding(site.path, site.range, v, summary.go, need.path, need.version))
            continue
        st = facts.cache.get(fetch)
        if st is None or not st.go_version:
            continue
        v = _dependency_verdict(facts, f"{fetch[0]}@{fetch[1]}", st.go_version)
        if v is None:
            continue
        for site in need_sites(need):
            out.append(_finding(site.path, site.range, v, st.go_version, fetch[0], fetch[1]))
    return out
