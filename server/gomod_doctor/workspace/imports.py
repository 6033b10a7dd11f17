"""Which packages a workspace imports, and which modules may provide them.

The I/O edge that reads ``.go`` files. Four layers:

- :func:`read_imports` reads the import declarations at the top of one Go file,
  exactly as the go command's import reader does (``cmd/go/internal/imports/read.go``,
  a copy of ``go/build/read.go``): package clause, then ``import`` declarations,
  stopping at the first other declaration. It never raises: on a syntax error it
  keeps the imports read before it, as ``imports.ReadImports`` does for the module
  loader.
- :func:`scan_module_imports` walks one module's directory tree the way
  ``go list ./...`` does (``cmd/go/internal/modload/search.go``, ``matchPackages``)
  and reads every ``.go`` file, build constraints NOT evaluated (every file counts,
  as with ``go/build.Context.UseAllFiles``).
- :func:`modules_for_import` / :func:`needed_modules`: the modules of the build list
  the go command must look inside to resolve an import (``modload/import.go``,
  ``importFromModules``).
- :func:`transitive_imports`: the packages of the build list's modules that the
  workspace's imports reach, read as the go command's loader reads a dependency
  (non-test files only), and the modules their imports need in turn.

Differences from the go command, by design:

- Build constraints (``//go:build``, ``_GOOS``/``_GOARCH`` file names, cgo) are not
  evaluated. ``go mod tidy`` evaluates every tag as both true and false *except*
  ``ignore`` (``imports.AnyTags``), so files tagged ``//go:build ignore`` are the one
  case where we count imports tidy does not. In dependencies' packages
  (:func:`transitive_imports`) such files are left out, as every go command does.
- The module loader (``modload.scanDir``) drops ``"C"`` and the ``appengine`` imports; we
  keep them (all in ``std_imports``).
- Only the files of the module's own packages are read. The go command also
  loads packages the module's packages import from the same module wherever they
  are; a package in a directory the walk skips (``_x``, ``testdata``, an ignored
  directory) that is nevertheless imported is not read here.
"""

from __future__ import annotations

import os
import re
import stat
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, TypeVar

from gomod_doctor.modfile.rules import go_unquote
from gomod_doctor.module.goquote import go_bytes
from gomod_doctor.module.paths import check_import_path, is_standard_import_path

__all__ = [
    "BuildModule",
    "ImportSite",
    "ImportSpec",
    "ModuleImports",
    "TransitiveImports",
    "modules_for_import",
    "needed_modules",
    "never_built",
    "read_imports",
    "read_imports_file",
    "scan_module_imports",
    "transitive_imports",
]

# --- reading one file's imports ------------------------------------------------------

_BOM = b"\xef\xbb\xbf"
# Spaces, semicolons (the reader treats them as spaces) and complete comments.
_SKIP = re.compile(rb"(?:[ \t\r\n\f;]+|//[^\n]*|/\*.*?\*/)*", re.S)
# read.go's isIdent: ASCII letters, digits, '_' and every byte >= 0x80.
_IDENT = re.compile(rb"[A-Za-z0-9_\x80-\xff]+")
# The body of an interpreted string: a backslash escapes any byte, even a newline.
_INTERPRETED = re.compile(rb'"(?:[^"\\\n]|\\.)*', re.S)
# A complete, well-formed import spec: spaces and comments, an optional name, spaces
# and comments, a string literal. ``(?=(x))\1`` makes x atomic (no backtracking into
# a comment could then read its text as a name or a path).
_FAST_SPEC = re.compile(
    rb"(?=(?P<s1>(?:[ \t\r\n\f;]+|//[^\n]*|/\*.*?\*/)*))(?P=s1)"
    rb"(?:(?P<name>\.|(?=(?P<id>[A-Za-z0-9_\x80-\xff]+))(?P=id)))?"
    rb"(?=(?P<s2>(?:[ \t\r\n\f;]+|//[^\n]*|/\*.*?\*/)*))(?P=s2)"
    rb'(?P<lit>"(?:[^"\\\n]|\\.)*"|`[^`]*`)',
    re.S,
)
_NAME = _FAST_SPEC.groupindex["name"]
_LIT = _FAST_SPEC.groupindex["lit"]


class ImportSpec(NamedTuple):
    """One import spec of a Go file.

    ``line`` and ``column`` (both 1-based, the column counting bytes as Go's
    ``token.Position`` does) are those of the path's string literal. ``name`` is
    the import's name as written (``"."``, ``"_"``, an identifier) or ``None``.
    """

    path: str
    line: int
    column: int = 1
    name: str | None = None


def _is_ident_byte(c: int) -> bool:
    return c >= 0x80 or c == 0x5F or 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _unquote(lit: bytes) -> str | None:
    """``strconv.Unquote`` of a literal the reader accepted (so no raw newline in an
    interpreted string); invalid UTF-8 of a raw string stays as lone surrogates."""
    body = lit[1:-1]
    if lit[0] == 0x60:
        return body.replace(b"\r", b"").decode("utf-8", "surrogateescape")
    if b"\\" not in body:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return go_unquote(lit.decode("utf-8", "surrogateescape"))


class _Reader:
    """read.go's importReader over an in-memory buffer.

    ``hit_end`` records whether the reader looked at (or past) the end of the
    buffer, i.e. whether more input could have changed the result.
    """

    __slots__ = ("data", "hit_end", "line", "line_pos", "n", "specs")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.n = len(data)
        self.hit_end = False
        self.line = 1
        self.line_pos = 0
        self.specs: list[ImportSpec] = []

    def skip(self, pos: int) -> int | None:
        """peekByte(true): the position of the next significant byte, or None at the
        end of the input or on a syntax error (a stray ``/`` or an open comment)."""
        m = _SKIP.match(self.data, pos)
        assert m is not None  # the pattern matches the empty string
        pos = m.end()
        if pos >= self.n:
            self.hit_end = True
            return None
        if self.data[pos] == 0x2F:  # '/' not starting a complete comment
            if pos + 1 >= self.n or self.data[pos + 1] == 0x2A:  # unterminated /*
                self.hit_end = True
            return None
        return pos

    def keyword(self, pos: int, kw: bytes) -> int | None:
        """readKeyword at an already skipped position: the position after it, or None."""
        end = pos + len(kw)
        if self.data[pos:end] != kw:
            if end > self.n and kw.startswith(self.data[pos:]):
                self.hit_end = True
            return None
        if end >= self.n:
            self.hit_end = True
            return end
        if _is_ident_byte(self.data[end]):
            return None
        return end

    def ident(self, pos: int) -> int | None:
        """readIdent at an already skipped position: the position after it, or None."""
        m = _IDENT.match(self.data, pos)
        if m is None:
            return None
        if m.end() >= self.n:
            self.hit_end = True
        return m.end()

    def record(self, pos: int, end: int, name: str | None) -> None:
        """Record the literal ``data[pos:end]`` (scan.go skips what Unquote rejects)."""
        path = _unquote(self.data[pos:end])
        if path is None:
            return
        data = self.data
        self.line += data.count(b"\n", self.line_pos, pos)
        self.line_pos = pos
        column = pos - data.rfind(b"\n", 0, pos)
        self.specs.append(ImportSpec(path, self.line, column, name))

    def string(self, pos: int, name: str | None) -> int | None:
        """readString: record the spec, return the position after the literal or None."""
        data = self.data
        q = data[pos]
        if q == 0x60:  # `raw`
            end = data.find(b"`", pos + 1)
            if end < 0:
                self.hit_end = True
                return None
            end += 1
        elif q == 0x22:  # "interpreted"
            m = _INTERPRETED.match(data, pos)
            assert m is not None
            end = m.end()
            if end >= self.n or data[end] != 0x22:
                if end >= self.n or data[end] != 0x0A:
                    self.hit_end = True  # ends in the middle of the literal
                return None
            end += 1
        else:
            return None
        self.record(pos, end, name)
        return end

    def import_spec(self, pos: int) -> int | None:
        """readImport: ``[name] "path"`` from ``pos`` (spaces and comments first)."""
        m = _FAST_SPEC.match(self.data, pos)
        if m is not None:  # the common, well-formed case in one step
            name_bytes = m.group("name")
            name = None if name_bytes is None else name_bytes.decode("utf-8", "replace")
            self.record(m.start("lit"), m.end(), name)
            return m.end()
        p = self.skip(pos)
        if p is None:
            return None
        return self.slow_import_spec(p)

    def slow_import_spec(self, pos: int) -> int | None:
        """readImport at an already skipped position, noting errors and the input's end."""
        data = self.data
        name: str | None = None
        if data[pos] == 0x2E:  # '.'
            name = "."
            pos += 1
        elif _is_ident_byte(data[pos]):
            end = self.ident(pos)
            assert end is not None
            name = data[pos:end].decode("utf-8", "replace")
            pos = end
        p = self.skip(pos)
        if p is None:
            return None
        return self.string(p, name)

    def read(self) -> None:
        """readGoInfo / ReadImports: the package clause, then import declarations."""
        data = self.data
        fast = _FAST_SPEC.match
        pos = self.skip(0)
        if pos is None:
            return
        pos = self.keyword(pos, b"package")
        if pos is None:
            return
        p = self.skip(pos)
        if p is None:
            return
        pos = self.ident(p)
        if pos is None:
            return
        while True:
            p = self.skip(pos)
            if p is None or data[p] != 0x69:  # 'i'
                return
            pos = self.keyword(p, b"import")
            if pos is None:
                return
            p = self.skip(pos)
            if p is None:
                return
            if data[p] == 0x28:  # '('
                pos = p + 1
                specs = self.specs
                while True:
                    m = fast(data, pos)
                    if m is not None:  # import_spec and record inlined: the hot loop
                        lit_pos = m.start(_LIT)
                        pos = m.end()
                        if data[lit_pos] == 0x22 and 0x5C not in data[lit_pos:pos]:
                            try:
                                path: str | None = data[lit_pos + 1 : pos - 1].decode()
                            except UnicodeDecodeError:
                                path = _unquote(data[lit_pos:pos])
                        else:
                            path = _unquote(data[lit_pos:pos])
                        if path is not None:
                            self.line += data.count(b"\n", self.line_pos, lit_pos)
                            self.line_pos = lit_pos
                            name_bytes = m.group(_NAME)
                            specs.append(
                                ImportSpec(
                                    path,
                                    self.line,
                                    lit_pos - data.rfind(b"\n", 0, lit_pos),
                                    None
                                    if name_bytes is None
                                    else name_bytes.decode("utf-8", "replace"),
                                )
                            )
                        continue
                    p = self.skip(pos)
                    if p is None:
                        return
                    if data[p] == 0x29:  # ')'
                        pos = p + 1
                        break
                    q = self.slow_import_spec(p)
                    if q is None:
                        return
                    pos = q
            else:
                pos = self.import_spec(p)
                if pos is None:
                    return


def _read(data: bytes) -> _Reader:
    if data.startswith(_BOM):  # as newImportReader does
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:  # the reader stops with "unexpected NUL in input"
        data = data[:nul]
    r = _Reader(data)
    r.read()
    return r


def read_imports(src: bytes | str) -> list[ImportSpec]:
    """The import specs of a Go source file, in order (``import "C"`` included).

    Reads like the go command: only the package clause and the import declarations
    after it; a syntax error ends the reading, keeping what was read before it.
    A ``str`` stands for the file's bytes (lone surrogates for non-UTF-8 bytes,
    see :mod:`gomod_doctor.module.goquote`). Never raises.
    """
    data = go_bytes(src) if isinstance(src, str) else src
    return _read(data).specs


_CHUNK = 4096


def _read_fd(fd: int, size: int) -> bytes:
    parts: list[bytes] = []
    while size > 0:
        b = os.read(fd, size)
        if not b:
            break
        parts.append(b)
        size -= len(b)
    return b"".join(parts)


def _read_head(path: str | os.PathLike[str]) -> tuple[bytes, list[ImportSpec]]:
    """The bytes read of a file (its head, or all of it when the import section may go
    on past the head) and their import specs. Raises ``OSError``."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        data = _read_fd(fd, _CHUNK)
        if len(data) < _CHUNK:
            return data, _read(data).specs
        r = _read(data)
        if not r.hit_end:
            return data, r.specs
        # The import section may go on past the chunk: read the whole file.
        rest = [data]
        while True:
            b = os.read(fd, 1 << 16)
            if not b:
                break
            rest.append(b)
        data = b"".join(rest)
        return data, _read(data).specs
    finally:
        os.close(fd)


def read_imports_file(path: str | os.PathLike[str]) -> list[ImportSpec]:
    """:func:`read_imports` of a file, reading only its head when that suffices.

    Raises ``OSError`` if the file cannot be read.
    """
    return _read_head(path)[1]


# --- walking a module ------------------------------------------------------------------


class ImportSite(NamedTuple):
    """Where a package is imported: a file and the 1-based line and byte column of
    the import's path literal.

    Sites in the workspace's own files (:func:`scan_module_imports`) have only those.
    Sites in a dependency's files (:func:`transitive_imports`) also say which package
    is imported (``package``), which package imports it (``importer``, its import
    path) and the version of the importer's module in the build list
    (``importer_version``): what the go command's messages name.
    """

    file: Path
    line: int
    column: int = 1
    package: str | None = None
    importer: str | None = None
    importer_version: str = ""

    @property
    def test(self) -> bool:
        """Whether the import is in a test file (only ``go test`` and ``go mod tidy``
        need it, not ``go build``)."""
        return self.file.name.endswith("_test.go")

    @property
    def transitive(self) -> bool:
        """Whether the import is in a dependency's file, not the workspace's."""
        return self.importer is not None


@dataclass
class ModuleImports:
    """What the ``.go`` files of one module import.

    ``imports`` maps each import path that is not a standard-library path (whose
    first element has a dot, see :func:`is_standard_import_path`) to its sites, in
    walk order; ``std_imports`` holds the others, ``"C"`` included. A required
    module may still have a dotless path (with a ``replace``), so callers resolving
    imports against such a build list should look at both.

    ``package_dirs`` are the slash-separated directories (relative to ``root``,
    ``""`` for the root) holding at least one ``.go`` file: the module's packages.
    ``files`` are the ``.go`` files read, in walk order.
    """

    root: Path
    imports: dict[str, list[ImportSite]] = field(default_factory=dict)
    std_imports: dict[str, list[ImportSite]] = field(default_factory=dict)
    package_dirs: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def package_paths(self, module_path: str) -> set[str]:
        """The import paths of the module's packages, given its module path."""
        return {f"{module_path}/{d}" if d else module_path for d in self.package_dirs}

    def all_imports(self) -> dict[str, list[ImportSite]]:
        """``imports`` and ``std_imports`` together."""
        return {**self.std_imports, **self.imports}


def _normalize(p: str) -> str:
    """search.go's normalizePath: ``/p/``."""
    p = p.replace(os.sep, "/")
    if not p.startswith("/"):
        p = "/" + p
    if not p.endswith("/"):
        p += "/"
    return p


class _IgnorePatterns:
    """``search.IgnorePatterns``: go.mod ``ignore`` directives (Go 1.25+)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.relative: list[str] = []
        self.anywhere: list[str] = []
        for pat in patterns:
            if pat.startswith("./"):
                self.relative.append(_normalize(pat[2:]))
            else:
                self.anywhere.append(_normalize(pat))

    def __bool__(self) -> bool:
        return bool(self.relative or self.anywhere)

    def should_ignore(self, rel_dir: str) -> bool:
        if not rel_dir:
            return False
        d = _normalize(rel_dir)
        return any(d.startswith(p) for p in self.relative) or any(p in d for p in self.anywhere)


def _is_regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def scan_module_imports(module_dir: Path, *, ignore: Iterable[str] = ()) -> ModuleImports:
    """Read the imports of every ``.go`` file of the module rooted at ``module_dir``.

    The walk is ``go list ./...``'s (``modload.matchPackages``):

    - files: names ending in ``.go`` not starting with ``.`` or ``_``, regular files
      or symlinks to regular files; build constraints are not evaluated;
    - directories named ``testdata`` or starting with ``.`` or ``_`` are skipped
      with their subtrees, as are those matched by ``ignore`` (the paths of the
      go.mod's ``ignore`` directives, ``[i.path for i in mod.ignore]``) and nested
      modules (a ``go.mod`` file inside);
    - a directory named ``vendor`` is a package of its own (``go list ./...`` lists
      ``m/vendor``) but its subdirectories are skipped;
    - symlinks to directories are not followed (``filepath.WalkDir`` does not),
      except ``module_dir`` itself.

    Unreadable directories and files are recorded in ``errors``; never raises.
    """
    root = os.path.abspath(module_dir)
    result = ModuleImports(Path(root))
    ignores = _IgnorePatterns(ignore)
    by_path: dict[str, list[ImportSite]] = {}

    # (absolute dir, slash-separated dir relative to root, whether to descend)
    stack: list[tuple[str, str, bool]] = [(root, "", True)]
    while stack:
        dir_path, rel, descend = stack.pop()
        try:
            with os.scandir(dir_path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            result.errors.append(f"{dir_path}: {e.strerror or e}")
            continue
        subdirs: list[tuple[str, str, bool]] = []
        go_files: list[str] = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if not descend or name[0] in "._" or name == "testdata":
                    continue
                sub_rel = f"{rel}/{name}" if rel else name
                if ignores and ignores.should_ignore(sub_rel):
                    continue
                sub_path = os.path.join(dir_path, name)
                if _is_regular_file(os.path.join(sub_path, "go.mod")):
                    continue  # another module
                subdirs.append((sub_path, sub_rel, name != "vendor"))
            elif name.endswith(".go") and name[0] not in "._":
                try:
                    if not entry.is_file(follow_symlinks=True):
                        continue
                except OSError:
                    continue
                go_files.append(name)
        if go_files:
            result.package_dirs.append(rel)
        for name in go_files:
            file_path = os.path.join(dir_path, name)
            try:
                specs = read_imports_file(file_path)
            except OSError as e:
                result.errors.append(f"{file_path}: {e.strerror or e}")
                continue
            p = Path(file_path)
            result.files.append(p)
            for ip, line, column, _ in specs:
                sites = by_path.get(ip)
                if sites is None:
                    by_path[ip] = [ImportSite(p, line, column)]
                else:
                    sites.append(ImportSite(p, line, column))
        stack.extend(reversed(subdirs))
    for ip, sites in by_path.items():
        (result.std_imports if is_standard_import_path(ip) else result.imports)[ip] = sites
    return result


# --- which modules are needed ----------------------------------------------------------

_META_PACKAGES = frozenset({"std", "cmd", "tool", "work", "all"})
_TOOLCHAIN_PATHS = frozenset({"go", "toolchain"})


def _resolvable(import_path: str) -> bool:
    """Whether ``importFromModules`` looks for ``import_path`` in modules at all: it
    rejects ``@``, relative, absolute and meta-package paths, ``"C"`` and malformed
    import paths before looking."""
    if (
        "@" in import_path
        or import_path in (".", "..", "C")
        or import_path.startswith(("./", "../", "/"))
        or import_path in _META_PACKAGES
    ):
        return False
    try:
        check_import_path(import_path)
    except ValueError:
        return False
    return True


def modules_for_import(import_path: str, module_paths: Iterable[str]) -> list[str]:
    """Every module path of the build list that may provide ``import_path``, longest
    first: those equal to it or a prefix of it followed by ``/``.

    The go command cannot stop at the longest match: ``importFromModules``
    (``modload/import.go``) fetches *every* such module (its zip, extracted into the
    module cache, and its go.sum line) and checks whether the package's directory
    exists in it. More than one hit is an ``ambiguous import`` error; a candidate
    that cannot be fetched fails the import even when another candidate provides
    the package; a missing go.sum line for any candidate is a "missing go.sum
    entry" error. So all candidates are needed, not just the one that wins.

    The synthetic ``go`` and ``toolchain`` modules never provide packages, and
    import paths the go command rejects before looking (``"C"``, relative, with
    ``@``, malformed) have no candidates.
    """
    if not _resolvable(import_path):
        return []
    paths = module_paths if isinstance(module_paths, (set, frozenset)) else set(module_paths)
    found: list[str] = []
    prefix = import_path
    while True:
        if prefix in paths and prefix not in _TOOLCHAIN_PATHS:
            found.append(prefix)
        i = prefix.rfind("/")
        if i < 0:
            return found
        prefix = prefix[:i]


_Site = TypeVar("_Site")


def needed_modules(
    imports: Mapping[str, Iterable[_Site]],
    module_paths: Iterable[str],
    *,
    main_modules: Iterable[str] = (),
) -> dict[str, list[_Site]]:
    """The modules of the build list whose contents the go command needs to resolve
    ``imports`` (import path -> sites), each with the sites that need it.

    Every candidate of :func:`modules_for_import` counts. The main modules (the
    workspace's own, ``main_modules``) are on disk already and are left out, but an
    import inside a main module's path still needs any *other* module whose path is
    a prefix of it (a nested module, or a module enclosing the main module's path).
    """
    mains = set(main_modules)
    paths = {p for p in module_paths if p not in mains}
    needed: dict[str, list[_Site]] = {}
    if not paths:
        return needed
    for import_path, sites in imports.items():
        candidates = modules_for_import(import_path, paths)
        if not candidates:
            continue
        site_list = list(sites)
        for mod in candidates:
            needed.setdefault(mod, []).extend(site_list)
    return needed


# --- build constraints no build satisfies ------------------------------------------------

# A constraint's value under the go command's ``imports.AnyTags()`` for both values of
# ``eval``'s ``prefer`` argument: (prefer=True, prefer=False). Every tag but ``ignore``
# takes the preferred value (so ``linux`` and ``!linux`` are both true); ``ignore`` is
# always false.
_Value = tuple[bool, bool]
_TAG: _Value = (True, False)
_IGNORE: _Value = (False, False)
_MAX_SIZE = 1000  # go/build/constraint's maxSize
_MAX_OLD_SIZE = 100  # and its limit for ``// +build`` lines


class _ConstraintError(Exception):
    """A build constraint the go command cannot parse."""


def _not(x: _Value) -> _Value:
    return (not x[1], not x[0])


def _and(x: _Value, y: _Value) -> _Value:
    return (x[0] and y[0], x[1] and y[1])


def _or(x: _Value, y: _Value) -> _Value:
    return (x[0] or y[0], x[1] or y[1])


def _is_tag_char(c: str) -> bool:
    return c.isalpha() or c.isdecimal() or c == "_" or c == "."


class _ExprParser:
    """go/build/constraint's exprParser, evaluating as it parses."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.tok = ""
        self.is_tag = False
        self.size = 0

    def parse(self) -> _Value:
        x = self.or_()
        if self.tok != "":
            raise _ConstraintError(f"unexpected token {self.tok}")
        return x

    def or_(self) -> _Value:
        x = self.and_()
        while self.tok == "||":
            x = _or(x, self.and_())
        return x

    def and_(self) -> _Value:
        x = self.not_()
        while self.tok == "&&":
            x = _and(x, self.not_())
        return x

    def not_(self) -> _Value:
        self.size += 1
        if self.size > _MAX_SIZE:
            raise _ConstraintError("build expression too large")
        self.lex()
        if self.tok == "!":
            self.lex()
            if self.tok == "!":
                raise _ConstraintError("double negation not allowed")
            return _not(self.atom())
        return self.atom()

    def atom(self) -> _Value:
        if self.tok == "(":
            x = self.or_()
            if self.tok != ")":
                raise _ConstraintError("missing close paren")
            self.lex()
            return x
        if not self.is_tag:
            raise _ConstraintError("unexpected token or end of expression")
        tag = self.tok
        self.lex()
        return _IGNORE if tag == "ignore" else _TAG

    def lex(self) -> None:
        s, n = self.s, len(self.s)
        self.is_tag = False
        while self.i < n and s[self.i] in " \t":
            self.i += 1
        if self.i >= n:
            self.tok = ""
            return
        c = s[self.i]
        if c in "()!":
            self.tok = c
            self.i += 1
            return
        if c in "&|":
            if self.i + 1 >= n or s[self.i + 1] != c:
                raise _ConstraintError(f"invalid syntax at {c}")
            self.tok = c + c
            self.i += 2
            return
        j = self.i
        while j < n and _is_tag_char(s[j]):
            j += 1
        if j == self.i:
            raise _ConstraintError(f"invalid syntax at {c}")
        self.tok = s[self.i : j]
        self.i = j
        self.is_tag = True


def _plus_build_value(text: str) -> _Value:
    """constraint.parsePlusBuildExpr: space-separated OR of comma-separated AND of
    optionally negated tags; a malformed literal reads as ``ignore``."""
    size = 0
    x: _Value | None = None
    for clause in text.split():
        y: _Value | None = None
        for lit in clause.split(","):
            if lit.startswith("!!") or lit == "!":
                z = _IGNORE
            else:
                neg = lit.startswith("!")
                if neg:
                    lit = lit[1:]
                valid = bool(lit) and all(_is_tag_char(c) for c in lit)
                z = _IGNORE if not valid or lit == "ignore" else _TAG
                if neg:
                    z = _not(z)
            if y is None:
                y = z
            else:
                size += 1
                if size > _MAX_OLD_SIZE:
                    raise _ConstraintError("expression too complex for // +build lines")
                y = _and(y, z)
        assert y is not None
        if x is None:
            x = y
        else:
            size += 1
            if size > _MAX_OLD_SIZE:
                raise _ConstraintError("expression too complex for // +build lines")
            x = _or(x, y)
    return _IGNORE if x is None else x


def _is_go_build(line: bytes) -> bool:
    """imports.isGoBuildComment, of an already trimmed line."""
    if not line.startswith(b"//go:build"):
        return False
    rest = line[len(b"//go:build") :]
    return not rest or len(rest.lstrip()) < len(rest)


def _file_header(data: bytes) -> tuple[bytes, bytes | None] | None:
    """imports.parseFileHeader: the leading run of ``//`` comments and blank lines up to
    its last blank line (where ``// +build`` lines count) and the ``//go:build`` line;
    None for two ``//go:build`` lines (go then never builds the file)."""
    end = 0
    ended = False
    in_star = False
    go_build: bytes | None = None
    pos = 0
    n = len(data)
    while pos < n:
        nl = data.find(b"\n", pos)
        if nl < 0:
            line, pos = data[pos:], n
        else:
            line, pos = data[pos:nl], nl + 1
        line = line.strip()
        if not line and not ended:
            end = pos
            continue
        if not line.startswith(b"//"):
            ended = True
        if not in_star and _is_go_build(line):
            if go_build is not None:
                return None
            go_build = line
        while line:
            if in_star:
                i = line.find(b"*/")
                if i < 0:
                    break
                in_star = False
                line = line[i + 2 :].strip()
                continue
            if line.startswith(b"//"):
                break
            if line.startswith(b"/*"):
                in_star = True
                line = line[2:].strip()
                continue
            return data[:end], go_build  # non-comment text: the header is over
    return data[:end], go_build


def never_built(data: bytes) -> bool:
    """Whether no build ever uses a Go file with these leading bytes: its build constraint
    is false under ``imports.AnyTags()``, where every tag but ``ignore`` may be true or
    false (``//go:build ignore``, ``// +build ignore``), or is malformed (two
    ``//go:build`` lines, a ``//go:build`` line that does not parse), as go's
    ``imports.ShouldBuild`` decides. ``data`` must hold the whole header (the leading
    comments and the line after them).
    """
    if data.startswith(_BOM):
        data = data[3:]
    m = _SKIP.match(data)
    assert m is not None
    if b"build" not in data[: m.end()]:
        return False  # the common case: no constraint at all
    header = _file_header(data)
    if header is None:
        return True
    trimmed, go_build = header
    text: str
    if go_build is not None:
        text = go_build[len(b"//go:build") :].strip().decode("utf-8", "surrogateescape")
        try:
            return not _ExprParser(text).parse()[0]
        except _ConstraintError:
            return True
        except RecursionError:  # absurdly deep parentheses: count the file
            return False
    for raw in trimmed.split(b"\n"):
        line = raw.strip()
        if not line.startswith(b"//") or b"+build" not in line:
            continue
        rest = line[2:].strip()
        if not rest.startswith(b"+build"):
            continue
        rest = rest[len(b"+build") :]
        if rest and len(rest.lstrip()) == len(rest):
            continue  # "+buildx": not a constraint
        text = rest.strip().decode("utf-8", "surrogateescape")
        try:
            if not _plus_build_value(text)[0]:
                return True
        except _ConstraintError:
            continue  # go ignores a // +build line it cannot parse
    return False


# --- the transitive import graph -------------------------------------------------------


@dataclass(frozen=True)
class BuildModule:
    """A module of the build list, for :func:`transitive_imports`.

    ``version`` is the selected version of the module path (not a replacement's).
    ``dir`` is where its files are: the extracted dir in GOMODCACHE (of the module
    version, or of the module replacing it) or a directory replacement's directory;
    ``None``, or a directory that does not exist, means they are not on disk. ``local``
    marks a directory replacement: as in the go command's ``dirInModule``, a package
    below a nested ``go.mod`` inside a local tree is not the module's.
    """

    version: str
    dir: Path | None
    local: bool = False


@dataclass
class TransitiveImports:
    """The dependency packages a workspace's imports reach, and the modules they need.

    ``needed`` maps each module path to the import sites in *dependency* packages'
    files that need it (every :func:`modules_for_import` candidate of each import), in
    load order (breadth first from the workspace's imports); each site names the
    imported ``package``, its ``importer`` and the importer's module version. The
    workspace's own imports are not in it.

    ``providers`` maps every import path resolved (the workspace's and the
    dependencies') to the module providing it; ``importers`` maps each dependency
    package read to the package that first imported it (``None``: a workspace
    import), so :meth:`chain` gives the import stack. ``unread`` maps a module whose
    files are not on disk to the import paths that may be its packages: their
    imports could not be read (the go command would download the module first).
    """

    needed: dict[str, list[ImportSite]] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)
    importers: dict[str, str | None] = field(default_factory=dict)
    unread: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def packages(self) -> list[str]:
        """The dependency packages whose files were read, in load order."""
        return list(self.importers)

    def chain(self, package: str) -> list[str]:
        """The import stack from a workspace import down to ``package`` (which was
        read), first hop first: ``[imported by the workspace, ..., package]``."""
        out = [package]
        seen = {package}
        cur = self.importers.get(package)
        while cur is not None and cur not in seen:
            out.append(cur)
            seen.add(cur)
            cur = self.importers.get(cur)
        out.reverse()
        return out


class _PackageDir(NamedTuple):
    has_go: bool  # a .go file of any name: the directory is a package (fsys.IsGoDir)
    files: list[str]  # the files ScanDir reads, test files left out, sorted


def _list_package_dir(d: str) -> _PackageDir:
    """fsys.IsGoDir and imports.ScanDir's file selection, in one directory read."""
    try:
        with os.scandir(d) as it:
            entries = list(it)
    except OSError:
        return _PackageDir(False, [])
    has_go = False
    files: list[str] = []
    for e in entries:
        name = e.name
        if not name.endswith(".go"):
            continue
        try:
            regular = e.is_file(follow_symlinks=True)
        except OSError:
            continue
        if not regular:
            continue
        has_go = True
        if name[0] not in "._" and not name.endswith("_test.go"):
            files.append(name)
    files.sort()
    return _PackageDir(has_go, files)


def transitive_imports(
    direct: Iterable[str],
    build_list: Mapping[str, BuildModule],
    *,
    main_modules: Iterable[str] = (),
    observe: Callable[[str], None] | None = None,
) -> TransitiveImports:
    """The transitive import graph below the workspace's imports ``direct``, as the
    go command's package loader walks it for ``go build ./...`` and ``go test ./...``.

    ``direct`` are the import paths of the workspace's files (tests included: the
    workspace's tests are built by ``go test``); ``build_list`` maps each selected
    module path to its version and files; ``main_modules`` are the workspace's
    module paths (never needed: they are on disk; their packages' imports are the
    workspace's own, already in ``direct``).

    Each import path is resolved as ``modload.importFromModules`` does: every
    :func:`modules_for_import` candidate is needed, and the one whose directory for
    the package holds a ``.go`` file (any ``.go`` file, as ``fsys.IsGoDir``) provides
    it; with several (an ambiguous import, an error for go) the longest module path
    is followed. A provided package's files are then read as ``imports.ScanDir`` reads
    a dependency's: ``.go`` files not starting with ``.`` or ``_``, regular or
    symlinks to regular files, and not ``_test.go`` (tests of dependencies are not
    built by ``go build`` or ``go test``). Their imports are resolved in turn,
    breadth first; each package is read once.

    Build constraints are not evaluated: ``_GOOS``/``_GOARCH`` file names,
    ``//go:build linux``, ``import "C"`` with cgo off all count, so this
    over-approximates go, which evaluates them for the target GOOS/GOARCH (as
    ``go mod tidy`` does with every tag both true and false). The exception is a
    file no build ever uses (:func:`never_built`: ``//go:build ignore`` or a
    malformed constraint): go build, go test and go mod tidy all leave it out, and
    so do we (unlike :func:`scan_module_imports` for the workspace's own files).

    A module whose files are not on disk (not extracted in the module cache) stops
    the walk for the packages it may provide: go would download it first (and it is
    needed, so it is reported as missing). Those are in ``unread``. Never raises;
    unreadable files are in ``errors``.

    ``observe``, if given, is called with every path whose state the result depends
    on: each directory listed or tested, each ``go.mod`` looked for, each file read
    (what :mod:`gomod_doctor.workspace.graphmemo` keys a stored result by).
    """
    mains = set(main_modules)
    paths = frozenset(p for p in build_list if p not in mains)
    out = TransitiveImports()
    if not paths:
        return out
    listings: dict[str, _PackageDir] = {}
    gomod_at: dict[str, bool] = {}
    roots: dict[str, str | None] = {}
    candidates_of: dict[str, list[str]] = {}
    resolved: set[str] = set()
    queue: deque[tuple[str, str, str]] = deque()  # (package, its dir, its module)

    def root_of(mod: str) -> str | None:
        root = roots.get(mod, "")
        if root == "":
            d = build_list[mod].dir
            if d is not None and observe is not None:
                observe(os.path.abspath(d))
            root = os.path.abspath(d) if d is not None and os.path.isdir(d) else None
            roots[mod] = root
        return root

    def listing(d: str) -> _PackageDir:
        got = listings.get(d)
        if got is None:
            if observe is not None:
                observe(d)
            got = listings[d] = _list_package_dir(d)
        return got

    def nested_module(d: str, root: str) -> bool:
        while len(d) > len(root):
            has = gomod_at.get(d)
            if has is None:
                if observe is not None:
                    observe(os.path.join(d, "go.mod"))
                has = gomod_at[d] = _is_regular_file(os.path.join(d, "go.mod"))
            if has:
                return True
            d = os.path.dirname(d)
        return False

    def candidates(import_path: str) -> list[str]:
        got = candidates_of.get(import_path)
        if got is None:
            got = candidates_of[import_path] = modules_for_import(import_path, paths)
        return got

    def resolve(import_path: str, importer: str | None) -> None:
        """Find the module providing ``import_path`` and queue the package (once)."""
        resolved.add(import_path)
        unread: list[str] = []
        for mod in candidates(import_path):  # longest first
            root = root_of(mod)
            if root is None:
                unread.append(mod)
                continue
            rel = import_path[len(mod) + 1 :]
            d = os.path.join(root, *rel.split("/")) if rel else root
            if build_list[mod].local and rel and nested_module(d, root):
                continue
            if listing(d).has_go:
                out.providers[import_path] = mod
                out.importers[import_path] = importer
                queue.append((import_path, d, mod))
                return
        for mod in unread:
            out.unread.setdefault(mod, []).append(import_path)

    for import_path in direct:
        if import_path not in resolved:
            resolve(import_path, None)

    while queue:
        pkg, d, mod = queue.popleft()
        version = build_list[mod].version
        for name in listing(d).files:
            file = os.path.join(d, name)
            if observe is not None:
                observe(file)
            try:
                data, specs = _read_head(file)
            except OSError as e:
                out.errors.append(f"{file}: {e.strerror or e}")
                continue
            if not specs or never_built(data):
                continue
            file_path = Path(file)
            for spec in specs:
                ip = spec.path
                cands = candidates(ip)
                if not cands:
                    continue
                site = ImportSite(file_path, spec.line, spec.column, ip, pkg, version)
                for c in cands:
                    sites = out.needed.get(c)
                    if sites is None:
                        out.needed[c] = [site]
                    else:
                        sites.append(site)
                if ip not in resolved:
                    resolve(ip, pkg)
    return out
