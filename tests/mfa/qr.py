"""Rasterizes segno's SVG (one path of horizontal module runs) to a PNG, so zbarimg can read
exactly the QR code the API returned."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

_SIZE = re.compile(r'width="(\d+)" height="(\d+)"')
_SCALE = re.compile(r'transform="scale\((\d+)\)"')
_LINES = re.compile(r'class="qrline"[^>]*\sd="([^"]+)"')
_COMMAND = re.compile(r"([Mmh])\s*(-?[\d.]+)(?:\s+(-?[\d.]+))?")


def svg_modules(svg: str) -> list[list[bool]]:
    width, _ = map(int, _SIZE.search(svg).groups())  # type: ignore[union-attr]
    scale = int(_SCALE.search(svg).group(1))  # type: ignore[union-attr]
    size = width // scale
    dark = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, first, second in _COMMAND.findall(_LINES.search(svg).group(1)):  # type: ignore[union-attr]
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            for column in range(int(x), int(x + float(first))):
                dark[int(y)][column] = True
            x += float(first)
    return dark


def write_png(modules: list[list[bool]], path: Path, scale: int = 4) -> None:
    rows = b"".join(b"\x00" + bytes(0 if cell else 255 for cell in row for _ in range(scale))
                    for row in modules for _ in range(scale))
    side = len(modules) * scale

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
