"""The audit log as staff and other features read it: pages of events for the admin API, and how a
session was signed in for the OpenID provider. Never a write; the statements are in repo.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.audit import repo
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
    with services.db.transaction() as tx:
        return [EventView(row.id, row.kind, row.created_at, row.account_id, row.actor_id, row.ip, row.data,
                          row.chain_seq) for row in repo.events_page(tx, account_id, actor_id, kind, before, limit)]


def account_events_since(tx: Tx, account_id: str, kinds: tuple[str, ...],
                         since: datetime) -> list[tuple[str, datetime, dict[str, Any]]]:
    """(kind, when, data) of the account's events of these kinds from `since`, oldest first."""
    return [(kind, at, data) for kind, at, data in repo.kinds_since(tx, account_id, kinds, since)]
