"""go.mod / go.work syntax: text to a positioned tree (golang.org/x/mod/modfile, read.go).

The tree keeps every token with its exact :class:`~gomod_doctor.position.Range`
and every comment, attached the way the go command attaches them: whole-line
comments go *before* the statement (or block line, or closing paren) that follows
them, end-of-line comments become the *suffix* of the syntax they follow.

Go's parser stops at its first syntax error. This parser records that error
exactly as go reports it (same text, same ``line:col``) and then resynchronises at
the next line, so that one bad line never hides the rest of the file: the result
is a partial tree plus every syntax error found, the first being go's.

Columns count characters (go's ``LineRune``), never bytes.

One cohesive unit, over the size guide: x/mod's modfile/read.go (the lexer, the
parser and the comment assignment share the input's state), kept whole so that it
reads beside go's.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field

from gomod_doctor.gostrings import GO_SPACE
from gomod_doctor.module.goquote import go_quote_rune
from gomod_doctor.position import Position, Range, line_starts, position_at

__all__ = [
    "Comment",
    "CommentBlock",
    "Comments",
    "FileSyntax",
    "LParen",
    "Line",
    "LineBlock",
    "ModfileError",
    "RParen",
    "Stmt",
    "Token",
    "is_ident_char",
    "parse_syntax",
]


# ---------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class ModfileError:
    """One error in a go.mod or go.work file, worded as the go command words it.

    ``pos`` is the position go reports, ``range.start == pos``; ``message`` is the
    text after go's ``file:line[:col]: `` prefix (including any ``verb path: ``
    directive prefix) and :attr:`go_text` is the whole line go prints.
    ``go_reports`` tells whether go itself prints this error: go prints only the
    first syntax error, and rule errors only when there is no syntax error.
    """

    filename: str
    range: Range
    message: str
    verb: str = ""
    mod_path: str = ""
    syntax: bool = False
    go_reports: bool = True

    @property
    def pos(self) -> Position:
        return self.range.start

    @property
    def go_text(self) -> str:
        p = self.range.start
        if p.col > 1:
            prefix = f"{self.filename}:{p.line}:{p.col}: "
        elif p.line > 0:
            prefix = f"{self.filename}:{p.line}: "
        elif self.filename:
            prefix = f"{self.filename}: "
        else:
            prefix = ""
        return prefix + self.message


# ---------------------------------------------------------------------------
# Tree


@dataclass(frozen=True)
class Comment:
    """A ``//`` comment. ``token`` is its text without the line end; a blank line
    kept inside a block is represented, as in go, by a comment with empty token."""

    start: Position
    token: str
    suffix: bool = False

    @property
    def range(self) -> Range:
        end = Position(
            self.start.line, self.start.col + len(self.token), self.start.offset + len(self.token)
        )
        return Range(self.start, end)

    @property
    def text(self) -> str:
        """The comment's text after ``//``, trimmed."""
        return self.token.removeprefix("//").strip()


@dataclass
class Comments:
    before: list[Comment] = field(default_factory=list)
    suffix: list[Comment] = field(default_factory=list)
    after: list[Comment] = field(default_factory=list)


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is ``"ident"``, ``"string"`` or the punctuation itself."""

    text: str
    range: Range
    kind: str = "ident"


@dataclass(eq=False)
class Line:
    """A single line of tokens. In a block, ``tokens`` excludes the block's verb."""

    tokens: list[Token]
    start: Position
    end: Position
    in_block: bool = False
    comments: Comments = field(default_factory=Comments)
    # The enclosing block, held weakly: a strong reference back would make every
    # parsed block a reference cycle, left for the (slow, full) garbage collection
    # instead of being freed as soon as the tree is dropped.
    _block: weakref.ref[LineBlock] | None = field(default=None, repr=False)

    @property
    def block(self) -> LineBlock | None:
        """The block this line is in (while its tree is alive), or None."""
        return self._block() if self._block is not None else None

    @block.setter
    def block(self, value: LineBlock | None) -> None:
        self._block = weakref.ref(value) if value is not None else None

    @property
    def token(self) -> list[str]:
        return [t.text for t in self.tokens]

    @property
    def verb(self) -> str:
        """The directive: the block's verb for a line in a block, else the first token."""
        if self.block is not None:
            return self.block.tokens[0].text if self.block.tokens else ""
        return self.tokens[0].text if self.tokens else ""

    @property
    def range(self) -> Range:
        return Range(self.start, self.end)

    def span(self) -> tuple[Position, Position]:
        return self.start, self.end


@dataclass(eq=False)
class LParen:
    pos: Position
    comments: Comments = field(default_factory=Comments)

    def span(self) -> tuple[Position, Position]:
        return self.pos, _after(self.pos)


@dataclass(eq=False)
class RParen:
    """The closing paren. ``pos`` is None when the block is unterminated (a syntax
    error); ``missing_at`` then holds the end of file."""

    pos: Position | None
    comments: Comments = field(default_factory=Comments)
    missing_at: Position | None = None

    def span(self) -> tuple[Position, Position]:
        if self.pos is None:
            at = self.missing_at or Position()
            return at, at
        return self.pos, _after(self.pos)


@dataclass(eq=False)
class LineBlock:
    """A factored block ``verb ( ... )``."""

    tokens: list[Token]
    start: Position
    lparen: LParen
    lines: list[Line] = field(default_factory=list)
    rparen: RParen = field(default_factory=lambda: RParen(None))
    comments: Comments = field(default_factory=Comments)

    @property
    def token(self) -> list[str]:
        return [t.text for t in self.tokens]

    @property
    def verb(self) -> str:
        return self.tokens[0].text if self.tokens else ""

    def span(self) -> tuple[Position, Position]:
        return self.start, self.rparen.span()[1]

    @property
    def range(self) -> Range:
        return Range(*self.span())


@dataclass(eq=False)
class CommentBlock:
    """A run of whole-line comments not attached to a statement."""

    start: Position
    comments: Comments = field(default_factory=Comments)

    def span(self) -> tuple[Position, Position]:
        return self.start, self.start


Stmt = Line | LineBlock | CommentBlock


@dataclass(eq=False)
class FileSyntax:
    name: str
    text: str
    stmts: list[Stmt] = field(default_factory=list)
    comments: Comments = field(default_factory=Comments)
    errors: list[ModfileError] = field(default_factory=list)
    eof: Position = field(default_factory=Position)
    _starts: list[int] | None = field(default=None, repr=False)

    def lines(self) -> list[Line]:
        """Every statement line, in order (block lines included)."""
        out: list[Line] = []
        for s in self.stmts:
            if isinstance(s, Line):
                out.append(s)
            elif isinstance(s, LineBlock):
                out.extend(s.lines)
        return out

    def position(self, offset: int) -> Position:
        """The position of character ``offset`` in :attr:`text`."""
        if self._starts is None:
            self._starts = line_starts(self.text)
        return position_at(self.text, offset, self._starts)


def _after(p: Position) -> Position:
    return Position(p.line, p.col + 1, p.offset + 1)


# ---------------------------------------------------------------------------
# Character classes (Go's unicode.IsSpace / unicode.IsPrint)


def _go_trim_space_empty(s: str) -> bool:
    return all(c in GO_SPACE for c in s)


def is_ident_char(c: str) -> bool:
    """Whether ``c`` may appear in an unquoted token (read.go's ``isIdent``)."""
    if c in " ()[]{},":
        return False
    if "\ud800" <= c <= "\udfff":
        return True  # a byte of invalid UTF-8: go decodes it as U+FFFD, a printable rune
    return c not in GO_SPACE and c.isprintable()


# ---------------------------------------------------------------------------
# Lexer

_EOF = "EOF"
_EOLCOMMENT = "EOLCOMMENT"
_IDENT = "ident"
_STRING = "string"
_COMMENT = "COMMENT"
_ERROR = "ERROR"
_PUNCT = "\n()[]{},"
# ASCII identifier characters: printable, not space, punctuation or '/' (checked apart).
_ASCII_IDENT_RUN = re.compile(r"[!-'*-+\--.0-Z\\^-z|~]+")


# The rest of a block line after its first token, when it is plain: ASCII tokens
# (not starting with a quote) after spaces or tabs, an optional end-of-line comment,
# and the newline (or the end of the text). read_token would make exactly these
# tokens of it; parse_line takes them in one match (most lines of a large require
# block look like this, and go.mod is parsed again on every edit).
_PLAIN_TOKEN = r"""(?!["`])(?:[!-'*-+\--.0-Z\\^-z|~]|/(?![/*]))+"""
_PLAIN_REST = re.compile(rf"((?:[ \t]+{_PLAIN_TOKEN})*)[ \t\r]*(//[^\r\n]*)?(\r?\n|\Z)")
_PLAIN_TOKENS = re.compile(_PLAIN_TOKEN)
# The first token of the next line, when plain and followed by what ends a token.
_PLAIN_FIRST = re.compile(rf"[ \t]*({_PLAIN_TOKEN})(?=[ \t\r\n]|//|\Z)")
#: whether parse_line may take plain lines in one match (tests compare both ways)
FAST_LINES = True


def _is_eol(kind: str) -> bool:
    return kind in (_EOF, _EOLCOMMENT, "\n")


@dataclass
class _Tok:
    kind: str
    pos: Position
    end: Position
    text: str
    resume: int = 0  # for _ERROR tokens: where to resynchronise


class _SyntaxErr(Exception):
    def __init__(self, pos: Position, msg: str, resume: int, end: Position | None = None) -> None:
        super().__init__(msg)
        self.pos = pos
        self.msg = msg
        self.resume = resume
        self.end = end if end is not None else pos


class _Parser:
    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.n = len(text)
        self.filename = filename
        self.starts = line_starts(text)
        self.i = 0
        self.line = 1
        self.col = 1
        self.suffix_comments: list[Comment] = []
        self.tok = _Tok(_EOF, Position(), Position(), "")
        self.file = FileSyntax(filename, text, _starts=self.starts)

    # -- lexer -------------------------------------------------------------

    def _pos(self) -> Position:
        return Position(self.line, self.col, self.i)

    def _read(self) -> str:
        c = self.text[self.i]
        self.i += 1
        if c == "\n":
            self.line += 1
            self.col = 1
        else:
            self.col += 1
        return c

    def _next_line(self, offset: int) -> int:
        j = self.text.find("\n", offset)
        return self.n if j < 0 else j + 1

    def _lex_error(self, pos: Position, msg: str, resume: int, end: Position | None = None) -> None:
        self.tok = _Tok(_ERROR, pos, end or pos, msg, resume)

    def _skip(self, k: int) -> None:
        """Advance over ``k`` characters that contain no newline."""
        self.i += k
        self.col += k

    def read_token(self) -> None:
        text = self.text
        n = self.n
        while self.i < n:
            c = text[self.i]
            if c in " \t\r":
                self._skip(1)
                continue
            if text.startswith("//", self.i):
                start = self._pos()
                nl = text.rfind("\n", 0, self.i)
                suffix = not _go_trim_space_empty(text[nl + 1 : self.i])
                j = text.find("\n", self.i)
                if j < 0:
                    self._skip(n - self.i)
                else:
                    self.i, self.line, self.col = j + 1, self.line + 1, 1
                tok_text = text[start.offset : self.i]
                if tok_text.endswith("\r\n"):
                    tok_text = tok_text[:-2]
                elif tok_text.endswith("\n"):
                    tok_text = tok_text[:-1]
                kind = _EOLCOMMENT if suffix else _COMMENT
                self.tok = _Tok(kind, start, self._pos(), tok_text)
                if suffix:
                    self.suffix_comments.append(Comment(start, tok_text, True))
                return
            if text.startswith("/*", self.i):
                self._slash_star_error()
                return
            break

        start = self._pos()
        if self.i >= n:
            self.tok = _Tok(_EOF, start, start, "")
            return

        c = text[self.i]
        if c in _PUNCT:
            self._read()
            self.tok = _Tok(c, start, self._pos(), c)
            return

        if c in '"`':
            quote = c
            self._read()
            while True:
                if self.i >= n:
                    self._lex_error(start, "unexpected EOF in string", n)
                    return
                if text[self.i] == "\n":
                    self._lex_error(self._pos(), "unexpected newline in string", self.i + 1)
                    return
                ch = self._read()
                if ch == quote:
                    break
                if ch == "\\" and quote != "`":
                    if self.i >= n:
                        self._lex_error(start, "unexpected EOF in string", n)
                        return
                    self._read()
            self.tok = _Tok(_STRING, start, self._pos(), text[start.offset : self.i])
            return

        if not is_ident_char(c):
            self._lex_error(
                start,
                f"unexpected input character {go_quote_rune(c)}",
                self._next_line(self.i),
                Position(start.line, start.col + 1, start.offset + 1),
            )
            return

        i = self.i
        while True:
            m = _ASCII_IDENT_RUN.match(text, i)
            if m is not None:
                i = m.end()
            if i >= n:
                break
            c = text[i]
            if c == "/":
                if text.startswith("//", i):
                    break
                if text.startswith("/*", i):
                    self._skip(i - self.i)
                    self._slash_star_error()
                    return
                i += 1
            elif c >= "\x80" and is_ident_char(c):
                i += 1
            else:
                break
        self._skip(i - self.i)
        self.tok = _Tok(_IDENT, start, self._pos(), text[start.offset : i])

    def _slash_star_error(self) -> None:
        close = self.text.find("*/", self.i + 2)
        resume = self._next_line(close + 2 if close >= 0 else self.i)
        self._lex_error(self._pos(), "mod files must use // comments (not /* */ comments)", resume)

    def peek(self) -> str:
        if self.tok.kind == _ERROR:
            t = self.tok
            raise _SyntaxErr(t.pos, t.text, t.resume, t.end)
        return self.tok.kind

    def lex(self) -> _Tok:
        self.peek()
        tok = self.tok
        self.read_token()
        return tok

    def resync(self, err: _SyntaxErr) -> None:
        resume = max(err.resume, min(err.pos.offset + 1, self.n))
        resume = min(resume, self.n)
        p = position_at(self.text, resume, self.starts)
        self.i, self.line, self.col = p.offset, p.line, p.col
        self.read_token()

    def record(self, err: _SyntaxErr) -> None:
        end = err.end
        if end <= err.pos:
            # No better end known: run to the end of the line (without its newline).
            j = self._next_line(err.pos.offset)
            if j > 0 and j <= self.n and self.text[j - 1 : j] == "\n":
                j -= 1
            if j > err.pos.offset and self.text[j - 1] == "\r":
                j -= 1
            end = position_at(self.text, max(j, err.pos.offset), self.starts)
        self.file.errors.append(
            ModfileError(self.filename, Range(err.pos, end), err.msg, syntax=True)
        )

    # -- parser ------------------------------------------------------------

    def parse_file(self) -> None:
        stmts = self.file.stmts
        cb: CommentBlock | None = None
        while True:
            try:
                kind = self.peek()
                if kind == "\n":
                    self.lex()
                    if cb is not None:
                        stmts.append(cb)
                        cb = None
                elif kind == _COMMENT:
                    tok = self.lex()
                    if cb is None:
                        cb = CommentBlock(tok.pos)
                    cb.comments.before.append(Comment(tok.pos, tok.text))
                elif kind == _EOF:
                    if cb is not None:
                        stmts.append(cb)
                    self.file.eof = self.tok.pos
                    return
                else:
                    self.parse_stmt()
                    if cb is not None:
                        stmts[-1].comments.before = cb.comments.before
                        cb = None
            except _SyntaxErr as err:
                self.record(err)
                if cb is not None:
                    stmts.append(cb)
                    cb = None
                self.resync(err)

    def parse_stmt(self) -> None:
        tok = self.lex()
        start = tok.pos
        end = tok.end
        tokens = [Token(tok.text, Range(tok.pos, tok.end), tok.kind)]
        while True:
            tok = self.lex()
            if _is_eol(tok.kind):
                self.file.stmts.append(Line(tokens, start, end))
                return
            if tok.kind == "(":
                nxt = self.peek()
                if _is_eol(nxt):
                    self.file.stmts.append(self.parse_line_block(start, tokens, tok))
                    return
                if nxt == ")":
                    rparen = self.lex()
                    if _is_eol(self.peek()):
                        self.lex()
                        self.file.stmts.append(
                            LineBlock(
                                tokens,
                                start,
                                LParen(tok.pos),
                                rparen=RParen(rparen.pos),
                            )
                        )
                        return
                    tokens.append(Token("(", Range(tok.pos, tok.end), "("))
                    tokens.append(Token(")", Range(rparen.pos, rparen.end), ")"))
                    end = rparen.end
                else:
                    tokens.append(Token("(", Range(tok.pos, tok.end), "("))
                    end = tok.end
            else:
                tokens.append(Token(tok.text, Range(tok.pos, tok.end), tok.kind))
                end = tok.end

    def parse_line_block(self, start: Position, tokens: list[Token], lparen: _Tok) -> LineBlock:
        x = LineBlock(tokens, start, LParen(lparen.pos))
        comments: list[Comment] = []
        while True:
            try:
                kind = self.peek()
                if kind == _EOLCOMMENT:
                    self.lex()
                elif kind == "\n":
                    tok = self.lex()
                    if (not comments and x.lines) or (comments and comments[-1].token != ""):
                        comments.append(Comment(tok.pos, ""))
                elif kind == _COMMENT:
                    tok = self.lex()
                    comments.append(Comment(tok.pos, tok.text))
                elif kind == _EOF:
                    at = self.tok.pos
                    self.record(
                        _SyntaxErr(
                            at,
                            "syntax error (unterminated block started at "
                            f"{self.filename}:{x.start.line}:{x.start.col})",
                            self.n,
                        )
                    )
                    if len(comments) == 1 and comments[0].token == "":
                        comments = []
                    x.rparen = RParen(None, Comments(before=comments), missing_at=at)
                    return x
                elif kind == ")":
                    rparen = self.lex()
                    if len(comments) == 1 and comments[0].token == "":
                        comments = []
                    x.rparen = RParen(rparen.pos, Comments(before=comments))
                    try:
                        if not _is_eol(self.peek()):
                            nxt = self.tok
                            raise _SyntaxErr(
                                nxt.end,
                                "syntax error (expected newline after closing paren)",
                                self._next_line(nxt.end.offset),
                            )
                        self.lex()
                    except _SyntaxErr as err:
                        self.record(err)
                        self.resync(err)
                    return x
                else:
                    line = self.parse_line()
                    line.block = x
                    x.lines.append(line)
                    line.comments.before = comments
                    comments = []
            except _SyntaxErr as err:
                self.record(err)
                self.resync(err)

    def parse_line(self) -> Line:
        if FAST_LINES and self.tok.kind in (_IDENT, _STRING):
            m = _PLAIN_REST.match(self.text, self.i)
            if m is not None:
                return self._plain_line(m)
        tok = self.lex()
        start = tok.pos
        end = tok.end
        tokens = [Token(tok.text, Range(tok.pos, tok.end), tok.kind)]
        while True:
            tok = self.lex()
            if _is_eol(tok.kind):
                return Line(tokens, start, end, in_block=True)
            tokens.append(Token(tok.text, Range(tok.pos, tok.end), tok.kind))
            end = tok.end

    def _plain_line(self, m: re.Match[str]) -> Line:
        """:meth:`parse_line` for a line whose rest ``m`` (:data:`_PLAIN_REST`, at
        ``self.i``, right after the current token) matched: its characters are ASCII,
        so columns advance with offsets."""
        first = self.tok
        line, col0, i0 = self.line, self.col, self.i
        tokens = [Token(first.text, Range(first.pos, first.end), first.kind)]
        end = first.end
        for t in _PLAIN_TOKENS.finditer(self.text, m.start(1), m.end(1)):
            a, b = t.start(), t.end()
            end = Position(line, col0 + b - i0, b)
            tokens.append(Token(t.group(), Range(Position(line, col0 + a - i0, a), end)))
        c = m.start(2)
        if c >= 0:
            self.suffix_comments.append(Comment(Position(line, col0 + c - i0, c), m.group(2), True))
        stop = m.end()
        if not m.group(3):  # the end of the text
            self.i, self.col = stop, col0 + stop - i0
            self.read_token()
        else:
            self.i, self.line, self.col = stop, line + 1, 1
            nxt = _PLAIN_FIRST.match(self.text, stop)
            if nxt is None:
                self.read_token()
            else:  # what read_token would read, in one match
                a, b = nxt.span(1)
                self.i, self.col = b, 1 + b - stop
                self.tok = _Tok(
                    _IDENT,
                    Position(line + 1, 1 + a - stop, a),
                    Position(line + 1, self.col, b),
                    nxt.group(1),
                )
        return Line(tokens, first.pos, end, in_block=True)

    # -- comment assignment ------------------------------------------------

    def assign_comments(self) -> None:
        post: list[Line | LineBlock | CommentBlock | LParen | RParen] = []
        for stmt in self.file.stmts:
            if isinstance(stmt, LineBlock):
                post.append(stmt.lparen)
                post.extend(stmt.lines)
                post.append(stmt.rparen)
            post.append(stmt)
        suffix = list(self.suffix_comments)
        for x in reversed(post):
            start, end = x.span()
            if start.line != end.line:
                continue
            while suffix and end.offset <= suffix[-1].start.offset:
                x.comments.suffix.append(suffix.pop())
        for x in post:
            x.comments.suffix.reverse()
        self.file.comments.before.extend(suffix)


def parse_syntax(text: str, filename: str = "go.mod") -> FileSyntax:
    """Parse go.mod / go.work text into a :class:`FileSyntax`. Never raises.

    ``FileSyntax.errors`` lists the syntax errors; the first is the one go reports.
    """
    p = _Parser(text, filename)
    try:
        p.read_token()
        p.parse_file()
        p.assign_comments()
    except Exception as exc:  # pragma: no cover - a bug, reported rather than raised
        at = p._pos()
        p.file.errors.append(
            ModfileError(filename, Range(at, at), f"internal error: {exc}", syntax=True)
        )
    for k, e in enumerate(p.file.errors):
        if k > 0 and e.go_reports:
            p.file.errors[k] = ModfileError(
                e.filename, e.range, e.message, e.verb, e.mod_path, e.syntax, go_reports=False
            )
    return p.file
