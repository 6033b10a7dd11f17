"""Module paths and versions (a port of golang.org/x/mod/module's module.go).

Three kinds of path are checked, from strictest to loosest: module paths
(:func:`check_path`), import paths (:func:`check_import_path`) and file paths
(:func:`check_file_path`). Errors are exceptions whose ``str()`` is exactly the
``Error()`` text of the corresponding Go error, so messages can be compared with
what the go command prints. Every exception raised here is a ``ValueError``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from gomod_doctor.module import semver
from gomod_doctor.module.goquote import go_bytes, go_quote, go_quote_rune, is_valid_utf8
from gomod_doctor.module.match import match_prefix_patterns

__all__ = [
    "InvalidPathError",
    "InvalidVersionError",
    "ModuleError",
    "ModuleVersion",
    "canonical_version",
    "check",
    "check_file_path",
    "check_import_path",
    "check_path",
    "check_path_major",
    "is_standard_import_path",
    "match_path_major",
    "match_prefix_patterns",
    "path_major_prefix",
    "sort_module_versions",
    "split_path_version",
    "version_error",
]

PathKind = Literal["module", "import", "file"]


def _as_error(err: Exception | str) -> Exception:
    return ValueError(err) if isinstance(err, str) else err


@dataclass(frozen=True)
class ModuleVersion:
    """A module path and version (Go's ``module.Version``); version may be empty."""

    path: str
    version: str = ""

    def __str__(self) -> str:
        return f"{self.path}@{self.version}" if self.version else self.path


class InvalidVersionError(ValueError):
    """A problem with a version alone (``module.InvalidVersionError``).

    ``str()`` is ``version "v2.0.0" invalid: <err>`` (``pseudo-version`` when
    ``pseudo``). A :class:`ModuleError` may wrap one, never the reverse.
    """

    def __init__(
        self, version: str, pseudo: bool = False, err: Exception | str | None = None
    ) -> None:
        if err is None:
            raise TypeError("InvalidVersionError needs err")
        super().__init__(version, pseudo, err)
        self.version = version
        self.pseudo = pseudo
        self.err: Exception = _as_error(err)

    def noun(self) -> str:
        return "pseudo-version" if self.pseudo else "version"

    def __str__(self) -> str:
        return f"{self.noun()} {go_quote(self.version)} invalid: {self.err}"

    def __repr__(self) -> str:
        return f"InvalidVersionError({self.version!r}, pseudo={self.pseudo!r}, err={self.err!r})"


class InvalidPathError(ValueError):
    """A module, import or file path that breaks the naming rules (``module.InvalidPathError``).

    ``str()`` is ``malformed <kind> path "<path>": <err>``.
    """

    def __init__(self, kind: str, path: str, err: Exception | str) -> None:
        super().__init__(kind, path, err)
        self.kind = kind
        self.path = path
        self.err: Exception = _as_error(err)

    def __str__(self) -> str:
        return f"malformed {self.kind} path {go_quote(self.path)}: {self.err}"

    def __repr__(self) -> str:
        return f"InvalidPathError({self.kind!r}, {self.path!r}, {self.err!r})"


class ModuleError(ValueError):
    """An error about one module, or one module version (``module.ModuleError``).

    ``str()`` is ``<path>@<version>: invalid version: <reason>`` when ``err`` is an
    :class:`InvalidVersionError` (its version is used), ``<path>@<version>: <err>``
    when ``version`` is set, and ``module <path>: <err>`` otherwise.
    """

    def __init__(self, path: str, version: str = "", err: Exception | str | None = None) -> None:
        if err is None:
            raise TypeError("ModuleError needs err")
        super().__init__(path, version, err)
        self.path = path
        self.version = version
        self.err: Exception = _as_error(err)

    def __str__(self) -> str:
        e = self.err
        if isinstance(e, InvalidVersionError):
            return f"{self.path}@{e.version}: invalid {e.noun()}: {e.err}"
        if self.version:
            return f"{self.path}@{self.version}: {e}"
        return f"module {self.path}: {e}"

    def __repr__(self) -> str:
        return f"ModuleError({self.path!r}, {self.version!r}, {self.err!r})"


def _unwrap(err: Exception) -> Exception | None:
    inner = getattr(err, "err", None)
    return inner if isinstance(inner, Exception) else None


def version_error(path: str, version: str, err: Exception) -> Exception:
    """``module.VersionError``: ``err`` itself if it already is a :class:`ModuleError`
    for this path and version (anywhere in its ``.err`` chain), else a new one wrapping it."""
    e: Exception | None = err
    while e is not None:
        if isinstance(e, ModuleError):
            if e.path == path and e.version == version:
                return err
            break
        e = _unwrap(e)
    return ModuleError(path, version, err)


# --- character classes -------------------------------------------------------


def _first_path_ok(c: str) -> bool:
    """Allowed in the first element (a lower-case LDH domain name)."""
    return c == "-" or c == "." or "0" <= c <= "9" or "a" <= c <= "z"


def _mod_path_ok(c: str) -> bool:
    """Allowed in a module path element: ASCII letters, digits and ``-._~``."""
    return c in "-._~" or "0" <= c <= "9" or "A" <= c <= "Z" or "a" <= c <= "z"


def _import_path_ok(c: str) -> bool:
    return _mod_path_ok(c) or c == "+"


_FILE_PUNCT_OK = "!#$%&()+,-.=@[]^_{}~ "


def _file_name_ok(c: str) -> bool:
    if c < "\x80":
        return "0" <= c <= "9" or "A" <= c <= "Z" or "a" <= c <= "z" or c in _FILE_PUNCT_OK
    # Beyond ASCII only letters (Go's unicode.IsLetter: categories Lu Ll Lt Lm Lo).
    return c.isalpha()


#: Elements made only of ASCII characters each kind allows (what the checks below
#: accept character by character).
_ELEM_CHARS = {
    "module": re.compile(r"[-._~0-9A-Za-z]*"),
    "import": re.compile(r"[-._~+0-9A-Za-z]*"),
    "file": re.compile(r"[0-9A-Za-z" + re.escape(_FILE_PUNCT_OK) + r"]*"),
}

_BAD_WINDOWS_NAMES = (
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
)


def _is_reserved_windows_name(short: str) -> bool:
    # Go compares with strings.EqualFold. The reserved names hold no letter whose
    # case partners leave ASCII (as K and S do: KELVIN SIGN, LONG S), so only an
    # ASCII ``short`` can fold to one of them.
    return short.isascii() and short.upper() in _BAD_WINDOWS_NAMES


# --- path checks ---------------------------------------------------------------


def _check_elem(elem: str, kind: PathKind) -> str | None:
    """Why one path element is not allowed, or ``None``."""
    if not elem:
        return "empty path element"
    if elem.count(".") == len(elem):
        return f"invalid path element {go_quote(elem)}"
    if elem[0] == "." and kind == "module":
        return "leading dot in path element"
    if elem[-1] == ".":
        return "trailing dot in path element"
    if _ELEM_CHARS[kind].fullmatch(elem) is None:  # (the usual all-ASCII case at C speed)
        ok = {"module": _mod_path_ok, "import": _import_path_ok, "file": _file_name_ok}[kind]
        for c in elem:
            if not ok(c):
                return f"invalid char {go_quote_rune(c)}"
    short = elem.split(".", 1)[0]
    if _is_reserved_windows_name(short):
        return f"{go_quote(short)} disallowed as path element component on Windows"
    if kind == "file":
        # Windows short names (FOO~1) only matter for import paths.
        return None
    tilde = short.rfind("~")
    if 0 <= tilde < len(short) - 1 and all("0" <= c <= "9" for c in short[tilde + 1 :]):
        return "trailing tilde and digits in path element"
    return None


@functools.lru_cache(maxsize=16384)
def _check_path(path: str, kind: PathKind) -> str | None:
    """Why ``path`` is not a valid path of ``kind``, or ``None`` (Go's ``checkPath``)."""
    if not is_valid_utf8(path):
        return "invalid UTF-8"
    if not path:
        return "empty string"
    if path[0] == "-" and kind != "file":
        return "leading dash"
    if "//" in path:
        return "double slash"
    if path[-1] == "/":
        return "trailing slash"
    for elem in path.split("/"):
        err = _check_elem(elem, kind)
        if err is not None:
            return err
    return None


@functools.lru_cache(maxsize=16384)
def _module_path_error(path: str) -> str | None:
    err = _check_path(path, "module")
    if err is not None:
        return err
    i = path.find("/")
    if i < 0:
        i = len(path)
    if i == 0:
        return "leading slash"
    first = path[:i]
    if "." not in first:
        return "missing dot in first path element"
    if path[0] == "-":
        return "leading dash in first path element"
    for c in first:
        if not _first_path_ok(c):
            return f"invalid char {go_quote_rune(c)} in first path element"
    if not split_path_version(path)[2]:
        return "invalid version"
    return None


def check_path(path: str) -> None:
    """Raise :class:`InvalidPathError` (kind ``"module"``) unless ``path`` is a valid module path.

    A module path is an import path whose first element is a lower-case domain
    name with a dot (no leading dash), whose elements do not start with a dot,
    and whose ``/vN`` or gopkg.in ``.vN`` suffix, if any, is well formed.
    """
    err = _module_path_error(path)
    if err is not None:
        raise InvalidPathError("module", path, err)


def check_import_path(path: str) -> None:
    """Raise :class:`InvalidPathError` (kind ``"import"``) unless ``path`` is a valid import path."""
    err = _check_path(path, "import")
    if err is not None:
        raise InvalidPathError("import", path, err)


def check_file_path(path: str) -> None:
    """Raise :class:`InvalidPathError` (kind ``"file"``) unless ``path`` is a valid
    slash-separated file path (as in a module zip)."""
    err = _check_path(path, "file")
    if err is not None:
        raise InvalidPathError("file", path, err)


def is_standard_import_path(path: str) -> bool:
    """Whether ``path`` looks like a standard-library import path (no dot in its
    first element), as the go command's ``search.IsStandardImportPath`` decides."""
    return "." not in path.split("/", 1)[0]


def check(path: str, version: str) -> None:
    """``module.Check``: ``path`` must be a valid module path, ``version`` a valid
    semantic version, and the version's major must suit the path (``/v2`` wants v2.x.x).

    Raises :class:`InvalidPathError` for a bad path, else :class:`ModuleError`.
    """
    check_path(path)
    if not semver.is_valid(version):
        raise ModuleError(path, "", InvalidVersionError(version, False, "not a semantic version"))
    _, path_major, _ = split_path_version(path)
    try:
        check_path_major(version, path_major)
    except InvalidVersionError as err:
        raise ModuleError(path, "", err) from None


# --- major versions ------------------------------------------------------------


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def split_path_version(path: str) -> tuple[str, str, bool]:
    """Split ``path`` into (prefix, path major, ok) with ``prefix + path_major == path``.

    The path major is ``""`` or ``/vN`` with N >= 2; gopkg.in paths use ``.vN``
    (any N, optionally followed by ``-unstable``) and must have one. ``ok`` is
    false for a malformed suffix such as ``/v1``, ``/v0`` or ``/v1.2``.
    """
    if path.startswith("gopkg.in/"):
        return _split_gopkg_in(path)
    i = len(path)
    dot = False
    while i > 0 and (_is_digit(path[i - 1]) or path[i - 1] == "."):
        if path[i - 1] == ".":
            dot = True
        i -= 1
    if i <= 1 or i == len(path) or path[i - 1] != "v" or path[i - 2] != "/":
        return path, "", True
    prefix, path_major = path[: i - 2], path[i - 2 :]
    if dot or len(path_major) <= 2 or path_major[2] == "0" or path_major == "/v1":
        return path, "", False
    return prefix, path_major, True


def _split_gopkg_in(path: str) -> tuple[str, str, bool]:
    if not path.startswith("gopkg.in/"):
        return path, "", False
    i = len(path)
    if path.endswith("-unstable"):
        i -= len("-unstable")
    while i > 0 and _is_digit(path[i - 1]):
        i -= 1
    if i <= 1 or path[i - 1] != "v" or path[i - 2] != ".":
        return path, "", False
    prefix, path_major = path[: i - 2], path[i - 2 :]
    if len(path_major) <= 2 or (path_major[2] == "0" and path_major != ".v0"):
        return path, "", False
    return prefix, path_major, True


def check_path_major(v: str, path_major: str) -> None:
    """Raise :class:`InvalidVersionError` unless version ``v`` suits ``path_major``.

    ``""`` allows v0, v1 and ``+incompatible``; ``/vN`` and ``.vN`` want vN. As in
    Go, ``v0.0.0-`` pseudo-versions are allowed for gopkg.in ``.v1``.
    """
    if path_major.startswith(".v") and path_major.endswith("-unstable"):
        path_major = path_major[: -len("-unstable")]
    if v.startswith("v0.0.0-") and path_major == ".v1":
        return  # an old pseudo-version bug, still found in the wild
    m = semver.major(v)
    want = path_major
    if path_major == "":
        if m in ("v0", "v1") or semver.build(v) == "+incompatible":
            return
        want = "v0 or v1"
    elif path_major[0] in "/.":
        if m == path_major[1:]:
            return
        want = path_major[1:]
    raise InvalidVersionError(v, False, f"should be {want}, not {m}")


def match_path_major(v: str, path_major: str) -> bool:
    """Whether :func:`check_path_major` accepts ``v`` for ``path_major``."""
    try:
        check_path_major(v, path_major)
    except InvalidVersionError:
        return False
    return True


def path_major_prefix(path_major: str) -> str:
    """The major-version tag prefix ``path_major`` implies (``"/v2"`` -> ``"v2"``; ``""`` -> ``""``).

    Raises ``ValueError`` where Go panics (no separator, or not a major version).
    """
    if not path_major:
        return ""
    if path_major[0] not in "/.":
        raise ValueError(f"pathMajor suffix {path_major} passed to PathMajorPrefix lacks separator")
    if path_major.startswith(".v") and path_major.endswith("-unstable"):
        path_major = path_major[: -len("-unstable")]
    m = path_major[1:]
    if m != semver.major(m):
        raise ValueError(
            f"pathMajor suffix {path_major}passed to PathMajorPrefix is not a valid major version"
        )
    return m


def canonical_version(v: str) -> str:
    """:func:`semver.canonical`, except that a ``+incompatible`` suffix is kept."""
    cv = semver.canonical(v)
    if semver.build(v) == "+incompatible":
        cv += "+incompatible"
    return cv


# --- sorting -------------------------------------------------------------------


def _compare_module_versions(a: ModuleVersion, b: ModuleVersion) -> int:
    if a.path != b.path:
        pa, pb = go_bytes(a.path), go_bytes(b.path)
        return -1 if pa < pb else 1
    vi, vj = a.version, b.version
    fi = fj = ""
    k = vi.find("/")
    if k >= 0:
        vi, fi = vi[:k], vi[k:]
    k = vj.find("/")
    if k >= 0:
        vj, fj = vj[:k], vj[k:]
    if vi != vj:
        return semver.compare(vi, vj)
    return -1 if fi < fj else (1 if fi > fj else 0)


def sort_module_versions(versions: list[ModuleVersion]) -> list[ModuleVersion]:
    """A sorted copy (``module.Sort``): by path, then by semver, with a ``/file``
    suffix on the version (``v1.2.3/go.mod``) breaking ties by string order."""
    return sorted(versions, key=functools.cmp_to_key(_compare_module_versions))
