"""Step-up with the password: the session's owner proves it is still them (requirements §13).

The password is checked by the guard against the same budgets as at sign-in: a session buys no
guesses, and a pause answers `account.locked` here as it would on the sign-in page.
"""

from __future__ import annotations

import dataclasses

from bastion.accounts.repo import normalize_email
from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.guard.passwords import check_password
from bastion.services import Services
from bastion.sessions.stepup import mark_reauthenticated
from bastion.sessions.tokens import SessionInfo


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
