"""The VS Code extension's package files, and the server's side of its version handshake.

What needs no VS Code: the icon is what ``vscode-extension/scripts/draw_icon.py`` draws
(128x128), the LICENSE is the project's, the CHANGELOG has the version, and the
server reports its version in ``serverInfo`` (the extension compares major.minor).
The package itself (``vsce ls``, the size budget) is checked in test_vscode_e2e.py,
where the .vsix is built.
"""

from __future__ import annotations

import importlib.util
import json
import re
import struct
import zlib
from pathlib import Path
from types import ModuleType

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig

from gomod_doctor import __version__
from lsp_support import SERVER_COMMAND, capabilities, make_client, server_env, stop_session

ROOT = Path(__file__).resolve().parents[2]
EXT = ROOT / "vscode-extension"
PACKAGE = json.loads((EXT / "package.json").read_text(encoding="utf-8"))


def _draw_icon_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("draw_icon", EXT / "scripts" / "draw_icon.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the RGBA rows (filter bytes removed) of an 8-bit RGBA PNG
    whose rows all use filter 0 (as draw_icon.py writes them)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        if kind == b"IHDR":
            ihdr = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    assert (depth, color, interlace) == (8, 6, 0), "8-bit RGBA, not interlaced"
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    assert len(raw) == stride * height
    assert all(raw[y * stride] == 0 for y in range(height))
    return width, height, b"".join(raw[y * stride + 1 : (y + 1) * stride] for y in range(height))


def test_the_icon_is_what_the_script_draws() -> None:
    icon = EXT / PACKAGE["icon"]
    width, height, pixels = _png_pixels(icon.read_bytes())
    assert (width, height) == (128, 128)
    drawn = _draw_icon_script().draw()
    assert pixels == drawn, (
        "images/icon.png is stale: run python3 vscode-extension/scripts/draw_icon.py"
    )
    # not a blank square: opaque corners-in, transparent outside the rounded corners
    alpha = pixels[3::4]
    assert alpha[0] == 0 and alpha[64 * 128 + 64] == 255
    assert len(set(zip(pixels[0::4], pixels[1::4], pixels[2::4], strict=True))) > 10


def test_gallery_banner_and_license() -> None:
    banner = PACKAGE["galleryBanner"]
    assert re.fullmatch(r"#[0-9a-f]{6}", banner["color"]) and banner["theme"] in ("dark", "light")
    assert PACKAGE["license"] == "BSD-3-Clause"
    text = (EXT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("BSD 3-Clause License\n")
    assert "Neither the name of the copyright holder" in text
    # packaged with its license (no --skip-license)
    assert "--skip-license" not in PACKAGE["scripts"]["package"]
    assert "--allow-missing-repository" in PACKAGE["scripts"]["package"]


def test_changelog_has_this_version() -> None:
    text = (EXT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(PACKAGE['version'])}\]", text, re.M), text[:300]


def test_the_extension_and_the_bundled_server_share_a_version() -> None:
    """The VSIX bundles the wheel of this checkout (scripts/bundle-wheel.mjs refuses
    another version): the handshake then finds them equal."""
    assert PACKAGE["version"] == __version__


@pytest.mark.asyncio
async def test_server_reports_its_version_in_server_info(tmp_path: Path) -> None:
    config = ClientServerConfig(
        server_command=SERVER_COMMAND, server_env=server_env(tmp_path), client_factory=make_client
    )
    client = await config.start()
    try:
        result = await client.initialize_session(
            types.InitializeParams(capabilities=capabilities("visual-studio-code"))
        )
        assert result.server_info == types.ServerInfo(name="gomod-doctor", version=__version__)
    finally:
        await stop_session(client)
