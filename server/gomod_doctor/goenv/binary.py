"""The go command to run, and the Go environment it will use, found without running
anything an untrusted workspace could have put there."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

from gomod_doctor.goenv import env as goenv
from gomod_doctor.goenv.env import GoEnv

__all__ = ["load_env", "resolve_go_binary"]


def resolve_go_binary(name: str | None, environ: Mapping[str, str]) -> str | None:
    """The go binary ``name`` names (a path, or a command looked up on the PATH of
    ``environ``), or ``go`` on that PATH when ``name`` is empty.

    Resolves names without running anything."""
    name = os.path.expanduser(name or "go")
    if os.sep in name or (os.altsep and os.altsep in name):
        return os.path.abspath(name) if os.path.isfile(name) and os.access(name, os.X_OK) else None
    return shutil.which(name, path=environ.get("PATH", os.defpath))


def load_env(
    environ: Mapping[str, str], go_binary: str | None, *, trusted: bool
) -> tuple[GoEnv, str | None]:
    """The Go environment of ``environ`` with the go binary ``go_binary`` names, and
    that binary (``None`` when untrusted).

    Untrusted, no process is started: GOROOT and GOVERSION come from the binary's
    location and ``$GOROOT/VERSION`` when those settle them, else stay unknown.
    """
    binary = resolve_go_binary(go_binary, environ)
    if trusted:
        return goenv.load(environ, go_binary=binary), binary
    root = goenv.goroot_from_binary(binary) if binary else None
    if binary and root and os.path.isfile(os.path.join(root, "VERSION")):
        return goenv.load(environ, go_binary=binary), None
    return goenv.load({**environ, "PATH": ""}, go_binary=None), None
