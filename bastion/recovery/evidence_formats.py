"""The content checks of identity evidence, one per format, each a single forward pass with hard caps.

An uploaded file is attacker-chosen bytes, so no check may cost more than its size allows
(issue 18: a PDF search that went back from every `stream` keyword was quadratic; 340 KB cost
3.8 s of CPU). Each check walks the structure once, front to back, counting what it meets;
past a cap the file is refused as `evidence.too_complex` (no scan or photo comes near one),
and the budget's CPU clock is read at every step.

Pillow reads the images, but only after our own walk has bounded what it will walk: Pillow's
JPEG reader steps over junk and fill bytes one byte at a time, and its PNG reader handles each
chunk in Python, so 10 MB of either would keep it busy for seconds. Pixels are never decoded.
"""

from __future__ import annotations

import io
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PIL import Image

from bastion.errors import BastionError, Reason

MAX_PIXELS = 40_000_000  # a 40 MP photo is bigger than any phone's camera makes
MAX_JPEG_SEGMENTS = 1_000  # markers before the image data: a camera's JPEG has a few dozen
MAX_JPEG_FILL = 64  # 0xFF fill bytes before one marker (ITU T.81 B.1.1.2 allows them; encoders write few)
# Segments whose content Pillow walks in Python (quantization tables, frame headers, Photoshop
# resource blocks): a camera writes one to four of each; thousands would cost seconds.
_FRAME_HEADERS = [marker for marker in range(0xC0, 0xD0) if marker not in (0xC4, 0xC8, 0xCC)]
MAX_JPEG_SEGMENTS_OF = {0xDB: 16, 0xED: 8} | dict.fromkeys(_FRAME_HEADERS, 4)
MAX_PNG_CHUNKS = 20_000  # a 10 MB PNG in 8 KB IDAT chunks (libpng's default) has 1,280
# Chunks Pillow inflates as it opens the file (up to 1 MB each): the colour profile (one at most,
# ISO/IEC 15948 11.3.3.3) and compressed text.
MAX_PNG_CHUNKS_OF = {b"iCCP": 1, b"zTXt": 16, b"iTXt": 16}
PDF_INFLATE_BUDGET = 64 * 1024 * 1024  # every Flate stream together; scans of 10 MB inflate far less
INFLATE_PIECE = 256 * 1024  # read and inflated at a time, then dropped: the budget is checked between
MAX_PDF_STREAMS = 4_000
MAX_PDF_KEYWORDS = 100_000  # "obj" and "stream" met, objects' headers and ends included


class WorkBudget:
    """The CPU checks may spend: the checking thread's CPU time, so a busy server refuses nothing
    more. One budget may serve several checks one after another, each on any thread (a form's three
    files): what each spent is taken from what is left for the next."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds
        self._since = time.thread_time()

    @contextmanager
    def counting(self) -> Iterator[None]:
        """One check, on this thread."""
        self._since = time.thread_time()
        try:
            yield
        finally:
            self.left -= time.thread_time() - self._since

    def spend(self) -> None:
        if time.thread_time() - self._since > self.left:
            raise BastionError(Reason.EVIDENCE_TOO_COMPLEX)


def _unreadable() -> BastionError:
    return BastionError(Reason.EVIDENCE_UNREADABLE)


def _too_complex() -> BastionError:
    return BastionError(Reason.EVIDENCE_TOO_COMPLEX)


# --- PDF -----------------------------------------------------------------------------------------


def check_pdf(content: bytes, budget: WorkBudget) -> None:
    """Every Flate stream inflates within one budget. One pass: each stream's dictionary is searched
    only between its object's header and the keyword, and its data only up to its `endstream`."""
    if b"%%EOF" not in content[-2048:]:
        raise _unreadable()  # cut short or not a PDF at all
    inflate_left = PDF_INFLATE_BUDGET
    keywords = streams = 0
    position = object_from = 0  # where the search goes on; where the current object may start
    while (found := content.find(b"stream", position)) >= 0:
        budget.spend()
        keywords += 1
        if keywords > MAX_PDF_KEYWORDS:
            raise _too_complex()
        data_start = _stream_data_start(content, found)
        if data_start is None:  # `endstream` out of place, or a word that merely contains "stream"
            position = found + 6
            continue
        streams += 1
        header, met = _object_header(content, object_from, found)
        keywords += met
        if streams > MAX_PDF_STREAMS or keywords > MAX_PDF_KEYWORDS:
            raise _too_complex()
        end = content.find(b"endstream", data_start)
        if end < 0:
            raise _unreadable()
        if content.find(b"/FlateDecode", header, found) >= 0:
            inflate_left -= _inflated_size(memoryview(content)[data_start:end], inflate_left, budget)
        position = object_from = end + len(b"endstream")


def _stream_data_start(content: bytes, keyword: int) -> int | None:
    """Where a stream's data begins, if `stream` at `keyword` is the keyword (PDF 32000 7.3.8.1:
    followed by CRLF or LF, and not the end of `endstream` or part of a longer name)."""
    if keyword > 0 and content[keyword - 1:keyword].isalpha():
        return None
    after = keyword + 6
    if content.startswith(b"\r\n", after):
        return after + 2
    if content.startswith(b"\n", after):
        return after + 1
    return None


def _object_header(content: bytes, start: int, keyword: int) -> tuple[int, int]:
    """The last `obj` keyword between `start` and a stream keyword (its dictionary follows it), or
    `start`; and how many "obj" were met. Searches backwards only within that span, never before it."""
    met = 0
    end = keyword
    while (found := content.rfind(b"obj", start, end)) >= 0:
        met += 1
        if met > MAX_PDF_KEYWORDS:
            raise _too_complex()
        standalone = not content[found - 1:found].isalpha() and not content[found + 3:found + 4].isalpha()
        if standalone:
            return found, met
        end = found  # "endobj" or a longer word: keep looking further back
    return start, met


def _inflated_size(data: memoryview, allowed: int, budget: WorkBudget) -> int:
    """How much the stream inflates to, counted a piece at a time and never kept: inflated whole,
    64 KB of zeros held 64 MB and ran past the CPU budget in one step (attack round 9)."""
    inflater = zlib.decompressobj()
    inflated = 0
    try:
        for start in range(0, len(data), INFLATE_PIECE):
            pending: bytes | memoryview = data[start:start + INFLATE_PIECE]
            while pending and not inflater.eof:  # past the end, what is left stays in the tail
                inflated += len(inflater.decompress(pending, INFLATE_PIECE))
                pending = inflater.unconsumed_tail
                if inflated > allowed:
                    raise _unreadable()  # expands to far more than any scan would: a decompression bomb
                budget.spend()
            if inflater.eof:
                break
    except zlib.error as error:
        raise _unreadable() from error
    return inflated


# --- JPEG and PNG --------------------------------------------------------------------------------


def check_jpeg(content: bytes, budget: WorkBudget) -> None:
    _walk_jpeg(content, budget)
    _check_with_pillow(content, ("JPEG", "MPO"), budget)  # MPO: a JPEG with more pictures after it


def check_png(content: bytes, budget: WorkBudget) -> None:
    _walk_png(content, budget)
    _check_with_pillow(content, ("PNG",), budget)


def _walk_jpeg(content: bytes, budget: WorkBudget) -> None:
    """The markers up to the image data (ITU T.81 B.1.1): no junk between them, few of them."""
    size = len(content)
    position = 2  # after SOI
    seen: dict[int, int] = {}
    for _ in range(MAX_JPEG_SEGMENTS):
        budget.spend()
        if position >= size or content[position] != 0xFF:
            raise _unreadable()
        marker_at = position + 1
        while marker_at < size and content[marker_at] == 0xFF:
            marker_at += 1
            if marker_at - position > MAX_JPEG_FILL:
                raise _unreadable()
        if marker_at >= size:
            raise _unreadable()
        marker = content[marker_at]
        if marker == 0xDA:  # start of scan: the image data follows, which is all Pillow reads up to
            return
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            position = marker_at + 1
            continue
        if marker in (0x00, 0xD8, 0xD9) or marker_at + 3 > size:
            raise _unreadable()
        seen[marker] = seen.get(marker, 0) + 1
        if seen[marker] > MAX_JPEG_SEGMENTS_OF.get(marker, MAX_JPEG_SEGMENTS):
            raise _too_complex()
        length = int.from_bytes(content[marker_at + 1:marker_at + 3], "big")
        if length < 2:
            raise _unreadable()
        position = marker_at + 1 + length
    raise _too_complex()


def _walk_png(content: bytes, budget: WorkBudget) -> None:
    """Chunk by chunk (ISO/IEC 15948 5.3) up to IEND: lengths that fit, not too many chunks, IHDR
    first and image data before the end (5.6: without it, Pillow's verify raised an IndexError)."""
    size = len(content)
    position = 8  # after the signature
    seen: dict[bytes, int] = {}
    image_data = False
    for _ in range(MAX_PNG_CHUNKS):
        budget.spend()
        if position + 12 > size:
            raise _unreadable()
        length = int.from_bytes(content[position:position + 4], "big")
        kind = content[position + 4:position + 8]
        if (position == 8) != (kind == b"IHDR"):
            raise _unreadable()
        position += 12 + length
        if position > size:
            raise _unreadable()
        image_data = image_data or kind == b"IDAT"
        if kind == b"IEND":
            if not image_data:
                raise _unreadable()
            return
        if kind in MAX_PNG_CHUNKS_OF:
            seen[kind] = seen.get(kind, 0) + 1
            if seen[kind] > MAX_PNG_CHUNKS_OF[kind]:
                raise _too_complex()
    raise _too_complex()


def _check_with_pillow(content: bytes, formats: tuple[str, ...], budget: WorkBudget) -> None:
    """Pillow reads the headers (never the pixels) and checks the PNG chunks' checksums."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            if image.format not in formats or width * height > MAX_PIXELS:
                raise _unreadable()
            budget.spend()
            image.verify()
    except BastionError:
        raise
    except Exception as error:  # whatever Pillow raises on bytes it cannot read (an IndexError, once)
        raise _unreadable() from error


Check = Callable[[bytes, WorkBudget], None]
FORMATS: tuple[tuple[bytes, str, Check], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", check_jpeg),
    (b"\x89PNG\r\n\x1a\n", "image/png", check_png),
    (b"%PDF-", "application/pdf", check_pdf),
)
