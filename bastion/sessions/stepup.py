"""Step-up: sensitive changes need a proof of identity within the last few minutes (requirements §13).

Every factor added, changed or removed calls `require_recent_auth` first (`reauth.required` when the
session's last proof is older than BASTION_REAUTH_MINUTES, 5 by default). The proof is the password
(`bastion.accounts.reauthentication`) or a second factor's code (`bastion.mfa.flows.step_up`); either
marks the session here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session as Tx

from bastion.errors import BastionError, Reason
from bastion.services import Services
from bastion.sessions.models import Session
from bastion.sessions.tokens import SessionInfo
from bastion.store.invalidation import sessions_changed


def require_recent_auth(services: Services, session: SessionInfo) -> None:
    window = timedelta(minutes=services.settings.reauth_minutes)
    if services.clock.now() - session.authenticated_at > window:
        raise BastionError(Reason.REAUTH_REQUIRED)


def mark_reauthenticated(tx: Tx, session_id: str, now: datetime) -> None:
    """The session proved its owner again now (password here; a second factor in `bastion.mfa.flows.step_up`)."""
    tx.execute(update(Session).where(Session.id == session_id).values(authenticated_at=now))
    sessions_changed(tx, session_id)
