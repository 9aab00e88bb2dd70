"""Delivering the outbox: at least once, retried with backoff, never lost while SMTP is down.

Several processes may deliver at once: a message is claimed with a conditional
UPDATE on `locked_until` before it is sent, so only one of them sends it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import or_, select, update

from bastion.notify.outbox import message_bodies
from bastion.ops.metrics import EMAILS
from bastion.services import Services
from bastion.store.changes import rows_changed
from bastion.store.models import OutboxMessage

log = logging.getLogger("bastion.outbox")

CLAIM_FOR = timedelta(minutes=2)
SWEEP_EVERY_SECONDS = 600.0
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
# Doublings after which FIRST_BACKOFF has passed MAX_BACKOFF: the exponent never grows past it,
# so a long outage (many attempts) cannot overflow timedelta.
_MAX_DOUBLINGS = (MAX_BACKOFF // FIRST_BACKOFF).bit_length()


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


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at an hour, however many attempts."""
    doublings = min(max(attempts - 1, 0), _MAX_DOUBLINGS)
    factor: int = 2**doublings  # never negative: an int
    return min(FIRST_BACKOFF * factor, MAX_BACKOFF)


def _build(services: Services, row: OutboxMessage) -> EmailMessage:
    text, html = message_bodies(services.keys, row)
    message = EmailMessage()
    message["From"] = services.settings.mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = formatdate(row.created_at.timestamp(), usegmt=True)
    domain = parseaddr(services.settings.mail_from)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=str(row.id), domain=domain)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def deliver_due(services: Services, transport: Transport, batch: int = 20) -> int:
    """Send what is due now; returns how many were sent."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        due = list(
            tx.execute(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.sent_at.is_(None),
                    OutboxMessage.next_attempt_at <= now,
                    OutboxMessage.attempts < services.settings.outbox_max_attempts,
                    or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                )
                .order_by(OutboxMessage.id)
                .limit(batch)
            ).scalars()
        )
    sent = 0
    for message_id in due:
        sent += _deliver_one(services, transport, message_id)
    return sent


def _deliver_one(services: Services, transport: Transport, message_id: int) -> int:
    now = services.clock.now()
    with services.db.transaction() as tx:
        claimed = rows_changed(tx,
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.sent_at.is_(None),
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
            )
            .values(locked_until=now + CLAIM_FOR)
        )
        if not claimed:
            return 0
        row = tx.get_one(OutboxMessage, message_id)
        attempts = row.attempts + 1
        try:
            message: EmailMessage | None = _build(services, row)
            failure: Exception | None = None
        except Exception as error:  # e.g. a body under a key no longer in the ring: don't block the others
            message, failure = None, error
    if message is not None:
        try:
            transport.send(message)
        except Exception as error:  # any transport failure: keep the mail, try again later
            failure = error
    if failure is not None:
        _record_failure(services, message_id, attempts, failure)
        return 0
    with services.db.transaction() as tx:
        tx.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(attempts=attempts, locked_until=None, sent_at=services.clock.now(),
                    transport=transport.name, last_error=None)
        )
    EMAILS.labels("sent").inc()
    log.info("mail sent", extra={"outbox_id": message_id, "transport": transport.name})
    return 1


def _record_failure(services: Services, message_id: int, attempts: int, error: Exception) -> None:
    """Keep the mail, release the claim, and schedule the next attempt."""
    EMAILS.labels("failed").inc()
    log.warning("mail delivery failed", extra={"outbox_id": message_id, "attempt": attempts,
                                               "error": type(error).__name__})
    with services.db.transaction() as tx:
        tx.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(attempts=attempts, locked_until=None,
                    next_attempt_at=services.clock.now() + backoff(attempts),
                    last_error=f"{type(error).__name__}: {error}"[:500])
        )


class OutboxWorker:
    """Delivers in a background thread of the serving process (or of `bastion worker`)."""

    def __init__(self, services: Services, transport: Transport | None = None) -> None:
        self.services = services
        self.transport = transport or transport_for(services)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bastion-outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        last_sweep = float("-inf")
        while not self._stop.is_set():
            try:
                sweep = time.monotonic() - last_sweep >= SWEEP_EVERY_SECONDS
                if sweep:
                    last_sweep = time.monotonic()
                run_pass(self.services, self.transport, sweep=sweep)
            except Exception:  # database down, etc.: keep the loop alive and retry
                log.exception("background pass failed")
            self._wake.wait(self.services.settings.outbox_poll_seconds)
            self._wake.clear()


def run_pass(services: Services, transport: Transport, sweep: bool) -> None:
    """One pass of the background work: due recovery cases, the outbox, and (every few minutes) tidying."""
    from bastion.audit.chain import seal_pending
    from bastion.oidc.housekeeping import sweep_oidc
    from bastion.oidc.logout import deliver_logout_tokens
    from bastion.ops.housekeeping import sweep_expired
    from bastion.recovery.completion import complete_due_cases, expire_stale_cases, purge_documents

    complete_due_cases(services)  # before delivery, so its emails go out in this pass
    deliver_due(services, transport)
    deliver_logout_tokens(services)  # the OpenID provider's back-channel logouts, beside the mail
    # Link new security events into the audit chain within a pass of their commit.
    seal_pending(services)
    if sweep:
        sweep_expired(services)
        sweep_oidc(services)
        expire_stale_cases(services)
        purge_documents(services)
