"""Reading the audit log (support and admin): newest first, by account, actor or kind. Never a write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

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
