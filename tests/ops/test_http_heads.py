"""A request's head is bounded: one connection sending one endless header cannot hold the event loop."""

from __future__ import annotations

import contextlib
import socket
import time
from typing import ClassVar

from bastion.ops.http_heads import HEAD_LIMIT, PIPELINE_LIMIT, BoundedHeads
from bastion.ops.serving import uvicorn_options
from bastion.startup import build_services
from bastion.web.app import create_app
from tests.live import serving


def exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(request)  # (or answered and closed before the rest was sent)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := connection.recv(65536):
                answer += chunk
        return answer


def test_a_head_past_the_limit_is_answered_431_and_an_ordinary_one_is_served(services) -> None:  # type: ignore[no-untyped-def]
    assert uvicorn_options(services.settings)["http"] is BoundedHeads  # how `bastion serve` and the demo serve
    with serving(create_app(services, deliver_mail=False), http=BoundedHeads) as port:
        endless = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Filler: " + b"a" * (HEAD_LIMIT * 4)
        too_large = exchange(port, endless)
        assert too_large.startswith(b"HTTP/1.1 431 ") and b"\r\nx-content-type-options: nosniff\r\n" in too_large
        assert b"\r\nreferrer-policy: no-referrer\r\n" in too_large and b"\r\ncontent-language: en\r\n" in too_large
        garbage = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\nGARBAGE\r\n\r\n")
        assert b"HTTP/1.1 400 " in garbage, garbage  # what the parser refuses, as uvicorn answers it
        assert b"\r\ncache-control: no-store\r\n" in garbage and garbage.endswith(b"Invalid HTTP request received.")
        big_but_fair = (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: "
                        + b"b" * (HEAD_LIMIT // 2) + b"\r\n\r\n")
        assert exchange(port, big_but_fair).startswith(b"HTTP/1.1 200 ")
        # Two requests on one connection: the second head is counted from its own first byte.
        twice = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-A: " + b"c" * (HEAD_LIMIT // 2) + b"\r\n\r\n"
        answer = exchange(port, twice + twice.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n", 1))
        assert answer.count(b"HTTP/1.1 200 ") == 2
        # A head's bytes counted from its first, even when they come in pieces: 40 KiB and 40 KiB is past the limit.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as pieces:
            pieces.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-A: " + b"d" * (40 * 1024))
            time.sleep(0.2)
            with contextlib.suppress(OSError):
                pieces.sendall(b"e" * (40 * 1024) + b"\r\n\r\n")
            assert (closed_within(pieces, 5) or b"").startswith(b"HTTP/1.1 431 ")


def test_a_connection_queues_a_bounded_number_of_pipelined_requests(services) -> None:  # type: ignore[no-untyped-def]
    """600,000 requests sent down one connection were parsed into as many waiting requests: 1.1 GB,
    and everyone's answers held up to 4 s. Past PIPELINE_LIMIT the rest is not read: those queued
    are answered, then the connection is closed."""
    with serving(create_app(services, deliver_mail=False), http=BoundedHeads) as port:
        few = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n" * 5
        assert exchange(port, few + b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        ).count(b"HTTP/1.1 200 ") == 6
        many = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n" * 500)  # closed by the server
        assert PIPELINE_LIMIT < many.count(b"HTTP/1.1 200 ") < 2 * PIPELINE_LIMIT


class QuickHeads(BoundedHeads):
    head_seconds = 0.5


def closed_within(connection: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before closing the connection within `seconds`; None if it is still open."""
    connection.settimeout(seconds)
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return received


def test_a_connection_whose_head_does_not_arrive_in_time_is_closed(services) -> None:  # type: ignore[no-untyped-def]
    """Silent connections, or half heads, held for good would use up the file descriptors."""
    with serving(create_app(services, deliver_mail=False), http=QuickHeads) as port:
        silent = socket.create_connection(("127.0.0.1", port))
        half = socket.create_connection(("127.0.0.1", port))
        half.sendall(b"GET /healthz HTTP/1.1\r\nHost: local")
        assert closed_within(silent, 5) == b"" and closed_within(half, 5) == b""
        with socket.create_connection(("127.0.0.1", port)) as prompt:  # a head sent at once: served
            prompt.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert (closed_within(prompt, 5) or b"").startswith(b"HTTP/1.1 200 ")
        with socket.create_connection(("127.0.0.1", port)) as kept:  # served, then half a second head
            kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert kept.recv(65536).startswith(b"HTTP/1.1 200 ")
            kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: local")  # (data stops keep-alive's own timer)
            assert closed_within(kept, 3) == b""
        with socket.create_connection(("127.0.0.1", port)) as blank:  # served, then an empty line, then nothing
            blank.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert blank.recv(65536).startswith(b"HTTP/1.1 200 ")
            blank.sendall(b"\r\n")  # no request begun, and keep-alive's timer stopped: it was held for good
            assert closed_within(blank, 3) == b""
        silent.close()
        half.close()


def test_a_request_answered_before_its_body_arrived_whole_has_its_connection_closed(services) -> None:  # type: ignore[no-untyped-def]
    """Else the rest of the body, a byte at a time, keeps it open past every deadline (keep-alive's
    included: each byte restarts it)."""
    with serving(create_app(services, deliver_mail=False), http=QuickHeads) as port:
        with socket.create_connection(("127.0.0.1", port)) as early:
            early.sendall(b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\nabc")
            answer, closed = b"", False
            early.settimeout(0.5)
            deadline = time.monotonic() + 15  # the answer may be slow on a busy machine
            while not closed and time.monotonic() < deadline:
                try:
                    chunk = early.recv(65536)
                    answer, closed = answer + chunk, not chunk
                except TimeoutError:
                    with contextlib.suppress(OSError):
                        early.sendall(b"x")  # the rest, a byte at a time: each one restarted keep-alive's timer
                except ConnectionResetError:
                    closed = True
            assert closed and answer.startswith(b"HTTP/1.1 405 ")
        with socket.create_connection(("127.0.0.1", port)) as whole:  # a request that arrived whole: kept alive
            whole.sendall(b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc")
            assert closed_within(whole, 1) is None


class FewConnections(QuickHeads):
    connections_per_address = 3


def test_one_address_holds_a_bounded_number_of_connections(services) -> None:  # type: ignore[no-untyped-def]
    """Thousands of slow connections from one address used up the file descriptors: nobody could connect."""
    with serving(create_app(services, deliver_mail=False), http=FewConnections, timeout_keep_alive=30) as port:
        held = []
        for _ in range(3):  # each served, and kept alive
            # Its head sent as it connects: opened together, the last ones' heads waited for the
            # first answers, past QuickHeads' 0.5 s on a busy machine, and were closed for it.
            connection = socket.create_connection(("127.0.0.1", port))
            held.append(connection)
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert connection.recv(65536).startswith(b"HTTP/1.1 200 ")
        with socket.create_connection(("127.0.0.1", port)) as one_too_many:
            answer = closed_within(one_too_many, 5)
            assert answer is not None and answer.startswith(b"HTTP/1.1 503 ") and b"retry-after: 5" in answer
        held.pop().close()
        time.sleep(0.2)  # the server sees it go
        with socket.create_connection(("127.0.0.1", port)) as again:
            again.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert (closed_within(again, 5) or b"").startswith(b"HTTP/1.1 200 ")
        for connection in held:
            connection.close()


def test_an_upgrade_request_leaves_its_connection_counted_as_any_other(services) -> None:  # type: ignore[no-untyped-def]
    """Handed to uvicorn's WebSocket protocol (there is no WebSocket route), a connection was never
    uncounted: 256 refused upgrades shut their address out until a restart."""
    ws = uvicorn_options(services.settings)["ws"]
    with serving(create_app(services, deliver_mail=False), http=FewConnections, ws=ws) as port:
        for _ in range(2 * FewConnections.connections_per_address):
            with socket.create_connection(("127.0.0.1", port)) as upgrade:
                upgrade.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                                b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                b"Sec-WebSocket-Version: 13\r\n\r\n")
                upgrade.recv(65536)
        time.sleep(0.2)  # the server sees them go
        with socket.create_connection(("127.0.0.1", port)) as after:
            after.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert (closed_within(after, 5) or b"").startswith(b"HTTP/1.1 200 ")


class FewPatientConnections(FewConnections):
    head_seconds = 10.0  # the connections opened at once wait their turn to send their heads


def test_a_trusted_proxys_connections_are_not_counted(database_url, settings_factory) -> None:  # type: ignore[no-untyped-def]
    """Everyone's connections come through it."""
    services = build_services(settings_factory(database_url=database_url, trusted_proxies="127.0.0.1/32"))
    try:
        with serving(create_app(services, deliver_mail=False), http=FewPatientConnections) as port:
            held = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]  # at once
            for connection in held:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                assert (closed_within(connection, 5) or b"").startswith(b"HTTP/1.1 200 ")
                connection.close()
    finally:
        services.close()


class Crowded(BoundedHeads):
    connection_ceiling = 3


def test_at_the_descriptor_ceiling_a_new_connection_closes_the_oldest_still_silent(services) -> None:  # type: ignore[no-untyped-def]
    """Silent connections from many addresses filled every descriptor: nobody could connect."""
    with serving(create_app(services, deliver_mail=False), http=Crowded) as port:
        silent = []
        for _ in range(3):
            silent.append(socket.create_connection(("127.0.0.1", port)))
            time.sleep(0.1)  # each accepted in turn: the first is the oldest
        with socket.create_connection(("127.0.0.1", port)) as person:
            person.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert (closed_within(person, 5) or b"").startswith(b"HTTP/1.1 200 ")
        assert closed_within(silent[0], 2) == b""
        assert closed_within(silent[1], 0.3) is None and closed_within(silent[2], 0.3) is None
        for connection in silent:
            connection.close()


class QuickToDrop(BoundedHeads):
    write_stall_seconds = 0.5

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        # As under an attack's load, when the kernel's TCP memory is spent: its buffer stays small,
        # and the answer waits in the process's memory.
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        super().connection_made(transport)


def test_an_answer_nobody_reads_is_dropped_with_its_connection(services) -> None:  # type: ignore[no-untyped-def]
    """Thousands of connections asking for the 600 KB schema with tiny receive windows, never
    reading, grew the server by 3.5 GB: each answer waited in its memory."""
    with serving(create_app(services, deliver_mail=False), http=QuickToDrop) as port:
        whole = exchange(port, b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert whole.startswith(b"HTTP/1.1 200 ") and len(whole) > 300_000
        with socket.socket() as reader:
            reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            reader.connect(("127.0.0.1", port))
            reader.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            time.sleep(3)  # reading nothing, long past the stall's limit
            received = closed_within(reader, 10)
        assert received is not None and len(received) < len(whole)


class OneStalled(QuickToDrop):
    write_stall_seconds = 30.0
    stalled_limit = 1


def test_past_the_stalled_limit_the_longest_stalled_answer_is_dropped(services) -> None:  # type: ignore[no-untyped-def]
    with serving(create_app(services, deliver_mail=False), http=OneStalled) as port:
        readers = []
        for _ in range(2):
            reader = socket.socket()
            reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            reader.connect(("127.0.0.1", port))
            reader.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            readers.append(reader)
            time.sleep(0.5)  # stalled, in this order
        first, second = (closed_within(reader, 10) for reader in readers)
        assert first is not None and len(first) < 300_000  # dropped for the second
        assert second is not None and len(second) > 600_000  # read to its end
        for reader in readers:
            reader.close()


class _Recording:
    """The transport, each write kept."""

    def __init__(self, transport, writes: list[bytes]) -> None:  # type: ignore[no-untyped-def]
        self.transport, self.writes = transport, writes

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.transport.write(data)

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def close(self) -> None:
        self.transport.close()


class RecordedWrites(BoundedHeads):
    writes: ClassVar[list[bytes]] = []

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        super().connection_made(transport)
        self._joined.transport = _Recording(transport, self.writes)  # type: ignore[assignment]


def test_an_answer_goes_to_the_socket_in_one_write(services) -> None:  # type: ignore[no-untyped-def]
    """Head and body written apart cost two system calls, and on loopback two wake-ups of the reader."""
    writes = RecordedWrites.writes
    writes.clear()
    with serving(create_app(services, deliver_mail=False), http=RecordedWrites) as port:
        get = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
        answer = exchange(port, get + get.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        assert answer.count(b"HTTP/1.1 200 ") == 2 and len(writes) == 2  # each answer whole, in one write
        assert all(write.startswith(b"HTTP/1.1 200 ") and write.endswith(b"}") for write in writes)

        writes.clear()  # a HEAD's answer has no body: its head goes when it ends
        answer = exchange(port, b"HEAD /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"\r\n\r\n") and writes == [answer]

        writes.clear()  # an interim 100 Continue goes at once: the client sends its body only then
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"POST /v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                           b"Expect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
            first = client.recv(65536)
            assert first == b"HTTP/1.1 100 Continue\r\n\r\n", first
            client.sendall(b"{}")
            assert (closed_within(client, 10) or b"").startswith(b"HTTP/1.1 422 ")
        assert writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n" and len(writes) == 2


class _Closing:
    def is_closing(self) -> bool:
        return True

    def write(self, data: bytes) -> None:
        raise RuntimeError("the handler is closed")  # as uvloop's aborted transport answers


def test_an_answer_written_after_its_connection_was_dropped_is_let_go() -> None:
    """A connection whose answer went unread is aborted (`_drop_answer`) while its request still
    runs: the rest of that answer is nobody's, and writing it raised from the application."""
    from bastion.ops.joined_writes import JoinedWrites

    joined = JoinedWrites(_Closing())  # type: ignore[arg-type]
    joined.write(b"HTTP/1.1 200 OK\r\n\r\n")
    joined.write(b"{}")
    joined.answer_ended()
