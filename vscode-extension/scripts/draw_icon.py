#!/usr/bin/env python3
"""Draws the extension's icon, images/icon.png (128x128 RGBA), with the standard library.

A go.mod sheet (folded corner, three lines of text) on a Go-blue rounded square,
with a round check-mark badge: "your module files, checked". Each pixel is the
average of 4x4 samples (antialiasing), so the PNG is the same on every machine;
tests/test_vscode_extension.py checks that the committed icon is what this
script draws.

    python3 vscode-extension/scripts/draw_icon.py [OUT.png]
"""

from __future__ import annotations

import itertools
import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

SIZE = 128
SAMPLES = 4  # per axis: 16 samples a pixel

Color = tuple[int, int, int, int]
Shape = Callable[[float, float], bool]

GO_BLUE: Color = (0, 173, 216, 255)
NAVY: Color = (11, 42, 60, 255)
WHITE: Color = (255, 255, 255, 255)
FOLD: Color = (196, 232, 242, 255)
TEXT: Color = (120, 150, 168, 255)
GREEN: Color = (52, 199, 120, 255)


def rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> Shape:
    def inside(x: float, y: float) -> bool:
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return False
        cx = min(max(x, x0 + r), x1 - r)
        cy = min(max(y, y0 + r), y1 - r)
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r

    return inside


def sheet(x0: float, y0: float, x1: float, y1: float, fold: float) -> Shape:
    """A page with its top-right corner folded away."""

    def inside(x: float, y: float) -> bool:
        return x0 <= x <= x1 and y0 <= y <= y1 and (x - (x1 - fold)) <= (y - y0)

    return inside


def triangle_fold(x1: float, y0: float, fold: float) -> Shape:
    """The folded-over corner: the triangle below the fold line."""

    def inside(x: float, y: float) -> bool:
        return x1 - fold <= x <= x1 and y0 <= y <= y0 + fold and (x - (x1 - fold)) <= (y - y0)

    return inside


def circle(cx: float, cy: float, r: float) -> Shape:
    return lambda x, y: (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def stroke(points: list[tuple[float, float]], width: float) -> Shape:
    """A polyline of the given width with round joins and caps."""
    half = width / 2

    def near(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> bool:
        ax, ay = a
        bx, by = b
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        return math.hypot(x - (ax + t * dx), y - (ay + t * dy)) <= half

    return lambda x, y: any(near(x, y, a, b) for a, b in itertools.pairwise(points))


def layers() -> list[tuple[Shape, Color]]:
    """Painted in order, each over the ones before."""
    text_lines = [
        (rounded_rect(34, 44, 74, 50, 3), TEXT),  # module example.com/app
        (rounded_rect(34, 58, 64, 64, 3), TEXT),  # require (
        (rounded_rect(42, 72, 70, 78, 3), TEXT),  #     example.com/lib v1.2.3
    ]
    return [
        (rounded_rect(2, 2, 126, 126, 26), GO_BLUE),
        (sheet(24, 16, 90, 112, 20), WHITE),
        (triangle_fold(90, 16, 20), FOLD),
        *text_lines,
        (circle(90, 90, 28), NAVY),
        (circle(90, 90, 23), GREEN),
        (stroke([(78, 91), (87, 100), (103, 80)], 7), WHITE),
    ]


def blend(under: list[float], color: Color, coverage: float) -> list[float]:
    """`color` at `coverage` over a premultiplied RGBA pixel."""
    a = color[3] / 255 * coverage
    return [color[i] * a + under[i] * (1 - a) for i in range(3)] + [255 * a + under[3] * (1 - a)]


def draw() -> bytes:
    """The icon's pixels: SIZE rows of SIZE RGBA pixels."""
    shapes = layers()
    offsets = [(i + 0.5) / SAMPLES for i in range(SAMPLES)]
    rows = bytearray()
    for py in range(SIZE):
        for px in range(SIZE):
            pixel = [0.0, 0.0, 0.0, 0.0]
            for shape, color in shapes:
                hits = sum(shape(px + ox, py + oy) for ox in offsets for oy in offsets)
                if hits:
                    pixel = blend(pixel, color, hits / SAMPLES**2)
            alpha = pixel[3]
            rgb = [min(255, round(c * 255 / alpha)) for c in pixel[:3]] if alpha else [0, 0, 0]
            rows.extend([*rgb, min(255, round(alpha))])
    return bytes(rows)


def png(rgba: bytes, size: int = SIZE) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    stride = size * 4
    raw = b"".join(b"\x00" + rgba[y * stride : (y + 1) * stride] for y in range(size))
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main(argv: list[str]) -> int:
    out = (
        Path(argv[1])
        if len(argv) > 1
        else Path(__file__).resolve().parents[1] / "images" / "icon.png"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png(draw()))
    print(f"draw_icon: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
