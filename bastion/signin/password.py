"""Password sign-in: throttle checks, the first factor, then the flow's stages.

Order (cheapest first, REQUIREMENTS 1–6): the network's holds, then the identifier's
(or, on a device that signed in before, that device's own) hold, then one argon2
verification through the admission gate — never a hash for a locked request. Wrong
password, unknown email and an account without a password give the same
`credentials.invalid` after the same one verification. No hash runs inside a
database transaction.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import NoReturn

from sqlalchemy.orm import Session as Tx

from bastion.accounts.devices import account_and_known_device
from bastion.accounts.repo import normalize_email
from bastion.accounts.status import freeze_link
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.errors import BastionError, new_reference
from bastion.notify.outbox import enqueue
from bastion.ops.client_versions import check_client_version
from bastion.ops.maintenance import current_window, maintenance_refusal
from bastion.services import Services
from bastion.signin.attempts import record_attempt
from bastion.signin.flow import Authenticated, SignInResult, advance_flow, start_flow
from bastion.signin.stages import STAGES
from bastion.store.models import Account
from bastion.throttle.rules import FailureOutcome


def sign_in_with_password(
    services: Services, email: str, password: str, client: Client, remember: bool = False
) -> SignInResult:
    identifier = normalize_email(email)
    now = services.clock.now()
    throttle = services.throttle
    account_id: str | None = None
    try:
        update_hint = check_client_version(services, client)
        window = current_window(services)
        throttle.check_network(client.ip, now)
        with services.db.transaction() as tx:
            account, known = account_and_known_device(tx, identifier, client.device_id)
        account_id = account.id if account else None
        staff = account is not None and bool(account.role_set)
        if window is not None and not staff:
            raise maintenance_refusal(window, now)
        throttle.check_identifier(identifier, client.device_id, known, now)
        stored = account.password_hash if account else None
        matched = services.hash_gate.run(known, lambda: services.passwords.verify(stored, password))
        if window is not None and not matched:
            # Staff may sign in during maintenance; a wrong password answers like everyone else's.
            raise maintenance_refusal(window, now)
    except BastionError as refusal:
        _refuse(services, identifier, account_id, refusal, client)

    if not matched or account is None or account.password_hash is None:
        outcome = throttle.record_failure(identifier, client.ip, client.device_id, known, now)
        refusal = BastionError("credentials.invalid", reference=new_reference())
        with services.db.transaction() as tx:
            record_attempt(tx, now, identifier, "password", "failure", client, account_id=account_id,
                           code=refusal.code, reference=refusal.reference)
            if account is not None and (outcome.newly_locked or outcome.disabled):
                _notify_lockout(services, tx, account, outcome, client, now)
        raise refusal

    throttle.record_success(identifier, client.device_id)
    stored_hash = account.password_hash
    new_hash = services.passwords.hash(password) if services.passwords.needs_rehash(stored_hash) else None
    try:
        with services.db.transaction() as tx:
            tx.add(account)  # read just before the hash, unchanged since: no need to read it again
            if new_hash is not None:
                account.password_hash = new_hash
            flow = start_flow(services, tx, account, client, remember)
            result = advance_flow(services, tx, flow, account, client, STAGES)
            record_attempt(tx, now, identifier, "password",
                           "success" if isinstance(result, Authenticated) else "challenge",
                           client, account_id=account.id, flow_id=flow.id,
                           code=None if isinstance(result, Authenticated) else result.requirement.status,
                           risk=flow.facts.get("risk"))
            return dataclasses.replace(result, update_available=update_hint) if update_hint else result
    except BastionError as refusal:
        # Refused after the first factor (e.g. frozen, email not confirmed): the flow is rolled back.
        _refuse(services, identifier, account_id, refusal, client)


def _refuse(services: Services, identifier: str, account_id: str | None, refusal: BastionError,
            client: Client) -> NoReturn:
    """Record the refused attempt with its reference, then raise it."""
    refusal.reference = new_reference()
    risk = refusal.record.get("risk")
    with services.db.transaction() as tx:
        record_attempt(tx, services.clock.now(), identifier, "password", "failure", client,
                       account_id=account_id, code=refusal.code, reference=refusal.reference, risk=risk)
        if risk is not None:
            record_event(tx, services.clock.now(), "risk.assessed", account_id, client, reference=refusal.reference,
                         **risk)
    raise refusal


def _notify_lockout(services: Services, tx: Tx, account: Account, outcome: FailureOutcome,
                    client: Client, now: datetime) -> None:
    """One email when the pause starts (and when the password is switched off) — never for one wrong password."""
    enqueue(services, tx, "sign_in_locked", tx.merge(account),
            dedup_key=f"sign_in_locked/{account.id}/{outcome.consecutive}/{now:%Y%m%d%H}", now=now,
            count=outcome.consecutive, when=rfc3339(now), ip=client.ip or "unknown", disabled=outcome.disabled,
            reset_link=f"{services.settings.public_url}/password-reset",
            freeze_link=freeze_link(services, tx, account.id))
