"""Document links in go.mod, go.work and go.sum.

- A directory replacement (and a go.work ``use`` line) links to the target's
  go.mod, when it has one.
- A module path links to its page on pkg.go.dev (``https://pkg.go.dev/<path>@<version>``),
  except for paths matching GOPRIVATE or GONOPROXY (private code is not there) and
  paths that cannot be fetched at all (no dot in the first element).
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.capabilities import get_capability

from gomod_doctor.lsp.convert import path_to_uri
from gomod_doctor.lsp.document import DocInfo, doc_info
from gomod_doctor.modfile.rules import ModFile, parse_string
from gomod_doctor.modfile.syntax import Line, Token
from gomod_doctor.modfile.work import WorkFile
from gomod_doctor.position import Range

if TYPE_CHECKING:
    from gomod_doctor.lsp.context import Context

__all__ = ["PKG_GO_DEV", "document_links", "pkg_go_dev_url"]

PKG_GO_DEV = "https://pkg.go.dev/"


def pkg_go_dev_url(path: str, version: str = "") -> str:
    target = path + (f"@{version}" if version else "")
    return PKG_GO_DEV + urllib.parse.quote(target, safe="/@+~!")


def _args(line: Line) -> list[Token]:
    """The tokens after the verb (all of them inside a block)."""
    return list(line.tokens if line.in_block else line.tokens[1:])


def _text(tok: Token) -> str:
    try:
        return parse_string(tok.text)
    except Exception:
        return tok.text


def _tooltip_support(server: Context) -> bool:
    return bool(
        get_capability(server.client_capabilities, "text_document.document_link.tooltip_support")
    )


class _Links:
    def __init__(self, server: Context, doc: DocInfo) -> None:
        self.server = server
        self.doc = doc
        self.env = server.state.env
        self.out: list[types.DocumentLink] = []
        self.tooltips = _tooltip_support(server)

    def add(self, rng: Range, target: str, tooltip: str) -> None:
        self.out.append(
            types.DocumentLink(
                range=self.doc.lsp_range(rng),
                target=target,
                tooltip=tooltip if self.tooltips else None,
            )
        )

    def module(self, tok: Token, path: str, version: str = "") -> None:
        first = path.split("/", 1)[0]
        if "." not in first or self.env.is_private(path) or self.env.no_proxy(path):
            return
        shown = path + (f"@{version}" if version else "")
        self.add(tok.range, pkg_go_dev_url(path, version), f"Open {shown} on pkg.go.dev")

    def directory(self, tok: Token, rel: str, base: Path) -> None:
        p = Path(rel)
        target = Path(os.path.normpath(p if p.is_absolute() else base / p))
        gomod = target / "go.mod"
        try:
            exists = gomod.is_file()
        except OSError:
            exists = False
        if exists:
            self.add(tok.range, path_to_uri(gomod), f"Open {gomod}")

    def modfile(self, f: ModFile | WorkFile) -> None:
        base = self.doc.path.parent
        if isinstance(f, ModFile):
            for req in f.require:
                toks = _args(req.syntax)
                if toks:
                    self.module(toks[0], req.path, req.version)
            for ex in f.exclude:
                toks = _args(ex.syntax)
                if toks:
                    self.module(toks[0], ex.path, ex.version)
        else:
            for use in f.use:
                toks = _args(use.syntax)
                if toks:
                    self.directory(toks[0], use.path, base)
        for rep in f.replace:
            toks = _args(rep.syntax)
            arrow = next((i for i, t in enumerate(toks) if t.text == "=>"), None)
            if arrow is None or arrow + 1 >= len(toks):
                continue
            self.module(toks[0], rep.old_path, rep.old_version)
            new = toks[arrow + 1]
            if rep.is_dir:
                self.directory(new, rep.new_path, base)
            else:
                self.module(new, rep.new_path, rep.new_version)

    def gosum(self) -> None:
        parsed = self.doc.parsed_sum()
        if parsed is None:
            return
        seen: set[int] = set()
        for e in parsed.entries:
            if e.line in seen:
                continue
            seen.add(e.line)
            path = e.module
            first = path.split("/", 1)[0]
            if "." not in first or self.env.is_private(path) or self.env.no_proxy(path):
                continue
            shown = f"{path}@{e.version}"
            self.add(e.module_range, pkg_go_dev_url(path, e.version), f"Open {shown} on pkg.go.dev")


def document_links(server: Context, params: types.DocumentLinkParams) -> list[types.DocumentLink]:
    """The links of the document."""
    doc = doc_info(server, params.text_document.uri)
    if doc is None:
        return []
    links = _Links(server, doc)
    if doc.kind in ("mod", "work"):
        f = doc.parsed()
        if f is not None:
            links.modfile(f)
    elif doc.kind == "sum":
        links.gosum()
    return links.out
