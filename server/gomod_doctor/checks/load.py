"""What the go command rejects when it loads a workspace's go.mod and go.work files,
beyond their syntax (cmd/go/internal/modload), in go's words, at go's line.

- ``retract`` lines are checked against the ``module`` line only when go loads the
  file (x/mod ``fixRetract``, run with modload's version fixer, not by ``go mod edit``):
  without a ``module`` line the first retract is an error, and a retracted version
  must suit the module path's major version (``should be v2, not v3``).
- ``godebug`` lines are checked against the GODEBUG table of the toolchain that will
  build (``CheckGodebug``): go.work's in workspace mode (the first error stops go),
  each go.mod's otherwise.
- A go.work ``use`` directory listed twice stops go (``path ... appears multiple
  times in workspace``), and so do two ``use`` directories of one module path.
- A go.work without ``use`` lines has no modules; a used module whose ``go`` line
  (1.21 or later) is newer than go.work's (1.18 when go.work has none) stops go, whose
  fix is ``go work use``.
- In workspace mode: a ``-mod`` flag other than readonly or vendor, a module inside
  the go.work's tree that go.work does not use, and two workspace modules replacing
  one module version differently each stop go.
- ``+incompatible`` on a v0/v1 version: the origin refuses to make it (a warning: a
  cached copy still builds).
"""

from __future__ import annotations

from gomod_doctor.checks.locate import short_path
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.goenv import gover
from gomod_doctor.modfile.rules import Godebug, ModFile, canonical_version, parse_mod
from gomod_doctor.module import paths
from gomod_doctor.module.paths import InvalidVersionError
from gomod_doctor.position import Position, Range
from gomod_doctor.workspace.model import use_dir


def check(facts: Facts) -> list[Finding]:
    snap = facts.snapshot
    out: list[Finding] = []
    for m in snap.modules:
        if m.mod is None or any(e.syntax for e in m.mod.errors):
            continue  # go stops at a syntax error (the syntax check says it)
        # x/mod checks retract lines even when other lines have errors
        out.extend(_retract_findings(str(m.gomod.path), m.mod))
        out.extend(_incompatible_findings(str(m.gomod.path), m.mod))
        if snap.work is None and not m.mod.go_errors:
            # godebug lines are checked once go.mod has loaded; in workspace mode,
            # go.work's count instead
            out.extend(_godebug_findings(facts, str(m.gomod.path), m.mod.godebug, first=False))
    work, work_file = snap.work, snap.work_file
    if work is not None and work_file is not None and not work.go_errors:
        out.extend(_mod_flag(facts))
        out.extend(_outside_workspace(facts))
        # in go's order: each stops go before the next is looked at
        for step in (
            _use_duplicates,
            lambda f: _godebug_findings(f, str(work_file.path), work.godebug, first=True),
            _work_modules,
            _conflicting_replacements,
        ):
            found = step(facts)
            if found:
                out.extend(found)
                break
    return out


def _retract_findings(path: str, mod: ModFile) -> list[Finding]:
    if not mod.retract:
        return []
    if mod.module is None:
        # x/mod reports only the first of these.
        first = mod.retract[0]
        return [
            Finding(
                path,
                first.syntax.range,
                "parse-error",
                Severity.ERROR,
                "no module directive found, so retract cannot be used",
            )
        ]
    module_path = mod.module.path
    _, path_major, ok = paths.split_path_version(module_path)
    out: list[Finding] = []
    for r in mod.retract:
        problem = None
        for v in dict.fromkeys((r.low, r.high)):
            if not ok:
                problem = f'version "{v}" invalid: malformed module path "{module_path}"'
            elif v and canonical_version(v) == v:  # others go resolves online first
                try:
                    paths.check_path_major(v, path_major)
                except InvalidVersionError as e:
                    problem = str(e)
            if problem:
                break
        if problem:
            out.append(
                Finding(
                    path,
                    r.syntax.range,
                    "parse-error",
                    Severity.ERROR,
                    f"retract {module_path}: {problem}",
                    module=module_path,
                    version=r.low,
                )
            )
    return out


def _godebug_findings(
    facts: Facts, path: str, lines: list[Godebug], *, first: bool
) -> list[Finding]:
    table = facts.godebugs
    if table is None or not lines:
        return []
    out: list[Finding] = []
    for g in lines:
        problem = table.check("godebug", g.key, g.value)
        if problem is None:
            continue
        out.append(
            Finding(
                path,
                g.syntax.range,
                "godebug-invalid",
                Severity.ERROR,
                problem,
                data={"key": g.key, "value": g.value},
            )
        )
        if first:
            break
    return out


def _use_duplicates(facts: Facts) -> list[Finding]:
    snap = facts.snapshot
    work, work_file = snap.work, snap.work_file
    assert work is not None and work_file is not None
    seen: dict[str, int] = {}
    out: list[Finding] = []
    for use in work.use:
        root = str(use_dir(snap.location.root, use.path))
        if root in seen:
            out.append(
                Finding(
                    str(work_file.path),
                    use.syntax.range,
                    "work-use-duplicate",
                    Severity.ERROR,
                    f"path {root} appears multiple times in workspace",
                    data={"use": use.path, "dir": root, "first_line": seen[root]},
                )
            )
            break  # go stops at the first one
        seen[root] = use.syntax.range.start.line
    return out


#: go.work's go version when it has no ``go`` line (gover.FromGoWork)
WORK_DEFAULT_GO = "1.18"
#: a go.mod's go version when it has no ``go`` line (gover.FromGoMod)
MOD_DEFAULT_GO = "1.16"
#: from this version on, go refuses a workspace older than its modules (GoStrictVersion)
GO_STRICT_VERSION = "1.21"


def _work_modules(facts: Facts) -> list[Finding]:
    snap = facts.snapshot
    work, work_file = snap.work, snap.work_file
    assert work is not None and work_file is not None
    path = str(work_file.path)
    if not work.use:
        at = _work_line(facts)
        return [
            Finding(
                path,
                at,
                "work-empty",
                Severity.ERROR,
                "no modules were found in the current workspace; see 'go help work'",
            )
        ]
    out: list[Finding] = []
    work_go = work.go.version if work.go is not None else WORK_DEFAULT_GO
    verb = "lists" if work.go is not None else "implicitly requires"
    module_line: dict[str, int] = {}
    parsed = {m.dir: m.mod for m in snap.modules if m.mod is not None}
    for use in work.use:
        d = use_dir(snap.location.root, use.path)
        info = facts.dirs.get(d)
        if info is None or not info.has_gomod or info.gomod is None or info.gomod.text is None:
            continue  # work-use-missing
        mod = parsed.get(d) or parse_mod(info.gomod.text, str(info.gomod.path))
        if mod.go_errors:
            continue
        if mod.module is not None:
            mp = mod.module.path
            if mp in module_line:
                out.append(
                    Finding(
                        path,
                        use.syntax.range,
                        "work-use-duplicate",
                        Severity.ERROR,
                        f"module {mp} appears multiple times in workspace",
                        module=mp,
                        data={"use": use.path, "dir": str(d), "first_line": module_line[mp]},
                    )
                )
            else:
                module_line[mp] = use.syntax.range.start.line
        mod_go = mod.go.version if mod.go is not None else MOD_DEFAULT_GO
        if gover.compare(mod_go, work_go) > 0 and gover.compare(mod_go, GO_STRICT_VERSION) >= 0:
            short = short_path(d, snap.location.root)
            out.append(
                Finding(
                    path,
                    use.syntax.range,
                    "work-go-too-old",
                    Severity.ERROR,
                    f"module {short} listed in go.work file requires go >= {mod_go}, but "
                    f"go.work {verb} go {work_go}; to download and use go {mod_go}:\n"
                    "\tgo work use",
                    data={"use": use.path, "go": mod_go, "work_go": work_go},
                    fixes=("work-go",),
                )
            )
    return out


def _work_line(facts: Facts) -> Range:
    work = facts.snapshot.work
    if work is not None and work.go is not None:
        return work.go.syntax.range
    return Range(Position(1, 1, 0), Position(1, 1, 0))


def _mod_flag(facts: Facts) -> list[Finding]:
    """modload ``setDefaultBuildMod``: workspace mode takes -mod=readonly or vendor only."""
    work_file = facts.snapshot.work_file
    assert work_file is not None
    mode = facts.env.mod_flag
    if mode in ("", "readonly", "vendor"):
        return []
    return [
        Finding(
            str(work_file.path),
            _work_line(facts),
            "work-mod-flag",
            Severity.ERROR,
            f"-mod may only be set to readonly or vendor when in workspace mode, but it is set "
            f'to "{mode}"\n\tRemove the -mod flag to use the default readonly value, '
            "\n\tor set GOWORK=off to disable workspace mode.",
            data={"mod": mode},
        )
    ]


def _conflicting_replacements(facts: Facts) -> list[Finding]:
    """modload ``makeMainModules``: two workspace modules replacing one module version
    (the same ``replace`` left side) differently, unless go.work replaces that path."""
    snap = facts.snapshot
    work = snap.work
    assert work is not None
    by_work = {r.old_path for r in work.replace}
    seen: dict[tuple[str, str], tuple[str, str]] = {}  # old -> (new as go prints it, file)
    out: list[Finding] = []
    for m in snap.modules:
        if m.mod is None:
            continue
        for r in m.mod.replace:
            if r.old_path in by_work:
                continue
            if r.new_version:
                new = f"{r.new_path}@{r.new_version}"
            else:
                new = str(use_dir(m.dir, r.new_path))
            key = (r.old_path, r.old_version)
            prev = seen.get(key)
            if prev is None:
                seen[key] = (new, str(m.gomod.path))
                continue
            if prev[0] == new:
                continue
            old = f"{r.old_path}@{r.old_version}" if r.old_version else r.old_path
            out.append(
                Finding(
                    str(m.gomod.path),
                    r.syntax.range,
                    "work-replace-conflict",
                    Severity.ERROR,
                    f"conflicting replacements for {old}:\n\t{prev[0]}\n\t{new}\n"
                    f'use "go work edit -replace {old}=[override]" to resolve',
                    module=r.old_path,
                    version=r.old_version or None,
                    data={"old": old, "replacements": [prev[0], new], "other": prev[1]},
                )
            )
            return out  # go stops at the first (base.Fatalf)
    return out


def _outside_workspace(facts: Facts) -> list[Finding]:
    """modload ``dirInModule`` check: the module the go command runs in (where the search
    for go.work started) must be one of go.work's ``use`` modules."""
    snap = facts.snapshot
    start = snap.location.start_gomod
    if start is None or snap.work is None:
        return []
    mod_dir = start.parent
    if any(use_dir(snap.location.root, u.path) == mod_dir for u in snap.work.use):
        return []
    text = (
        "current directory is contained in a module that is not one of the workspace "
        "modules listed in go.work. You can add the module to the workspace using:\n"
        "\tgo work use ."
    )
    return [
        Finding(
            str(start),
            Range(Position(1, 1, 0), Position(1, 1, 0)),
            "work-module-outside",
            Severity.ERROR,
            text,
            data={"dir": str(mod_dir), "command": "go work use ."},
        )
    ]


def _incompatible_findings(path: str, mod: ModFile) -> list[Finding]:
    """``+incompatible`` on a v0 or v1 version: the origin (modfetch ``coderepo``, which
    proxy.golang.org and ``direct`` use) refuses to make such a version, in these
    words. A copy already in the module cache, or a proxy that serves one anyway,
    still builds: a warning."""
    out: list[Finding] = []
    for r in mod.require:
        v = r.version
        if not v.endswith("+incompatible") or canonical_version(v) != v:
            continue
        major = v.split(".", 1)[0]
        if major not in ("v0", "v1"):
            continue
        out.append(
            Finding(
                path,
                r.syntax.range,
                "version-invalid",
                Severity.WARNING,
                f"{r.path}@{v}: invalid version: +incompatible suffix not allowed: major "
                f"version {major} is compatible",
                module=r.path,
                version=v,
            )
        )
    return out
