"""GOFLAGS: how the go command splits it, and what it refuses in it."""

from __future__ import annotations

from gomod_doctor.module.goquote import go_quote

# --- GOFLAGS --------------------------------------------------------------------------


def split_goflags(value: str) -> tuple[list[str], str | None]:
    """cmd/internal/quoted.Split: fields, with '...' or "..." around a whole field."""
    out: list[str] = []
    s = value
    space = " \t\n\r"
    while s:
        s = s.lstrip(space)
        if not s:
            break
        if s[0] in "\"'":
            quote = s[0]
            end = s.find(quote, 1)
            if end < 0:
                return [], f"unterminated {quote} string"
            out.append(s[1:end])
            s = s[end + 1 :]
            continue
        i = 0
        while i < len(s) and s[i] not in space:
            i += 1
        out.append(s[:i])
        s = s[i:]
    return out, None


def goflags_problems(value: str) -> tuple[list[str], list[str]]:
    """GOFLAGS parsed as base.InitGOFLAGS does: (flags, go's error messages).

    go checks that each word looks like ``-name``/``--name[=value]``. It also
    rejects names no go command defines; that check needs go's full flag table
    and is not made here.
    """
    flags, err = split_goflags(value)
    if err is not None:
        return [], [f"go: parsing $GOFLAGS: {err}"]
    problems: list[str] = []
    for f in flags:
        if not f.startswith("-") or f in ("-", "--") or f.startswith(("---", "-=", "--=")):
            problems.append(f"go: parsing $GOFLAGS: non-flag {go_quote(f)}")
    return flags, problems
