"""What the language server knows: open documents, analysed workspaces, settings.

Everything here is read and written on the server's event loop thread only; the
analysis threads receive copies (the overlays, the settings) and hand results back
to the loop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding
from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.lsp.settings import Settings
from gomod_doctor.netfacts import Comparison, NetworkFacts
from gomod_doctor.workspace.model import WorkspaceLocation

#: File names the server keeps diagnostics for (besides ``*.mod`` / ``*.work`` files
#: a workspace names through ``-modfile``-like setups).
TRACKED_NAMES = ("go.mod", "go.sum", "go.work", "go.work.sum")

LANGUAGE_IDS = frozenset({"go.mod", "go.work", "go.sum", "gomod", "gowork", "gosum"})


def is_tracked_file(path: Path) -> bool:
    """A go.mod, go.sum, go.work or go.work.sum (by name, whatever the language id)."""
    return path.name in TRACKED_NAMES


@dataclass
class Document:
    """An open buffer."""

    uri: str
    path: Path
    text: str
    version: int | None
    language_id: str


@dataclass
class WorkspaceView:
    """The latest analysis of one workspace."""

    location: WorkspaceLocation
    facts: Facts | None = None
    #: all findings, all files, after the severity settings
    findings: list[Finding] = field(default_factory=list)
    #: full verification results are merged in
    full_done: bool = False
    #: (module path, version) -> (unix time, "quick"|"full")
    verified: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    #: bumped for every new analysis; results of an older one are dropped
    generation: int = 0
    #: the paths diagnostics were last published for (to clear them later)
    published: set[Path] = field(default_factory=set)
    #: the text each file had in the analysis behind ``findings`` (for conversions)
    texts: dict[Path, str] = field(default_factory=dict)
    #: internal errors of the last analysis
    internal_errors: list[str] = field(default_factory=list)
    #: the latest network facts (None: not gathered yet, or the network is off) and
    #: what they depend on (GOPROXY, GOSUMDB, the environment...): merged into every
    #: later analysis while that is unchanged, until a new gather replaces them
    network: NetworkFacts | None = None
    network_scope: tuple[object, ...] | None = None
    #: proxy-copy comparisons run on demand (gomod-doctor.compareProxies), by module
    #: version, with the scope they were made in: shown while the module version is
    #: needed and the scope is unchanged
    comparisons: dict[tuple[str, str], tuple[tuple[object, ...], Comparison]] = field(
        default_factory=dict
    )

    def findings_for(self, path: Path) -> list[Finding]:
        key = os.path.normpath(str(path))
        return [f for f in self.findings if os.path.normpath(f.path) == key]

    def files(self) -> set[Path]:
        """The go.mod/go.sum/go.work files of this workspace (known so far)."""
        out: set[Path] = set()
        if self.facts is not None:
            out.update(Path(os.path.normpath(f.path)) for f in self.facts.snapshot.files())
        main = self.location.main_file
        out.add(main)
        if self.location.gowork is not None:
            out.add(main.with_name(main.name + ".sum"))
        else:
            out.add(main.with_suffix(".sum"))
        return out

    def includes(self, path: Path) -> bool:
        return Path(os.path.normpath(path)) in self.files()


class ServerState:
    def __init__(self, settings: Settings | None = None, env: GoEnv | None = None) -> None:
        #: open buffers, by URI
        self.documents: dict[str, Document] = {}
        #: analysed workspaces, by ``location.main_file``
        self.workspaces: dict[Path, WorkspaceView] = {}
        self.settings: Settings = settings or Settings()
        #: the effective Go environment (process env + settings.env)
        self.env: GoEnv = env or GoEnv()

    def overlays(self) -> dict[Path, str]:
        """Open buffer texts by path."""
        return {d.path: d.text for d in self.documents.values()}

    def document_at(self, path: Path) -> Document | None:
        key = Path(os.path.normpath(path))
        for d in self.documents.values():
            if d.path == key:
                return d
        return None

    def workspace_for(self, path: Path) -> WorkspaceView | None:
        """The view whose snapshot includes ``path`` (a go.mod, go.sum or go.work);
        a go.work's view (the go command's) when a lone module's includes it too."""
        key = Path(os.path.normpath(path))
        best: WorkspaceView | None = None
        for view in self.workspaces.values():
            if not view.includes(key):
                continue
            # prefer a go.work view (the go command's view) over a lone module's
            if best is None or (view.location.gowork is not None and best.location.gowork is None):
                best = view
        return best

    def text_of(self, path: Path) -> str | None:
        """The buffer text of ``path`` if open, else what the last analysis read."""
        doc = self.document_at(path)
        if doc is not None:
            return doc.text
        key = Path(os.path.normpath(path))
        for view in self.workspaces.values():
            if key in view.texts:
                return view.texts[key]
        return None
