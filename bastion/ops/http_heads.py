"""uvicorn's HTTP/1.1 protocol (httptools), with bounds on a request's head and on an idle connection.

The parser keeps no limit of its own on the request line and headers, and it builds a long
header value by copying it again at every piece that arrives: one connection sending one header
of a couple of hundred megabytes held the event loop, and so every route, for a minute. A head
past `HEAD_LIMIT` bytes is answered 431 and the connection closed, before the parser has seen
more than that. It is answered as uvicorn answers a request it cannot parse (plain text, no
reference): the application never saw it.

Nor does uvicorn time a connection until its first answer: one opened and left silent, or sent
half a head, was held for good, and a few thousand of them use up the process's file
descriptors, after which nobody can connect. A head must now arrive whole within `HEAD_SECONDS`
of the connection's opening (or of the first byte sent after an answer); else the connection is
closed. And a request answered before its body arrived whole (a refusal that never reads it)
has its connection closed with the answer: the rest of the body, trickled a byte at a time,
kept it open past every other deadline.

And one address holds at most `CONNECTIONS_PER_ADDRESS` connections at once (an IPv6 address:
its /64): an attacker's thousands of slow uploads from one address used up the file descriptors,
and then nobody could connect. The next one is answered 503 and closed at once. The proxies
BASTION_TRUSTED_PROXIES names are not counted: everyone's connections come through them. From
many addresses, silent connections still filled every descriptor; so once the connections reach
the process's descriptor limit less `DESCRIPTOR_RESERVE`, each new one closes the oldest still
waiting for its head: a person's head follows its connection at once, an attacker's never does.

Answers a client never reads wait in the process's memory (the 600 KB schema, asked for on
thousands of connections with tiny receive windows, grew the server by 3.5 GB and stalled it). An
answer whose sending has been stalled for `WRITE_STALL_SECONDS` is dropped with its connection,
and so is the longest stalled once `STALLED_LIMIT` are.

An answer's head and its body go to the socket in one write (bastion/ops/joined_writes.py), not
two. And the headers every answer carries (the security headers, bastion/web/headers.py, and the
language) come rendered once, through the `FIXED_HEADERS` extension, and join the head as they
are: uvicorn checks each header of each answer with two regular expressions, ~0.5 µs a header,
and these are a dozen long constants.

The session checks a platform makes for each of its own requests are answered before they are
ASGI requests when the app can answer them from memory (`ANSWERS_AT_ONCE`): no request cycle, no
task, no header checked again, one write. uvicorn's part of a request cost as much as the whole
check (a 200 from memory went from 75 to 47 µs of the server's CPU). Only a request nothing before
it is still being answered on its connection, whole, without what HTTP makes special (`Expect`,
`Connection: close`, HTTP/1.0, an upgrade, a paused writer, the access log); anything else, and
whatever the app will not answer at once, becomes an ASGI request as it would have.
"""

from __future__ import annotations

import asyncio
import ipaddress
import resource
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bastion.context import host_of_address
from bastion.ops.joined_writes import JoinedWrites

# Far more than any browser or app sends (cookies included); common proxies allow 8-32 KiB.
HEAD_LIMIT = 64 * 1024
# A head is a few hundred bytes, sent at once; a browser's connection opened ahead of need is
# opened again when needed. (Proxies wait 20-60 s.)
HEAD_SECONDS = 20.0
# Descriptors kept for what the process opens itself (database, files, logs), whatever connects.
DESCRIPTOR_RESERVE = 1024
# A reader this slow (under 64 KiB in 30 s) reads no page; a few hundred slow readers at once fit.
WRITE_STALL_SECONDS = 30.0
STALLED_LIMIT = 512
# A browser opens six at most; a few hundred people behind one carrier's address still fit.
CONNECTIONS_PER_ADDRESS = 256
# Requests one connection may have queued behind the one being answered (browsers pipeline none):
# 600,000 sent down one connection were parsed into as many waiting requests, 1.1 GB, and held
# everyone's answers up to 4 s. Past it, the rest is not read: the queued ones are answered and
# the connection closed (a client retries what was not answered).
PIPELINE_LIMIT = 32
# The ASGI extension (in `scope["extensions"]`) whose "add" takes an answer's fixed headers, rendered
# (`name: value\r\n` each, checked where they were rendered), to be written with that answer's head.
FIXED_HEADERS = "bastion.fixed_headers"
# The app's attribute holding what it answers before a request is an ASGI one (`AnswersAtOnce`).
ANSWERS_AT_ONCE = "answers_at_once"


class AnswersAtOnce(Protocol):
    """bastion/web/edge.py's `Edge`, as the protocol sees it."""

    at_once: Mapping[tuple[bytes, bytes], object]  # the (method, raw path) pairs it may answer
    largest_body_at_once: int

    def answer_at_once(self, scope: dict[str, Any], body: bytes) -> bytes | None:
        """The head's fields after the date and server's, and the body, of a 200; None: the usual way."""


# The protocol's own plain-text answers (503, 431 and the 400 for what the parser refuses) carry the
# security headers that matter for a text no page shows: not sniffed, not cached, not framed, no
# referrer; and the language of their words.
_PLAIN = (b"content-type: text/plain; charset=utf-8\r\nx-content-type-options: nosniff\r\ncache-control: no-store\r\n"
          b"x-frame-options: DENY\r\ncontent-security-policy: default-src 'none'; frame-ancestors 'none'\r\n"
          b"referrer-policy: no-referrer\r\ncontent-language: en\r\n")


def _plain_answer(status: bytes, text: bytes, extra: bytes = b"") -> bytes:
    """One of the protocol's own answers: `text`, the connection closed after it."""
    return (b"HTTP/1.1 " + status + b"\r\n" + _PLAIN + extra
            + b"content-length: %d\r\nconnection: close\r\n\r\n" % len(text) + text)


_TOO_MANY = _plain_answer(b"503 Service Unavailable", b"Too many connections from this address.", b"retry-after: 5\r\n")
_TOO_LARGE = _plain_answer(b"431 Request Header Fields Too Large", b"Request header fields too large.")


class _Deadlines:
    """A process's connections each under one deadline (a head to arrive, an answer to be read),
    oldest first: past a bound, the oldest goes first."""

    def __init__(self) -> None:
        self._timers: dict[BoundedHeads, asyncio.TimerHandle] = {}  # a dict keeps arrival order

    def __len__(self) -> int:
        return len(self._timers)

    def start(self, connection: BoundedHeads, seconds: float, expired: Callable[[], None]) -> None:
        if connection not in self._timers:
            self._timers[connection] = connection.loop.call_later(seconds, expired)

    def stop(self, connection: BoundedHeads) -> None:
        timer = self._timers.pop(connection, None)
        if timer is not None:
            timer.cancel()

    def oldest(self, but: BoundedHeads | None) -> BoundedHeads | None:
        return next((connection for connection in self._timers if connection is not but), None)


class BoundedHeads(HttpToolsProtocol):
    """Counts the bytes of each request's head as they arrive (from the request's first byte until
    its headers are complete); past HEAD_LIMIT, answers 431 and closes. Closes a connection whose
    head takes longer than `head_seconds`, and one answered before its request arrived whole."""

    head_seconds = HEAD_SECONDS
    connections_per_address = CONNECTIONS_PER_ADDRESS
    connection_ceiling = max(64, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - DESCRIPTOR_RESERVE)
    _open: ClassVar[Counter[str]] = Counter()  # this process's connections, per counted address
    # This process's connections still waiting for a head, oldest first (a dict keeps their order).
    _awaiting: ClassVar[_Deadlines] = _Deadlines()
    write_stall_seconds = WRITE_STALL_SECONDS
    stalled_limit = STALLED_LIMIT
    # This process's connections whose answers wait for their reader, longest stalled first.
    _stalled: ClassVar[_Deadlines] = _Deadlines()
    _address: str | None = None
    _head_bytes = 0
    _in_head = True
    _overflowed = False  # past PIPELINE_LIMIT: nothing more is read
    _joined: JoinedWrites
    _answers: AnswersAtOnce | None = None  # the app's `ANSWERS_AT_ONCE`, once found
    _at_once: bytes | None = None  # the body so far of a request to be answered at once
    _answered_at_once = 0  # in the current read
    _defaults: ClassVar[tuple[list[tuple[bytes, bytes]] | None, bytes]] = (None, b"")  # uvicorn's, rendered

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._joined = JoinedWrites(transport)
        self._address = _counted_address(self.client, self.app)
        if self._address is not None:
            self._open[self._address] += 1
            if self._open[self._address] > self.connections_per_address:
                transport.write(_TOO_MANY)
                transport.close()
                return
        if len(self.connections) > self.connection_ceiling:
            oldest = self._awaiting.oldest(but=self)
            if oldest is not None:
                oldest._head_too_slow()
        self._await_head()

    def pause_writing(self) -> None:
        super().pause_writing()
        self._stalled.start(self, self.write_stall_seconds, self._drop_answer)
        if len(self._stalled) > self.stalled_limit:
            longest = self._stalled.oldest(but=None)
            if longest is not None:
                longest._drop_answer()

    def resume_writing(self) -> None:
        self._writing_again()
        super().resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._writing_again()
        if self._address is not None:
            self._open[self._address] -= 1
            if not self._open[self._address]:
                del self._open[self._address]
            self._address = None
        self._head_arrived()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._overflowed:
            return
        self._answered_at_once = 0
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
        if self._at_once is not None:
            # Its body did not come with its head: the usual way times it (the edge's body deadlines),
            # where a body trickled here would hold the connection past every deadline.
            if self.transport.is_closing():
                self._at_once = None
            else:
                self._take_the_usual_way()
        if self._in_head and self._head_bytes:
            # A head begun and not complete, timed from here (once): most arrive whole. Any byte
            # stops keep-alive's timer, so an empty line sent after an answer held the connection for good.
            # (A request answered at once leaves none begun: keep-alive's timer runs.)
            self._await_head()

    def on_message_begin(self) -> None:
        # Not counted again from 0: the bytes of this read were counted as they were fed.
        self._in_head = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        self._head_arrived()
        if self._may_answer_at_once():
            self._at_once = b""  # its body is gathered, then it is answered (`on_message_complete`)
        else:
            self._start_cycle()
        # Fields after a chunked body (trailers) land apart from the request's headers (uvicorn added them):
        # ASGI has no place for them, and there they carried credentials a proxy checking headers never
        # saw (RFC 9110 §6.5.1).
        self.headers = []

    def on_body(self, body: bytes) -> None:
        if self._at_once is None:
            super().on_body(body)
            return
        self._at_once += body
        if self._answers is None or len(self._at_once) > self._answers.largest_body_at_once:
            self._take_the_usual_way()

    def on_message_complete(self) -> None:
        if self._at_once is not None:
            answer = self._answer_at_once()
            if answer is not None:
                self._at_once = None
                self._answered_at_once += 1
                self.transport.write(answer)
                self.on_response_complete()
                return
            self._take_the_usual_way()
        super().on_message_complete()

    def _may_answer_at_once(self) -> bool:
        """A request the app may answer before it is an ASGI request (`ANSWERS_AT_ONCE`): nothing before
        it still being answered on this connection, and nothing of HTTP's the usual way must handle."""
        answers = self._answers
        if answers is None:
            answers = self._answers = _answers_of(self.app)  # built by the app's first request
            if answers is None:
                return False
        return ((self.parser.get_method(), self.url) in answers.at_once and not self.pipeline
                and self._answered_at_once < PIPELINE_LIMIT  # a read's worth: then queued, and bounded, the usual way
                and (self.cycle is None or self.cycle.response_complete) and not self.expect_100_continue
                and self.parser.get_http_version() == "1.1" and self.parser.should_keep_alive()
                and not self.parser.should_upgrade() and not self.flow.write_paused and not self.access_log
                and self.limit_concurrency is None)

    def _answer_at_once(self) -> bytes | None:
        answers, body, scope = self._answers, self._at_once, self.scope
        if answers is None or body is None:
            return None
        scope["method"] = self.parser.get_method().decode("ascii")
        scope["path"], scope["raw_path"], scope["query_string"] = self.url.decode("ascii"), self.url, b""
        try:
            rest = answers.answer_at_once(scope, body)  # type: ignore[arg-type]  # uvicorn's typed dict
        except Exception:  # the usual way meets it again, and answers it as every error is answered
            rest = None
        if rest is None:
            return None
        defaults = self.server_state.default_headers  # (a new list each second: the date)
        if defaults is not BoundedHeads._defaults[0]:
            BoundedHeads._defaults = (defaults, b"".join(name + b": " + value + b"\r\n" for name, value in defaults))
        return b"HTTP/1.1 200 OK\r\n" + BoundedHeads._defaults[1] + rest

    def _take_the_usual_way(self) -> None:
        """The request held for `_answer_at_once` becomes an ASGI request after all, with what arrived of its body."""
        body, self._at_once = self._at_once, None
        self._start_cycle()
        if body:
            super().on_body(body)

    def _start_cycle(self) -> None:
        super().on_headers_complete()
        if self.cycle is not None:
            self.cycle.transport = self._joined  # type: ignore[assignment]  # the same three calls it makes
            self.scope["extensions"] = {FIXED_HEADERS: {"add": self._joined.add_fixed}}
        if len(self.pipeline) > PIPELINE_LIMIT:
            self.pipeline.popleft()  # this one, queued last: not answered
            self._overflowed = True
            self.flow.pause_reading()

    def send_400_response(self, msg: str) -> None:
        # What the parser refuses, answered as the 431 and the 503 are (uvicorn's carries no security header).
        self.transport.write(_plain_answer(b"400 Bad Request", msg.encode("ascii")))
        self.transport.close()

    def _unsupported_upgrade_warning(self) -> None:
        # uvicorn's two warnings advise installing a WebSocket library: there is no WebSocket route
        # (bastion/ops/serving.py), and an upgrade asked for is answered as the plain request it also is.
        self.logger.info("upgrade request answered as plain HTTP")

    def on_response_complete(self) -> None:
        self._joined.answer_ended()
        if not self.pipeline:  # the next head is awaited (a queued request's has arrived)
            self._in_head, self._head_bytes = True, 0
            if self._overflowed:
                self.transport.close()  # the queued ones answered; the rest was never read
        # With no request queued behind it, the cycle answered is the last one begun: a body
        # still to come (`more_body`) would be read and thrown away for as long as it trickles.
        if not self.pipeline and self.cycle is not None and self.cycle.more_body:
            self.transport.close()
        super().on_response_complete()

    def _writing_again(self) -> None:
        self._stalled.stop(self)

    def _drop_answer(self) -> None:
        self._writing_again()
        self.transport.abort()  # what is still buffered goes; nobody was reading it

    def _await_head(self) -> None:
        self._awaiting.start(self, self.head_seconds, self._head_too_slow)

    def _head_arrived(self) -> None:
        self._awaiting.stop(self)

    def _head_too_slow(self) -> None:
        self._head_arrived()
        if not self.transport.is_closing():
            self.transport.close()


def _counted_address(client: tuple[str, int] | None, app: Any) -> str | None:
    """The address a connection counts against (an IPv6 one's /64), or None for a trusted proxy
    (the app's own BASTION_TRUSTED_PROXIES) or a peer without an address (a Unix socket)."""
    if not client:
        return None
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return None
    services = _services_of(app)
    trusted = services.settings.trusted_proxy_networks if services is not None else []
    if any(address in network for network in trusted):
        return None
    return host_of_address(address)


def _services_of(app: Any) -> Any:
    """Bastion's services, from the app uvicorn serves (through the middleware it may wrap it in)."""
    return _through_wrappers(app, lambda app: getattr(getattr(app, "state", None), "services", None))


def _answers_of(app: Any) -> Any:
    return _through_wrappers(app, lambda app: getattr(app, ANSWERS_AT_ONCE, None))


def _through_wrappers(app: Any, find: Callable[[Any], Any]) -> Any:
    for _ in range(4):
        found = find(app)
        if found is not None:
            return found
        app = getattr(app, "app", None)
    return None
