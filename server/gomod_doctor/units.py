"""Durations and sizes in words, for messages (one formatter of each)."""

from __future__ import annotations


def seconds(s: float, *, whole: str = "g", fraction: str = ".1f") -> str:
    """``3 s``, ``0.5 s``: ``s`` with the format spec ``whole`` from one second up,
    else ``fraction``."""
    return f"{s:{whole}} s" if s >= 1 else f"{s:{fraction}} s"


def human_bytes(n: int, *, short: bool = False) -> str:
    """``12.3 MB (12345678 bytes)`` and ``12 bytes``; ``short``: ``12.3 MB`` and
    ``12 B``. Decimal units, kB to TB (GB the largest when ``short``)."""
    units = ("B", "kB", "MB", "GB") if short else ("bytes", "kB", "MB", "GB", "TB")
    size = float(n)
    for unit in units:
        if size < 1000 or unit == units[-1]:
            if unit == units[0]:
                return f"{n} B" if short else f"{n} byte{'s' if n != 1 else ''}"
            return f"{size:.1f} {unit}" if short else f"{size:.1f} {unit} ({n} bytes)"
        size /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["human_bytes", "seconds"]
