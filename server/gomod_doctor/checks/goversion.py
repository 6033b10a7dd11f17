"""``go`` lines that need a newer Go than the local toolchain, and what GOTOOLCHAIN
lets the go command do about it."""

from __future__ import annotations

from gomod_doctor.checks.locate import need_sites
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv import gover
from gomod_doctor.position import Range


def _verdict(facts: Facts, what: str, need_go: str) -> tuple[Severity, str] | None:
    local = facts.env.GOVERSION
    if not local or gover.parse(local) is None or gover.parse(need_go) is None:
        return None
    if gover.compare(need_go, local.removeprefix("go")) <= 0:
        return None
    running = local.removeprefix("go")
    setting = facts.env.GOTOOLCHAIN or "auto"
    mode = gover.toolchain_switching(setting)
    if mode == "forbidden":
        return (
            Severity.ERROR,
            f"{what} requires go >= {need_go} (running go {running}; GOTOOLCHAIN={setting})",
        )
    if mode == "path":
        return (
            Severity.INFORMATION,
            f"{what} requires go >= {need_go} (running go {running}): the go command will "
            f"look for go{need_go} on PATH (GOTOOLCHAIN={setting})",
        )
    return (
        Severity.INFORMATION,
        f"{what} requires go >= {need_go} (running go {running}): the build will download "
        f"toolchain go{need_go} (GOTOOLCHAIN={setting})",
    )


def _finding(path: str, rng: Range, v: tuple[Severity, str], need_go: str, **data: str) -> Finding:
    return Finding(path, rng, "go-version", v[0], v[1], data={"go": need_go, **data})


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
    for need in facts.needs.needs.values():
        fetch = need.fetch
        st = facts.cache.get(fetch) if fetch is not None else None
        if fetch is None or st is None or not st.go_version:
            continue
        v = _verdict(facts, f"{fetch[0]}@{fetch[1]}", st.go_version)
        if v is None:
            continue
        for site in need_sites(need):
            out.append(
                _finding(site.path, site.range, v, st.go_version, module=fetch[0], version=fetch[1])
            )
    return out
