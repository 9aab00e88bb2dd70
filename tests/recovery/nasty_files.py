"""Crafted evidence files, each built to make one of the file checks work hard (issue 18).

Small ones are kept as files in `corpus/` (`python tests/recovery/nasty_files.py` writes them
again); the big ones — most of them just under the 10 MB limit — are built here when the tests
run, as they compress to nothing but would weigh megabytes in the repository.
"""

from __future__ import annotations

import io
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from bastion.recovery.evidence import MAX_BYTES

CORPUS = Path(__file__).parent / "corpus"
NEAR_LIMIT = MAX_BYTES - 4096


def _repeat(head: bytes, unit: bytes, tail: bytes, size: int = NEAR_LIMIT) -> bytes:
    return head + unit * ((size - len(head) - len(tail)) // len(unit)) + tail


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def jpeg_segment(marker: int, data: bytes) -> bytes:
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(data) + 2) + data


def small_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 120, 150)).save(buffer, format="JPEG")
    return buffer.getvalue()


_IHDR = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 10, 10, 8, 2, 0, 0, 0))
_IDAT_IEND = png_chunk(b"IDAT", zlib.compress(bytes(310))) + png_chunk(b"IEND", b"")
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = small_jpeg()
_MEGABYTE_OF_ZEROS = zlib.compress(bytes(1024 * 1024 - 16), 9)


def _pdf_of_flate_streams(count: int, inflated: int) -> bytes:
    stream = zlib.compress(bytes(inflated), 9)
    one = (b"1 0 obj\n<< /Filter /FlateDecode /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
           + b"\nendstream\nendobj\n")
    return b"%PDF-1.7\n" + one * count + b"trailer\n<< >>\n%%EOF\n"


# Name -> builder. The name says what the file does; every one must be refused or accepted fast.
BIG: dict[str, Callable[[], bytes]] = {
    "pdf-issue-18-340kb-empty-streams": lambda: b"%PDF-1.4\n" + b"stream\nendstream\n" * 20_000 + b"%%EOF\n",
    "pdf-empty-streams-10mb": lambda: _repeat(b"%PDF-1.4\n", b"stream\nendstream\n", b"%%EOF\n"),
    "pdf-streams-without-objects-10mb": lambda: _repeat(b"%PDF-1.4\n", b"stream\nx\nendstream\n", b"%%EOF\n"),
    "pdf-stream-keyword-without-newline-10mb": lambda: _repeat(b"%PDF-1.4\n", b"streamstream", b"%%EOF\n"),
    "pdf-endobj-then-one-stream-10mb": lambda: _repeat(b"%PDF-1.4\n", b"endobj", b"\nstream\nx\nendstream\n%%EOF\n"),
    "pdf-obj-words-then-one-stream-10mb": lambda: _repeat(b"%PDF-1.4\n", b"objobj", b"\nstream\nx\nendstream\n%%EOF\n"),
    "pdf-objects-10mb": lambda: _repeat(b"%PDF-1.4\n", b"1 0 obj\n<< >>\nendobj\n", b"%%EOF\n"),
    "pdf-unclosed-stream-10mb": lambda: _repeat(b"%PDF-1.4\n1 0 obj\n<< >>\nstream\n", b"\0", b"%%EOF\n"),
    "pdf-flate-bomb-80mb": lambda: (b"%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\n"
                                    + zlib.compress(bytes(80 * 1024 * 1024), 9) + b"\nendstream\nendobj\n%%EOF\n"),
    "pdf-many-flate-streams-under-budget": lambda: _pdf_of_flate_streams(3_900, 16 * 1024),
    "pdf-63mb-inflated": lambda: _pdf_of_flate_streams(63, 1024 * 1024),
    "pdf-junk-flate-10mb": lambda: _repeat(b"%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\nx\x9c", b"\xff",
                                           b"\nendstream\n%%EOF\n"),
    "pdf-zeros-10mb": lambda: _repeat(b"%PDF-1.4\n", b"\0", b"%%EOF\n"),
    "jpeg-fill-bytes-10mb": lambda: _repeat(b"\xff\xd8\xff", b"\xff", b""),
    "jpeg-junk-after-segment-10mb": lambda: _repeat(b"\xff\xd8\xff\xe0\x00\x02", b"\0", b""),
    "jpeg-empty-app-segments-10mb": lambda: _repeat(b"\xff\xd8", b"\xff\xe1\x00\x02", b""),
    "jpeg-restart-markers-10mb": lambda: _repeat(b"\xff\xd8", b"\xff\xd0", b""),
    "jpeg-photoshop-blocks": lambda: (_JPEG[:2] + jpeg_segment(0xED, b"Photoshop 3.0\x00" + (
        b"8BIM\x04\x04\x00\x00\x00\x00\x00\x00") * 5_000) * 150 + _JPEG[2:]),
    "jpeg-quantization-tables": lambda: _JPEG[:2] + jpeg_segment(0xDB, (b"\0" + bytes(64)) * 1_000) * 150 + _JPEG[2:],
    "jpeg-exif-segments": lambda: _JPEG[:2] + jpeg_segment(0xE1, b"Exif\0\0" + bytes(65_000)) * 150 + _JPEG[2:],
    "jpeg-icc-segments": lambda: (_JPEG[:2] + jpeg_segment(0xE2, b"ICC_PROFILE\0\x01\x01" + bytes(65_000)) * 150
                                  + _JPEG[2:]),
    "jpeg-comments-900": lambda: _JPEG[:2] + jpeg_segment(0xFE, bytes(10_000)) * 900 + _JPEG[2:],
    "jpeg-declares-65535-square": lambda: _JPEG.replace(b"\xff\xc0\x00\x11\x08\x00\x08\x00\x08",
                                                        b"\xff\xc0\x00\x11\x08\xff\xff\xff\xff"),
    "png-empty-chunks-10mb": lambda: _repeat(_PNG + _IHDR, png_chunk(b"abCd", b""), _IDAT_IEND),
    "png-19k-empty-chunks": lambda: _PNG + _IHDR + png_chunk(b"abCd", b"") * 19_000 + _IDAT_IEND,
    "png-19k-idat-chunks": lambda: _PNG + _IHDR + png_chunk(b"IDAT", b"") * 19_000 + _IDAT_IEND,
    "png-colour-profiles": lambda: (_PNG + _IHDR + png_chunk(b"iCCP", b"p\0\0" + _MEGABYTE_OF_ZEROS) * 200
                                    + _IDAT_IEND),
    "png-compressed-text": lambda: (_PNG + _IHDR + png_chunk(b"zTXt", b"k\0\0" + _MEGABYTE_OF_ZEROS) * 200
                                    + _IDAT_IEND),
    "png-plain-text-10mb": lambda: _repeat(_PNG + _IHDR, png_chunk(b"tEXt", b"k\0v"), _IDAT_IEND),
    "png-declares-40000-square": lambda: (_PNG + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 40_000, 40_000, 8, 2, 0,
                                                                                0, 0)) + _IDAT_IEND),
    "png-chunk-length-past-the-end": lambda: _PNG + _IHDR + struct.pack(">I", 0x7FFFFFFF) + b"IDAT" + bytes(64),
}


def small_corpus() -> dict[str, bytes]:
    """The ones under 64 KB, kept in corpus/ (and anything the fuzzer found, saved next to them)."""
    files = {name: build() for name, build in BIG.items()}
    return {name: content for name, content in files.items() if len(content) < 64 * 1024}


def corpus_files() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(CORPUS.iterdir()) if path.suffix == ".bin"}


if __name__ == "__main__":
    for name, content in small_corpus().items():
        (CORPUS / f"{name}.bin").write_bytes(content)
        print(f"{name}.bin: {len(content)} bytes", file=sys.stderr)
