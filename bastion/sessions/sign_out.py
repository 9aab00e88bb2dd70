"""Signing out: the session ends (and with it what it gave the apps), and the trail says so."""

from __future__ import annotations

from bastion.audit import record_event
from bastion.context import Client
from bastion.services import Services
from bastion.sessions.revocation import revoke_sessions
from bastion.sessions.tokens import SessionInfo


def sign_out(services: Services, session: SessionInfo, client: Client, app_id: str | None = None) -> bool:
    """End this session, in one transaction with its audit event: `session.signed_out`, or
    `oidc.logout` when an app sent the person here to sign out (`app_id`, RP-initiated logout)."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        ended = revoke_sessions(tx, now, session.account_id, "logout", only=session.id)
        if ended and app_id is None:
            record_event(tx, now, "session.signed_out", session.account_id, client, session_id=session.id)
        elif ended:
            record_event(tx, now, "oidc.logout", session.account_id, client, session_id=session.id, client_id=app_id)
    return bool(ended)
