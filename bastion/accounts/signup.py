"""Sign-up and email verification.

Sign-up answers the same way whether or not the address is taken (REQUIREMENTS 6
spirit, API.md): a new address gets a confirmation link, a taken one gets an
email telling its owner, and both cost one password hash.

The answer must not take longer for one than the other either (ASVS 5.0 V6.3.8): the
web layer answers after `start_sign_up`'s checks and runs the work it returns afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

from sqlalchemy import update
from sqlalchemy.orm import Session as Tx

from bastion.accounts.passwords import check_password_policy
from bastion.accounts.repo import find_account_by_email, get_account, normalize_email
from bastion.audit import record_event
from bastion.context import Client
from bastion.crypto import hash_token
from bastion.errors import BastionError
from bastion.notify.outbox import enqueue
from bastion.onetime import consume_token, issue_token
from bastion.ops.client_versions import check_client_version
from bastion.ops.maintenance import check_maintenance
from bastion.services import Services
from bastion.store.models import Account
from bastion.store.types import new_id
from bastion.store.upsert import insert_ignoring_duplicates

VERIFY_EMAIL = "verify_email"


def sign_up(services: Services, email: str, password: str, client: Client) -> None:
    start_sign_up(services, email, password, client)()


def start_sign_up(services: Services, email: str, password: str, client: Client) -> Callable[[], None]:
    """Every check that may refuse, now; the work that depends on whether the address is taken
    (the account or the owner's email) is returned, to run once the answer has gone."""
    check_maintenance(services)
    check_client_version(services, client)
    email = normalize_email(email)
    check_password_policy(password, email)
    wait = services.throttle.hit("signup_ip", client.ip or "unknown", services.clock.now())
    if wait is not None:
        raise BastionError("rate_limited", retry_after=wait)
    return partial(_create_or_tell_the_owner, services, email, password, client)


def _create_or_tell_the_owner(services: Services, email: str, password: str, client: Client) -> None:
    # In the process's hash queue like a sign-in's, but never refused: the answer has gone.
    password_hash = services.hash_gate.run(False, lambda: services.passwords.hash(password), after_answer=True)
    now = services.clock.now()
    with services.db.transaction() as tx:
        account_id = new_id()
        created = insert_ignoring_duplicates(
            tx,
            Account,
            dict(id=account_id, email=email, password_hash=password_hash, status="active",
                 roles="", created_at=now, password_changed_at=now),
            conflict_column="email",
        )
        account = get_account(tx, account_id) if created else find_account_by_email(tx, email)
        assert account is not None
        if created:
            record_event(tx, now, "account.created", account.id, client)
        if account.email_verified_at is None:
            # New, or signed up before without confirming: a fresh link (the old one stops working).
            send_verification_email(services, tx, account)
        else:
            enqueue(services, tx, "signup_existing", account,
                    dedup_key=f"signup_existing/{account.id}/{now:%Y-%m-%d}", now=now)


def send_verification_email(services: Services, tx: Tx, account: Account) -> None:
    now = services.clock.now()
    hours = services.settings.email_verification_hours
    token = issue_token(tx, now, account.id, VERIFY_EMAIL, timedelta(hours=hours))
    enqueue(
        services, tx, "verify_email", account,
        dedup_key=f"verify_email/{hash_token(token)[:32]}",
        now=now,
        link=f"{services.settings.public_url}/confirm?token={token}",
        valid_hours=hours,
    )


def verify_email(services: Services, token: str, client: Client) -> str:
    """Confirm the address the token was sent to; returns the account id."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        account_id = consume_token(tx, now, VERIFY_EMAIL, token)
        tx.execute(
            update(Account)
            .where(Account.id == account_id, Account.email_verified_at.is_(None))
            .values(email_verified_at=now)
        )
        record_event(tx, now, "account.email_verified", account_id, client)
    return account_id
