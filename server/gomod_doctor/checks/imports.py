"""Imports of the workspace's own ``.go`` files that no module of the build list can
provide (cmd/go/internal/modload ``ImportMissingError``), at the import, in go's words:

- ``no required module provides package P; to add it: go get P``;
- ``module M provides package P and is replaced but not required; to add it:
  go get M``, when a ``replace`` names the module but nothing requires it.

With ``-mod=mod`` the go command looks the module up and adds the requirement itself,
so the finding is information there (an error with GOPROXY=off, in go's words); with an
explicit ``-mod=readonly`` go says that it did not look. Test files' imports matter to ``go test`` and
``go mod tidy`` only: a warning.
"""

from __future__ import annotations

from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, RelatedInfo, Severity
from gomod_doctor.module import semver
from gomod_doctor.module.pseudo import is_zero_pseudo_version
from gomod_doctor.position import Position, Range
from gomod_doctor.workspace.imports.model import ImportSite
from gomod_doctor.workspace.imports.resolve import modules_for_import
from gomod_doctor.workspace.needs import ReplaceSite, is_tool_site, tool_sites


def _site_range(site: ImportSite, import_path: str) -> Range:
    """The quoted import path (its byte columns; offsets are not known here)."""
    start = Position(site.line, site.column, 0)
    quotes = 0 if is_tool_site(site) else 2  # a go.mod tool line's path is bare
    end = Position(site.line, site.column + len(import_path.encode()) + quotes, 0)
    return Range(start, end)


def _provided(facts: Facts) -> set[str]:
    """The module paths of the build list: selected needs, main modules, and every path
    the module graph selects (an odd version there is the parse check's, not a missing
    module)."""
    needs = facts.needs
    out = {n.path for n in needs.selected()} | set(needs.main_modules)
    if needs.graph is not None:
        out |= set(needs.graph.selected)
    return out


def wanted_by_import(facts: Facts, site: ReplaceSite) -> list[str]:
    """The workspace's imports that only the module ``site`` replaces could provide."""
    old = site.stmt.old_path
    provided = _provided(facts)
    out: list[str] = []
    for mi in facts.imports.values():
        for import_path in mi.imports:
            if (import_path == old or import_path.startswith(old + "/")) and not (
                modules_for_import(import_path, provided)
            ):
                out.append(import_path)
    return out


def _replaced(facts: Facts, import_path: str) -> ReplaceSite | None:
    """The replace naming a module that would provide ``import_path`` (the longest path,
    the highest version replaced: go's ``highestReplaced``)."""
    best: ReplaceSite | None = None
    for site in facts.needs.replaces:
        old = site.stmt.old_path
        if not (import_path == old or import_path.startswith(old + "/")):
            continue
        if (
            best is None
            or len(old) > len(best.stmt.old_path)
            or (
                old == best.stmt.old_path
                and semver.compare(site.stmt.old_version, best.stmt.old_version) > 0
            )
        ):
            best = site
    return best


def check(facts: Facts) -> list[Finding]:
    needs = facts.needs
    if needs.graph is None:
        return []  # without the module graph (verify "off") the build list is not known
    if needs.graph.missing:
        return []  # the graph stops at a go.mod not in the cache: it may provide them
    provided = _provided(facts)
    flag = facts.env.mod_flag
    mod_mode = flag == "mod"
    proxy_off = facts.env.GOPROXY.strip() == "off"
    out: list[Finding] = []
    # go.mod tool packages too: go tool / go build tool load them as imports
    sources = [mi.imports for mi in facts.imports.values()] + [tool_sites(facts.snapshot)]
    for imports in sources:
        for import_path, sites in imports.items():
            if modules_for_import(import_path, provided):
                continue
            rep = _replaced(facts, import_path)
            if rep is not None:
                old = rep.stmt.old_path
                arg = old
                if rep.stmt.old_version and not is_zero_pseudo_version(rep.stmt.old_version):
                    arg = f"{old}@{rep.stmt.old_version}"
                message = (
                    f"module {old} provides package {import_path} and is replaced but not "
                    f"required; to add it:\n\tgo get {arg}"
                )
                related: tuple[RelatedInfo, ...] = (
                    RelatedInfo(str(rep.file), rep.stmt.syntax.range, "the replace"),
                )
                data = {"package": import_path, "module": old, "get": arg}
            elif flag == "readonly":  # set explicitly: go says why it did not look
                message = (
                    f"cannot find module providing package {import_path}: import lookup "
                    "disabled by -mod=readonly"
                )
                related = ()
                data = {"package": import_path, "get": import_path}
            elif mod_mode and proxy_off:
                message = (
                    f"cannot find module providing package {import_path}: module lookup "
                    "disabled by GOPROXY=off"
                )
                related = ()
                data = {"package": import_path, "get": import_path}
            else:
                message = (
                    f"no required module provides package {import_path}; to add it:\n"
                    f"\tgo get {import_path}"
                )
                related = ()
                data = {"package": import_path, "get": import_path}
            for site in sites:
                if mod_mode and not proxy_off:
                    sev = Severity.INFORMATION
                    text = f"{message}\n(with -mod=mod the next go command adds it itself)"
                elif site.test:
                    sev, text = Severity.WARNING, message
                else:
                    sev, text = Severity.ERROR, message
                out.append(
                    Finding(
                        str(site.file),
                        _site_range(site, import_path),
                        "import-missing",
                        sev,
                        text,
                        module=data.get("module"),
                        related=related,
                        data=dict(data),
                    )
                )
    return out
