"""``gomod-doctor demo``: the checks on a built-in example workspace."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from gomod_doctor import engine
from gomod_doctor.cli.output import render_text
from gomod_doctor.demo import example
from gomod_doctor.goenv import env as goenv
from gomod_doctor.workspace.discover import locate


def run_demo() -> int:
    colour = sys.stdout.isatty()
    with tempfile.TemporaryDirectory(prefix="gomod-doctor-demo-") as tmp:
        root = Path(tmp)
        work = example.write(root)
        print("gomod-doctor demo: an example workspace with broken module files\n")
        for rel, text in example.FILES.items():
            print(f"--- {rel}")
            for n, line in enumerate(text.splitlines(), 1):
                print(f"{n:3} | {line}")
            print()
        print("$ gomod-doctor check go.work\n")
        facts, _ = engine.gather(locate(work), goenv.load(), verify="off")
        result = engine.run(facts)
        sys.stdout.write(render_text(result.findings, colour=colour, cwd=str(root)))
    return 0
