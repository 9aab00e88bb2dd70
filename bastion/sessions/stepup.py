"""Step-up: sensitive changes need a proof of identity within the last few minutes (REQUIREMENTS 13).

Every factor added, changed or removed calls `require_recent_auth` first (`reauth.required` when the
session's last proof is older than BASTION_REAUTH_MINUTES, 5 by default). The proof is the password
here, or a second factor's code (`bastion.mfa.flows.step_up`). A password is checked by the guard
against the same budgets as at sign-in: a session buys no guesses, and a pause answers
`account.locked` here as it would on the sign-in page.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import normalize_email
from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.guard.passwords import check_password
from bastion.services import Services
from bastion.sessions.invalidation import sessions_changed
from bastion.sessions.tokens import SessionInfo
from bastion.store.models import Session


def require_recent_auth(services: Services, session: SessionInfo) -> None:
    window = timedelta(minutes=services.settings.reauth_minutes)
    if services.clock.now() - session.authenticated_at > window:
        raise BastionError(Reason.REAUTH_REQUIRED)


def reauthenticate_with_password(
    services: Services, session: SessionInfo, password: str, client: Client
) -> SessionInfo:
    """Refresh the step-up time with the password; returns the session as it now stands."""
    ok = password_proves(services, session, password, client)
    now = services.clock.now()
    with services.db.transaction() as tx:
        record_event(tx, now, "reauth.succeeded" if ok else "reauth.failed", session.account_id, client,
                     session_id=session.id, method="password")
        if ok:
            mark_reauthenticated(tx, session.id, now)
    if not ok:
        raise BastionError(Reason.REAUTH_FAILED)
    return dataclasses.replace(session, authenticated_at=now)


def password_proves(services: Services, session: SessionInfo, password: str, client: Client) -> bool:
    """Whether `password` is the session's account's, checked by the guard (refuses when paused)."""
    try:
        checked = check_password(services, normalize_email(session.email), password, client)
    except BastionError as refusal:
        with services.db.transaction() as tx:
            record_event(tx, services.clock.now(), "reauth.failed", session.account_id, client,
                         session_id=session.id, method="password", reason_code=refusal.code)
        raise
    return checked.matched and checked.account is not None and checked.account.id == session.account_id


def mark_reauthenticated(tx: Tx, session_id: str, now: datetime) -> None:
    """The session proved its owner again now (password here; a second factor in `bastion.mfa.flows.step_up`)."""
    tx.execute(update(Session).where(Session.id == session_id).values(authenticated_at=now))
    sessions_changed(tx, session_id)
