"""The CLI's progress bar on a terminal."""

from __future__ import annotations

from typing import TextIO


class ProgressBar:
    """A one-line progress bar for a terminal (only drawn when stderr is a TTY)."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn = False
        self.last = -1.0

    def update(self, done: int, total: int, current: str) -> None:
        frac = done / total if total > 0 else 1.0
        if self.drawn and frac - self.last < 0.005 and done < total:
            return
        self.last = frac
        filled = int(frac * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        label = current if len(current) <= 40 else "…" + current[-39:]
        self.stream.write(f"\r\033[Kverifying [{bar}] {frac * 100:5.1f}% {label}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
