"""Listing an account's live sessions and ending them (requirements §25-27)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session as Tx

from bastion.plugs import Plug
from bastion.services import Services
from bastion.sessions.models import Session
from bastion.sessions.tokens import idle_expiry
from bastion.store.invalidation import sessions_changed

# The apps signed in through ended sessions hear of it (OpenID back-channel logout), in the same
# transaction: (transaction, now, account id, ended session ids, reason, the session kept).
SessionsEnded = Callable[[Tx, datetime, str, list[str], str, str | None], None]
ENDED: Plug[SessionsEnded] = Plug("telling apps of ended sessions (bastion.oidc.logout)")


def list_sessions(services: Services, account_id: str) -> list[Session]:
    """The account's live sessions, newest first."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        sessions = tx.execute(
            select(Session)
            .where(Session.account_id == account_id, Session.revoked_at.is_(None), Session.expires_at > now)
            .order_by(Session.created_at.desc())
        ).scalars()
        return [session for session in sessions if idle_expiry(session) > now]


def revoke_sessions(
    tx: Tx, now: datetime, account_id: str, reason: str, only: str | None = None, keep: str | None = None
) -> int:
    """End the account's sessions — one (`only`), all but one (`keep`), or all; returns how many."""
    statement = update(Session).where(Session.account_id == account_id, Session.revoked_at.is_(None))
    if only is not None:
        statement = statement.where(Session.id == only)
    if keep is not None:
        statement = statement.where(Session.id != keep)
    sessions_changed(tx, account_id)
    ended = list(tx.execute(statement.values(revoked_at=now, revoke_reason=reason).returning(Session.id)).scalars())
    # The apps signed in through these sessions hear of it (OpenID back-channel logout), in this transaction.
    ENDED()(tx, now, account_id, ended, reason, keep)
    return len(ended)
