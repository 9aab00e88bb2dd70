"""uvicorn's HTTP/1.1 protocol (httptools), with a bound on a request's head.

The parser keeps no limit of its own on the request line and headers, and it builds a long
header value by copying it again at every piece that arrives: one connection sending one header
of a couple of hundred megabytes held the event loop, and so every route, for a minute. A head
past `HEAD_LIMIT` bytes is answered 431 and the connection closed, before the parser has seen
more than that. It is answered as uvicorn answers a request it cannot parse (plain text, no
reference): the application never saw it.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Far more than any browser or app sends (cookies included); common proxies allow 8-32 KiB.
HEAD_LIMIT = 64 * 1024
_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
              b"content-length: 32\r\nconnection: close\r\n\r\nRequest header fields too large.")


class BoundedHeads(HttpToolsProtocol):
    """Counts the bytes of each request's head as they arrive (from the request's first byte until
    its headers are complete); past HEAD_LIMIT, answers 431 and closes."""

    _head_bytes = 0
    _in_head = True

    def data_received(self, data: bytes) -> None:
        # While in a head, the parser is fed no more than the head may still take: the bytes after
        # it (a body, the next request) are fed once the head is complete.
        while data and self._in_head and not self.transport.is_closing():
            room = HEAD_LIMIT - self._head_bytes
            if room <= 0:
                self._in_head = False
                self.transport.write(_TOO_LARGE)
                self.transport.close()
                return
            piece, data = data[:room], data[room:]
            self._head_bytes += len(piece)
            super().data_received(piece)
        if data and not self.transport.is_closing():
            super().data_received(data)

    def on_message_begin(self) -> None:
        self._in_head, self._head_bytes = True, 0
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()
