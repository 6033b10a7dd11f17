"""The ``gomod-doctor`` command: the CLI (:mod:`gomod_doctor.cli`), whose ``serve``
runs the language server (:mod:`gomod_doctor.lsp`).

The one module above both adapters, which never import each other: it hands the
CLI the language server's ``serve`` (loaded, with pygls, only when it runs).
"""

from __future__ import annotations

from collections.abc import Sequence


def serve(tcp: str | None) -> int:
    from gomod_doctor.lsp.server import serve as run  # pygls only for the server

    return run(tcp)


def main(argv: Sequence[str] | None = None) -> int:
    from gomod_doctor.cli.main import main as cli_main

    return cli_main(argv, serve=serve)
