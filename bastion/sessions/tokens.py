"""Session issue, validation and revocation (REQUIREMENTS 25–27).

A session token is 256 random bits; only its SHA-256 is stored. A session ends
at the earlier of its absolute expiry and `idle_seconds` after it was last seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session as Tx

from bastion.context import Client
from bastion.crypto import hash_token, new_token
from bastion.errors import BastionError
from bastion.ops.maintenance import current_window, maintenance_refusal
from bastion.services import Services
from bastion.store.models import Account, Session

TOKEN_PREFIX = "bst_"
# last_seen_at is written at most this often: a validation is then a read, not a write.
# The idle timeout can only end a session earlier by this much, never later.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str
    account_id: str
    email: str
    roles: frozenset[str]
    created_at: datetime
    authenticated_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    idle_expires_at: datetime
    aal: int
    remember: bool


def _lifetimes(services: Services, remember: bool) -> tuple[timedelta, timedelta]:
    settings = services.settings
    if remember:
        return timedelta(days=settings.remember_idle_days), timedelta(days=settings.remember_absolute_days)
    return timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_absolute_hours)


def issue_session(
    services: Services, tx: Tx, account_id: str, client: Client, remember: bool, aal: int = 1
) -> tuple[str, Session]:
    """A new session, with a new token (never reused across sign-ins)."""
    now = services.clock.now()
    idle, absolute = _lifetimes(services, remember)
    token = new_token(TOKEN_PREFIX)
    session = Session(
        account_id=account_id,
        token_hash=hash_token(token),
        created_at=now,
        authenticated_at=now,
        last_seen_at=now,
        idle_seconds=int(idle.total_seconds()),
        expires_at=now + absolute,
        aal=aal,
        remember=remember,
        ip=client.ip,
        user_agent=(client.user_agent or "")[:512] or None,
        device_id=client.device_id,
    )
    tx.add(session)
    tx.flush()
    return token, session


def idle_expiry(session: Session) -> datetime:
    return min(session.expires_at, session.last_seen_at + timedelta(seconds=session.idle_seconds))


def authenticate_session(services: Services, token: str) -> SessionInfo:
    """The live session behind a token, or `session.invalid` / `.expired` / `.revoked`."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        raise BastionError("session.invalid")
    now = services.clock.now()
    window = current_window(services)  # outside the transaction: it may read the database itself
    with services.db.transaction() as tx:
        row = tx.execute(
            select(Session, Account.email, Account.roles)
            .join(Account, Account.id == Session.account_id)
            .where(Session.token_hash == hash_token(token))
        ).first()
        if row is None:
            raise BastionError("session.invalid")
        session, email, roles = row
        if session.revoked_at is not None:
            raise BastionError("session.revoked")
        if now >= idle_expiry(session):
            raise BastionError("session.expired")
        if window is not None and window.block_sessions and not roles:
            raise maintenance_refusal(window, now)
        if now - session.last_seen_at >= TOUCH_EVERY:
            tx.execute(update(Session).where(Session.id == session.id).values(last_seen_at=now))
            session.last_seen_at = now
        return SessionInfo(
            id=session.id,
            account_id=session.account_id,
            email=email,
            roles=frozenset(role for role in roles.split(",") if role),
            created_at=session.created_at,
            authenticated_at=session.authenticated_at,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
            idle_expires_at=idle_expiry(session),
            aal=session.aal,
            remember=session.remember,
        )


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
    return tx.execute(statement.values(revoked_at=now, revoke_reason=reason)).rowcount
