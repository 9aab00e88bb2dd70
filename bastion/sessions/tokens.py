"""Session issue (requirements §25-27): what a session is, and a new one at sign-in.

A session token is 256 random bits and a MAC over them under the key ring
(`bst_<43 base64url>.<32 hex>`); only its SHA-256 is stored. A token of another shape, or
whose MAC is not one of the ring's, is refused without a look-up (validation.py): made-up tokens
cost a hash and a MAC, never a database read. A session ends at the earlier of its absolute
expiry and `idle_seconds` after it was last seen. Validation is in `validation.py`, listing and
ending sessions in `revocation.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session as Tx

from bastion.context import Client
from bastion.crypto import KeyRing, constant_time_equal, hash_token, new_token
from bastion.services import Services
from bastion.sessions.holds import Restriction
from bastion.sessions.models import Session
from bastion.store.rows import append_row
from bastion.store.types import new_id

TOKEN_PREFIX = "bst_"  # noqa: S105 - the visible prefix of every session token, not a secret
_MAC_PURPOSE, _MAC_LENGTH = "session-token", 32
SHAPE = re.compile(r"^bst_[A-Za-z0-9_-]{43}\.[0-9a-f]{32}$")


def signed_session_token(keys: KeyRing, random_part: str) -> str:
    """`bst_<random>.<MAC>`: a token Bastion issued, recognisable as such without the database."""
    return f"{TOKEN_PREFIX}{random_part}.{keys.mac(_MAC_PURPOSE, random_part)[:_MAC_LENGTH]}"


def issued_here(keys: KeyRing, token: str) -> bool:
    """The MAC is one of the ring's (any key: tokens outlive a rotation). The shape was checked."""
    random_part, mac = token[len(TOKEN_PREFIX):-_MAC_LENGTH - 1], token[-_MAC_LENGTH:]
    return any(constant_time_equal(mac, candidate[:_MAC_LENGTH]) for candidate in keys.macs(_MAC_PURPOSE, random_part))


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
    # Security holds running now, e.g. no withdrawals for 24 h after a password reset.
    restrictions: tuple[Restriction, ...] = ()


def _lifetimes(services: Services, remember: bool) -> tuple[timedelta, timedelta]:
    settings = services.settings
    if remember:
        return timedelta(days=settings.remember_idle_days), timedelta(days=settings.remember_absolute_days)
    return timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_absolute_hours)


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session as `issue_session` wrote it: its row's values, no ORM object to build or track."""

    id: str
    account_id: str
    created_at: datetime
    last_seen_at: datetime
    idle_seconds: int
    expires_at: datetime
    aal: int
    remember: bool


_SESSIONS = Session.__table__


def issue_session(
    services: Services, tx: Tx, account_id: str, client: Client, remember: bool, aal: int = 1
) -> tuple[str, NewSession]:
    """A new session, with a new token (never reused across sign-ins)."""
    now = services.clock.now()
    idle, absolute = _lifetimes(services, remember)
    token = signed_session_token(services.keys, new_token())
    session = NewSession(new_id(), account_id, now, now, int(idle.total_seconds()), now + absolute, aal, remember)
    append_row(tx, _SESSIONS, {
        "id": session.id, "account_id": account_id, "token_hash": hash_token(token), "created_at": now,
        "authenticated_at": now, "last_seen_at": now, "idle_seconds": session.idle_seconds,
        "expires_at": session.expires_at, "aal": aal, "remember": remember, "ip": client.ip,
        "user_agent": (client.user_agent or "")[:512] or None, "device_id": client.device_id,
    })
    return token, session


class Expiring(Protocol):
    @property
    def expires_at(self) -> datetime: ...

    @property
    def last_seen_at(self) -> datetime: ...

    @property
    def idle_seconds(self) -> int: ...


def idle_expiry(session: Expiring) -> datetime:
    return min(session.expires_at, session.last_seen_at + timedelta(seconds=session.idle_seconds))
