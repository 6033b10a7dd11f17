"""go.mod meaning: the syntax tree interpreted as directives (golang.org/x/mod/modfile, rule.go).

:func:`parse_mod` is ``modfile.Parse(file, data, nil)`` (what ``go mod edit -json``
runs), or ``modfile.ParseLax`` with ``lax=True``. Unlike go it never fails as a
whole: every error is collected (see :class:`ModfileError`) and every statement
that is valid on its own stays in the model, so a file with errors still yields a
partial :class:`ModFile`. :func:`mod_to_json` gives exactly what
``go mod edit -json`` prints for a file go accepts.

The model is :mod:`.model`, the JSON :mod:`.modjson`; this module re-exports
both. What stays here is rule.go's parsing half (strings and versions, the
directives, the errors), one cohesive unit as in x/mod.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from gomod_doctor.gostrings import fields, trim_space
from gomod_doctor.modfile.model import (
    ErrorsMixin,
    Exclude,
    Godebug,
    GoStmt,
    Ignore,
    ModFile,
    ModuleStmt,
    Replace,
    Require,
    Retract,
    Tool,
    ToolchainStmt,
)
from gomod_doctor.modfile.model import _ModRef as _ModRef
from gomod_doctor.modfile.modjson import (
    dedup_replaces,
    json_text,
    mod_to_json,
    replace_json,
    version_json,
)
from gomod_doctor.modfile.syntax import (
    Comment,
    FileSyntax,
    Line,
    LineBlock,
    ModfileError,
    parse_syntax,
)
from gomod_doctor.module import paths
from gomod_doctor.module.goquote import go_quote, is_print
from gomod_doctor.module.paths import ModuleVersion, canonical_version
from gomod_doctor.position import Range

__all__ = [
    "ErrorsMixin",
    "Exclude",
    "GoStmt",
    "Godebug",
    "Ignore",
    "ModFile",
    "ModfileError",
    "ModuleStmt",
    "ModuleVersion",
    "Replace",
    "Require",
    "Retract",
    "Tool",
    "ToolchainStmt",
    "auto_quote",
    "canonical_version",
    "dedup_replaces",
    "go_unquote",
    "is_directory_path",
    "json_text",
    "mod_to_json",
    "must_quote",
    "parse_mod",
    "replace_json",
    "version_json",
]

GO_VERSION_RE = re.compile(r"([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?")
_LAX_GO_VERSION_RE = re.compile(r"v?(([1-9][0-9]*)\.(0|[1-9][0-9]*))([^0-9].*)")
TOOLCHAIN_RE = re.compile(r"default\Z|go1(\Z|\.)")
_DEPRECATED_RE = re.compile(r"(?s)(?:^|\n\n)Deprecated: *(.*?)(?:\Z|\n\n)")


# ---------------------------------------------------------------------------
# Strings and versions


class RuleError(Exception):
    """An error without position: go's ``Error{Verb, ModPath, Err}`` or a plain error."""

    def __init__(self, text: str, verb: str = "", mod_path: str = "") -> None:
        super().__init__(text)
        self.text = text
        self.verb = verb
        self.mod_path = mod_path

    def full(self) -> str:
        if self.mod_path:
            return f"{self.verb} {self.mod_path}: {self.text}"
        if self.verb:
            return f"{self.verb}: {self.text}"
        return self.text


_SIMPLE = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}
_HEX = "0123456789abcdefABCDEF"


def go_unquote(s: str) -> str | None:
    """``strconv.Unquote``: the value of a Go string literal, or None if invalid.

    Bytes that do not form valid UTF-8 (from ``\\x`` or octal escapes) are returned
    as lone surrogates (``surrogateescape``).
    """
    if len(s) < 2:
        return None
    quote = s[0]
    end = s.find(quote, 1)
    if end < 0:
        return None
    if quote == "`":
        if end != len(s) - 1:
            return None
        return s[1:end].replace("\r", "")
    if quote not in "\"'":
        return None
    body = s[1:]
    buf = bytearray()
    i = 0
    n = len(body)
    while i < n and body[i] != quote:
        c = body[i]
        if c == "\n":
            return None
        if c != "\\":
            if "\ud800" <= c <= "\udfff":
                c = "\ufffd"
            buf += c.encode("utf-8")
            i += 1
        else:
            if i + 1 >= n:
                return None
            e = body[i + 1]
            i += 2
            if e in _SIMPLE:
                buf.append(_SIMPLE[e])
            elif e in "xuU":
                k = {"x": 2, "u": 4, "U": 8}[e]
                digits = body[i : i + k]
                if len(digits) < k or any(d not in _HEX for d in digits):
                    return None
                i += k
                v = int(digits, 16)
                if e == "x":
                    buf.append(v)
                else:
                    if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
                        return None
                    buf += chr(v).encode("utf-8")
            elif e in "01234567":
                digits = body[i : i + 2]
                if len(digits) < 2 or any(d not in "01234567" for d in digits):
                    return None
                i += 2
                v = int(e + digits, 8)
                if v > 255:
                    return None
                buf.append(v)
            elif e in "'\"":
                if e != quote:
                    return None
                buf.append(ord(e))
            else:
                return None
        if quote == "'":
            break
    if not (i < n and body[i] == quote):
        return None
    if i + 1 != n:
        return None
    return buf.decode("utf-8", "surrogateescape")


def parse_string(tok: str) -> str:
    """rule.go's ``parseString``: unquote a token, rejecting stray quotes."""
    if tok.startswith('"'):
        t = go_unquote(tok)
        if t is None:
            raise RuleError("invalid syntax")
        return t
    if any(q in tok for q in "\"'`"):
        raise RuleError("unquoted string cannot contain quote")
    return tok


def must_quote(s: str) -> bool:
    """Whether ``s`` must be quoted to be one token in a go.mod line."""
    for c in s:
        if c in " \"'`":
            return True
        if c in "()[]{},":
            if len(s) > 1:
                return True
        elif not is_print(c) and not ("\ud800" <= c <= "\udfff"):
            return True  # (a lone surrogate stands for a byte go reads as printable U+FFFD)
    return s == "" or "//" in s or "/*" in s


def auto_quote(s: str) -> str:
    """``s``, quoted Go-style if it could not stand as a single token."""
    return go_quote(s) if must_quote(s) else s


def _invalid_version(version: str, err: str) -> str:
    return f"version {go_quote(version)} invalid: {err}"


def _parse_version(verb: str, path: str, tok: str, *, fix: bool = False) -> str:
    try:
        t = parse_string(tok)
    except RuleError as e:
        raise RuleError(_invalid_version(tok, e.text), verb, path) from None
    if fix:  # retract: versions are taken as written
        return t
    cv = canonical_version(t)
    if cv == "":
        raise RuleError(_invalid_version(t, "must be of the form v1.2.3"), verb, path)
    return cv


def _module_path_major(path: str) -> str:
    _, major, ok = paths.split_path_version(path)
    if not ok:
        raise RuleError("invalid module path")
    return major


def _check_path_major(verb: str, path: str, v: str, path_major: str) -> None:
    try:
        paths.check_path_major(v, path_major)
    except paths.InvalidVersionError as e:
        raise RuleError(str(e), verb, path) from None


def is_directory_path(ns: str) -> bool:
    """Whether a replacement path is a directory (rooted, or starting with . or ..)."""
    return (
        ns in (".", "..")
        or ns.startswith(("./", ".\\", "../", "..\\", "/", "\\"))
        or (len(ns) >= 2 and ns[0].isascii() and ns[0].isalpha() and ns[1] == ":")
    )


def parse_replace(verb: str, args: list[str]) -> tuple[str, str, str, str]:
    arrow = 1 if len(args) >= 2 and args[1] == "=>" else 2
    if len(args) < arrow + 2 or len(args) > arrow + 3 or args[arrow] != "=>":
        raise RuleError(
            f"usage: {verb} module/path [v1.2.3] => other/module v1.4\n"
            f"\t or {verb} module/path [v1.2.3] => ../local/directory"
        )
    try:
        s = parse_string(args[0])
    except RuleError as e:
        raise RuleError(f"invalid quoted string: {e.text}") from None
    try:
        path_major = _module_path_major(s)
    except RuleError as e:
        raise RuleError(e.text, verb, s) from None
    v = ""
    if arrow == 2:
        v = _parse_version(verb, s, args[1])
        _check_path_major(verb, s, v, path_major)
    try:
        ns = parse_string(args[arrow + 1])
    except RuleError as e:
        raise RuleError(f"invalid quoted string: {e.text}") from None
    nv = ""
    if len(args) == arrow + 2:
        if not is_directory_path(ns):
            if "@" in ns:
                raise RuleError(
                    "replacement module must match format 'path version', not 'path@version'"
                )
            raise RuleError(
                "replacement module without version must be directory path "
                "(rooted or starting with . or ..)"
            )
        if "\\" in ns:
            raise RuleError(
                "replacement directory appears to be Windows path (on a non-windows system)"
            )
    if len(args) == arrow + 3:
        nv = _parse_version(verb, ns, args[arrow + 2])
        if is_directory_path(ns):
            raise RuleError(f"replacement module directory path {go_quote(ns)} cannot have version")
    return s, v, ns, nv


def _parse_version_interval(verb: str, args: list[str]) -> tuple[str, str, list[str]]:
    toks = args
    if not toks or toks[0] == "(":
        raise RuleError("expected '[' or version")
    if toks[0] != "[":
        v = _parse_version(verb, "", toks[0], fix=True)
        return v, v, toks[1:]
    toks = toks[1:]
    if not toks:
        raise RuleError("expected version after '['")
    low = _parse_version(verb, "", toks[0], fix=True)
    toks = toks[1:]
    if not toks or toks[0] != ",":
        raise RuleError("expected ',' after version")
    toks = toks[1:]
    if not toks:
        raise RuleError("expected version after ','")
    high = _parse_version(verb, "", toks[0], fix=True)
    toks = toks[1:]
    if not toks or toks[0] != "]":
        raise RuleError("expected ']' after version")
    return low, high, toks[1:]


def directive_comment(block: LineBlock | None, line: Line) -> str:
    """The text of the comments on a directive (or on its block, if it has none)."""
    comments = line.comments
    if block is not None and not comments.before and not comments.suffix:
        comments = block.comments
    lines: list[str] = []
    group: list[Comment]
    for group in (comments.before, comments.suffix):
        for c in group:
            if not c.token.startswith("//"):
                continue
            lines.append(trim_space(c.token[2:]))
    return "\n".join(lines)


def parse_deprecation(block: LineBlock | None, line: Line) -> str:
    """The ``Deprecated:`` paragraph of a module directive's comments, or ""."""
    m = _DEPRECATED_RE.search(directive_comment(block, line))
    return m.group(1) if m else ""


def is_indirect(line: Line) -> bool:
    """Whether the line has a ``// indirect`` comment."""
    if not line.comments.suffix:
        return False
    f = fields(line.comments.suffix[0].token.removeprefix("//"))
    return (len(f) == 1 and f[0] == "indirect") or (len(f) > 1 and f[0] == "indirect;")


# ---------------------------------------------------------------------------
# Parsing


def line_error(fs: FileSyntax, line: Line, e: RuleError) -> ModfileError:
    return ModfileError(fs.name, line.range, e.full(), e.verb, e.mod_path)


def block_error(fs: FileSyntax, block: LineBlock, text: str) -> ModfileError:
    end = block.lparen.span()[1]
    return ModfileError(fs.name, Range(block.start, end), text)


def add_go_like(f: Any, verb: str, args: list[str], line: Line, *, strict: bool = True) -> None:
    """The go/toolchain/godebug directives, common to go.mod and go.work."""
    if verb == "go":
        if f.go is not None:
            raise RuleError("repeated go statement")
        if len(args) != 1:
            raise RuleError("go directive expects exactly one argument")
        version = args[0]
        if not GO_VERSION_RE.fullmatch(version):
            m = None if strict else _LAX_GO_VERSION_RE.fullmatch(version)
            if m is None:
                raise RuleError(f"invalid go version '{version}': must match format 1.23.0")
            version = m.group(1)
        f.go = GoStmt(version, line)
    elif verb == "toolchain":
        if f.toolchain is not None:
            raise RuleError("repeated toolchain statement")
        if len(args) != 1:
            raise RuleError("toolchain directive expects exactly one argument")
        if not TOOLCHAIN_RE.match(args[0]):
            raise RuleError(
                f"invalid toolchain version '{args[0]}': must match format go1.23.0 or default"
            )
        f.toolchain = ToolchainStmt(args[0], line)
    elif verb == "godebug":
        if len(args) != 1 or any(q in args[0] for q in "\"`',"):
            raise RuleError("usage: godebug key=value")
        key, eq, value = args[0].partition("=")
        if not eq:
            raise RuleError("usage: godebug key=value")
        f.godebug.append(Godebug(key, value, line))
    else:  # pragma: no cover - callers only pass the three verbs
        raise RuleError(f"unknown directive: {verb}")


@lru_cache(maxsize=16384)  # a large go.mod is parsed again on every edit
def _module_version(verb: str, path_tok: str, version_tok: str) -> tuple[str, str]:
    """The module path and canonical version of a ``require``/``exclude`` line's two
    tokens; raises :class:`RuleError` as go words it."""
    try:
        s = parse_string(path_tok)
    except RuleError as e:
        raise RuleError(f"invalid quoted string: {e.text}") from None
    v = _parse_version(verb, s, version_tok)
    _check_path_major(verb, s, v, _module_path_major(s))
    return s, v


def _add(
    f: ModFile, block: LineBlock | None, line: Line, verb: str, args: list[str], strict: bool
) -> None:
    if not strict and verb not in ("go", "module", "retract", "require", "ignore"):
        return
    if verb in ("go", "toolchain", "godebug"):
        add_go_like(f, verb, args, line, strict=strict)
    elif verb == "module":
        if f.module is not None:
            raise RuleError("repeated module statement")
        f.module = ModuleStmt("", parse_deprecation(block, line), line)
        if len(args) != 1:
            raise RuleError("usage: module module/path")
        try:
            f.module.path = parse_string(args[0])
        except RuleError as e:
            raise RuleError(f"invalid quoted string: {e.text}") from None
    elif verb in ("require", "exclude"):
        if len(args) != 2:
            raise RuleError(f"usage: {verb} module/path v1.2.3")
        s, v = _module_version(verb, args[0], args[1])
        if verb == "require":
            f.require.append(Require(ModuleVersion(s, v), is_indirect(line), line))
        else:
            f.exclude.append(Exclude(ModuleVersion(s, v), line))
    elif verb == "replace":
        old, ov, new, nv = parse_replace(verb, args)
        f.replace.append(Replace(old, ov, new, nv, line))
    elif verb == "retract":
        rationale = directive_comment(block, line)
        try:
            low, high, rest = _parse_version_interval(verb, args)
        except RuleError:
            if strict:
                raise
            return
        if rest and strict:
            raise RuleError(f"unexpected token after version: {go_quote(rest[0])}")
        f.retract.append(Retract(low, high, rationale, line))
    elif verb in ("tool", "ignore"):
        if len(args) != 1:
            raise RuleError(f"{verb} directive expects exactly one argument")
        try:
            s = parse_string(args[0])
        except RuleError as e:
            raise RuleError(f"invalid quoted string: {e.text}") from None
        if verb == "tool":
            f.tool.append(Tool(s, line))
        else:
            f.ignore.append(Ignore(s, line))
    else:
        raise RuleError(f"unknown directive: {verb}")


_MOD_BLOCK_VERBS = (
    "module",
    "godebug",
    "require",
    "exclude",
    "replace",
    "retract",
    "tool",
    "ignore",
)


def finish_errors(fs: FileSyntax, rule_errors: list[ModfileError]) -> list[ModfileError]:
    """Syntax and rule errors together, ordered by position, marked with what go prints."""
    if fs.errors:
        rule_errors = [
            ModfileError(e.filename, e.range, e.message, e.verb, e.mod_path, go_reports=False)
            for e in rule_errors
        ]
    return sorted([*fs.errors, *rule_errors], key=lambda e: e.range.start.offset)


def parse_mod(text: str, filename: str = "go.mod", *, lax: bool = False) -> ModFile:
    """Parse go.mod text (``modfile.Parse``, or ``modfile.ParseLax`` if ``lax``). Never raises."""
    fs = parse_syntax(text, filename)
    f = ModFile(fs)
    strict = not lax
    errs: list[ModfileError] = []
    for x in fs.stmts:
        if isinstance(x, Line):
            try:
                _add(f, None, x, x.tokens[0].text, x.token[1:], strict)
            except RuleError as e:
                errs.append(line_error(fs, x, e))
        elif isinstance(x, LineBlock):
            verb = x.verb
            if len(x.tokens) > 1 or verb not in _MOD_BLOCK_VERBS:
                if strict:
                    errs.append(block_error(fs, x, f"unknown block type: {' '.join(x.token)}"))
                continue
            for line in x.lines:
                try:
                    _add(f, x, line, verb, line.token, strict)
                except RuleError as e:
                    errs.append(line_error(fs, line, e))
    f.errors = finish_errors(fs, errs)
    return f
