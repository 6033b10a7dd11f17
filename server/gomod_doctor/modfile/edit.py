"""Minimal text edits for replace directives in go.mod and go.work.

Every function returns :class:`~gomod_doctor.position.TextEdit` values that touch
only the lines concerned; everything else in the file (formatting, comments,
other directives) stays byte for byte. The edits mirror what the go command's
own editing does (``go mod edit -replace`` / ``-dropreplace``) wherever that does
not require reformatting the rest of the file:

- :func:`add_replace` updates an existing replacement of the same module (and
  version, if one is given) in place, deleting any further ones, as go's
  ``AddReplace`` does; otherwise it appends the entry to the last ``replace (``
  block, or adds a one-line ``replace`` after the last require/use/replace.
- :func:`remove_replace` deletes the entry together with the comments attached
  above it; deleting the last entry of a block deletes the block.
- :func:`comment_out_replace`, :func:`find_commented_replaces` and
  :func:`uncomment_replace` turn a replacement into a ``//`` comment and back.
- :func:`retarget_replace` points a replacement at another directory.
- :func:`whole_lines` and :func:`minimal_edit` are plain text helpers (go.sum's
  merge-conflict fix and duplicate removal use them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gomod_doctor.modfile.rules import ModFile, Replace, RuleError, auto_quote, parse_replace
from gomod_doctor.modfile.syntax import (
    Comment,
    FileSyntax,
    Line,
    LineBlock,
    parse_syntax,
)
from gomod_doctor.modfile.work import WorkFile
from gomod_doctor.position import Range, TextEdit, line_range, position_at

__all__ = [
    "CommentedReplace",
    "add_replace",
    "comment_out_replace",
    "find_commented_replaces",
    "minimal_edit",
    "remove_replace",
    "replace_args",
    "retarget_replace",
    "set_go_version",
    "uncomment_replace",
    "whole_lines",
]

AnyFile = ModFile | WorkFile

_BLOCK_OPEN = re.compile(r"[ \t]*replace[ \t]*\([ \t\r]*(//.*)?")


# ---------------------------------------------------------------------------
# Text helpers


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _next_line(text: str, offset: int) -> int:
    """The start of the line after the one holding ``offset`` (or the end of text)."""
    j = text.find("\n", offset)
    return len(text) if j < 0 else j + 1


def _is_blank_line(text: str, start: int) -> bool:
    end = text.find("\n", start)
    seg = text[start:] if end < 0 else text[start:end]
    return seg.strip(" \t\r") == ""


def _edit(fs: FileSyntax, start: int, end: int, new_text: str) -> TextEdit:
    return TextEdit(Range(fs.position(start), fs.position(end)), new_text)


def _delete_spans(fs: FileSyntax, spans: list[tuple[int, int]]) -> list[TextEdit]:
    """Delete whole-line spans, merging neighbours and never leaving a double blank line."""
    text = fs.text
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    edits: list[TextEdit] = []
    for s, e in merged:
        next_blank = e >= len(text) or _is_blank_line(text, e)
        if s > 0:
            prev = _line_start(text, s - 1)
            if next_blank and _is_blank_line(text, prev):
                s = prev
        elif next_blank and e < len(text):
            e = _next_line(text, e)
        edits.append(_edit(fs, s, e, ""))
    return edits


def _first_offset(line_start: int, before: list[Comment]) -> int:
    offs = [c.start.offset for c in before]
    return min([line_start, *offs])


def _line_span(text: str, line: Line) -> tuple[int, int]:
    """The whole physical lines of ``line`` with the comments attached above it."""
    start = _line_start(text, _first_offset(line.start.offset, line.comments.before))
    return start, _next_line(text, line.end.offset)


def _block_span(text: str, block: LineBlock) -> tuple[int, int]:
    start = _line_start(text, _first_offset(block.start.offset, block.comments.before))
    end_at = block.span()[1].offset
    return start, _next_line(text, max(end_at - 1, block.start.offset))


def replace_args(old_path: str, old_version: str, new_path: str, new_version: str) -> str:
    """``old [v] => new [v]``, quoted where needed, as go prints it."""
    parts = [auto_quote(old_path)]
    if old_version:
        parts.append(old_version)
    parts += ["=>", auto_quote(new_path)]
    if new_version:
        parts.append(new_version)
    return " ".join(parts)


def _remove_lines(fs: FileSyntax, lines: list[Line]) -> list[TextEdit]:
    text = fs.text
    spans: list[tuple[int, int]] = []
    doomed = {id(x) for x in lines}
    seen_blocks: set[int] = set()
    for line in lines:
        block = line.block
        if block is not None and all(id(x) in doomed for x in block.lines):
            if id(block) not in seen_blocks:
                seen_blocks.add(id(block))
                spans.append(_block_span(text, block))
            continue
        spans.append(_line_span(text, line))
    return _delete_spans(fs, spans)


# ---------------------------------------------------------------------------
# Add / remove / comment out


def add_replace(
    f: AnyFile, old_path: str, old_version: str, new_path: str, new_version: str
) -> list[TextEdit]:
    """Edits that make ``f`` replace ``old_path[@old_version]`` by ``new_path[@new_version]``."""
    fs = f.syntax
    text = fs.text
    nl = _newline(text)
    args = replace_args(old_path, old_version, new_path, new_version)

    matching = [
        r
        for r in f.replace
        if r.old_path == old_path and (old_version == "" or r.old_version == old_version)
    ]
    if matching:
        first = matching[0].syntax
        toks = first.tokens if first.in_block else first.tokens[1:]
        edits = [_edit(fs, toks[0].range.start.offset, toks[-1].range.end.offset, args)]
        return edits + _remove_lines(fs, [r.syntax for r in matching[1:]])

    blocks = [
        s
        for s in fs.stmts
        if isinstance(s, LineBlock)
        and s.verb == "replace"
        and len(s.tokens) == 1
        and s.rparen.pos is not None
    ]
    if blocks:
        block = blocks[-1]
        if block.lines:
            last = block.lines[-1]
            indent = text[_line_start(text, last.start.offset) : last.start.offset]
            at = _next_line(text, last.end.offset)
        else:
            indent = "\t"
            rparen = block.rparen.pos
            assert rparen is not None
            if rparen.line == block.lparen.pos.line:
                # "replace ()" on one line: open it up.
                start, end = block.lparen.pos.offset, rparen.offset + 1
                return [_edit(fs, start, end, f"({nl}{indent}{args}{nl})")]
            at = _next_line(text, block.lparen.pos.offset)
        prefix = "" if at == 0 or text[at - 1] == "\n" else nl
        return [_edit(fs, at, at, f"{prefix}{indent}{args}{nl}")]

    new_line = f"replace {args}{nl}"
    anchors = ("use", "replace") if isinstance(f, WorkFile) else ("require", "replace")
    last_stmt: Line | LineBlock | None = None
    for s in fs.stmts:
        if isinstance(s, (Line, LineBlock)) and s.verb in anchors:
            last_stmt = s
    if last_stmt is None:
        if text == "":
            return [_edit(fs, 0, 0, new_line)]
        lead = "" if text.endswith("\n") else nl
        if not text.endswith("\n\n") and text.strip():
            lead += nl
        return [_edit(fs, len(text), len(text), lead + new_line)]
    if isinstance(last_stmt, Line):
        at = _next_line(text, last_stmt.end.offset)
    else:
        at = _block_span(text, last_stmt)[1]
    lead = "" if at == 0 or text[at - 1] == "\n" else nl
    if isinstance(last_stmt, Line) and last_stmt.tokens[0].text == "replace":
        return [_edit(fs, at, at, lead + new_line)]
    trail = "" if at >= len(text) or _is_blank_line(text, at) else nl
    return [_edit(fs, at, at, lead + nl + new_line + trail)]


def remove_replace(f: AnyFile, rep: Replace) -> list[TextEdit]:
    """Edits deleting ``rep`` (and its block, if it is the block's last entry)."""
    return _remove_lines(f.syntax, [rep.syntax])


def comment_out_replace(f: AnyFile, rep: Replace) -> list[TextEdit]:
    """Edits turning ``rep`` into a comment: ``// replace a => b`` or ``// a => b`` in a block."""
    at = rep.syntax.start.offset
    return [_edit(f.syntax, at, at, "// ")]


# ---------------------------------------------------------------------------
# Commented-out replacements


@dataclass(frozen=True)
class CommentedReplace:
    """A ``//`` comment that reads as a replace directive.

    ``kind`` is ``"line"`` (``// replace a => b`` outside blocks), ``"entry"``
    (``// a => b`` inside a ``replace (`` block) or ``"block-entry"`` (an entry of
    a whole commented-out ``// replace (`` ... ``// )`` block, whose opening and
    closing comments are ``block_open`` and ``block_close``).
    """

    comment: Comment
    kind: str
    old_path: str
    old_version: str
    new_path: str
    new_version: str
    block_open: Comment | None = None
    block_close: Comment | None = None

    @property
    def range(self) -> Range:
        return self.comment.range

    @property
    def is_dir(self) -> bool:
        return self.new_version == ""


def _comment_tokens(c: Comment) -> list[str] | None:
    """The tokens of a comment's text read as one go.mod line, or None if it is not one."""
    body = c.token[2:]
    fs = parse_syntax(body)
    if fs.errors or len(fs.stmts) != 1 or not isinstance(fs.stmts[0], Line):
        return None
    return fs.stmts[0].token


def _as_replace(tokens: list[str] | None) -> tuple[str, str, str, str] | None:
    if tokens is None:
        return None
    try:
        return parse_replace("replace", tokens)
    except RuleError:
        return None


def find_commented_replaces(f: AnyFile) -> list[CommentedReplace]:
    """Whole-line comments in ``f`` that would be valid replacements if uncommented."""
    fs = f.syntax
    text = fs.text
    out: list[CommentedReplace] = []
    top: list[Comment] = []
    for s in fs.stmts:
        top.extend(s.comments.before)
        if isinstance(s, LineBlock) and s.verb == "replace" and len(s.tokens) == 1:
            inner = [c for line in s.lines for c in line.comments.before]
            inner += s.rparen.comments.before
            for c in inner:
                if not c.token:
                    continue
                rep = _as_replace(_comment_tokens(c))
                if rep is not None:
                    out.append(CommentedReplace(c, "entry", *rep))
    top = [c for c in top if c.token and not c.suffix]
    top.sort(key=lambda c: c.start.offset)

    i = 0
    while i < len(top):
        c = top[i]
        toks = _comment_tokens(c)
        if _BLOCK_OPEN.fullmatch(c.token[2:]):
            j = i + 1
            entries: list[tuple[Comment, tuple[str, str, str, str]]] = []
            close: Comment | None = None
            while j < len(top) and _only_comments_between(text, top[j - 1], top[j]):
                tj = _comment_tokens(top[j])
                if tj == [")"]:
                    close = top[j]
                    break
                rep = _as_replace(tj)
                if rep is not None:
                    entries.append((top[j], rep))
                j += 1
            if close is not None:
                for ec, rep in entries:
                    out.append(CommentedReplace(ec, "block-entry", *rep, c, close))
                i = j + 1
                continue
        elif toks and toks[0] == "replace":
            rep = _as_replace(toks[1:])
            if rep is not None:
                out.append(CommentedReplace(c, "line", *rep))
        i += 1
    out.sort(key=lambda r: r.comment.start.offset)
    return out


def _only_comments_between(text: str, a: Comment, b: Comment) -> bool:
    start = _next_line(text, a.start.offset)
    for raw in text[start : b.start.offset].split("\n"):
        s = raw.strip(" \t\r")
        if s and not s.startswith("//"):
            return False
    return True


def _uncomment(fs: FileSyntax, c: Comment, indent: str = "") -> TextEdit:
    tok = c.token
    k = 2
    while k < len(tok) and tok[k] in " \t":
        k += 1
    return _edit(fs, c.start.offset, c.start.offset + k, indent)


def uncomment_replace(f: AnyFile, c: CommentedReplace) -> list[TextEdit]:
    """Edits turning a commented-out replacement back into a directive."""
    fs = f.syntax
    if c.kind == "block-entry" and c.block_open is not None and c.block_close is not None:
        indent = "\t" if c.comment.start.col == 1 else ""
        return [
            _uncomment(fs, c.block_open),
            _uncomment(fs, c.comment, indent),
            _uncomment(fs, c.block_close),
        ]
    return [_uncomment(fs, c.comment)]


def set_go_version(f: AnyFile, version: str) -> list[TextEdit]:
    """Set the ``go`` line to ``version`` (what ``go work use`` does to go.work when a
    used module needs a newer go): the version token alone when there is a go line,
    else a new ``go`` line first (after the module line of a go.mod)."""
    fs = f.syntax
    if f.go is not None:
        tokens = f.go.syntax.tokens
        if len(tokens) >= 2:
            return [TextEdit(tokens[-1].range, version)]
        return []
    nl = _newline(fs.text)
    module = getattr(f, "module", None)
    if module is not None:
        end = _next_line(fs.text, module.syntax.range.end.offset)
        return [_edit(fs, end, end, f"{nl}go {version}{nl}")]
    return [_edit(fs, 0, 0, f"go {version}{nl}{nl}")]


# ---------------------------------------------------------------------------
# Retargeting a replacement; plain text edits


def retarget_replace(f: ModFile | WorkFile, rep: Replace, new_dir: str) -> list[TextEdit]:
    """Point ``rep`` at the directory ``new_dir`` (its tokens rewritten in place)."""
    line = rep.syntax
    toks = line.tokens if line.in_block else line.tokens[1:]
    if not toks:
        return []
    args = replace_args(rep.old_path, rep.old_version, new_dir, "")
    start = f.syntax.position(toks[0].range.start.offset)
    end = f.syntax.position(toks[-1].range.end.offset)
    return [TextEdit(Range(start, end), args)]


def whole_lines(text: str, first: int, last: int) -> Range:
    """Lines ``first``..``last`` (1-based) with the line ending after them."""
    a = line_range(text, first).start
    b = line_range(text, last).end.offset
    nl = text.find("\n", b)
    end = len(text) if nl < 0 else nl + 1
    return Range(a, position_at(text, end))


def _split_lines(s: str) -> list[str]:
    """``s`` in lines, each with its ``\\n`` (the last may have none)."""
    out: list[str] = []
    i = 0
    while i < len(s):
        j = s.find("\n", i)
        if j < 0:
            out.append(s[i:])
            break
        out.append(s[i : j + 1])
        i = j + 1
    return out


def minimal_edit(old: str, new: str) -> list[TextEdit]:
    """One edit turning ``old`` into ``new``: the whole lines that differ."""
    if old == new:
        return []
    a, b = _split_lines(old), _split_lines(new)
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    q = 0
    while q < n - p and a[len(a) - 1 - q] == b[len(b) - 1 - q]:
        q += 1
    start = sum(len(x) for x in a[:p])
    end = len(old) - sum(len(x) for x in a[len(a) - q :])
    text = "".join(b[p : len(b) - q])
    return [TextEdit(Range(position_at(old, start), position_at(old, end)), text)]
