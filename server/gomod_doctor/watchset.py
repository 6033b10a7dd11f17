"""What a workspace's build depends on, as places to watch: facts in, targets out.

The language server and ``gomod-doctor watch`` both watch exactly these:

* the workspace files (go.work, go.work.sum, each module's go.mod and go.sum): a flat
  root at their directory;
* every directory holding ``.go`` files of the workspace's modules (the packages,
  and the directories between them and the module root, whose new children may be
  new packages): a flat root each;
* the replacement and ``use`` directories (their go.mod);
* for each needed module version (when the module cache is watched), its download
  directory (flat) and its extracted directory (recursive, once it exists);
* the GOENV file's directory.

A directory that does not exist yet is watched at its nearest existing ancestor, and
the directories on the way (:attr:`Targets.ancestors`) say which new entries there
matter. Roots are narrow: never the whole GOMODCACHE, never a module recursively.

:func:`signature` is what the targets derive from: an edit whose facts give the same
signature keeps the previous targets (no stats).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gomod_doctor.cache import layout
from gomod_doctor.facts import Facts
from gomod_doctor.fswatch.roots import Root
from gomod_doctor.workspace.imports import ModuleImports

__all__ = ["Targets", "compute", "embed_patterns", "signature"]

Key = tuple[str, str]  # (module path, version)


@dataclass
class Targets:
    """What a workspace watches and what a change to it means."""

    signature: tuple[object, ...] = ()
    roots: set[Root] = field(default_factory=set)
    files: set[Path] = field(default_factory=set)  # workspace and replacement go.mod files
    go_dirs: set[Path] = field(default_factory=set)  # directories whose .go files count
    module_dirs: set[Path] = field(default_factory=set)  # workspace modules' roots
    cache: layout.CacheOwners = field(default_factory=layout.CacheOwners)
    ancestors: set[Path] = field(default_factory=set)  # dirs whose creation matters
    goenv: Path | None = None

    def cache_keys(self, path: Path) -> set[Key] | None:
        """The module versions a change under the module cache concerns (see
        :meth:`~gomod_doctor.cache.layout.CacheOwners.keys_for`)."""
        return self.cache.keys_for(path)


def signature(
    facts: Facts,
    wanted: Mapping[Key, bool],
    *,
    watch_cache: bool,
    client_folders: tuple[Path, ...] = (),
    sources: Mapping[Path, ModuleImports] | None = None,
) -> tuple[object, ...]:
    return (
        frozenset(wanted),
        frozenset(facts.dirs),
        frozenset(f.path for f in facts.snapshot.files()),
        frozenset((d, tuple(i.package_dirs)) for d, i in facts.imports.items()),
        facts.env.GOMODCACHE,
        facts.env.GOENV,
        watch_cache,
        client_folders,
        frozenset((d, tuple(i.package_dirs)) for d, i in (sources or {}).items()),
    )


def _under(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def compute(
    facts: Facts,
    wanted: Mapping[Key, bool],
    *,
    watch_cache: bool,
    client_folders: tuple[Path, ...] = (),
    prev: Targets | None = None,
    sources: Mapping[Path, ModuleImports] | None = None,
) -> Targets:
    """The targets of a workspace. ``wanted`` are the needed module versions (their
    cache entries are watched when ``watch_cache``); under ``client_folders`` someone
    else (an editor) watches the workspace files and packages, so no root is added
    there. ``sources`` are more modules whose packages are watched (e.g. the
    replacement directories, for a runner that rebuilds from them). ``prev`` is
    returned as is when the signature is unchanged."""
    sig = signature(
        facts, wanted, watch_cache=watch_cache, client_folders=client_folders, sources=sources
    )
    if prev is not None and prev.signature == sig:
        return prev  # an edit that changed nothing watched: spare the stats
    t = Targets(signature=sig)

    def client_covers(p: Path) -> bool:
        return _under(p, client_folders)

    existing: dict[Path, Path | None] = {}  # the nearest existing ancestor, memoized

    def nearest(d: Path) -> Path | None:
        if d in existing:
            return existing[d]
        try:
            found: Path | None = d if d.is_dir() else None
        except OSError:
            found = None
        if found is None and d.parent != d:
            found = nearest(d.parent)
        existing[d] = found
        return found

    def flat_at(d: Path) -> None:
        """A flat root at ``d``, or at its nearest existing ancestor (whose new
        children on the way to ``d`` then matter)."""
        found = nearest(d)
        if found is not None:
            t.roots.add(Root(found, False))
        t.ancestors.add(d)
        p = d
        while p != found and p.parent != p:
            p = p.parent
            if p == found:
                break
            t.ancestors.add(p)

    # workspace files and the directories of the .go files
    for f in facts.snapshot.files():
        p = Path(os.path.normpath(f.path))
        t.files.add(p)
        if not client_covers(p):
            flat_at(p.parent)
    for mod_dir, imports in {**facts.imports, **(sources or {})}.items():
        t.module_dirs.add(mod_dir)
        dirs = {mod_dir}
        for rel in imports.package_dirs:
            d = mod_dir / rel if rel else mod_dir
            dirs.add(d)
            dirs.update(a for a in d.parents if mod_dir in a.parents)
        t.go_dirs |= dirs
        if not client_covers(mod_dir):
            for d in dirs:
                t.roots.add(Root(d, False))

    # replacement and use directories: their go.mod
    for d in facts.dirs:
        t.files.add(d / "go.mod")
        t.ancestors.add(d)
        if not client_covers(d):
            flat_at(d)

    # the module cache entries of the needed module versions
    gomodcache = facts.env.GOMODCACHE
    if gomodcache and watch_cache:
        cache = Path(os.path.normpath(gomodcache))
        for key in wanted:
            try:
                files = t.cache.add(str(cache), key[0], key[1])
            except (ValueError, OSError):
                continue
            ext = Path(files.extracted_dir)
            t.ancestors.add(ext)
            if ext.is_dir():
                t.roots.add(Root(ext, True))
            flat_at(ext.parent)
            flat_at(Path(files.download_dir))
    # the GOENV file
    genv = facts.env.GOENV
    if genv and genv != "off" and os.path.isabs(genv):
        g = Path(os.path.normpath(genv))
        t.goenv = g
        flat_at(g.parent)
    return t


_EMBED = re.compile(r"^[ \t]*//go:embed[ \t]+(.*)$", re.MULTILINE)
_EMBED_ARG = re.compile(r'"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+)')


def embed_patterns(source: str) -> list[str]:
    """The patterns of the ``//go:embed`` directives in a ``.go`` file's text (go's
    syntax: space-separated, double- or back-quoted when they hold spaces; an ``all:``
    prefix kept off)."""
    out: list[str] = []
    if "//go:embed" not in source:
        return out
    for m in _EMBED.finditer(source):
        for a in _EMBED_ARG.finditer(m.group(1)):
            pat = a.group(1) if a.group(1) is not None else a.group(2) or a.group(3) or ""
            if a.group(1) is not None:
                pat = re.sub(r"\\(.)", r"\1", pat)
            pat = pat.removeprefix("all:")
            if pat:
                out.append(pat)
    return out
