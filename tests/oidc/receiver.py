"""A loopback back-channel logout receiver: what an app's logout endpoint would get."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class LogoutReceiver:
    def __init__(self, status: int = 200) -> None:
        self.tokens: list[str] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name
                length = int(self.headers.get("content-length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                if receiver.status == 200:
                    receiver.tokens.extend(form.get("logout_token", []))
                self.send_response(receiver.status)
                self.send_header("Cache-Control", "no-store")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/backchannel-logout"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LogoutReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class Tarpit:
    """A receiver that answers one byte of its headers a second and never finishes them (it gives
    up after `bytes_total` bytes and closes: a client without a deadline sees a broken answer)."""

    def __init__(self, bytes_total: int = 12) -> None:
        self.bytes_total = bytes_total
        self.connections = 0
        self._stop = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/backchannel-logout"
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        with connection:
            for byte in b"HTTP/1.1 200 OK\r\n"[:self.bytes_total]:
                if self._stop.wait(1.0):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:  # the client gave up: the tarpit is abandoned
                    return

    def __enter__(self) -> Tarpit:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join()
        self.server.close()
