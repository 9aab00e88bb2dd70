"""Step-up with a second factor: `POST /v1/reauth` with a TOTP code or a backup code (REQUIREMENTS 13).

The same rules as at sign-in: the account's second-step hold and attempt budget apply (a stolen
session cannot guess codes faster than a sign-in could), a code's step is used once, a reused
code alerts the owner, and a backup code used here is gone like any other use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from sqlalchemy.orm import Session as Tx

from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError
from bastion.mfa import attempts, totp_repo
from bastion.mfa.flows import notices
from bastion.mfa.flows.backup_code_flows import check_backup_code, consume_backup_code, report_backup_code_used
from bastion.mfa.flows.totp_check import ValidCode, check_code
from bastion.services import Services
from bastion.sessions.stepup import mark_reauthenticated
from bastion.sessions.tokens import SessionInfo


def reauthenticate_with_totp(services: Services, session: SessionInfo, code: str, client: Client) -> SessionInfo:
    checked: list[ValidCode] = []

    def check() -> Callable[[Tx], None]:
        valid = check_code(services, session.account_id, code, services.clock.now())
        checked.append(valid)
        return lambda tx: totp_repo.accept_step(tx, valid.credential_id, valid.step, services.clock.now())

    def refused(tx: Tx, error: BastionError) -> None:
        if error.code == "mfa.code_reused" and checked:
            notices.alert_reused_code(services, tx, session.account_id, checked[0].credential_id, checked[0].step,
                                      client, during="reauth")

    return _reauthenticate(services, session, client, "totp", check, refused)


def reauthenticate_with_backup_code(services: Services, session: SessionInfo, code: str,
                                    client: Client) -> SessionInfo:
    def check() -> Callable[[Tx], None]:
        typed = check_backup_code(services, session.account_id, code)

        def consume(tx: Tx) -> None:
            consume_backup_code(tx, typed, services.clock.now())
            report_backup_code_used(services, tx, session.account_id, client, during="reauth")
        return consume

    return _reauthenticate(services, session, client, "backup_code", check, lambda tx, error: None)


def _reauthenticate(services: Services, session: SessionInfo, client: Client, method: str,
                    check: Callable[[], Callable[[Tx], None]],
                    refused: Callable[[Tx, BastionError], None]) -> SessionInfo:
    now = services.clock.now()
    try:
        attempts.ensure_not_locked(services, session.account_id, now)
        verdict = attempts.count_attempt(services, session.account_id, None, now)
        if verdict.refusal is not None:
            if verdict.newly_locked:
                with services.db.transaction() as tx:
                    notices.alert_locked(services, tx, session.account_id, verdict.refusal.retry_after, client)
            raise verdict.refusal
        consume = check()
        with services.db.transaction() as tx:
            consume(tx)
            mark_reauthenticated(tx, session.id, now)
            record_event(tx, now, "reauth.succeeded", session.account_id, client, session_id=session.id, method=method)
    except BastionError as error:
        with services.db.transaction() as tx:
            record_event(tx, now, "reauth.failed", session.account_id, client, session_id=session.id, method=method,
                         reason_code=error.code)
            refused(tx, error)
        raise
    attempts.record_success(services, session.account_id)
    return dataclasses.replace(session, authenticated_at=now)
