"""Password reset (requirements §5, §15).

The answer to a request is the same whether or not the account exists. The emailed
token is 256 bits, stored hashed, valid 30 min, single use, and only the newest one
works. Completing a reset never signs in (2FA still applies at the next sign-in),
ends every session and every sign-in in progress, lifts the wrong-password pauses and
switch-off of the email and of the owner's devices, places a 24 h withdrawal hold, and
tells the owner — with a "this wasn't me" freeze link.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session as Tx

from bastion.accounts.confirmation import claim_first_confirmation, clear_before_confirmation
from bastion.accounts.onetime import consume_token, issue_token, peek_token
from bastion.accounts.passwords import check_password_policy
from bastion.accounts.repo import find_account_by_email, get_account, normalize_email, set_password
from bastion.accounts.security_change import security_changed
from bastion.accounts.status import freeze_link
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.crypto import hash_token
from bastion.guard.passwords import clear_pauses, hash_password
from bastion.guard.tokens import guarded_token
from bastion.notify.outbox import Recipient, enqueue
from bastion.services import Services
from bastion.sessions.holds import WITHDRAWAL, place_hold
from bastion.sessions.revocation import revoke_sessions

PURPOSE = "password_reset"
VALID_FOR = timedelta(minutes=30)  # OWASP Forgot Password CS
HOLD_FOR = timedelta(hours=24)  # Bybit, HTX, KuCoin


def request_password_reset(services: Services, email: str, client: Client) -> None:
    start_password_reset(services, email, client)()


def start_password_reset(services: Services, email: str, client: Client) -> Callable[[], None]:
    """The rate limits, now; the look-up and the email are returned, to run once the answer has gone,
    so an existing address takes no longer to answer than an unknown one (ASVS 5.0 V6.3.8)."""
    identifier = normalize_email(email)
    now = services.clock.now()
    # Keyed by the identifier string, existing or not: the limit itself reveals nothing.
    services.throttle.spend(now, ("reset_identifier", identifier), ("reset_ip", client.ip or "unknown"))
    return partial(_email_reset_link, services, identifier, client, now)


def _email_reset_link(services: Services, identifier: str, client: Client, now: datetime) -> None:
    with services.db.transaction() as tx:
        account = find_account_by_email(tx, identifier)
        if account is not None:
            _send_reset_link(services, tx, account, client)


def send_reset_for_support(services: Services, account_id: str, agent_id: str, reason: str, client: Client) -> None:
    """Support may start a reset — the link goes to the owner's mailbox — but never set a password (ASVS 6.4.6)."""
    with services.db.transaction() as tx:
        _send_reset_link(services, tx, get_account(tx, account_id), client, actor_id=agent_id, reason=reason)


def _send_reset_link(services: Services, tx: Tx, account: Recipient, client: Client, **audit: str) -> None:
    now = services.clock.now()
    token = issue_token(tx, now, account.id, PURPOSE, VALID_FOR)
    record_event(tx, now, "password_reset.requested", account.id, client, **audit)
    enqueue(services, tx, "password_reset", account, dedup_key=f"password_reset/{hash_token(token)[:32]}",
            now=now, link=f"{services.settings.public_url}/password-reset/confirm?token={token}",
            valid_minutes=int(VALID_FOR.total_seconds() // 60), ip=client.ip, when=rfc3339(now))


def check_reset_link(services: Services, token: str, client: Client) -> str:
    """The email the link resets, without using it (so a refused password does not burn it)."""
    with guarded_token(services, client), services.db.transaction() as tx:
        return get_account(tx, peek_token(tx, services.clock.now(), PURPOSE, token)).email


def confirm_password_reset(services: Services, token: str, new_password: str, client: Client) -> None:
    now = services.clock.now()
    email = check_reset_link(services, token, client)
    check_password_policy(new_password, email)
    password_hash = hash_password(services, new_password, known_device=True)
    with services.db.transaction() as tx:
        account_id = consume_token(tx, services.clock.now(), PURPOSE, token)
        account = get_account(tx, account_id)
        if claim_first_confirmation(tx, account.id, now):  # the link proved the mailbox: its first owner
            clear_before_confirmation(tx, account, now, client, via="password_reset")
        set_password(tx, account.id, password_hash, now)
        ended = revoke_sessions(tx, now, account.id, "password_reset")
        security_changed(tx, account.id, now)
        until = place_hold(tx, now, account.id, WITHDRAWAL, "password_reset", HOLD_FOR)
        record_event(tx, now, "password_reset.completed", account.id, client, sessions_ended=ended,
                     hold_until=rfc3339(until))
        enqueue(services, tx, "password_reset_done", account, dedup_key=f"password_reset_done/{hash_token(token)[:32]}",
                now=now, when=rfc3339(now), ip=client.ip, hold_until=rfc3339(until),
                freeze_link=freeze_link(services, tx, account.id))
        email = account.email
    clear_pauses(services, email)
