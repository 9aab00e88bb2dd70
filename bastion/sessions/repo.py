"""Sessions in storage, for what is not the life of one session (tokens.py): housekeeping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session as Tx

from bastion.sessions.models import Session


def delete_expired_sessions(tx: Tx, before: datetime) -> int:
    """Sessions that expired before `before` (ended ones stay listable for support until then)."""
    return tx.execute(delete(Session).where(Session.expires_at < before)).rowcount
