"""Password sign-in: the first factor through the guard, then the flow's stages.

Order (cheapest first, requirements §1-6): an app below the minimum version is refused; then the
guard (`bastion.guard.passwords`): the network's holds, the identifier's (or, on a device that
signed in before, that device's own) hold, one argon2 verification in the hash gate — never a
hash for a held request. Wrong password, unknown email and an account without a password give
the same `credentials.invalid` after the same one verification. No hash runs inside a database
transaction.

During a maintenance window every request pays the same: the password is checked and counted as
always, then anyone but staff with the right password is told `service.maintenance` — so a
staff address answers like any other, and staff passwords are guessed no faster than others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NoReturn

from sqlalchemy import Label
from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import LockedAccount, lock_account_reading, normalize_email, replace_password_hash
from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError, Reason, new_reference
from bastion.guard.passwords import check_password, hash_password
from bastion.ops.maintenance import maintenance_refusal
from bastion.services import Services
from bastion.signin.attempts import record_attempt
from bastion.signin.flow import Authenticated, SignInResult, Stage, advance_flow, start_flow
from bastion.signin.stages import STAGES
from bastion.signin.visit import Visit, arrive
from bastion.store.together import written_together


def sign_in_with_password(
    services: Services, email: str, password: str, client: Client, remember: bool = False
) -> SignInResult:
    identifier = normalize_email(email)
    now = services.clock.now()
    account_id: str | None = None
    try:
        visit = arrive(services, client)
        checked = check_password(services, identifier, password, client)
        found = checked.account
        account_id = found.id if found else None
        if visit.window is not None and not checked.matched:
            raise maintenance_refusal(visit.window, now)  # as for anyone not staff: see the docstring
    except BastionError as refusal:
        _refuse(services, identifier, account_id, refusal, client)

    if not checked.matched or found is None or found.password_hash is None:
        wrong = BastionError(Reason.CREDENTIALS_INVALID, reference=new_reference())
        with services.db.transaction() as tx:
            record_attempt(tx, now, identifier, "password", "failure", client, account_id=account_id,
                           code=wrong.code, reference=wrong.reference)
        raise wrong

    stored_hash = found.password_hash
    new_hash = (hash_password(services, password, known_device=True)
                if services.passwords.needs_rehash(stored_hash) else None)
    try:
        with services.db.transaction() as tx:
            stages = STAGES()
            # Read again, locked: a freeze, reset or restriction since the hash is seen, or waits.
            account, visit = _lock_with_stage_reads(services, tx, found.id, visit, stages)
            if account.password_hash != stored_hash:
                raise BastionError(Reason.CREDENTIALS_INVALID)  # the password changed while it was checked
            if new_hash is not None:
                replace_password_hash(tx, account.id, new_hash)
                account = replace(account, password_hash=new_hash)
            flow = start_flow(services, account, visit, remember, "password")
            with written_together(tx):  # the flow, session, device, events and attempt: sent together
                result = advance_flow(services, tx, flow, account, visit, stages)
                record_attempt(tx, now, identifier, "password",
                               "success" if isinstance(result, Authenticated) else "challenge",
                               client, account_id=account.id, flow_id=flow.id,
                               code=None if isinstance(result, Authenticated) else result.requirement.status,
                               risk=flow.facts.get("risk"))
            return result
    except BastionError as refusal:
        # Refused after the first factor (e.g. frozen, email not confirmed): the flow is rolled back.
        _refuse(services, identifier, account_id, refusal, client)


def _lock_with_stage_reads(services: Services, tx: Tx, account_id: str, visit: Visit,
                           stages: Sequence[Stage]) -> tuple[LockedAccount, Visit]:
    """The account, locked, and what the stages read (`ReadingStage`) in the same statement."""
    now = services.clock.now()
    columns: list[Label[Any]] = []
    parameters: dict[str, Any] = {}
    for stage in stages:
        reads = getattr(stage, "reads", None)
        if reads is not None:
            stage_columns, stage_parameters = reads(services, visit, now)
            columns += stage_columns
            parameters.update(stage_parameters)
    account, row = lock_account_reading(tx, account_id, tuple(columns), parameters)
    return account, replace(visit, looked_up=row)


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
