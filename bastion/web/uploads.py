"""A multipart upload read as it arrives, so that a refusal comes before the file does.

FastAPI reads a whole form before the endpoint runs: an upload with a made-up case token cost
its full 10 MB, and the file's check, before being refused (issue 18). Here the body is parsed
as it streams in, with python-multipart (the parser FastAPI itself uses): the small fields that
come before the file are collected, `admit` runs on them when the file's part begins — before
any of its bytes are kept — and a refusal there answers at once, leaving the rest of the body
unread (the server discards it). Past `max_bytes` the file is refused without reading further.

Browsers send a form's fields in document order, so the page's form puts the files last;
API clients may send the case token in a header and be admitted before the body is read at all.
The page's form sends the three documents at once, each in a file field of its own (`file_fields`):
each is held to `max_bytes`, and `admit` runs once, when the first file begins.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs

import anyio.to_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from bastion.context import host_of
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.web.body_limit import UPLOAD_PLACE_AFTER, UPLOADS_PER_ADDRESS

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

T = TypeVar("T")

MAX_FIELDS = 8
MAX_FIELD_BYTES = 1024  # a case id, a token, a kind, a CSRF token
# The fields `admit` checks come first, so a file's part begins within the form's first bytes;
# and after the form's end come at most a line or two. A body that kept coming without either
# (the closing boundary then megabytes of filler) was never checked, and held one of the upload
# places (bastion/web/edge.py) for its five minutes without any case.
FILE_BEGINS_WITHIN = UPLOAD_PLACE_AFTER  # past it an upload holds a place: its case checked by then
AFTER_THE_END = 1024
# The fields and their parts' headers fit in a few of these.
PARSED_BEFORE_ADMISSION = 4096
# Files checked at once by one worker; the rest wait on the event loop. Each check took a thread of
# the pool every synchronous route shares: 25 at once held /healthz and sign-ins for 3 s (attack round 9).
FILE_CHECKS = 2
# Checks waiting or running for one host, as its upload places (bastion/web/edge.py): files under
# 64 KiB take no place, and 26 sent at once from one address made others' uploads wait 2 s (round 10).
CHECKS_PER_HOST = UPLOADS_PER_ADDRESS
CHECKS_RETRY_AFTER = 5


@dataclass
class Upload:
    fields: dict[str, str]
    files: dict[str, bytes]  # by file field, in the order they came

    @property
    def has_file(self) -> bool:
        return bool(self.files)

    @property
    def file(self) -> bytes:
        """The one file of a one-file form (empty without one)."""
        return next(iter(self.files.values()), b"")


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    is_file: bool = False
    data: bytearray = field(default_factory=bytearray)


class _Reader:
    """python-multipart's callbacks, keeping the fields and (once admitted) the files, one per file field."""

    def __init__(self, file_fields: tuple[str, ...], max_bytes: int) -> None:
        self.file_fields, self.max_bytes = file_fields, max_bytes
        self.fields: dict[str, str] = {}
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.files: dict[str, bytearray] = {}
        self.file = bytearray()  # the file being read
        self.file_started = self.file_done = False
        self.before_file: dict[str, str] = {}  # the fields sent before the file: what `admit` sees
        self.too_large = False
        self.field_parts = 0
        self.ended = False  # the closing boundary came: nothing more is the form's
        self.problem: BastionError | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin, "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished, "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end, "on_end": self.on_end,
        }

    def refuse(self, detail: str) -> None:
        self.problem = self.problem or BastionError(Reason.REQUEST_INVALID, detail=detail)

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[bytes(self.header_name).lower()] = bytes(self.header_value)
        self.header_name, self.header_value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if disposition != b"form-data" or name is None:
            self.refuse(_("Each part of the form needs a Content-Disposition with its name."))
            return
        self.part.name = name.decode("utf-8", "replace")
        self.part.is_file = self.part.name in self.file_fields
        if self.part.is_file:
            if self.part.name in self.files:
                self.refuse(_("Send one file per upload.") if len(self.file_fields) == 1 else _("Send each file once."))
            if not self.file_started:
                self.before_file = dict(self.fields)
            self.file_started, self.file_done = True, False
            self.file = self.files[self.part.name] = bytearray()
        else:
            self.field_parts += 1  # parts, not names: 64 KiB of tiny parts all named alike were one field
            if self.field_parts > MAX_FIELDS:
                self.refuse(_("The form has too many fields."))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.problem is not None:
            return
        if self.part.is_file:
            if len(self.file) + (end - start) > self.max_bytes:
                self.too_large = True
                return
            self.file += data[start:end]
        else:
            if len(self.part.data) + (end - start) > MAX_FIELD_BYTES:
                self.refuse(_("The field `%(field)s` is too long.") % {"field": self.part.name[:32]})
                return
            self.part.data += data[start:end]

    def on_end(self) -> None:
        self.ended = True

    def take_files(self) -> dict[str, bytes]:
        """The files as bytes, each buffer let go as its copy is made: at most one file is held twice
        (a copy of them all held each twice: 16 forms of 30 MB at once took the server to 865 MB)."""
        self.file = bytearray()
        return {name: bytes(self.files.pop(name)) for name in list(self.files)}

    def on_part_end(self) -> None:
        if self.part.is_file:
            self.file_done = True
        elif self.part.name and self.problem is None:
            if self.part.name in self.fields:  # sent again after the file, it would name another case than the one admitted
                self.refuse(_("Send each field of the form once."))
            self.fields[self.part.name] = self.part.data.decode("utf-8", "replace")


class _Delimiters:
    """The form's delimiters checked as the body arrives, with C scans ahead of the parser, which
    handles in Python, a byte at a time, what these refuse:
    - past one for each part the form may have (and its end, and a preamble's), the body is
      malformed: RFC 2046 §5.1.1 forbids a part to hold its form's delimiter at a line's start, and a
      file of near-delimiters (CRLF, "--", the boundary, one byte more) cost 4.4 s of the event loop;
    - after each, at most PADDING spaces or tabs (the RFC's transport padding, which composers
      must not send), then CRLF or "--": 10 MB of spaces after one delimiter cost 2.3 s."""

    PADDING = 16

    def __init__(self, boundary: bytes, parts: int) -> None:
        self.delimiter = b"\r\n--" + boundary
        self.allowed = parts + 3
        self.seen = 0
        # What came before and is not checked yet (a delimiter, or what follows it, may arrive
        # split); the body's first line counts as a line's start.
        self.tail = b"\r\n"

    def count(self, piece: bytes) -> None:
        window = self.tail + piece
        keep_from = max(0, len(window) - len(self.delimiter) + 1)
        at = window.find(self.delimiter)
        while at >= 0:
            after = at + len(self.delimiter)
            following = window[after:after + self.PADDING + 2]
            ending = following.lstrip(b" \t")[:2]
            if ending not in (b"\r\n", b"--"):
                if after + len(following) < len(window) or len(following) == self.PADDING + 2 \
                        or not (b"\r\n".startswith(ending) or b"--".startswith(ending)):
                    raise _malformed()
                keep_from = at  # what follows it is still to come: checked with the next piece
                break
            self.seen += 1
            if self.seen > self.allowed:
                raise _malformed()
            at = window.find(self.delimiter, after)
        self.tail = window[keep_from:]


def _malformed() -> BastionError:
    return BastionError(Reason.REQUEST_INVALID, detail=_("The multipart body is malformed."))


class FileChecks:
    """Uploaded files checked FILE_CHECKS at a time by this worker, CHECKS_PER_HOST from one host.
    Used on the event loop only (its counts need no lock)."""

    def __init__(self) -> None:
        self.places = anyio.CapacityLimiter(FILE_CHECKS)
        self.by_host: Counter[str] = Counter()

    async def run(self, ip: str | None, check: Callable[..., T], *args: Any) -> T:
        host = host_of(ip) if ip else "unknown"
        if self.by_host[host] >= CHECKS_PER_HOST:
            raise BastionError(Reason.RATE_LIMITED, retry_after=CHECKS_RETRY_AFTER)
        self.by_host[host] += 1
        try:
            return await anyio.to_thread.run_sync(check, *args, limiter=self.places)
        finally:
            self.by_host[host] -= 1
            if not self.by_host[host]:
                del self.by_host[host]


async def with_file_checks(request: Request, ip: str | None, check: Callable[..., T], *args: Any) -> T:
    """`check(*args)`, which checks and stores a file uploaded from `ip`, as `FileChecks` allows."""
    checks: FileChecks = request.app.state.file_checks
    return await checks.run(ip, check, *args)


async def small_urlencoded_form(request: Request, limit: int = 8192) -> dict[str, str]:
    """A form posted urlencoded (not our upload form): its fields, reading at most `limit` bytes."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BastionError(Reason.REQUEST_INVALID, detail=_("Send the file with the upload form."))
    return {key: values[0] for key, values in parse_qs(body.decode("latin-1"), max_num_fields=MAX_FIELDS).items()}


def multipart_boundary(request: Request) -> bytes | None:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    return options.get(b"boundary") if content_type == b"multipart/form-data" else None


async def read_upload(request: Request, admit: Callable[[dict[str, str]], Awaitable[None]], max_bytes: int,
                      file_fields: tuple[str, ...] = ("file",)) -> Upload:
    """The form's fields and its files (one per field of `file_fields`). `admit(fields)` runs once, on
    the fields before the first file (or on all of them when there is none), before any file's bytes
    are kept; its refusal ends the request. A file over `max_bytes` is refused (`evidence.too_large`)
    as soon as it gets there."""
    boundary = multipart_boundary(request)
    if not boundary:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("Send the file as multipart/form-data."))
    reader = _Reader(file_fields, max_bytes)
    try:
        parser = MultipartParser(boundary, reader.callbacks())
    except (MultipartParseError, ValueError) as error:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("The multipart boundary is not valid.")) from error
    admitted = False
    received = after_end = 0
    delimiters = _Delimiters(boundary, MAX_FIELDS + len(file_fields))
    try:
        async for chunk in request.stream():
            while chunk:
                # Until admitted, parsed a piece at a time: a form refused for its fields stops being
                # parsed within a piece of its problem (64 KiB of tiny parts, read at once, cost 11 ms).
                size = len(chunk) if admitted else PARSED_BEFORE_ADMISSION
                piece, chunk = chunk[:size], chunk[size:]
                if reader.ended:
                    after_end += len(piece)
                delimiters.count(piece)
                parser.write(piece)
                received += len(piece)
                if reader.problem is not None:
                    raise reader.problem
                if reader.file_started and not admitted:
                    await admit(reader.before_file)
                    admitted = True
                if reader.too_large:
                    raise BastionError(Reason.EVIDENCE_TOO_LARGE)
                if (not admitted and received > FILE_BEGINS_WITHIN) or after_end > AFTER_THE_END:
                    raise BastionError(Reason.REQUEST_INVALID, detail=_(
                        "Send the form's fields, then its file, and nothing after the form's end."))
        parser.finalize()
    except MultipartParseError as error:
        raise _malformed() from error
    except ClientDisconnect as error:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("The upload was cut short.")) from error
    if reader.problem is not None:
        raise reader.problem
    if not admitted:
        await admit(dict(reader.fields))
    if reader.file_started and not reader.file_done:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("The upload was cut short."))
    return Upload(reader.fields, reader.take_files())
