"""Outbox delivery tests, and a real SMTP sink (aiosmtpd) shared with the journey test."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nothing listens on right now (aiosmtpd and uvicorn need a concrete one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's name
        with self.sink.lock:
            self.sink.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server on 127.0.0.1:`port` that keeps every message it receives."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def messages(self, to: str | None = None) -> list[Received]:
        with self.lock:
            return [item for item in self.received if to is None or to in item.rcpt_tos]

    def wait_for(self, to: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """Bounded poll for real I/O: at least `count` messages to `to`, or AssertionError."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(to)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} messages to {to} arrived within {timeout} s")
            time.sleep(0.02)


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text/plain and text/html parts of a multipart/alternative message, decoded."""
    assert message.get_content_type() == "multipart/alternative", message.get_content_type()
    types = [part.get_content_type() for part in message.iter_parts()]
    assert types == ["text/plain", "text/html"], types
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    # SMTP carries CRLF line ends; the parser keeps them in the decoded content.
    return (text_part.get_content().replace("\r\n", "\n"), html_part.get_content().replace("\r\n", "\n"))
