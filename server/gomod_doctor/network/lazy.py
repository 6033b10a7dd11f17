"""Packages whose names load on first use (PEP 562): importing the package, or one
light module of it, never loads the heavy ones (httpx, ssl, asyncio)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_names(
    package: str, table: Mapping[str, str], namespace: MutableMapping[str, Any]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each name of ``table`` (name -> the
    module defining it) is imported on first use, then kept in ``namespace``."""

    def getattr_(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return getattr_


__all__ = ["lazy_names"]
