"""A cap on request bodies, enforced while they arrive (pure ASGI).

JSON requests are small; only evidence uploads may be large. The cap is checked against
`Content-Length` on the first read and against the bytes actually received, so a chunked
body without a length cannot grow past it either. Going over raises an HTTPException that
the app answers as problem+json (`request.too_large`, or `evidence.too_large` for uploads).
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_LIMIT = 1024 * 1024
UPLOAD_LIMIT = 10 * 1024 * 1024 + 64 * 1024  # one 10 MB file and its form fields


class BodyTooLarge(HTTPException):
    def __init__(self, reason_code: str) -> None:
        super().__init__(status_code=413)
        self.reason_code = reason_code


def _limit_for(path: str) -> tuple[int, str]:
    if path.endswith("/documents"):
        return UPLOAD_LIMIT, "evidence.too_large"
    return DEFAULT_LIMIT, "request.too_large"


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, code = _limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge(code)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(code)
            return message

        await self.app(scope, limited_receive, send)
