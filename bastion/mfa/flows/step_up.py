"""Step-up with a second factor: `POST /v1/reauth` with a code of any method that may confirm it's
you (requirements §13).

The same rules as at sign-in: the guard's budgets apply before the check (a stolen session
cannot guess codes faster than a sign-in could, and the account's pause is shared), a code's
step is used once, a reused code alerts the owner, and a backup code used here is gone like any
other use.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bastion.accounts.devices import find_device
from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.guard import steps as guard
from bastion.mfa.method import ProofContext
from bastion.mfa.registry import METHODS
from bastion.services import Services
from bastion.sessions.stepup import mark_reauthenticated
from bastion.sessions.tokens import SessionInfo


def reauthenticate_with_factor(services: Services, session: SessionInfo, method: str, proof: Any,
                               client: Client) -> SessionInfo:
    factor = METHODS.get(method)
    if factor is None or not factor.step_up:
        raise BastionError(Reason.MFA_METHOD_UNAVAILABLE)
    now = services.clock.now()
    check = factor.start_check(ProofContext(services, session.account_id, client, "reauth"), proof)
    with services.db.transaction() as tx:
        known = find_device(tx, session.account_id, client.device_id) is not None
    try:
        guard.admit(services, guard.SECOND_FACTOR, session.account_id, None, client, known)
        consume = check.check(now)
        with services.db.transaction() as tx:
            consume(tx)
            check.succeeded(tx)
            mark_reauthenticated(tx, session.id, now)
            record_event(tx, now, "reauth.succeeded", session.account_id, client, session_id=session.id, method=method)
    except BastionError as error:
        with services.db.transaction() as tx:
            record_event(tx, now, "reauth.failed", session.account_id, client, session_id=session.id, method=method,
                         reason_code=error.code)
            check.refused(tx, error)
        # Inside a session: counted, but not emailed one by one (the pause is).
        guard.failed(services, session.account_id, error.code, client, new_place=False, alert=False)
        raise
    guard.succeeded(services, guard.SECOND_FACTOR, session.account_id)
    return dataclasses.replace(session, authenticated_at=now)


def reauthenticate_with_totp(services: Services, session: SessionInfo, code: str, client: Client) -> SessionInfo:
    return reauthenticate_with_factor(services, session, "totp", code, client)


def reauthenticate_with_backup_code(services: Services, session: SessionInfo, code: str,
                                    client: Client) -> SessionInfo:
    return reauthenticate_with_factor(services, session, "backup_code", code, client)
