"""The module graph as the go command loads it, and minimal version selection over it.

A port of the parts of cmd/go/internal/modload that decide which go.mod files go reads
and which versions it selects (buildlist.go ``readModGraph``, modfile.go
``goModSummary``/``rawGoModSummary``, init.go ``requirementsFromModFiles`` and the
replacement lookup), over go.mod files that the caller reads: the graph does no I/O.
A ``read(module, version)`` function gives the go.mod of a module version (already
replaced: a directory's go.mod when ``version`` is ""), or says why it cannot.

- Single-module mode: the roots are the main module's requirements (less the
  excluded versions). With graph pruning (``go 1.17`` or later) the go.mod of each root
  is read, but the requirements of a dependency are followed further only when that
  dependency's own go.mod is unpruned (below ``go 1.17``, or without a ``go`` line);
  without pruning, every requirement is followed transitively.
- Workspace mode: the roots are the workspace modules; each one's requirements are
  read, and go's extra rounds re-read dependencies whose selected version is higher
  than the one their dependents required.
- Replacements: go.work's win, then the workspace modules' (a version-specific
  replacement before a path-wide one). Excluded versions are dropped from every
  go.mod's requirements.
- MVS: the selected version of a path is the highest version any read go.mod (or
  root) requires; a main module's own version ("") is above every other.

The result says which go.mod files were read (each needs its ``/go.mod`` line in
go.sum), which version of each path is selected (the build list), where loading
stopped (a go.mod that is not in the module cache, offline), and the errors go would
report while loading, in its words.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gomod_doctor.goenv import gover
from gomod_doctor.modfile.rules import ModFile, Replace
from gomod_doctor.module import semver

#: the first go version whose go.mod files are pruned (gover.ExplicitModulePruningVersion)
PRUNING_VERSION = "1.17"


@dataclass(frozen=True, order=True)
class ModuleVersion:
    path: str
    version: str = ""

    def __str__(self) -> str:
        return f"{self.path}@{self.version}" if self.version else self.path


@dataclass(frozen=True)
class Summary:
    """What go keeps of a go.mod it reads (modload ``modFileSummary``)."""

    module: str  # the path its module line declares ("" without one)
    go: str  # its go line ("" without one)
    require: tuple[ModuleVersion, ...] = ()
    deprecated: str = ""
    toolchain: str = ""

    @property
    def pruned(self) -> bool:
        return bool(self.go) and gover.compare(self.go, PRUNING_VERSION) >= 0

    @staticmethod
    def of(f: ModFile) -> Summary:
        return Summary(
            module=f.module.path if f.module is not None else "",
            go=f.go.version if f.go is not None else "",
            require=tuple(ModuleVersion(r.path, r.version) for r in f.require),
            deprecated=f.module.deprecated if f.module is not None else "",
            toolchain=f.toolchain.name if f.toolchain is not None else "",
        )


@dataclass(frozen=True)
class Missing:
    """The go.mod is not where go would read it from without the network (the module
    cache, or a directory that does not exist); ``detail`` says what was looked at."""

    detail: str = ""


@dataclass(frozen=True)
class Unreadable:
    """The go.mod cannot be used; ``message`` is go's text after ``M@V: ``."""

    message: str


ReadResult = Summary | Missing | Unreadable
Reader = Callable[[ModuleVersion], ReadResult]


@dataclass(frozen=True)
class ReplaceRule:
    """One ``replace`` line: ``old`` (version "" for every version) ``=> new`` (a module
    version, or a directory, absolute, with version "")."""

    old: ModuleVersion
    new: ModuleVersion
    file: Path  # the go.mod or go.work that says it
    line: int
    written: str = ""  # a directory as the line writes it (go's messages name it so)


@dataclass(frozen=True)
class MainModule:
    path: str
    dir: Path
    go: str
    require: tuple[ModuleVersion, ...]
    exclude: frozenset[ModuleVersion] = frozenset()
    replace: tuple[ReplaceRule, ...] = ()


@dataclass(frozen=True)
class GraphError:
    """An error go reports while loading the graph: ``module`` is the version required,
    ``actual`` what go read for it (after replacement); ``message`` is go's whole text
    (``actual``'s ``path@version: `` prefix included, as go prints it)."""

    module: ModuleVersion
    actual: ModuleVersion
    kind: str  # "path-mismatch", "missing-module-line", "parse"
    message: str


@dataclass
class ModuleGraph:
    """The loaded graph: ``requires[m]`` for every module version whose go.mod go reads."""

    main: tuple[MainModule, ...]
    workspace: bool
    roots: tuple[ModuleVersion, ...]
    requires: dict[ModuleVersion, tuple[ModuleVersion, ...]] = field(default_factory=dict)
    selected: dict[str, str] = field(default_factory=dict)
    #: what each read module version was replaced by (only replaced ones)
    replaced: dict[ModuleVersion, ModuleVersion] = field(default_factory=dict)
    #: the summaries read, by required module version
    summaries: dict[ModuleVersion, Summary] = field(default_factory=dict)
    #: module versions whose go.mod could not be had offline: the graph stops there
    missing: dict[ModuleVersion, Missing] = field(default_factory=dict)
    errors: list[GraphError] = field(default_factory=list)
    #: the module version whose requirement first brought each version in
    parent: dict[ModuleVersion, ModuleVersion | None] = field(default_factory=dict)
    #: every module version whose go.mod go reads, in the order read
    attempted: list[ModuleVersion] = field(default_factory=list)
    #: go.work's replacements, and the reader of the go.mod files on disk (to load the
    #: graph again with more go.mod files: :func:`reload`)
    work_replace: tuple[ReplaceRule, ...] = ()
    read: Reader | None = field(default=None, repr=False, compare=False)

    @property
    def main_paths(self) -> set[str]:
        return {m.path for m in self.main}

    def build_list(self) -> list[ModuleVersion]:
        """The selected versions (mvs ``BuildList``), main modules first, then by path."""
        out = [ModuleVersion(m.path) for m in self.main]
        main = self.main_paths
        rest = sorted(
            ModuleVersion(p, v)
            for p, v in self.selected.items()
            if p not in main and p not in ("go", "toolchain")
        )
        return out + rest

    def loaded(self) -> set[ModuleVersion]:
        """The module versions (as required) whose go.mod go reads (or tries to: those
        that failed or are missing included)."""
        return set(self.attempted)

    def chain(self, m: ModuleVersion) -> list[ModuleVersion]:
        """How ``m`` came into the graph: from a root (or a main module's requirement)
        down to ``m``."""
        out: list[ModuleVersion] = []
        seen: set[ModuleVersion] = set()
        cur: ModuleVersion | None = m
        while cur is not None and cur not in seen:
            seen.add(cur)
            out.append(cur)
            cur = self.parent.get(cur)
        out.reverse()
        return out

    def replacement(self, m: ModuleVersion) -> ModuleVersion:
        return self.replaced.get(m, m)


def _cmp_version(path: str, v1: str, v2: str) -> int:
    """modload ``cmpVersion``: a main module's version "" is above every other."""
    if v2 == "":
        return 0 if v1 == "" else -1
    if v1 == "":
        return 1
    return semver.compare(v1, v2)


def find_replacement(
    m: ModuleVersion,
    main: Sequence[MainModule],
    work_replace: Sequence[ReplaceRule],
) -> ReplaceRule | None:
    """modload ``replacementFrom``: the rule that replaces ``m`` (None: not replaced):
    go.work's, else the first workspace module's that has one. (Two workspace modules
    replacing one version differently stop go before the graph is loaded.)"""
    if m.version == "" and any(mm.path == m.path for mm in main):
        return None
    rule = _match(m, work_replace)
    if rule is not None:
        return rule
    for mm in main:
        r = _match(m, mm.replace)
        if r is not None:
            return r
    return None


def _match(m: ModuleVersion, rules: Iterable[ReplaceRule]) -> ReplaceRule | None:
    """The exact-version rule for ``m``, else its path-wide rule (the last one wins, as
    go's replace map keeps the last of duplicate keys)."""
    exact: ReplaceRule | None = None
    wide: ReplaceRule | None = None
    for r in rules:
        if r.old.path != m.path:
            continue
        if r.old.version == m.version and m.version:
            exact = r
        elif r.old.version == "":
            wide = r
    return exact or wide


def load(
    main: Sequence[MainModule],
    read: Reader,
    *,
    workspace: bool = False,
    work_go: str = "",
    work_replace: Sequence[ReplaceRule] = (),
) -> ModuleGraph:
    """The module graph of ``main`` (one module, or the workspace modules when
    ``workspace``), reading go.mod files with ``read`` (each at most once)."""
    main = tuple(main)
    excluded: set[ModuleVersion] = set()
    for mm in main:
        excluded.update(mm.exclude)
    main_paths = {mm.path for mm in main}

    if workspace:
        pruning = "workspace"
        roots = tuple(ModuleVersion(mm.path) for mm in main)
    else:
        if len(main) != 1:
            raise ValueError("single-module mode needs exactly one main module")
        mm = main[0]
        pruning = "pruned" if mm.go and gover.compare(mm.go, PRUNING_VERSION) >= 0 else "unpruned"
        roots = tuple(r for r in mm.require if r not in mm.exclude)

    g = ModuleGraph(
        main=main, workspace=workspace, roots=roots, work_replace=tuple(work_replace), read=read
    )

    def note(m: ModuleVersion) -> None:
        if m.path in ("go", "toolchain"):
            return
        cur = g.selected.get(m.path)
        if cur is None or _cmp_version(m.path, cur, m.version) < 0:
            g.selected[m.path] = m.version

    for r in roots:
        note(r)
        g.parent.setdefault(r, None)
    if not workspace:
        # the main module requires the roots
        note(ModuleVersion(main[0].path))

    cache: dict[ModuleVersion, Summary | None] = {}

    def summary_of(m: ModuleVersion) -> Summary | None:
        if m in cache:
            return cache[m]
        g.attempted.append(m)
        s = _summary(m)
        cache[m] = s
        if s is not None:
            reqs = tuple(r for r in s.require if r not in excluded)
            g.requires[m] = reqs
            g.summaries[m] = s
            for r in reqs:
                note(r)
                g.parent.setdefault(r, m)
        return s

    def _summary(m: ModuleVersion) -> Summary | None:
        if m.version == "" and m.path in main_paths:
            mm = next(x for x in main if x.path == m.path)
            return Summary(mm.path, mm.go, tuple(mm.require))
        rule = find_replacement(m, main, work_replace)
        actual = rule.new if rule is not None else m
        if rule is not None:
            g.replaced[m] = actual
        got = read(actual)
        if isinstance(got, Missing):
            g.missing[m] = got
            return None
        if isinstance(got, Unreadable):
            # x/mod ModuleError: "path@version: ...", or "module dir: ..." for a directory
            who = _at(actual) if actual.version else f"module {rule.written if rule else m.path}"
            g.errors.append(GraphError(m, actual, "parse", f"{who}: {got.message}"))
            return None
        if actual.version != "":
            if got.module == "":
                g.errors.append(
                    GraphError(
                        m,
                        actual,
                        "missing-module-line",
                        f"{_at(actual)}: parsing go.mod: missing module line",
                    )
                )
                return None
            if got.module not in (m.path, actual.path):
                g.errors.append(
                    GraphError(
                        m,
                        actual,
                        "path-mismatch",
                        f"{_at(actual)}: parsing go.mod:\n"
                        f"\tmodule declares its path as: {got.module}\n"
                        f"\t        but was required as: {m.path}",
                    )
                )
                return None
        return got

    loading: set[tuple[ModuleVersion, str]] = set()
    queue: list[tuple[ModuleVersion, str]] = []

    def enqueue(m: ModuleVersion, how: str) -> None:
        if m.version == "none" or m.path in ("go", "toolchain"):
            return
        if (m, how) in loading:
            return
        loading.add((m, how))
        queue.append((m, how))

    def drain() -> None:
        while queue:
            m, how = queue.pop(0)
            s = summary_of(m)
            if s is None:
                continue
            next_how = "pruned" if s.pruned else "unpruned"
            if how == "unpruned":
                next_how = "unpruned"
            for r in g.requires.get(m, ()):
                if how != "pruned" or not s.pruned:
                    enqueue(r, next_how)

    for r in roots:
        enqueue(r, pruning)
    drain()

    if pruning == "workspace":
        has_deps = {r.path for r in roots}
        seen: set[ModuleVersion] = set()
        while True:
            todo: set[ModuleVersion] = set()
            for p in has_deps:
                m = ModuleVersion(p, g.selected.get(p, ""))
                if m not in seen:
                    todo.add(m)
                    continue
                for r in g.requires.get(m, ()):
                    s = ModuleVersion(r.path, g.selected.get(r.path, r.version))
                    if _cmp_version(r.path, s.version, r.version) > 0 and s not in seen:
                        todo.add(s)
            if not todo:
                break
            for m in sorted(todo):
                enqueue(m, "workspace")
                seen.add(m)
                has_deps.add(m.path)
            drain()
    return g


def reload(g: ModuleGraph, read: Reader) -> ModuleGraph:
    """``g``'s workspace loaded again, its go.mod files read with ``read`` (the new
    graph keeps ``g.read``, the reader of the files on disk)."""
    out = load(g.main, read, workspace=g.workspace, work_replace=g.work_replace)
    out.read = g.read
    return out


def _at(m: ModuleVersion) -> str:
    return f"{m.path}@{m.version}" if m.version else m.path


def main_module(
    path: str,
    dir: Path,
    f: ModFile,
    gomod_path: Path,
) -> MainModule:
    """A workspace module's graph inputs from its parsed go.mod."""
    return MainModule(
        path=path,
        dir=dir,
        go=f.go.version if f.go is not None else "",
        require=tuple(ModuleVersion(r.path, r.version) for r in f.require),
        exclude=frozenset(ModuleVersion(e.path, e.version) for e in f.exclude),
        replace=tuple(replace_rules(f.replace, gomod_path)),
    )


def replace_rules(replaces: Iterable[Replace], file: Path) -> list[ReplaceRule]:
    """``replace`` statements as rules, directory targets made absolute from ``file``'s
    directory."""
    out: list[ReplaceRule] = []
    for rep in replaces:
        new_path = rep.new_path
        if not rep.new_version:
            p = Path(new_path)
            new_path = os.path.normpath(p if p.is_absolute() else file.parent / p)
        out.append(
            ReplaceRule(
                ModuleVersion(rep.old_path, rep.old_version),
                ModuleVersion(new_path, rep.new_version),
                file,
                rep.syntax.range.start.line,
                rep.new_path,
            )
        )
    return out
