"""Reading the audit log (support, admin, and how a session was signed in). Never a write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Tx

from bastion.audit.models import SecurityEvent
from bastion.services import Services


@dataclass(frozen=True)
class EventView:
    id: int
    kind: str
    created_at: datetime
    account_id: str | None
    actor_id: str | None
    ip: str | None
    data: dict[str, Any]
    chain_seq: int | None


def list_events(services: Services, account_id: str | None = None, actor_id: str | None = None,
                kind: str | None = None, before: int | None = None, limit: int = 50) -> list[EventView]:
    """One page of events, newest first; pass the last id as `before` for the next page."""
    query = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)
    if account_id is not None:
        query = query.where(SecurityEvent.account_id == account_id)
    if actor_id is not None:
        query = query.where(SecurityEvent.actor_id == actor_id)
    if kind is not None:
        query = query.where(SecurityEvent.kind == kind)
    if before is not None:
        query = query.where(SecurityEvent.id < before)
    with services.db.transaction() as tx:
        return [EventView(row.id, row.kind, row.created_at, row.account_id, row.actor_id, row.ip, row.data,
                          row.chain_seq) for row in tx.execute(query).scalars()]


def account_events_since(tx: Tx, account_id: str, kinds: tuple[str, ...],
                         since: datetime) -> list[tuple[str, datetime, dict[str, Any]]]:
    """(kind, when, data) of the account's events of these kinds from `since`, oldest first."""
    rows = tx.execute(
        select(SecurityEvent.kind, SecurityEvent.created_at, SecurityEvent.data)
        .where(SecurityEvent.account_id == account_id, SecurityEvent.kind.in_(kinds),
               SecurityEvent.created_at >= since)
        .order_by(SecurityEvent.id)
    ).all()
    return [(kind, at, data) for kind, at, data in rows]
