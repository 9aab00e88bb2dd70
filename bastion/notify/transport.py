"""How one email leaves: SMTP (STARTTLS whenever offered, or implicit TLS), or the dev mailbox."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

from bastion.services import Services


class Transport(Protocol):
    name: str

    def send(self, message: EmailMessage) -> None: ...


class MailboxTransport:
    """Dev only: mail stays in the outbox and is read at /dev/mailbox."""

    name = "mailbox"

    def send(self, message: EmailMessage) -> None:
        return None


class SmtpTransport:
    name = "smtp"

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        if self.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            # Upgrade a plain connection whenever the server offers it, so credentials
            # and one-time links never cross the network in clear when they need not.
            if not self.tls:
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                elif self.username:
                    raise smtplib.SMTPNotSupportedError("server offers no STARTTLS; refusing to send credentials in clear")
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)


def transport_for(services: Services) -> Transport:
    smtp_url = services.settings.smtp_url
    return SmtpTransport(smtp_url.get_secret_value()) if smtp_url else MailboxTransport()
