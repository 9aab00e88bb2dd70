"""Sessions in storage, for what is not the life of one session (tokens.py): counts and housekeeping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, FromClause, delete, func, select
from sqlalchemy.orm import Session as Tx

from bastion.sessions.models import Session
from bastion.store.changes import rows_changed


def count_live_sessions(tx: Tx, account_id: str, now: datetime) -> int:
    """The account's sessions neither revoked nor expired."""
    return tx.execute(select(func.count()).select_from(Session).where(
        Session.account_id == account_id, Session.revoked_at.is_(None), Session.expires_at > now)).scalar_one()


def delete_expired_sessions(tx: Tx, before: datetime) -> int:
    """Sessions that expired before `before` (ended ones stay listable for support until then)."""
    return rows_changed(tx, delete(Session).where(Session.expires_at < before))


@dataclass(frozen=True, slots=True)
class SessionColumns:
    """A session's columns another feature may read in its own statement, joined by id, where one
    round trip matters (an OpenID grant's session, read with its code or refresh token). Only read."""

    table: FromClause
    id: ColumnElement[Any]
    expires_at: ColumnElement[Any]
    revoked_at: ColumnElement[Any]


_SESSIONS = Session.__table__
COLUMNS = SessionColumns(_SESSIONS, _SESSIONS.c.id, _SESSIONS.c.expires_at, _SESSIONS.c.revoked_at)
