"""The measurements of the CLI's cache verification against ``go mod verify``.

Each run is a fresh process on the corpus's workspace, with the corpus's isolated
go environment (``GOPROXY=off``: nothing leaves the machine) and a memo of its
own (``XDG_CACHE_HOME``):

* ``go-verify``: ``go mod verify``, the baseline: it rehashes every zip and
  extracted directory of the build list, on every core.
* ``full-cold``: ``check --verify full`` with an empty memo (a fresh
  ``XDG_CACHE_HOME`` per run): rehashes every zip and directory the workspace
  needs (all of them here), and writes the memo.
* ``full-warm``: ``check --verify full`` with the memo filled by a run before.
* ``quick``: ``check --verify quick`` (stats and small files only).
* ``full-nomemo`` (not run by default): ``check --verify full --no-memo``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from bench.harness import BenchError, Context, Sample, Target, register
from gotool import GO

GO_VERIFY = "go-verify"


def _doctor() -> list[str]:
    exe = Path(sys.executable).with_name("gomod-doctor")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "gomod_doctor"]


def check(ctx: Context, level: str, xdg: Path, *extra: str) -> Sample:
    """One ``gomod-doctor check`` of the corpus workspace: the cache is intact, so
    it must find no error and no warning (notes, such as GOSUMDB=off, may come)."""
    ws = ctx.corpus.workspace
    argv = [*_doctor(), "check", "--verify", level, "--format", "json", *extra, str(ws)]
    env = ctx.corpus.go_env(XDG_CACHE_HOME=str(xdg))
    sample, out, err = ctx.spawn(argv, env=env, cwd=ws)
    try:
        findings = json.loads(out)["findings"]
    except (ValueError, KeyError, TypeError):
        raise BenchError(f"unexpected output: {(out + err).strip()[:500]}") from None
    bad = [f for f in findings if f.get("severity") in ("error", "warning")]
    if bad or err.strip():
        what = "; ".join(f"{f.get('code')}: {f.get('message')}" for f in bad[:3])
        raise BenchError(f"unexpected findings: {what or err.strip()[:500]}")
    return sample


@register(GO_VERIFY, "go mod verify")
def go_verify(ctx: Context) -> Sample:
    ws = ctx.corpus.workspace
    sample, out, _ = ctx.spawn([GO, "mod", "verify"], env=ctx.corpus.go_env(), cwd=ws)
    if out.strip() != "all modules verified":
        raise BenchError(f"go mod verify: {out.strip()[:500]}")
    return sample


@register("full-cold", "check --verify full, cold memo", target=Target(0.4, GO_VERIFY))
def full_cold(ctx: Context) -> Sample:
    xdg = ctx.scratch("cold")
    try:
        sample = check(ctx, "full", xdg)
        if not (xdg / "gomod-doctor" / "memo.sqlite3").exists():
            raise BenchError("no memo was written")
        return sample
    finally:
        shutil.rmtree(xdg, ignore_errors=True)


def _fill_memo(ctx: Context) -> None:
    xdg = ctx.scratch("warm")
    ctx.state["warm-xdg"] = xdg
    check(ctx, "full", xdg)  # fills the memo; the warm-up run then reads it


def _drop_memo(ctx: Context) -> None:
    xdg = ctx.state.pop("warm-xdg", None)
    if xdg is not None:
        shutil.rmtree(xdg, ignore_errors=True)


@register(
    "full-warm",
    "check --verify full, warm memo",
    target=Target(0.02, GO_VERIFY),
    setup=_fill_memo,
    teardown=_drop_memo,
)
def full_warm(ctx: Context) -> Sample:
    return check(ctx, "full", ctx.state["warm-xdg"])


@register("quick", "check --verify quick", target=Target(0.3))
def quick(ctx: Context) -> Sample:
    xdg = ctx.state.setdefault("quick-xdg", ctx.scratch("quick"))
    return check(ctx, "quick", xdg)


@register("full-nomemo", "check --verify full --no-memo", default=False)
def full_nomemo(ctx: Context) -> Sample:
    xdg = ctx.state.setdefault("nomemo-xdg", ctx.scratch("nomemo"))
    return check(ctx, "full", xdg, "--no-memo")
