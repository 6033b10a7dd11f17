"""Retracted versions and deprecated modules, as ``go get`` and ``go list -m -u`` say
them, from the latest go.mod of each module (online, the proxies' answer:
:attr:`NetworkFacts.latest`; else the module cache's: :attr:`Facts.latest`):

- a selected version that the latest go.mod retracts (modload ``CheckRetractions``):
  a warning, in go's words (``M@V: retracted by module author: <rationale>``, then go
  get's advice to ``go get M@latest``), on the require line; for a module only the graph
  brings in and whose packages the build loads, on the require line it comes through,
  with the chain of requirements;
- a module whose latest go.mod says ``// Deprecated:`` (modload ``CheckDeprecation``),
  required directly (go does not report purely indirect ones): information, with the
  message (``module M is deprecated: <message>``).

go builds with either without complaint, so neither is an error.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.module import semver
from gomod_doctor.workspace.model import Latest
from gomod_doctor.workspace.needs import Need, RequireSite

_MAX_LEN = 500


def short_message(message: str, empty_default: str) -> str:
    """modload ``ShortMessage``: the first line of a go.mod message, safe to print."""
    message = message.split("\n", 1)[0].strip()
    if not message:
        return empty_default
    if len(message.encode("utf-8", "surrogateescape")) > _MAX_LEN:
        return "(message omitted: too long)"
    for ch in message:
        if not (ch.isprintable() or ch.isspace() or unicodedata.category(ch) == "Zs"):
            return "(message omitted: contains non-printable characters)"
    return message


def retracted(latest: Latest, version: str) -> list[str] | None:
    """The rationales of the intervals of ``latest`` that retract ``version`` (None:
    not retracted)."""
    rationale: list[str] = []
    hit = False
    for r in latest.retract:
        if semver.compare(r.low, version) <= 0 and semver.compare(version, r.high) <= 0:
            hit = True
            if r.rationale:
                rationale.append(r.rationale)
    return rationale if hit else None


def _chain(need: Need) -> str:
    """``a@v1 requires\\n\\tb@v2 requires\\n\\t`` for a module the graph brings in."""
    if need.requires or not need.chain:
        return ""
    return "".join(f"{p}@{v} requires\n\t" for p, v in need.chain[:-1])


def _on(
    requires: list[RequireSite],
    code: str,
    severity: Severity,
    message: str,
    need: Need,
    data: dict[str, Any],
) -> list[Finding]:
    return [
        Finding(
            str(r.module.gomod.path),
            r.stmt.syntax.range,
            code,
            severity,
            message,
            module=need.path,
            version=need.version,
            data={"module": need.path, "version": need.version, **data},
        )
        for r in requires
    ]


def check(facts: Facts) -> list[Finding]:
    needs = facts.needs
    online = facts.network.latest if facts.network is not None else {}
    out: list[Finding] = []
    for need in sorted(needs.selected(), key=lambda n: n.path):
        # online, the proxies' latest version (as go list -m -u asks), else the cache's
        latest = online.get(need.path) or facts.latest.get(need.path)
        if latest is None or need.path in needs.main_modules:
            continue
        found = {"latest": latest.version, "gomod": latest.gomod}
        why = retracted(latest, need.version)
        # go get warns of the modules of named packages; go list -m -u of every one
        if why is not None and (need.requires or need.import_sites):
            text = "retracted by module author"
            if why:
                text += ": " + short_message(why[0], "retracted by module author")
            message = (
                f"{_chain(need)}{need.path}@{need.version}: {text}\n"
                "to switch to the latest unretracted version, run:\n"
                f"\tgo get {need.path}@latest"
            )
            chain = [f"{p}@{v}" for p, v in need.chain]
            data = {"rationale": why, "chain": chain, **found}
            out += _on(
                need.requires or need.via,
                "version-retracted",
                Severity.WARNING,
                message,
                need,
                data,
            )
        direct = [r for r in need.requires if not r.stmt.indirect]
        if latest.deprecated and direct:
            message = f"module {need.path} is deprecated: " + short_message(latest.deprecated, "")
            data = {"deprecated": latest.deprecated, **found}
            out += _on(direct, "module-deprecated", Severity.INFORMATION, message, need, data)
    return out
