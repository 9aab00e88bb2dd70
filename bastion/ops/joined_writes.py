"""An answer's head and body written to the socket together (bastion/ops/http_heads.py's protocol).

Each write is a system call, and on loopback or a busy host a wake-up of the reader: uvicorn
writes an answer's head as it starts and its body after. The head now waits for the body's first
piece (or the answer's end), and the answer's fixed headers (`FIXED_HEADERS`: the security headers
and the language, rendered once) join it before the blank line that ends it.
"""

from __future__ import annotations

import asyncio


class JoinedWrites:
    """The connection's transport as its requests' cycles write to it: the first write of each
    answer (its head, written as the answer starts) is held and goes out with the next (the
    body's first piece), or alone when the answer ends without one (a HEAD's) or the connection
    closes. An interim `100 Continue` goes at once: the client waits for it to send the body.
    The answer's fixed headers (`add_fixed`) end its head."""

    __slots__ = ("awaiting_head", "fixed", "held", "transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.held: bytes | None = None
        self.awaiting_head = True
        self.fixed = b""

    def add_fixed(self, rendered: bytes) -> None:
        """Headers for the answer about to start (`FIXED_HEADERS`)."""
        self.fixed = rendered

    def write(self, data: bytes) -> None:
        if self.transport.is_closing():
            return  # dropped (an unread answer, `_drop_answer`): nobody to write to
        if self.held is not None:
            data, self.held = self.held + data, None
        elif self.awaiting_head and data != _CONTINUE:
            self.awaiting_head = False
            if self.fixed:  # before the blank line that ends the head
                data, self.fixed = data[:-2] + self.fixed + data[-2:], b""
            self.held = data
            return
        self.transport.write(data)

    def answer_ended(self) -> None:
        """The answer is sent whole (what is held goes now); the next write is the next answer's head."""
        if self.held is not None:
            data, self.held = self.held, None
            if not self.transport.is_closing():
                self.transport.write(data)
        self.awaiting_head, self.fixed = True, b""

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def close(self) -> None:
        self.answer_ended()
        self.transport.close()


_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"  # what uvicorn writes, as the cycle reads a body
