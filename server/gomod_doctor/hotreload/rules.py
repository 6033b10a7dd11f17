"""Which changes restart the command: the runner's rules over the watch targets.

A change is one of

* ``modfile``: a go.mod, go.sum, go.work or go.work.sum of the workspace (the
  targets are recomputed: a new replacement directory is watched from then on);
* ``source``: a file of a watched package that the build reads (``.go``, a name
  given with ``--ext``, or a file a ``//go:embed`` pattern of its package matches);
* ``cache``: an entry of a needed module version in the module cache;
* ``dir``: a directory that came or went where it matters (a new package, a
  replacement directory moved away or back);

or nothing. Ignored always: editors' temporary and backup files, ``vendor/``,
``testdata/``, directories whose name starts with ``.`` or ``_`` (below a module
root, as the go command skips them), what the ``.gitignore`` files say, and the
``--ignore`` globs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

import pathspec

from gomod_doctor.fswatch.roots import ChangeKind, Root, is_ignored
from gomod_doctor.watchset import Targets, embed_patterns

__all__ = ["MODFILES", "ChangeClass", "Embed", "Rules", "classify", "load_rules"]

ChangeClass = Literal["modfile", "source", "cache", "dir"]

MODFILES = frozenset(("go.mod", "go.sum", "go.work", "go.work.sum"))
_SKIPPED_DIRS = frozenset(("vendor", "testdata"))


def _skipped(name: str) -> bool:
    return name in _SKIPPED_DIRS or name.startswith((".", "_"))


@dataclass(frozen=True)
class Embed:
    """A ``//go:embed`` pattern of the package in ``dir`` (slash-separated parts)."""

    dir: Path
    parts: tuple[str, ...]

    def matches(self, path: Path) -> bool:
        """``path`` is the file the pattern names, or inside a directory it names."""
        try:
            rel = path.relative_to(self.dir).parts
        except ValueError:
            return False
        if len(rel) < len(self.parts):
            return False
        return all(fnmatchcase(rel[i], p) for i, p in enumerate(self.parts))

    def root(self) -> Path:
        """The deepest directory without glob characters that the pattern is under."""
        d = self.dir
        for p in self.parts:
            if any(c in p for c in "*?[\\"):
                break
            d = d / p
        return d


@dataclass
class Rules:
    """The runner's rules for one set of targets (see the module's docstring)."""

    base: Path  # the workspace root: ``--ignore`` globs are relative to it
    module_roots: tuple[Path, ...] = ()  # where the skipped-directory rule starts
    globs: tuple[str, ...] = ()
    exts: frozenset[str] = frozenset()  # ".html", or a whole name
    gitignores: dict[Path, pathspec.GitIgnoreSpec] = field(default_factory=dict)
    embeds: tuple[Embed, ...] = ()

    def ignored(self, path: Path, *, is_dir: bool = False) -> bool:
        if is_ignored(path):
            return True
        root = max(
            (r for r in self.module_roots if r == path or r in path.parents),
            key=lambda r: len(r.parts),
            default=None,
        )
        if root is not None and any(_skipped(n) for n in path.relative_to(root).parts):
            return True
        if self.globs:
            try:
                rel = path.relative_to(self.base).as_posix()
            except ValueError:
                rel = path.as_posix()
            if any(fnmatchcase(rel, g) or fnmatchcase(path.name, g) for g in self.globs):
                return True
        decision: bool | None = None
        for d in sorted(self.gitignores, key=lambda p: len(p.parts)):
            if d not in path.parents:
                continue
            spec = self.gitignores[d]
            # a .gitignore above the module that ignores the module itself (a workspace
            # in an ignored directory): its rules are not for the module
            if (
                root is not None
                and d in root.parents
                and spec.check_file(root.relative_to(d).as_posix() + "/").include
            ):
                continue
            rel = path.relative_to(d).as_posix() + ("/" if is_dir else "")
            got = spec.check_file(rel).include
            if got is not None:
                decision = got
        return bool(decision)

    def wanted_file(self, path: Path) -> bool:
        name = path.name
        if name.endswith(".go") or name in MODFILES:
            return True
        if name in self.exts or any(name.endswith(e) for e in self.exts if e.startswith(".")):
            return True
        return any(e.matches(path) for e in self.embeds)

    def extra_roots(self) -> set[Root]:
        """Roots for the embedded directories (recursive, when they exist)."""
        out: set[Root] = set()
        for e in self.embeds:
            r = e.root()
            if r != e.dir and r.is_dir():
                out.add(Root(r, True))
        return out


def _normalize_ext(ext: str) -> str:
    ext = ext.strip()
    if not ext or ext.startswith(".") or "." in ext:
        return ext  # ".html", or a name such as "config.yaml"
    return "." + ext


def _gitignore_dirs(dirs: Iterable[Path]) -> set[Path]:
    """The directories whose .gitignore can apply to files in ``dirs``: each, and its
    ancestors up to the repository root (the first holding ``.git``)."""
    out: set[Path] = set()
    for d in dirs:
        p = d
        while True:
            if p in out:
                break
            out.add(p)
            if (p / ".git").exists() or p.parent == p:
                break
            p = p.parent
    return out


def load_rules(
    base: Path,
    targets: Targets,
    *,
    module_roots: Iterable[Path],
    globs: Iterable[str] = (),
    exts: Iterable[str] = (),
    sources: Mapping[Path, Iterable[Path]] | None = None,
) -> Rules:
    """Read the ``.gitignore`` files and the ``//go:embed`` patterns that apply to
    ``targets`` (``sources``: the ``.go`` files of each module, for the patterns)."""
    roots = tuple(sorted(set(module_roots)))
    gitignores: dict[Path, pathspec.GitIgnoreSpec] = {}
    for d in sorted(_gitignore_dirs(targets.go_dirs | set(roots))):
        try:
            text = (d / ".gitignore").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        gitignores[d] = pathspec.GitIgnoreSpec.from_lines(text.splitlines())
    embeds: list[Embed] = []
    for files in (sources or {}).values():
        for f in files:
            if f.name.endswith("_test.go"):
                continue
            try:
                with open(f, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            except OSError:
                continue
            for pat in embed_patterns(text):
                parts = tuple(x for x in pat.split("/") if x not in ("", "."))
                if parts and ".." not in parts:
                    embeds.append(Embed(f.parent, parts))
    return Rules(
        base=base,
        module_roots=roots,
        globs=tuple(globs),
        exts=frozenset(e for e in (_normalize_ext(x) for x in exts) if e),
        gitignores=gitignores,
        embeds=tuple(dict.fromkeys(embeds)),
    )


def classify(targets: Targets, rules: Rules, kind: ChangeKind, raw: Path) -> ChangeClass | None:
    """What a change on disk means to the runner (``None``: nothing)."""
    path = Path(os.path.normpath(raw))
    if is_ignored(path, kind):
        return None
    if path in targets.files or (
        path.name in MODFILES and (path.parent in targets.module_dirs or path.parent == rules.base)
    ):
        return "modfile"
    keys = targets.cache_keys(path)
    if keys is not None:
        return "cache" if keys else None
    is_dir = kind != "deleted" and path.is_dir()
    if rules.ignored(path, is_dir=is_dir):
        return None
    if path in targets.ancestors:
        return "dir"
    in_package = path.parent in targets.go_dirs
    if is_dir or (kind == "deleted" and in_package and path in targets.go_dirs):
        return "dir" if in_package else None
    if rules.wanted_file(path) and (in_package or any(e.matches(path) for e in rules.embeds)):
        return "source"
    return None
