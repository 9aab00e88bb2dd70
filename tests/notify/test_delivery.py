"""Outbox delivery (requirements §24): kept while SMTP is down, retried with backoff on the injected clock,
sent exactly once when it is back — even with two deliverers racing — and stored encrypted.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import get_account
from bastion.accounts.signup import sign_up
from bastion.clock import MovableClock
from bastion.config import Settings
from bastion.context import Client
from bastion.crypto import KeyRing, generate_key
from bastion.notify.delivery import CLAIM_FOR, backoff, deliver_due
from bastion.notify.models import OutboxMessage
from bastion.notify.outbox import anti_phishing_aad, enqueue
from bastion.notify.transport import SmtpTransport
from bastion.services import Services
from bastion.startup import build_services
from tests.conftest import DEFAULT_PASSWORD, link_token
from tests.notify import SmtpSink, free_port, parts


class RecordingTransport:
    """Stands in for SMTP where only *whether and how often* something is sent matters."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        with self._lock:
            self.sent.append(message)


class FailingTransport:
    name = "failing"

    def __init__(self) -> None:
        self.calls = 0

    def send(self, message: EmailMessage) -> None:
        self.calls += 1
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def outbox(services: Services) -> list[OutboxMessage]:
    with services.db.transaction() as tx:
        return list(tx.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def only_message(services: Services) -> OutboxMessage:
    [row] = outbox(services)
    return row


def signed_up(services: Services, email: str) -> str:
    """A real flow that queues mail: sign-up writes the confirmation email in its own transaction."""
    sign_up(services, email, DEFAULT_PASSWORD, Client(ip="192.0.2.10"))
    return email


def queue(services: Services, tx: Tx, account_id: str, dedup_key: str, now: datetime) -> None:
    enqueue(services, tx, "anti_phishing_changed", get_account(tx, account_id), dedup_key=dedup_key, now=now,
            when="2026-01-05T09:00:00Z", ip="192.0.2.10", freeze_link="http://testserver/freeze?token=t")


def test_backoff_doubles_from_30_seconds_and_stops_at_an_hour() -> None:
    assert [backoff(n) for n in range(1, 9)] == [
        timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
        timedelta(minutes=8), timedelta(minutes=16), timedelta(minutes=32), timedelta(hours=1)]
    # However many attempts a long outage piles up, the wait stays an hour (and never overflows).
    for attempts in (9, 20, 60, 1000, 10**6):
        assert backoff(attempts) == timedelta(hours=1)


def test_mail_waits_in_the_outbox_while_smtp_is_down_and_is_sent_once_when_it_is_back(
    services: Services, clock: MovableClock, mailbox
) -> None:  # type: ignore[no-untyped-def]
    email = signed_up(services, "patient@example.com")
    queued_at = clock.now()
    port = free_port()  # nothing listens here yet
    transport = SmtpTransport(f"smtp://127.0.0.1:{port}", timeout=5)

    expected_next = queued_at
    for attempt, wait in enumerate([timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)], start=1):
        clock.set(expected_next)
        assert deliver_due(services, transport) == 0
        row = only_message(services)
        assert row.sent_at is None
        assert row.attempts == attempt
        assert row.last_error is not None and "ConnectionRefusedError" in row.last_error
        assert row.locked_until is None
        assert row.next_attempt_at == clock.now() + wait == clock.now() + backoff(attempt)
        expected_next = row.next_attempt_at
        # Not due yet: another pass right away, or a second before, does not even try.
        assert deliver_due(services, transport) == 0
        clock.set(expected_next - timedelta(seconds=1))
        assert deliver_due(services, transport) == 0
        assert only_message(services).attempts == attempt

    # The message is still there, intact, in the outbox the whole time.
    assert mailbox.last(email)["template"] == "verify_email"

    sink = SmtpSink(port).start()
    try:
        clock.set(expected_next - timedelta(seconds=1))
        assert deliver_due(services, transport) == 0
        assert sink.messages() == []
        clock.set(expected_next)
        assert deliver_due(services, transport) == 1
        [received] = sink.messages()
        assert received.rcpt_tos == [email]
        row = only_message(services)
        assert (row.attempts, row.sent_at, row.last_error, row.transport) == (4, clock.now(), None, "smtp")
        # Later passes never send it again.
        for _ in range(3):
            clock.advance(hours=2)
            assert deliver_due(services, transport) == 0
        assert len(sink.messages()) == 1
        text_part, _html = parts(received.message)
        assert link_token(text_part, "/confirm?token=") == link_token(mailbox.last(email)["text"])
    finally:
        sink.stop()


def test_a_message_is_never_sent_before_its_next_attempt_at(services: Services, clock: MovableClock,
                                                            account_factory) -> None:  # type: ignore[no-untyped-def]
    account = account_factory()
    later = clock.now() + timedelta(minutes=10)
    with services.db.transaction() as tx:
        queue(services, tx, account["id"], "scheduled/1", now=later)
    transport = RecordingTransport()
    for moment in (clock.now(), later - timedelta(minutes=5), later - timedelta(microseconds=1)):
        clock.set(moment)
        assert deliver_due(services, transport) == 0
    assert transport.sent == []
    assert only_message(services).attempts == 0
    clock.set(later)
    assert deliver_due(services, transport) == 1
    assert len(transport.sent) == 1


def test_two_deliverers_that_both_see_the_message_due_send_it_once(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_up(services, "raced@example.com")
    transport = RecordingTransport()
    # Both deliverers must have found the message due before either claims it: each waits at a
    # barrier just before its second transaction (the claim). A deliverer that found nothing due
    # never gets there, and the barrier breaks the test instead. Neither sends before both claim
    # transactions are over, so the winner cannot finish (sent_at) before the loser tries.
    found_due = threading.Barrier(2, timeout=10)
    both_claimed = threading.Barrier(2, timeout=10)
    state = threading.local()
    original = services.db.transaction

    @contextmanager
    def transaction() -> Iterator[Tx]:
        state.count = getattr(state, "count", 0) + 1
        claim = getattr(state, "racing", False) and state.count == 2
        if claim:
            found_due.wait()
        with original() as tx:
            yield tx
        if claim:
            both_claimed.wait()

    monkeypatch.setattr(services.db, "transaction", transaction)

    def racer() -> int:
        state.racing = True
        return deliver_due(services, transport)

    with ThreadPoolExecutor(2) as pool:
        results = sorted(future.result(timeout=20) for future in [pool.submit(racer), pool.submit(racer)])
    assert results == [0, 1]
    assert len(transport.sent) == 1
    row = only_message(services)
    assert row.sent_at is not None and row.attempts == 1 and row.locked_until is None


def test_many_deliverers_at_once_send_each_message_exactly_once(services: Services, smtp: SmtpSink) -> None:
    addresses = [signed_up(services, f"crowd{n}@example.com") for n in range(6)]
    transport = SmtpTransport(smtp.url, timeout=5)
    start = threading.Barrier(4, timeout=10)

    def deliverer() -> int:
        start.wait()
        return deliver_due(services, transport)

    with ThreadPoolExecutor(4) as pool:
        total = sum(future.result(timeout=30) for future in [pool.submit(deliverer) for _ in range(4)])
    assert total == 6
    assert sorted(rcpt for item in smtp.messages() for rcpt in item.rcpt_tos) == addresses
    assert all(row.sent_at is not None and row.attempts == 1 for row in outbox(services))


def test_a_claimed_message_is_left_alone_until_the_claim_lapses(services: Services, clock: MovableClock) -> None:
    signed_up(services, "claimed@example.com")
    # A deliverer in the middle of sending: its send blocks until released.
    entered, release = threading.Event(), threading.Event()
    slow = RecordingTransport()
    original_send = slow.send

    def blocking_send(message: EmailMessage) -> None:
        entered.set()
        assert release.wait(10)
        original_send(message)

    slow.send = blocking_send  # type: ignore[method-assign]
    other = RecordingTransport()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(deliver_due, services, slow)
        assert entered.wait(10)
        assert deliver_due(services, other) == 0
        release.set()
        assert first.result(timeout=10) == 1
    assert deliver_due(services, other) == 0
    assert (len(slow.sent), other.sent) == (1, [])

    # A deliverer that died holding a claim: the message waits for CLAIM_FOR, then goes out.
    signed_up(services, "orphaned@example.com")
    with services.db.transaction() as tx:
        tx.execute(update(OutboxMessage).where(OutboxMessage.to_address == "orphaned@example.com")
                   .values(locked_until=clock.now() + CLAIM_FOR))
    assert deliver_due(services, other) == 0
    clock.advance(seconds=CLAIM_FOR.total_seconds() - 1)
    assert deliver_due(services, other) == 0
    clock.advance(seconds=2)
    assert deliver_due(services, other) == 1
    assert [message["To"] for message in other.sent] == ["orphaned@example.com"]


def test_the_same_dedup_key_is_queued_and_sent_once(services: Services, clock: MovableClock,
                                                    account_factory) -> None:  # type: ignore[no-untyped-def]
    account = account_factory()
    for _ in range(2):
        with services.db.transaction() as tx:
            queue(services, tx, account["id"], "anti_phishing_changed/same", now=clock.now())
    with services.db.transaction() as tx:  # twice in one transaction, too
        queue(services, tx, account["id"], "anti_phishing_changed/same", now=clock.now())
        queue(services, tx, account["id"], "anti_phishing_changed/same", now=clock.now())
    assert len(outbox(services)) == 1
    transport = RecordingTransport()
    assert deliver_due(services, transport) == 1
    # Queuing it again after it went out does not send it again either.
    with services.db.transaction() as tx:
        queue(services, tx, account["id"], "anti_phishing_changed/same", now=clock.now())
    clock.advance(hours=1)
    assert deliver_due(services, transport) == 0
    assert len(transport.sent) == 1


def test_bodies_are_encrypted_at_rest_and_every_message_has_text_and_html(
    services: Services, clock: MovableClock, mailbox, account_factory, smtp: SmtpSink
) -> None:  # type: ignore[no-untyped-def]
    fresh = signed_up(services, "fresh@example.com")                  # verify_email
    owner = account_factory(email="taken@example.com")                # confirmed, no mail yet
    taken = signed_up(services, owner["email"])                       # signup_existing, to its owner
    with services.db.transaction() as tx:                             # anti_phishing_changed, code set
        account = get_account(tx, owner["id"])
        account.anti_phishing_code = services.keys.encrypt("SECRET-KOALA", anti_phishing_aad(account.id))
        tx.flush()
        queue(services, tx, account.id, "anti_phishing_changed/1", now=clock.now())

    token = link_token(mailbox.last(fresh)["text"])
    with services.db.engine.connect() as connection:
        raw = connection.execute(text("SELECT template, body_text, body_html FROM outbox ORDER BY id")).all()
    assert sorted(row.template for row in raw) == ["anti_phishing_changed", "signup_existing", "verify_email"]
    for row in raw:
        for column in (row.body_text, row.body_html):
            for secret in (token, "confirm?token=", "SECRET-KOALA", fresh, taken, "anti-phishing", "<html"):
                assert secret not in column, (row.template, secret)

    assert deliver_due(services, SmtpTransport(smtp.url, timeout=5)) == 3
    received = {item.message["Subject"]: item.message for item in smtp.messages()}
    stored = {item["subject"]: item for item in mailbox.messages()}
    assert received.keys() == stored.keys()
    for subject, message in received.items():
        text_part, html_part = parts(message)
        assert text_part == stored[subject]["text"]
        assert html_part == stored[subject]["html"]
        assert html_part.lstrip().lower().startswith("<!doctype html>")
        assert "<" not in text_part.split("\n", 1)[0]
    notice = received["Your anti-phishing code was changed"]
    assert parts(notice)[0].startswith("Anti-phishing code: SECRET-KOALA\n")


def test_a_long_outage_keeps_retrying_hourly_and_gives_up_after_the_limit_without_losing_the_mail(
    database_url: str, settings_factory: Callable[..., Settings], clock: MovableClock
) -> None:
    services = build_services(settings_factory(database_url=database_url, outbox_max_attempts=60), clock=clock)
    try:
        signed_up(services, "outage@example.com")
        transport = FailingTransport()
        for attempt in range(1, 61):
            assert deliver_due(services, transport) == 0
            row = only_message(services)
            assert (row.attempts, row.locked_until, row.sent_at) == (attempt, None, None)
            assert row.next_attempt_at - clock.now() == backoff(attempt) <= timedelta(hours=1)
            clock.set(row.next_attempt_at)
        assert transport.calls == 60
        clock.advance(days=1)
        assert deliver_due(services, transport) == 0
        assert transport.calls == 60
        assert only_message(services).last_error is not None
    finally:
        services.close()


def test_the_sender_may_carry_a_display_name(
    database_url: str, settings_factory: Callable[..., Settings], clock: MovableClock, smtp: SmtpSink
) -> None:
    services = build_services(
        settings_factory(database_url=database_url, mail_from="Bastion Security <security@bastion.test>"),
        clock=clock)
    try:
        signed_up(services, "named@example.com")
        assert deliver_due(services, SmtpTransport(smtp.url, timeout=5)) == 1
        [received] = smtp.messages()
        assert received.mail_from == "security@bastion.test"
        message = received.message
        assert message["From"].addresses[0].addr_spec == "security@bastion.test"
        assert message["From"].addresses[0].display_name == "Bastion Security"
        assert re.fullmatch(r"<[^<>@\s]+@bastion\.test>", message["Message-ID"]), message["Message-ID"]
    finally:
        services.close()


def test_a_message_that_cannot_be_built_does_not_hold_up_the_others(
    services: Services, clock: MovableClock, smtp: SmtpSink
) -> None:
    # Encrypted under a key that has since left the key ring (rotation done too early).
    stuck = signed_up(services, "stuck@example.com")
    fine = signed_up(services, "fine@example.com")
    foreign = KeyRing.from_setting(generate_key())
    with services.db.transaction() as tx:
        row = tx.execute(select(OutboxMessage).where(OutboxMessage.to_address == stuck)).scalar_one()
        row.body_text = foreign.encrypt("hello", f"outbox/{row.dedup_key}")

    transport = SmtpTransport(smtp.url, timeout=5)
    assert deliver_due(services, transport) == 1
    assert [item.rcpt_tos for item in smtp.messages()] == [[fine]]
    [bad] = [row for row in outbox(services) if row.to_address == stuck]
    assert (bad.sent_at, bad.locked_until, bad.attempts) == (None, None, 1)
    assert bad.last_error is not None and "KeyRingError" in bad.last_error
    assert bad.next_attempt_at == clock.now() + backoff(1)
    # It is retried on the same schedule as any failure, and stays in the outbox.
    clock.set(bad.next_attempt_at)
    assert deliver_due(services, transport) == 0
    assert len(smtp.messages(fine)) == 1
    assert [row.attempts for row in outbox(services) if row.to_address == stuck] == [2]
