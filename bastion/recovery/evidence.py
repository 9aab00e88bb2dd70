"""Identity evidence for recovery cases (REQUIREMENTS 16): checked by content, encrypted at rest.

A file is accepted only when its bytes are a JPEG, a PNG or a PDF — the name and the declared
type mean nothing. Images are opened by Pillow without decoding the pixels and refused above
40 megapixels (a tiny file that declares a huge image is a decompression bomb). In a PDF every
Flate stream is inflated within one budget, so a file that expands to far more than any scan
would is refused before it costs memory. Accepted files are stored AES-GCM encrypted, bound to
their case and kind.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from bastion.crypto import KeyRing
from bastion.errors import BastionError

MAX_BYTES = 10 * 1024 * 1024  # REQUIREMENTS 16
MAX_PIXELS = 40_000_000  # a 40 MP photo is bigger than any phone's camera makes
PDF_INFLATE_BUDGET = 64 * 1024 * 1024

# What support needs to see (BitMart's list): both sides of the ID, and the person holding it
# with a handwritten note of the date and the request.
DOCUMENT_KINDS = {
    "id_front": "ID document, front",
    "id_back": "ID document, back",
    "selfie": "Photo of you holding the ID and a handwritten note with today's date and \"2FA reset\"",
}

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
    (b"%PDF-", "application/pdf", None),
)
_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")


@dataclass(frozen=True, slots=True)
class Evidence:
    content_type: str
    size: int
    sha256: str


def check_evidence(content: bytes) -> Evidence:
    """The file's real type, or a refusal that says what is wrong with it."""
    if not content:
        raise BastionError("evidence.empty")
    if len(content) > MAX_BYTES:
        raise BastionError("evidence.too_large")
    for signature, content_type, image_format in _SIGNATURES:
        if content.startswith(signature):
            if image_format is None:
                _check_pdf(content)
            else:
                _check_image(content, image_format)
            return Evidence(content_type, len(content), hashlib.sha256(content).hexdigest())
    raise BastionError("evidence.unsupported_type")


def _check_image(content: bytes, expected_format: str) -> None:
    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            if image.format != expected_format or width * height > MAX_PIXELS:
                raise BastionError("evidence.unreadable")
            image.verify()  # structure and checksums, without decoding every pixel
    except BastionError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise BastionError("evidence.unreadable") from error


def _check_pdf(content: bytes) -> None:
    if b"%%EOF" not in content[-2048:]:
        raise BastionError("evidence.unreadable")  # cut short or not a PDF at all
    budget = PDF_INFLATE_BUDGET
    for start in _STREAM_START.finditer(content):
        end = content.find(b"endstream", start.end())
        if end < 0:
            raise BastionError("evidence.unreadable")
        dictionary = content[content.rfind(b"obj", 0, start.start()):start.start()]
        if b"/FlateDecode" not in dictionary:
            continue
        try:
            inflated = zlib.decompressobj().decompress(content[start.end():end], budget + 1)
        except zlib.error as error:
            raise BastionError("evidence.unreadable") from error
        budget -= len(inflated)
        if budget < 0:
            raise BastionError("evidence.unreadable")


def document_aad(case_id: str, kind: str) -> str:
    return f"recovery_cases/{case_id}/documents/{kind}"


def seal(keys: KeyRing, case_id: str, kind: str, content: bytes) -> str:
    return keys.encrypt(content, document_aad(case_id, kind))


def unseal(keys: KeyRing, case_id: str, kind: str, stored: str) -> bytes:
    return keys.decrypt_bytes(stored, document_aad(case_id, kind))
