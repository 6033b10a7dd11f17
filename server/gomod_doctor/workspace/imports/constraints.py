"""Build constraints no build satisfies (``//go:build ignore`` and the like), as
``go/build/constraint`` evaluates them."""

from __future__ import annotations

from gomod_doctor.workspace.imports.reader import _BOM, _SKIP

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
