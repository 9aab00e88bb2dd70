"""A cap on request bodies, enforced while they arrive.

JSON requests are small; only evidence uploads may be large. The cap is checked against
`Content-Length` on the first read and against the bytes actually received, so a chunked
body without a length cannot grow past it either. Going over raises an HTTPException that
the app answers as problem+json (`request.too_large`, or `evidence.too_large` for uploads).
The edge (bastion/web/edge.py) hands the application `limited_receive(scope, receive)`.

A request that would take a place in the sign-in queue is read whole first (`whole_body`, by the
edge, within the door's deadline): a place is held only by a request that has arrived, so a body
trickled in a byte at a time holds a connection, never a place a person arriving meanwhile needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope

from bastion.errors import BastionError, Reason
from bastion.numbers import whole_number

# The largest JSON body a route reads is a passkey's attestation, a few kilobytes; every field
# else is under 5,000 characters. What each connection may hold while its body arrives is
# what a thousand slow connections hold in the server's memory (1 MiB each: 1.7 GB).
DEFAULT_LIMIT = 64 * 1024
UPLOAD_LIMIT = 10 * 1024 * 1024 + 64 * 1024  # one 10 MB file and its form fields
DOCUMENTS_PAGE = "/recovery/case/documents"  # the page's form: the three identity documents at once
DOCUMENTS_PAGE_LIMIT = 3 * 10 * 1024 * 1024 + 64 * 1024
# How long a whole body may take to arrive, from the first read (about 35 KB/s at each cap): a
# body held open holds its bytes in memory, and many of them, the server's memory.
DEFAULT_SECONDS = 30.0
UPLOAD_SECONDS = 300.0
DOCUMENTS_PAGE_SECONDS = 900.0
# Within those, a body must keep coming: after its first BODY_GRACE_SECONDS, at least
# MIN_BODY_RATE bytes a second on average (a slow phone sends tens of kilobytes). A byte every
# ten seconds held an upload's connection for its fifteen minutes: thousands of them, from one
# address, used up the server's file descriptors.
BODY_GRACE_SECONDS = 10.0
MIN_BODY_RATE = 1024
# Nor does a body pause longer than this between two of its pieces: megabytes sent at once bought
# minutes of silence under the average alone, and a place among the uploads all the while.
BODY_STALL_SECONDS = 20.0
# An upload's first bytes are its form's fields, its case checked before its file begins
# (bastion/web/uploads.py); only a body past them needs one of the scarce upload places
# (bastion/web/edge.py), so no place is held by a request whose case was never checked.
UPLOAD_PLACE_AFTER = 64 * 1024
# Uploads past that point one host may have in flight at once (the edge's upload places), and file
# checks it may have waiting or running (bastion/web/uploads.py): a person sends one document at a time.
UPLOADS_PER_ADDRESS = 2


class BodyTooLarge(HTTPException):
    def __init__(self, reason_code: Reason) -> None:
        super().__init__(status_code=413)
        self.reason_code = reason_code


class UploadsBusy(HTTPException):
    def __init__(self, retry_after: int) -> None:
        # The rest of the body, unread, would be taken for the next request on the connection.
        super().__init__(status_code=429, headers={"Retry-After": str(retry_after), "Connection": "close"})
        self.reason_code = Reason.RATE_LIMITED


class BodyTooSlow(HTTPException):
    def __init__(self) -> None:
        # The rest of the body, unread, would be taken for the next request on the connection.
        super().__init__(status_code=408, headers={"Connection": "close"})
        self.reason_code = Reason.REQUEST_TIMEOUT


# The API's two upload routes (bastion/web/api/cases.py), exactly: a path that merely ended in
# "/documents" (`PATCH /v1/me/passkeys/documents`, its id "documents") was let send 10 MB of JSON,
# parsed whole before its answer, 2.5 s of the event loop and 235 MB a request, by anyone.
_UPLOAD_ROUTES = re.compile(r"/v1/(?:mfa-reset|recovery-cases)/[^/]{1,64}/documents")


def is_upload(method: str, path: str) -> bool:
    """Identity documents (a POST to their routes): the only bodies allowed to be large, and to take minutes."""
    return method == "POST" and (path == DOCUMENTS_PAGE or _UPLOAD_ROUTES.fullmatch(path) is not None)


def _limit_for(method: str, path: str) -> tuple[int, Reason, float]:
    if not is_upload(method, path):
        return DEFAULT_LIMIT, Reason.REQUEST_TOO_LARGE, DEFAULT_SECONDS
    if path == DOCUMENTS_PAGE:
        return DOCUMENTS_PAGE_LIMIT, Reason.EVIDENCE_TOO_LARGE, DOCUMENTS_PAGE_SECONDS
    return UPLOAD_LIMIT, Reason.EVIDENCE_TOO_LARGE, UPLOAD_SECONDS


@dataclass(eq=False)
class BodyProgress:
    """How far an upload's body has come, kept as it arrives, for its keeper: who gives it a place
    once past UPLOAD_PLACE_AFTER (`claim`: raises UploadsBusy when there is none) and may cut it
    off (`cut_off`: its request is answered 408 `request.timeout`, at once if it is waiting for more)."""

    clock: Callable[[], float]  # its keeper's
    started: float
    claim: Callable[[BodyProgress], None]
    placed: bool = False
    received: int = 0
    last: float = 0.0  # when its latest piece came (or it began)
    arrived: bool = False  # whole: nothing more to wait for
    cut: bool = False
    _waiting: asyncio.Timeout | None = None

    def __post_init__(self) -> None:
        self.last = self.started

    def rate(self, now: float) -> float:
        return self.received / max(now - self.started, 1e-9)

    def cut_off(self) -> None:
        self.cut = True
        if self._waiting is not None:
            with contextlib.suppress(RuntimeError):  # already expiring: it raises all the same
                self._waiting.reschedule(asyncio.get_running_loop().time())


def limited_receive(scope: Scope, receive: Receive, progress: BodyProgress | None = None) -> Receive:
    """`receive`, capped in size and in time (the whole body within its seconds, and never long
    below MIN_BODY_RATE, else 408 `request.timeout`). A request with neither `Content-Length` nor
    `Transfer-Encoding` has no body (RFC 9112 §6.3): it is handed on as it is, at no cost.
    `progress`: kept up to date, and its `cut_off` honoured."""
    declared: bytes | None = None
    has_body = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            declared, has_body = value, True
        elif name == b"transfer-encoding":
            has_body = True
    if not has_body:
        return receive
    limit, code, seconds = _limit_for(scope["method"], scope["path"])
    received = 0
    started: float | None = None
    arrived = False  # once the body is whole, later reads (a wait for the client to leave) are not timed

    async def limited() -> Message:
        nonlocal received, started, arrived
        if arrived:
            return await receive()
        if progress is not None:
            if progress.cut:
                raise BodyTooSlow()
            if not progress.placed and received > UPLOAD_PLACE_AFTER:
                # More is asked for past the form's fields, which the route has read: its case was
                # checked on them (a place claimed as they arrived was held by unchecked requests).
                progress.claim(progress)
        if declared is not None and (whole_number(declared.decode("latin-1"), maximum=2**63) or 0) > limit:
            raise BodyTooLarge(code)
        now = asyncio.get_running_loop().time()
        if started is None:
            started = now
        # The whole body's deadline, or sooner the moment what has arrived falls below the minimum
        # rate, or the piece awaited is BODY_STALL_SECONDS late.
        deadline = min(started + seconds, started + BODY_GRACE_SECONDS + received / MIN_BODY_RATE,
                       now + BODY_STALL_SECONDS)
        try:
            async with asyncio.timeout_at(deadline) as waiting:
                if progress is not None:
                    progress._waiting = waiting
                message = await receive()
        except TimeoutError:
            raise BodyTooSlow() from None
        finally:
            if progress is not None:
                progress._waiting = None
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(code)
            arrived = not message.get("more_body", False)
            if progress is not None:
                progress.received, progress.arrived = received, arrived
                progress.last = progress.clock()
        return message

    return limited


async def whole_body(scope: Scope, receive: Receive, seconds: float) -> bytes:
    """The request's body read to its end within `seconds`, capped as `limited_receive` caps it.

    Raises `request.timeout` when it is not all there in time, `request.too_large` past the cap,
    and ClientDisconnect when the client goes first."""
    receive_capped = limited_receive(scope, receive)
    if receive_capped is receive:
        return b""  # no Content-Length nor Transfer-Encoding: no body (RFC 9112 §6.3)
    chunks: list[bytes] = []
    try:
        async with asyncio.timeout(seconds):
            while True:
                message = await receive_capped()
                if message["type"] == "http.disconnect":
                    raise ClientDisconnect()
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except (TimeoutError, BodyTooSlow):
        raise BastionError(Reason.REQUEST_TIMEOUT) from None
    except BodyTooLarge as too_large:
        raise BastionError(too_large.reason_code) from None


def replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` with the body already read handed back first, for the route."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
