"""go.work ``use`` lines whose directory is missing or has no go.mod."""

from __future__ import annotations

from gomod_doctor.checks.locate import short_path
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.workspace.model import use_dir


def check(facts: Facts) -> list[Finding]:
    snap = facts.snapshot
    if snap.work is None or snap.work_file is None:
        return []
    out: list[Finding] = []
    for use in snap.work.use:
        d = use_dir(snap.location.root, use.path)
        info = facts.dirs.get(d)
        if info is None or info.has_gomod:
            continue
        # go's words (modload): "cannot load module <dir> listed in go.work file: open
        # <dir>/go.mod: ...", paths shortened as go prints them run in the go.work's dir.
        # The same words whether or not the directory exists; the note tells which.
        root = snap.location.root
        gomod = d / "go.mod"
        error = info.gomod.error if info.gomod is not None else None
        if error:
            cause = error.replace(str(gomod), short_path(gomod, root), 1)
        else:
            note = (
                "the directory exists, but has no go.mod file"
                if info.exists
                else "the directory does not exist"
            )
            cause = f"open {short_path(gomod, root)}: no such file or directory ({note})"
        message = f"cannot load module {short_path(d, root)} listed in go.work file: {cause}"
        out.append(
            Finding(
                str(snap.work_file.path),
                use.syntax.range,
                "work-use-missing",
                Severity.ERROR,
                message,
                data={"use": use.path, "dir": str(d), "exists": info.exists},
            )
        )
    return out
