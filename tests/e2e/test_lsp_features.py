"""The language server's features end to end: code actions, commands, hover, links, lens.

Each test starts ``gomod-doctor serve`` over stdio with pytest-lsp, with the VS Code
(UTF-16) or Neovim (UTF-8) capabilities, over a real workspace and module cache
written by the real go (:func:`goproxy.build_cache`, memoized per session). Every
fix is executed as the editor would: a WorkspaceEdit is applied by the test to the
buffer (and saved), a command is run with ``workspace/executeCommand``. Its effect
is then proven: the go.mod text equals the expected text, the go command accepts
the go.sum, ``go mod verify`` and ``go build ./...`` pass in the fixture's isolated
environment (GOPROXY=off: the cache alone must hold everything).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from gomod_doctor.cache import ops
from gomod_doctor.cache.hashing import hash_zip
from gomod_doctor.cache.layout import module_files
from gomod_doctor.lsp.features import search
from goproxy import (
    SAMPLE_REQUIRES,
    SAMPLE_TIDY_GO_MOD,
    CacheFixture,
    GoProxy,
    ModuleSpec,
    Response,
    make_writable_and_remove,
    sample_modules,
)
from gotool import GO, file_stats, isolated_env, run_go
from lsp_support import (
    NEOVIM,
    VSCODE,
    change_doc,
    encoding_of,
    lsp_session,
    open_doc,
    server_env,
)

TIDY_GO_MOD = SAMPLE_TIDY_GO_MOD
MODULE_LINE = 0  # 0-based LSP lines of TIDY_GO_MOD
BIG_LINE = 5
ALPHA_LINE = 6
PSEUDO_LINE = 7
TWO_LINE = 8
ALPHA = ("example.com/alpha", "v1.0.0")
#: alpha missing from the cache, which the next build downloads: a hint on its line,
#: the count on the module line
MISSING_ALPHA = [("cache-missing", ALPHA_LINE), ("cache-missing-summary", MODULE_LINE)]
PSEUDO = ("example.com/pseudo", "v0.0.0-20240102030405-abcdefabcdef")
ALPHA_H1 = "h1:txzMN8sTFTs9QWoDm3HxAQ2xomBR4zKX9HUbupL5Fcg="
ALPHA_MOD_H1 = "h1:YHow77xbH+ggU39aBbYdg0ePvfXlEwA+H5UduKJe4xw="
WRONG_H1 = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

PRESETS = [pytest.param(VSCODE, id="vscode-utf16"), pytest.param(NEOVIM, id="neovim-utf8")]
TIMEOUT = 30.0

# --------------------------------------------------------------------------- client


@dataclass
class Session:
    """A client (``lsp_support``'s) and the buffers it has open."""

    client: LanguageClient
    preset: str
    root: Path
    versions: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def encoding(self) -> str:
        return encoding_of(self.preset)

    def answer(self, title: str | None) -> None:
        """The answer to the next ``window/showMessageRequest`` (None: dismissed)."""
        self.client.message_request_answer = title  # type: ignore[attr-defined]

    def asked(self) -> list[str]:
        return [
            m.message for m in self.client.messages if isinstance(m, types.ShowMessageRequestParams)
        ]

    # ------------------------------------------------------------ documents

    def open(self, path: Path, text: str | None = None) -> str:
        text = path.read_text() if text is None else text
        uri = open_doc(self.client, path, text=text, preset=self.preset)
        self.versions[uri] = 1
        self.texts[uri] = text
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.texts[uri] = text
        change_doc(self.client, uri, self.versions[uri], text)

    def save(self, uri: str, path: Path) -> None:
        path.write_text(self.texts[uri])
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri))
        )

    # ------------------------------------------------------------ requests

    async def diagnostics(
        self, uri: str, pred: Callable[[list[types.Diagnostic]], bool], timeout: float = TIMEOUT
    ) -> list[types.Diagnostic]:
        """Wait until the diagnostics published for ``uri`` satisfy ``pred``."""
        end = time.monotonic() + timeout
        while True:
            published = self.client.diagnostics.get(uri)
            got = list(published or [])
            if published is not None and pred(got):
                return got
            if time.monotonic() > end:
                raise AssertionError(f"diagnostics of {uri} never satisfied the test: {got}")
            await asyncio.sleep(0.05)

    async def actions(
        self,
        uri: str,
        line: int,
        diagnostics: list[types.Diagnostic] | None = None,
        only: list[str] | None = None,
    ) -> list[types.CodeAction]:
        """The code actions at the start of ``line``, with that line's diagnostics."""
        if diagnostics is None:
            diagnostics = [
                d for d in self.client.diagnostics.get(uri, []) if d.range.start.line == line
            ]
        pos = types.Position(line=line, character=0)
        got = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri),
                range=types.Range(start=pos, end=pos),
                context=types.CodeActionContext(
                    diagnostics=diagnostics,
                    only=[types.CodeActionKind(k) for k in only] if only else None,
                ),
            )
        )
        out = [a for a in got or [] if isinstance(a, types.CodeAction)]
        assert len(out) == len(got or []), "bare commands are not expected"
        return out

    def apply(self, uri: str, action: types.CodeAction) -> str:
        """Apply the action's WorkspaceEdit to the buffer, as the editor does."""
        assert action.edit is not None and action.command is None, action
        edits = edits_of(action.edit, uri, self.versions[uri])
        text = apply_lsp_edits(self.texts[uri], edits, self.encoding)
        self.change(uri, text)
        return text

    async def run(self, command: types.Command) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
        )

    def progress(self) -> dict[str, list[Any]]:
        """Progress reports by title (begin, reports..., end)."""
        out: dict[str, list[Any]] = {}
        for reports in self.client.progress_reports.values():
            if reports and isinstance(reports[0], types.WorkDoneProgressBegin):
                out.setdefault(reports[0].title, []).extend(reports)
        return out

    def errors_shown(self) -> list[str]:
        return [
            m.message
            for m in self.client.messages
            if isinstance(m, types.ShowMessageParams) and m.type == types.MessageType.Error
        ]


def edits_of(edit: types.WorkspaceEdit, uri: str, version: int) -> list[types.TextEdit]:
    if edit.document_changes is not None:
        (change,) = edit.document_changes
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == uri
        assert change.text_document.version == version  # edits of what the editor shows
        return [e for e in change.edits if isinstance(e, types.TextEdit)]
    assert edit.changes is not None and list(edit.changes) == [uri]
    return list(edit.changes[uri])


def _offset(text: str, pos: types.Position, encoding: str) -> int:
    """Written apart from the server's conversion: LSP position -> str index."""
    lines = text.split("\n")
    start = sum(len(x) + 1 for x in lines[: pos.line])
    line = lines[pos.line] if pos.line < len(lines) else ""
    units = 0
    for i, ch in enumerate(line):
        if units >= pos.character:
            return start + i
        units += (
            len(ch.encode("utf-8")) if encoding == "utf-8" else len(ch.encode("utf-16-le")) // 2
        )
    assert units >= pos.character, "a position past the end of its line"
    return start + len(line)


def apply_lsp_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    spans = [
        (_offset(text, e.range.start, encoding), _offset(text, e.range.end, encoding), e.new_text)
        for e in edits
    ]
    for a, b, new in sorted(spans, reverse=True):
        text = text[:a] + new + text[b:]
    return text


def by_title(actions: list[types.CodeAction]) -> dict[str, types.CodeAction]:
    out = {a.title: a for a in actions}
    assert len(out) == len(actions), [a.title for a in actions]
    return out


@asynccontextmanager
async def session(
    preset: str,
    root: Path,
    env: dict[str, str],
    settings: dict[str, Any] | None = None,
) -> AsyncIterator[Session]:
    """``gomod-doctor serve`` with the ``preset`` client's capabilities, rooted at
    ``root``, in the Go environment ``env`` (a fixture's); verification is the
    default (full, in the background) and the network checks are off (these tests
    are about local findings; the fixtures' GOSUMDB=off would add insecure-setting)
    unless ``settings`` say otherwise (tests/e2e/test_lsp_network.py covers the network)."""
    opts = {"network": "off", **(settings or {})}
    async with lsp_session(
        server_env(env), workspace=root, preset=preset, init_options=opts, configuration=opts
    ) as client:
        yield Session(client, preset, root)


# --------------------------------------------------------------------------- fixtures


@dataclass
class Ws:
    """The sample workspace (tidy go.mod) and its real cache."""

    fx: CacheFixture

    @property
    def dir(self) -> Path:
        return self.fx.workspace

    @property
    def gomod(self) -> Path:
        return self.dir / "go.mod"

    @property
    def gosum(self) -> Path:
        return self.dir / "go.sum"

    def env(self, **extra: str) -> dict[str, str]:
        return self.fx.env_with(**extra)

    def go(self, *args: str, mod: str = "readonly") -> tuple[int, str]:
        """The real go in the fixture's environment (GOPROXY=off, -mod=readonly)."""
        e = self.env(GOFLAGS=f"-mod={mod}")
        r = run_go(list(args), self.dir, e)
        return r.returncode, r.stdout + r.stderr

    def assert_go_happy(self) -> None:
        """The cache holds what go needs and go.sum is right: go agrees, offline."""
        before = self.gosum.read_text()
        assert self.go("mod", "verify") == (0, "all modules verified\n")
        assert self.go("build", "./...") == (0, "")
        assert self.gosum.read_text() == before

    def files(self, path: str, version: str) -> Any:
        return module_files(self.fx.gomodcache, path, version)


@pytest.fixture
def unbuilt_ws(make_cache: Callable[..., CacheFixture]) -> Ws:
    """The sample workspace, never built: go's module index (in GOCACHE) is empty."""
    fx = make_cache(sample_modules(), SAMPLE_REQUIRES)
    (fx.workspace / "go.mod").write_text(TIDY_GO_MOD)
    return Ws(fx)


@pytest.fixture
def ws(unbuilt_ws: Ws) -> Ws:
    assert unbuilt_ws.go("build", "./...") == (0, "")
    return unbuilt_ws


@pytest.fixture
def proxy() -> Iterator[GoProxy]:
    """A live GOPROXY serving the sample modules (for downloads and redownloads)."""
    with GoProxy(sample_modules()) as p:
        yield p


def writable(*paths: str | Path) -> None:
    for p in paths:
        os.chmod(p, 0o755 if os.path.isdir(p) else 0o644)


def codes(diags: list[types.Diagnostic]) -> list[tuple[str, int]]:
    return sorted((str(d.code), d.range.start.line) for d in diags)


# --------------------------------------------------------------------------- search


def test_search_finds_checkouts_by_declared_module_within_bounds(tmp_path: Path) -> None:
    (tmp_path / "a" / "b" / "deep").mkdir(parents=True)
    (tmp_path / "a" / "go.mod").write_text("module example.com/a // comment\n")
    (tmp_path / "a" / "b" / "deep" / "go.mod").write_text('module "example.com/deep"\n')
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "go.mod").write_text("module example.com/x\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "go.mod").write_text("module example.com/h\n")
    (tmp_path / "link").symlink_to(tmp_path / "a", target_is_directory=True)

    got = search.scan([search.SearchRoot(tmp_path, 3)])
    assert got.modules == {
        "example.com/a": [tmp_path / "a"],
        "example.com/deep": [tmp_path / "a" / "b" / "deep"],
    }
    shallow = search.scan([search.SearchRoot(tmp_path, 2)])
    assert set(shallow.modules) == {"example.com/a"}
    capped = search.scan([search.SearchRoot(tmp_path, 3)], max_dirs=1)
    assert capped.truncated and capped.modules == {}
    skipped = search.scan([search.SearchRoot(tmp_path, 3)], skip=[tmp_path / "a"])
    assert skipped.modules == {}

    index = search.CheckoutIndex()
    roots = [search.SearchRoot(tmp_path, 3)]
    assert index.lookup("example.com/a", roots) == [tmp_path / "a"]
    assert index.lookup("example.com/a", roots, exclude=[tmp_path / "a"]) == []
    assert search.replace_path_for(tmp_path / "a", tmp_path / "w") == "../a"
    assert search.replace_path_for(tmp_path / "w" / "x", tmp_path / "w") == "./x"


# --------------------------------------------------------------------------- toggles

TOGGLE_GO_MOD = """// Modülé für Tests 😀
module example.com/app

go 1.21

require (
\texample.com/alpha v1.0.0 // ünïcode 😀
\texample.com/beta v1.2.0
\texample.com/gamma v0.3.0
)

replace example.com/beta => ../bétà-😀-missing // 😀 é

// replace example.com/gamma => ../gamma-old
"""
T_ALPHA, T_GAMMA, T_BETA_REPLACE, T_GAMMA_COMMENTED = 6, 8, 11, 13


def _toggle_tree(tmp_path: Path) -> tuple[Path, Path]:
    """project/app (the module), project/alpha and project/beta-src (siblings),
    elsewhere/src/github/gamma (found through localReplaceSearchPaths)."""
    app = tmp_path / "project" / "app"
    app.mkdir(parents=True)
    (app / "go.mod").write_text(TOGGLE_GO_MOD)
    for d, mod in (
        (tmp_path / "project" / "alpha", "example.com/alpha"),
        (tmp_path / "project" / "beta-src", "example.com/beta"),
        (tmp_path / "elsewhere" / "src" / "github" / "gamma", "example.com/gamma"),
        (tmp_path / "elsewhere" / "src" / "github" / "decoy", "example.com/decoy"),
    ):
        d.mkdir(parents=True)
        (d / "go.mod").write_text(f"module {mod}\n\ngo 1.21\n")
    return app, tmp_path / "elsewhere" / "src"


@pytest.mark.asyncio
@pytest.mark.parametrize("preset", PRESETS)
async def test_local_replace_toggles_edit_go_mod_exactly(preset: str, tmp_path: Path) -> None:
    app, search_path = _toggle_tree(tmp_path)
    env = isolated_env(tmp_path / "goenv")
    settings = {"verify": "off", "localReplaceSearchPaths": [str(search_path)]}
    async with session(preset, app, env, settings) as s:
        assert s.encoding == ("utf-16" if preset == VSCODE else "utf-8")
        uri = s.open(app / "go.mod")
        diags = await s.diagnostics(uri, lambda d: bool(d))
        assert codes(diags) == [("replace-missing", T_BETA_REPLACE)]

        # A require line with a sibling checkout.
        got = by_title(await s.actions(uri, T_ALPHA, only=["refactor"]))
        assert list(got) == ["Use local checkout ../alpha"]
        action = got["Use local checkout ../alpha"]
        assert action.kind == types.CodeActionKind.RefactorRewrite
        assert apply_lsp_edits(
            TOGGLE_GO_MOD,
            edits_of(action.edit, uri, 1),
            s.encoding,  # type: ignore[arg-type]
        ) == TOGGLE_GO_MOD.replace("// 😀 é\n", "// 😀 é\nreplace example.com/alpha => ../alpha\n")

        # A require line with a checkout in the configured search paths.
        got = by_title(await s.actions(uri, T_GAMMA, only=["refactor"]))
        assert list(got) == ["Use local checkout ../../elsewhere/src/github/gamma"]

        # The broken replace: remove, disable, or point at the sibling checkout.
        fixes = by_title(await s.actions(uri, T_BETA_REPLACE, only=["quickfix"]))
        assert list(fixes) == [
            "Remove the replace",
            "Disable the replace",
            "Point the replace at ../beta-src",
        ]
        assert all(
            a.diagnostics and a.diagnostics[0].code == "replace-missing" for a in fixes.values()
        )
        expected = {
            "Remove the replace": TOGGLE_GO_MOD.replace(
                "\nreplace example.com/beta => ../bétà-😀-missing // 😀 é\n", ""
            ),
            "Disable the replace": TOGGLE_GO_MOD.replace(
                "replace example.com/beta", "// replace example.com/beta"
            ),
            "Point the replace at ../beta-src": TOGGLE_GO_MOD.replace(
                "../bétà-😀-missing", "../beta-src"
            ),
        }
        for title, want in expected.items():
            edit = fixes[title].edit
            assert edit is not None
            assert apply_lsp_edits(TOGGLE_GO_MOD, edits_of(edit, uri, 1), s.encoding) == want

        # Applied in the editor: the replace now points at a checkout, the
        # diagnostic goes, and the line offers to disable the local replace.
        pointed = s.apply(uri, fixes["Point the replace at ../beta-src"])
        await s.diagnostics(uri, lambda d: not d)
        got = by_title(await s.actions(uri, T_BETA_REPLACE, only=["refactor"]))
        assert list(got) == ["Disable local replace"]
        disabled = s.apply(uri, got["Disable local replace"])
        assert disabled == pointed.replace(
            "replace example.com/beta", "// replace example.com/beta"
        )
        got = by_title(await s.actions(uri, T_BETA_REPLACE, only=["refactor"]))
        assert list(got) == ["Enable local replace"]
        assert s.apply(uri, got["Enable local replace"]) == pointed

        # A checkout of another module: go accepts it, we offer the right one.
        s.change(uri, pointed.replace("../beta-src", "../alpha"))
        diags = await s.diagnostics(uri, lambda d: bool(d))
        assert codes(diags) == [("replace-path-mismatch", T_BETA_REPLACE)]
        fixes = by_title(await s.actions(uri, T_BETA_REPLACE, only=["quickfix"]))
        assert list(fixes) == [
            "Remove the replace",
            "Disable the replace",
            "Point the replace at ../beta-src",
        ]
        assert s.apply(uri, fixes["Point the replace at ../beta-src"]) == pointed
        await s.diagnostics(uri, lambda d: not d)

        # A commented-out replace.
        got = by_title(await s.actions(uri, T_GAMMA_COMMENTED, only=["refactor"]))
        assert list(got) == ["Enable local replace"]
        enabled = s.apply(uri, got["Enable local replace"])
        assert enabled == pointed.replace(
            "// replace example.com/gamma", "replace example.com/gamma"
        )

        # Source actions, anywhere: disable all, then enable all again.
        src = by_title(await s.actions(uri, 2, only=["source"]))
        assert "Enable all local replaces" not in src  # nothing is commented out
        both_off = s.apply(uri, src["Disable all local replaces"])
        assert both_off == enabled.replace("\nreplace ", "\n// replace ")
        src = by_title(await s.actions(uri, 2, only=["source"]))
        assert "Disable all local replaces" not in src
        assert s.apply(uri, src["Enable all local replaces"]) == enabled

        # go reads the result as we meant it.
        (app / "go.mod").write_text(enabled)
        r = run_go(["mod", "edit", "-json"], app, env)
        assert r.returncode == 0, r.stderr
        assert [(x["Old"]["Path"], x["New"]["Path"]) for x in json.loads(r.stdout)["Replace"]] == [
            ("example.com/beta", "../beta-src"),
            ("example.com/gamma", "../gamma-old"),
        ]


# --------------------------------------------------------------------------- cache fixes


async def hover_text(s: Session, uri: str, line: int, character: int = 2) -> str:
    got = await s.client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri),
            position=types.Position(line=line, character=character),
        )
    )
    assert got is not None
    assert isinstance(got.contents, types.MarkupContent)
    assert got.contents.kind == types.MarkupKind.Markdown
    return got.contents.value


def assert_progress(s: Session, title: str) -> None:
    """A work-done progress with ``title`` began and ended."""
    reports = s.progress().get(title)
    assert reports, (title, list(s.progress()))
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)


@pytest.mark.asyncio
async def test_cache_modified_shows_files_and_redownload_repairs_it(
    unbuilt_ws: Ws, proxy: GoProxy
) -> None:
    # Never built before the edit: go indexes alpha's directory (in GOCACHE) with
    # extra.go, so go build passes at the end only if the redownload drops that index.
    ws = unbuilt_ws
    ext = Path(ws.files(*ALPHA).extracted_dir)
    writable(ext, ext / "alpha.go")
    (ext / "alpha.go").write_text("package alpha\n\nfunc A() int { return 2 }\n")
    (ext / "extra.go").write_text("package alpha\n")
    assert ws.go("build", "./...") == (0, "")  # go builds with the edit, silently
    assert ws.go("mod", "verify")[0] == 1

    async with session(VSCODE, ws.dir, ws.env(GOPROXY=proxy.url)) as s:
        uri = s.open(ws.gomod)
        diags = await s.diagnostics(uri, lambda d: any(x.code == "cache-modified" for x in d))
        assert codes(diags) == [("cache-modified", ALPHA_LINE)]
        text = await hover_text(s, uri, ALPHA_LINE)
        assert "**Changed files**" in text
        assert "- edited `alpha.go`" in text and "- added `extra.go`" in text
        assert "go's module index of this directory (in GOCACHE) may hold the changed" in text
        assert "GOCACHE may hold the changed file list: the fix drops it too" in diags[0].message

        fixes = by_title(await s.actions(uri, ALPHA_LINE, only=["quickfix"]))
        assert list(fixes) == [
            "Redownload example.com/alpha@v1.0.0",
            "Clear example.com/alpha@v1.0.0 from the module cache",
        ]
        redownload = fixes["Redownload example.com/alpha@v1.0.0"]
        assert redownload.is_preferred and redownload.command is not None
        assert redownload.command.command == "gomod-doctor.redownload"
        assert list(redownload.command.arguments or []) == [
            {"module": ALPHA[0], "version": ALPHA[1]}
        ]
        result = await s.run(redownload.command)
        assert result["ok"] is True and result["downloaded"] == ["example.com/alpha@v1.0.0"]
        assert_progress(s, "Redownloading example.com/alpha@v1.0.0")
        # re-diagnosed when done (fully verified: the new dir hashes right)
        await s.diagnostics(uri, lambda d: not d)
        assert s.errors_shown() == []
        # the new directory is watched as the old one was: a second edit shows too
        original = (ext / "alpha.go").read_text()
        writable(ext, ext / "alpha.go")
        (ext / "alpha.go").write_text("package alpha\n\nfunc A() int { return 3 }\n")
        await s.diagnostics(uri, lambda d: codes(d) == [("cache-modified", ALPHA_LINE)])
        (ext / "alpha.go").write_text(original)
        await s.diagnostics(uri, lambda d: not d)
    ws.assert_go_happy()
    assert not (ext / "extra.go").exists()


@pytest.mark.asyncio
async def test_cache_corrupt_zip_redownloaded(ws: Ws, proxy: GoProxy) -> None:
    zip_path = Path(ws.files(*PSEUDO).zip)
    writable(zip_path)
    zip_path.write_bytes(zip_path.read_bytes()[:100])
    async with session(NEOVIM, ws.dir, ws.env(GOPROXY=proxy.url)) as s:
        uri = s.open(ws.gomod)
        diags = await s.diagnostics(uri, lambda d: any(x.code == "cache-corrupt" for x in d))
        assert codes(diags) == [("cache-corrupt", PSEUDO_LINE)]
        fixes = by_title(await s.actions(uri, PSEUDO_LINE))
        title = f"Redownload {PSEUDO[0]}@{PSEUDO[1]}"
        assert title in fixes
        result = await s.run(fixes[title].command)  # type: ignore[arg-type]
        assert result["ok"] is True
        await s.diagnostics(uri, lambda d: not d)
    ws.assert_go_happy()


@pytest.mark.asyncio
async def test_cache_corrupt_cleared_then_downloaded(ws: Ws, proxy: GoProxy) -> None:
    f = ws.files(*ALPHA)
    os.unlink(f.ziphash)  # a zip without its .ziphash: go mod verify rejects it
    async with session(NEOVIM, ws.dir, ws.env(GOPROXY=proxy.url), {"verify": "quick"}) as s:
        uri = s.open(ws.gomod)
        diags = await s.diagnostics(uri, lambda d: bool(d))
        assert codes(diags) == [("cache-corrupt", ALPHA_LINE)]
        fixes = by_title(await s.actions(uri, ALPHA_LINE))
        clear = fixes["Clear example.com/alpha@v1.0.0 from the module cache"]
        result = await s.run(clear.command)  # type: ignore[arg-type]
        assert result["ok"] is True and result["versions"] == ["example.com/alpha@v1.0.0"]
        assert_progress(s, "Clearing example.com/alpha@v1.0.0")
        assert not os.path.exists(f.zip) and not os.path.exists(f.extracted_dir)

        diags = await s.diagnostics(uri, lambda d: any(x.code == "cache-missing" for x in d))
        assert codes(diags) == MISSING_ALPHA
        fixes = by_title(await s.actions(uri, ALPHA_LINE, only=["quickfix"]))
        assert list(fixes) == [
            "Download example.com/alpha@v1.0.0",
            "Download all missing modules",
        ]
        result = await s.run(fixes["Download example.com/alpha@v1.0.0"].command)  # type: ignore[arg-type]
        assert result == {"ok": True, "errors": [], "downloaded": ["example.com/alpha@v1.0.0"]}
        assert_progress(s, "Downloading example.com/alpha@v1.0.0")
        await s.diagnostics(uri, lambda d: not d)
    ws.assert_go_happy()


@pytest.mark.asyncio
async def test_download_all_missing_and_a_failure_in_gos_words(ws: Ws, proxy: GoProxy) -> None:
    for mv in (ALPHA, PSEUDO):
        assert ops.clear_version(ws.fx.gomodcache, *mv).ok
    async with session(VSCODE, ws.dir, ws.env(GOPROXY=proxy.url), {"verify": "quick"}) as s:
        uri = s.open(ws.gomod)
        diags = await s.diagnostics(uri, lambda d: len(d) == 3)
        assert codes(diags) == [
            ("cache-missing", ALPHA_LINE),
            ("cache-missing", PSEUDO_LINE),
            ("cache-missing-summary", MODULE_LINE),
        ]
        # no squiggle on the requires: hints; the module line says it once, as information
        hint = types.DiagnosticSeverity.Hint
        assert [d.severity for d in diags if d.code == "cache-missing"] == [hint, hint]
        (summary,) = [d for d in diags if d.code == "cache-missing-summary"]
        assert summary.severity == types.DiagnosticSeverity.Information
        assert summary.message == (
            "2 needed module versions are not in the module cache yet: the next build "
            f"downloads them from {proxy.url} (the module graph is read up to their go.mod "
            "files: what they require is known once they are downloaded)"
        )
        # its fix, on the module line: download them all
        fixes = by_title(await s.actions(uri, MODULE_LINE, only=["quickfix"]))
        assert list(fixes) == ["Download all missing modules"]
        assert fixes["Download all missing modules"].is_preferred is True
        result = await s.run(fixes["Download all missing modules"].command)  # type: ignore[arg-type]
        assert result["ok"] is True
        assert sorted(result["downloaded"]) == sorted(f"{p}@{v}" for p, v in (ALPHA, PSEUDO))
        assert_progress(s, "Downloading 2 missing modules")
        await s.diagnostics(uri, lambda d: not d)
        ws.assert_go_happy()

        # A version the proxy does not have: go's own error, shown to the user.
        s.change(uri, TIDY_GO_MOD.replace("alpha v1.0.0", "alpha v1.0.1"))
        v101 = [
            ("cache-missing", ALPHA_LINE),
            ("cache-missing-summary", MODULE_LINE),
            ("sum-missing", ALPHA_LINE),  # one finding for both go.sum lines
        ]
        await s.diagnostics(uri, lambda d: codes(d) == v101)
        fixes = by_title(await s.actions(uri, ALPHA_LINE, only=["quickfix"]))
        assert list(fixes) == [
            "Download example.com/alpha@v1.0.1",
            "Download all missing modules",
            "Add missing go.sum entries",
        ]
        result = await s.run(fixes["Download example.com/alpha@v1.0.1"].command)  # type: ignore[arg-type]
        go_error = (
            f"example.com/alpha@v1.0.1: reading {proxy.url}/example.com/alpha/@v/v1.0.1.info: "
            "404 Not Found\n\tserver response: not found: /example.com/alpha/@v/v1.0.1.info"
        )
        assert result == {"ok": False, "errors": [go_error], "downloaded": []}
        (shown,) = s.errors_shown()
        assert go_error in shown
        # still diagnosed, nothing else changed
        await s.diagnostics(uri, lambda d: codes(d) == v101)


@pytest.mark.asyncio
async def test_download_all_from_the_module_line_with_the_hints_turned_off(
    ws: Ws, proxy: GoProxy
) -> None:
    """With ``cache-missing`` off, the module line's count still lists every missing
    version, and its "Download all missing modules" downloads them."""
    for mv in (ALPHA, PSEUDO):
        assert ops.clear_version(ws.fx.gomodcache, *mv).ok
    settings = {"verify": "quick", "diagnostics": {"severity": {"cache-missing": "off"}}}
    async with session(NEOVIM, ws.dir, ws.env(GOPROXY=proxy.url), settings) as s:
        uri = s.open(ws.gomod)
        diags = await s.diagnostics(uri, lambda d: bool(d))
        assert codes(diags) == [("cache-missing-summary", MODULE_LINE)]
        fixes = by_title(await s.actions(uri, MODULE_LINE, only=["quickfix"]))
        result = await s.run(fixes["Download all missing modules"].command)  # type: ignore[arg-type]
        assert result["ok"] is True
        assert sorted(result["downloaded"]) == sorted(f"{p}@{v}" for p, v in (ALPHA, PSEUDO))
        await s.diagnostics(uri, lambda d: not d)
    ws.assert_go_happy()


# --------------------------------------------------------------------------- go.sum fixes


@pytest.mark.asyncio
async def test_sum_missing_entries_added_by_go(ws: Ws) -> None:
    original = ws.gosum.read_text()
    ws.gosum.write_text(
        "".join(x for x in original.splitlines(True) if not x.startswith("example.com/alpha "))
    )
    async with session(VSCODE, ws.dir, ws.env(), {"verify": "quick"}) as s:
        uri = s.open(ws.gomod)
        diags = await s.diagnostics(uri, lambda d: bool(d))
        (d,) = diags  # one finding for both missing go.sum lines
        assert codes(diags) == [("sum-missing", ALPHA_LINE)]
        assert "missing go.sum entry for go.mod file" in d.message
        assert "missing go.sum entry for module providing package example.com/alpha" in d.message
        assert isinstance(d.data, dict) and [x["kind"] for x in d.data["lines"]] == [
            "go.mod",
            "zip",
        ]
        fixes = by_title(await s.actions(uri, ALPHA_LINE, only=["quickfix"]))
        assert list(fixes) == ["Add missing go.sum entries"]
        cmd = fixes["Add missing go.sum entries"].command
        assert cmd is not None and list(cmd.arguments or []) == [
            {"module": ALPHA[0], "version": ALPHA[1], "dir": str(ws.dir)}
        ]
        result = await s.run(cmd)
        assert result["ok"] is True
        await s.diagnostics(uri, lambda d: not d)
    # offline (GOPROXY=off): go recorded the sums from the cache
    assert ws.gosum.read_text() == original
    ws.assert_go_happy()


def _self_consistent_wrong_zip(ws: Ws) -> None:
    """The cache holds another alpha v1.0.0 (zip, .ziphash, extracted dir all agree)."""
    f = ws.files(*ALPHA)
    other = ModuleSpec(ALPHA[0], ALPHA[1], {"alpha.go": b"package alpha\n\nvar Other = 1\n"})
    writable(f.zip, f.ziphash)
    Path(f.zip).write_bytes(other.zip_bytes())
    Path(f.ziphash).write_text(hash_zip(f.zip))
    make_writable_and_remove(f.extracted_dir)


@pytest.mark.asyncio
async def test_sum_mismatch_redownloaded_and_reverified(ws: Ws, proxy: GoProxy) -> None:
    _self_consistent_wrong_zip(ws)
    async with session(NEOVIM, ws.dir, ws.env(GOPROXY=proxy.url)) as s:
        uri = s.open(ws.gomod)
        diags = await s.diagnostics(uri, lambda d: any(x.code == "sum-mismatch" for x in d))
        assert codes(diags) == [("sum-mismatch", ALPHA_LINE)]
        title = "Redownload example.com/alpha@v1.0.0 and re-verify"
        fixes = by_title(await s.actions(uri, ALPHA_LINE, only=["quickfix"]))
        assert list(fixes) == [title]
        result = await s.run(fixes[title].command)  # type: ignore[arg-type]
        assert result["ok"] is True
        await s.diagnostics(uri, lambda d: not d)
    ws.assert_go_happy()


@pytest.mark.asyncio
async def test_sum_mismatch_redownload_refused_by_go_when_the_proxy_lies(
    ws: Ws, proxy: GoProxy
) -> None:
    _self_consistent_wrong_zip(ws)
    lie = ModuleSpec(ALPHA[0], ALPHA[1], {"alpha.go": b"package alpha\n\nvar Lie = 1\n"})
    proxy.add(lie)
    async with session(VSCODE, ws.dir, ws.env(GOPROXY=proxy.url), {"verify": "quick"}) as s:
        uri = s.open(ws.gomod)
        await s.diagnostics(uri, lambda d: codes(d) == [("sum-mismatch", ALPHA_LINE)])
        title = "Redownload example.com/alpha@v1.0.0 and re-verify"
        fixes = by_title(await s.actions(uri, ALPHA_LINE, only=["quickfix"]))
        result = await s.run(fixes[title].command)  # type: ignore[arg-type]
        assert result["ok"] is False
        (shown,) = s.errors_shown()
        assert "verifying example.com/alpha@v1.0.0: checksum mismatch" in shown
        assert "SECURITY ERROR" in shown
        # go kept the lie out of the cache (leaving its temp file, as go does): the
        # next build must download alpha's zip again, and the temp file is the download
        # go rejected, not an interrupted one
        diags = await s.diagnostics(
            uri,
            lambda d: codes(d) == sorted([("download-rejected", ALPHA_LINE), *MISSING_ALPHA]),
        )
        (rejected,) = [d for d in diags if d.code == "download-rejected"]
        assert "checksum mismatch" in rejected.message
        fixes = by_title(await s.actions(uri, ALPHA_LINE, [rejected]))
        assert "Compare the proxies' copies of example.com/alpha@v1.0.0" in fixes
    assert not os.path.exists(ws.files(*ALPHA).zip)


@pytest.mark.asyncio
async def test_sum_conflict_resolved_and_accepted_by_go(ws: Ws) -> None:
    lines = ws.gosum.read_text().splitlines(True)
    ours = [x for i, x in enumerate(lines) if i % 3 != 0]
    theirs = [x for i, x in enumerate(lines) if i % 3 != 1]
    conflicted = (
        "".join(lines[:2])
        + "<<<<<<< HEAD\n"
        + "".join(ours)
        + "=======\n"
        + "".join(theirs)
        + ">>>>>>> feature\n"
    )
    ws.gosum.write_text(conflicted)
    assert ws.go("build", "./...")[0] == 1
    async with session(VSCODE, ws.dir, ws.env(), {"verify": "quick"}) as s:
        uri = s.open(ws.gosum)
        diags = await s.diagnostics(uri, lambda d: any(x.code == "sum-conflict" for x in d))
        (conflict,) = [d for d in diags if d.code == "sum-conflict"]
        fixes = by_title(await s.actions(uri, conflict.range.start.line, [conflict]))
        assert list(fixes) == ["Resolve go.sum merge conflict"]
        resolved = s.apply(uri, fixes["Resolve go.sum merge conflict"])
        s.save(uri, ws.gosum)
        await s.diagnostics(uri, lambda d: not d)
    assert "<<<<<<<" not in resolved and "=======" not in resolved
    assert sorted(resolved.splitlines(True)) == sorted(lines)  # both sides, each line once
    ws.assert_go_happy()


@pytest.mark.asyncio
@pytest.mark.parametrize("preset", PRESETS)
async def test_sum_duplicate_wrong_line_removed(preset: str, ws: Ws) -> None:
    original = ws.gosum.read_text()
    lines = original.splitlines(True)
    i = next(n for n, x in enumerate(lines) if x.startswith("example.com/alpha v1.0.0 "))
    wrong = f"example.com/alpha v1.0.0 {WRONG_H1}\n"
    async with session(preset, ws.dir, ws.env(), {"verify": "quick"}) as s:
        uri = s.open(ws.gosum, "".join([*lines[: i + 1], wrong, *lines[i + 1 :]]))
        diags = await s.diagnostics(uri, lambda d: bool(d))
        assert codes(diags) == [("sum-duplicate", i + 1)]
        fixes = by_title(await s.actions(uri, i + 1))
        assert list(fixes) == ["Remove the wrong duplicate line"]
        assert s.apply(uri, fixes["Remove the wrong duplicate line"]) == original
        await s.diagnostics(uri, lambda d: not d)

        # The wrong line first: go uses it (a checksum mismatch); the fix removes it.
        s.change(uri, "".join([*lines[:i], wrong, *lines[i:]]))
        diags = await s.diagnostics(uri, lambda d: any(x.code == "sum-duplicate" for x in d))
        dup = [d for d in diags if d.code == "sum-duplicate"]
        assert [d.range.start.line for d in dup] == [i + 1]
        fixes = by_title(await s.actions(uri, i + 1, dup))
        assert s.apply(uri, fixes["Remove the wrong duplicate line"]) == original
        await s.diagnostics(uri, lambda d: not d)


# --------------------------------------------------------------------------- source actions


def _download_into(ws: Ws, proxy: GoProxy, spec: ModuleSpec, tmp: Path) -> None:
    """Put another module version in the fixture's cache, with the real go."""
    proxy.add(spec)
    tmp.mkdir()
    r = run_go(["mod", "download", f"{spec.path}@{spec.version}"], tmp, ws.env(GOPROXY=proxy.url))
    assert r.returncode == 0, r.stderr


@pytest.mark.asyncio
async def test_cache_source_actions_ask_first_and_say_the_bytes(
    ws: Ws, proxy: GoProxy, tmp_path: Path
) -> None:
    old = ModuleSpec("example.com/old", "v0.1.0", {"old.go": b"package old\n"})
    _download_into(ws, proxy, old, tmp_path / "dl")
    cache = ws.fx.gomodcache
    async with session(VSCODE, ws.dir, ws.env()) as s:
        uri = s.open(ws.gomod)
        await s.diagnostics(uri, lambda d: not d)
        src = by_title(await s.actions(uri, ALPHA_LINE, only=["source"]))
        assert list(src) == [
            "Clear all cached versions of example.com/alpha",
            "Clear the whole module cache",
            "Prune versions this workspace doesn't need",
            "Verify all now",
        ]
        assert all(a.kind == types.CodeActionKind.Source for a in src.values())

        # The whole cache: the question states the bytes; "no" leaves it alone.
        whole = ops.estimate_bytes(cache)
        s.answer(None)
        result = await s.run(src["Clear the whole module cache"].command)  # type: ignore[arg-type]
        assert result["ok"] is False and result["declined"] is True
        (question,) = s.asked()
        assert question.startswith(f"Clear the whole module cache {cache}? This frees ")
        assert f"{whole} bytes)" in question  # "2.6 MB (2557110 bytes)"
        assert Path(ws.files(*ALPHA).zip).exists()

        # Prune: what no open workspace needs (example.com/old), after a "yes".
        s.answer("Prune")
        old_bytes = ops.estimate_bytes(cache, old.path)
        result = await s.run(src["Prune versions this workspace doesn't need"].command)  # type: ignore[arg-type]
        assert result == {
            "ok": True,
            "errors": [],
            "bytesFreed": old_bytes,
            "versions": ["example.com/old@v0.1.0"],
            "index": {"dropped": [], "notes": []},  # never built: go never indexed it
        }
        assert s.asked()[-1].startswith("Prune 1 module version that no open workspace needs")
        assert s.asked()[-1].endswith(f"This frees {old_bytes} bytes.")
        assert_progress(s, "Pruning the module cache")
        assert ops.estimate_bytes(cache, old.path) == 0
        ws.assert_go_happy()  # everything the workspace needs is still there

        # Every version of alpha, after a "yes": the build now misses it.
        s.answer("Clear")
        alpha_bytes = ops.estimate_bytes(cache, ALPHA[0])
        result = await s.run(src["Clear all cached versions of example.com/alpha"].command)  # type: ignore[arg-type]
        assert result["ok"] is True and result["bytesFreed"] == alpha_bytes
        assert s.asked()[-1].startswith(
            f"Clear all 1 cached version of example.com/alpha from the module cache {cache}? "
        )
        assert s.asked()[-1].endswith(f"({alpha_bytes} bytes).")  # "1.9 kB (1902 bytes)"
        assert_progress(s, "Clearing every version of example.com/alpha")
        # GOPROXY=off: go cannot fetch it, so the setting's finding is the error
        await s.diagnostics(uri, lambda d: codes(d) == [("proxy-config", ALPHA_LINE)])

        # The whole cache, after a "yes".
        result = await s.run(src["Clear the whole module cache"].command)  # type: ignore[arg-type]
        assert result["ok"] is True and result["bytesFreed"] > 0
        assert not cache.exists()
        assert_progress(s, "Clearing the module cache")
        await s.diagnostics(uri, lambda d: len(d) == 6)
        assert {str(d.code) for d in s.client.diagnostics[uri]} == {"proxy-config"}
        assert s.errors_shown() == []


@pytest.mark.asyncio
async def test_untrusted_workspace_offers_nothing_that_runs_go_or_touches_the_cache(
    ws: Ws,
) -> None:
    assert ops.clear_version(ws.fx.gomodcache, *ALPHA).ok
    async with session(NEOVIM, ws.dir, ws.env(), {"verify": "quick", "trusted": False}) as s:
        uri = s.open(ws.gomod)
        diags = await s.diagnostics(uri, lambda d: bool(d))
        assert codes(diags) == [("proxy-config", ALPHA_LINE)]  # GOPROXY=off
        actions = await s.actions(uri, ALPHA_LINE)
        assert [(a.title, a.command.command if a.command else None) for a in actions] == [
            ("Verify all now", "gomod-doctor.verifyAll")
        ]
        # Asked anyway (an old code action, a hand-made request): refused.
        result = await s.run(
            types.Command(
                title="",
                command="gomod-doctor.download",
                arguments=[{"module": ALPHA[0], "version": ALPHA[1]}],
            )
        )
        assert result["ok"] is False
        (shown,) = s.errors_shown()
        assert "not trusted" in shown
    assert not os.path.exists(ws.files(*ALPHA).zip)


# --------------------------------------------------------------------------- hover, links, lens

ORIGIN = {
    "VCS": "git",
    "URL": "https://example.com/alpha.git",
    "Ref": "refs/tags/v1.0.0",
    "Hash": "0123456789abcdef0123456789abcdef01234567",
}
REPLACE_TEXT = "\nreplace example.com/two/v2 => ../two\n\nexclude example.com/alpha v0.9.0\n"
TWO_REPLACE_LINE, EXCLUDE_LINE = 14, 16


@pytest.mark.asyncio
@pytest.mark.parametrize("preset", PRESETS)
async def test_hover_links_and_lens(preset: str, ws: Ws) -> None:
    info = Path(ws.files(*ALPHA).info)
    writable(info)
    info.write_text(
        json.dumps({"Version": "v1.0.0", "Time": "2024-01-02T03:04:05Z", "Origin": ORIGIN})
    )
    two = ws.dir.parent / "two"
    two.mkdir()
    (two / "go.mod").write_text("module example.com/two/v2\n\ngo 1.21\n")
    (two / "two.go").write_text("package two\n")
    gomod_text = TIDY_GO_MOD + REPLACE_TEXT
    env = ws.env(GOPRIVATE="example.com/pseudo")
    async with session(preset, ws.dir, env) as s:
        uri = s.open(ws.gomod, gomod_text)
        await s.diagnostics(uri, lambda d: not d)
        lenses = await s.client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri))
        )
        # six module versions required; five in the cache, verified (two/v2 is a directory)
        deadline = time.monotonic() + TIMEOUT
        while (
            lenses and "5 verified" not in lenses[0].command.title and time.monotonic() < deadline
        ):  # type: ignore[union-attr]
            await asyncio.sleep(0.1)
            lenses = await s.client.text_document_code_lens_async(
                types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri))
            )
        (lens,) = lenses or []
        assert lens.range.start.line == MODULE_LINE
        assert lens.command is not None
        assert lens.command.title == "6 modules · 5 verified · 0 problems"
        # A client keeps a lens until told: the server asks for a refresh when the
        # summary changes (verification finished), where the client supports it.
        refreshes = s.client.lens_refreshes  # type: ignore[attr-defined]
        assert refreshes >= 1 if preset == VSCODE else refreshes == 0
        assert lens.command.command == "gomod-doctor.verifyAll"
        before = set(s.client.progress_reports)
        assert await s.run(lens.command) == {"ok": True}
        new = [t for t in s.client.progress_reports if t not in before]
        assert new and all(
            isinstance(s.client.progress_reports[t][-1], types.WorkDoneProgressEnd) for t in new
        )

        # Hover on a require line.
        text = await hover_text(s, uri, ALPHA_LINE)
        f = ws.files(*ALPHA)
        assert f"**`{ALPHA[0]}` {ALPHA[1]}**" in text
        for path in (f.mod, f.zip, f.ziphash, f.info, f.extracted_dir):
            assert f"`{path}`" in text
        assert f"{os.path.getsize(f.zip)} bytes" in text
        assert "(complete)" in text and "(full)" in text and "- last verified " in text
        assert f"- go.sum: `{ALPHA_H1}`" in text
        assert f"- .ziphash: `{ALPHA_H1}` (matches go.sum)" in text
        assert f"- zip, recomputed: `{ALPHA_H1}` (matches go.sum)" in text
        assert f"- cached .mod: `{ALPHA_MOD_H1}` (matches go.sum)" in text
        assert "- Time: 2024-01-02T03:04:05Z" in text
        for key, value in ORIGIN.items():
            assert f"- {key}: `{value}`" in text
        assert "**Imported by**\n- `example.com/workspace` (deps.go:" in text

        # Hover on the directory replacement, and on the exclude line.
        text = await hover_text(s, uri, TWO_REPLACE_LINE)
        assert "by the directory `../two`" in text
        assert f"`{two}`, whose go.mod declares `example.com/two/v2`" in text
        assert "Applies to the requirement `example.com/two/v2 v2.0.1`." in text
        text = await hover_text(s, uri, EXCLUDE_LINE)
        assert "**exclude `example.com/alpha v0.9.0`**" in text and "- go.mod: missing" in text

        # Hover on go.sum lines.
        sum_lines = ws.gosum.read_text().splitlines()
        sum_uri = s.open(ws.gosum)
        n = sum_lines.index(f"example.com/alpha v1.0.0/go.mod {ALPHA_MOD_H1}")
        text = await hover_text(s, sum_uri, n)
        assert f"- cached .mod: `{ALPHA_MOD_H1}` (matches go.sum)" in text
        n = sum_lines.index(f"example.com/alpha v1.0.0 {ALPHA_H1}")
        text = await hover_text(s, sum_uri, n)
        assert f"- zip, recomputed: `{ALPHA_H1}` (matches go.sum)" in text
        assert (
            await s.client.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri),
                    position=types.Position(line=2, character=1),
                )
            )
            is None
        )  # the go line

        # Links: pkg.go.dev for module paths (not the GOPRIVATE one), go.mod for the
        # directory replacement.
        links = await s.client.text_document_document_link_async(
            types.DocumentLinkParams(text_document=types.TextDocumentIdentifier(uri))
        )
        got = sorted(
            (link.range.start.line, link.range.start.character, link.target) for link in links or []
        )
        assert got == [
            (BIG_LINE, 1, "https://pkg.go.dev/example.com/Mixed/Big@v1.3.0-RC1"),
            (ALPHA_LINE, 1, "https://pkg.go.dev/example.com/alpha@v1.0.0"),
            (TWO_LINE, 1, "https://pkg.go.dev/example.com/two/v2@v2.0.1"),
            (TWO_LINE + 1, 1, "https://pkg.go.dev/github.com/Upper/Case@v2.1.0+incompatible"),
            (12, 8, "https://pkg.go.dev/example.com/dep@v1.1.0"),
            (TWO_REPLACE_LINE, 8, "https://pkg.go.dev/example.com/two/v2"),
            (TWO_REPLACE_LINE, 30, (two / "go.mod").as_uri()),
            (EXCLUDE_LINE, 8, "https://pkg.go.dev/example.com/alpha@v0.9.0"),
        ]
        assert all((link.tooltip is not None) == (preset == VSCODE) for link in links or [])


@pytest.mark.asyncio
async def test_bad_arguments_and_odd_requests_never_hurt(tmp_path: Path) -> None:
    app, _ = _toggle_tree(tmp_path)
    env = isolated_env(tmp_path / "goenv")
    cache = Path(env["GOMODCACHE"])
    (cache / "cache").mkdir(parents=True)
    async with session(VSCODE, app, env, {"verify": "off"}) as s:
        uri = s.open(app / "go.mod")
        await s.diagnostics(uri, lambda d: bool(d))
        for command, args, error in [
            (
                "gomod-doctor.clear",
                {"module": "-x", "version": "v1.0.0"},
                "must not start with '-'",
            ),
            ("gomod-doctor.clear", {"module": "example.com/a", "version": "1.0"}, "1.0"),
            ("gomod-doctor.clearAllVersions", {"module": "../../etc"}, "../../etc"),
            ("gomod-doctor.redownload", {"module": 3}, "invalid argument 'module'"),
            (
                "gomod-doctor.download",
                {"module": "example.com/a", "version": "v1.0.0", "dir": "/"},
                "not a workspace module directory",
            ),
        ]:
            before = len(s.errors_shown())
            result = await s.run(types.Command(title="", command=command, arguments=[args]))
            assert result["ok"] is False, (command, args)
            shown = s.errors_shown()[before:]
            assert len(shown) == 1 and error in shown[0], (command, shown)
        # a diagnostic the client made up, on a line past the end
        junk = types.Diagnostic(
            range=types.Range(start=types.Position(99, 0), end=types.Position(99, 5)),
            message="?",
            code="replace-missing",
            source="gomod-doctor",
            data=["not", "an", "object"],
        )
        assert await s.actions(uri, 99, [junk]) is not None
        junk.data = {"code": "sum-duplicate", "wrongLine": "3"}
        await s.actions(uri, 0, [junk])
        # the server is still answering
        await s.diagnostics(uri, lambda d: codes(d) == [("replace-missing", T_BETA_REPLACE)])
        assert not [m for m in s.client.log_messages if "Traceback" in m.message]


@pytest.mark.asyncio
async def test_a_download_cancelled_from_the_client_stops_go(ws: Ws, proxy: GoProxy) -> None:
    assert ops.clear_version(ws.fx.gomodcache, *ALPHA).ok
    zip_request = proxy.module_url(ALPHA[0], "@v/v1.0.0.zip")
    proxy.override(zip_request, Response(hang=True))
    async with session(VSCODE, ws.dir, ws.env(GOPROXY=proxy.url), {"verify": "quick"}) as s:
        uri = s.open(ws.gomod)
        await s.diagnostics(uri, lambda d: codes(d) == MISSING_ALPHA)
        fixes = by_title(await s.actions(uri, ALPHA_LINE, only=["quickfix"]))
        started = time.monotonic()
        running = asyncio.ensure_future(s.run(fixes["Download example.com/alpha@v1.0.0"].command))  # type: ignore[arg-type]
        assert await asyncio.to_thread(proxy.wait_for_request, zip_request, 20.0)
        (token,) = [
            t
            for t, r in s.client.progress_reports.items()
            if r and getattr(r[0], "title", "") == "Downloading example.com/alpha@v1.0.0"
        ]
        assert s.client.progress_reports[token][0].cancellable is True
        s.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        result = await asyncio.wait_for(running, 20)
        assert time.monotonic() - started < 15
        assert result == {
            "ok": False,
            "errors": ["not downloaded: cancelled", "go mod download cancelled"],
            "downloaded": [],
        }
        end = s.client.progress_reports[token][-1]
        assert isinstance(end, types.WorkDoneProgressEnd) and end.message == "Cancelled"
        # go was killed mid-download: its temp file is left, the zip is missing
        interrupted = [("cache-incomplete", ALPHA_LINE), *MISSING_ALPHA]
        await s.diagnostics(uri, lambda d: codes(d) == interrupted)

        # Redownload clears the leftover and downloads again.
        proxy.clear_overrides()
        fixes = by_title(await s.actions(uri, ALPHA_LINE, only=["quickfix"]))
        result = await s.run(fixes["Redownload example.com/alpha@v1.0.0"].command)  # type: ignore[arg-type]
        assert result["ok"] is True
        await s.diagnostics(uri, lambda d: not d)
    ws.assert_go_happy()


@pytest.mark.asyncio
async def test_stale_module_index_shown_and_dropped(unbuilt_ws: Ws, proxy: GoProxy) -> None:
    """go's module index lists a file alpha's directory no longer holds (a repair that
    left the index, as a plain go clean -modcache would): build-cache-stale on the
    require line, the hover shows the entry, the quick fix drops it — and only it —
    and go builds again."""
    ws = unbuilt_ws
    ext = Path(ws.files(*ALPHA).extracted_dir)
    writable(ext)
    (ext / "injected.go").write_text("package alpha\n\nfunc Injected() int { return 7 }\n")
    assert ws.go("build", "./...") == (0, "")  # indexed with injected.go
    got = ops.redownload(ws.fx.gomodcache, *ALPHA, go=GO, env=ws.env(GOPROXY=proxy.url))
    assert got.ok and not (ext / "injected.go").exists()
    code, out = ws.go("build", "./...")
    assert code == 1 and "injected.go: no such file or directory" in out, out
    gocache = Path(ws.fx.env["GOCACHE"])
    before = file_stats(gocache)

    async with session(VSCODE, ws.dir, ws.env(GOPROXY=proxy.url)) as s:
        uri = s.open(ws.gomod)
        diags = await s.diagnostics(uri, lambda d: any(x.code == "build-cache-stale" for x in d))
        assert codes(diags) == [("build-cache-stale", ALPHA_LINE)]
        (d,) = diags
        assert d.severity == types.DiagnosticSeverity.Warning
        assert f"'open {ext}/injected.go: no such file or directory'" in d.message, d.message
        text = await hover_text(s, uri, ALPHA_LINE)
        assert "**go's module index** (GOCACHE): go builds with the indexed file list" in text
        assert "lists `injected.go`, which the directory no longer holds" in text
        fixes = by_title(await s.actions(uri, ALPHA_LINE, only=["quickfix"]))
        title = "Drop go's stale module index of example.com/alpha@v1.0.0 (GOCACHE)"
        assert list(fixes) == [title]
        assert fixes[title].is_preferred and fixes[title].command is not None
        result = await s.run(fixes[title].command)
        assert result["ok"] is True, result
        (dropped,) = result["index"]["dropped"]
        await s.diagnostics(uri, lambda d: not d)
        assert s.errors_shown() == []
    after = file_stats(gocache)
    assert set(before) - set(after) == {os.path.relpath(dropped, gocache)}
    assert {k: v for k, v in before.items() if k in after} == after
    ws.assert_go_happy()
