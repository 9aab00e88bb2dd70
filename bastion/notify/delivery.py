"""Delivering the outbox: at least once, retried with backoff, never lost while SMTP is down.

The transport that sends one message is in `transport.py`; `bastion.worker` runs delivery each pass.

Several processes may deliver at once: a message is claimed with a conditional
UPDATE on `locked_until` before it is sent, so only one of them sends it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from sqlalchemy import or_, select, update

from bastion.metrics import EMAILS
from bastion.notify.models import OutboxMessage
from bastion.notify.outbox import message_bodies
from bastion.notify.transport import Transport
from bastion.services import Services
from bastion.store.changes import rows_changed

log = logging.getLogger("bastion.outbox")

CLAIM_FOR = timedelta(minutes=2)
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
# Doublings after which FIRST_BACKOFF has passed MAX_BACKOFF: the exponent never grows past it,
# so a long outage (many attempts) cannot overflow timedelta.
_MAX_DOUBLINGS = (MAX_BACKOFF // FIRST_BACKOFF).bit_length()


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
