"""Security holds: after risky changes the platform blocks withdrawals for a while.

A hold has a kind (e.g. "withdrawal"), a reason (e.g. "password_reset") and an end.
`GET /v1/session` and `POST /v1/introspect` report the live ones as `restrictions`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session as Tx

from bastion.services import Services
from bastion.sessions.models import SecurityHold
from bastion.store.invalidation import sessions_changed

WITHDRAWAL = "withdrawal"


@dataclass(frozen=True, slots=True)
class Restriction:
    kind: str
    reason: str
    until: datetime


def place_hold(tx: Tx, now: datetime, account_id: str, kind: str, reason: str, duration: timedelta) -> datetime:
    until = now + duration
    tx.add(SecurityHold(account_id=account_id, kind=kind, reason=reason, created_at=now, until=until))
    # Validated sessions carry their restrictions: the platform must see the new one at once.
    sessions_changed(tx, account_id)
    return until


def active_restrictions(services: Services, account_id: str) -> list[Restriction]:
    with services.db.transaction() as tx:
        return restrictions_in(tx, account_id, services.clock.now())


def restrictions_in(tx: Tx, account_id: str, now: datetime) -> list[Restriction]:
    """The account's holds still running at `now`, the longest first."""
    return restrictions_of(tx, [account_id], now).get(account_id, [])


_HOLDS = SecurityHold.__table__
_RUNNING = (select(_HOLDS.c.account_id, _HOLDS.c.kind, _HOLDS.c.reason, _HOLDS.c.until)
            .where(_HOLDS.c.account_id.in_(bindparam("account_ids", expanding=True)), _HOLDS.c.until > bindparam("now"))
            .order_by(_HOLDS.c.account_id, _HOLDS.c.until.desc()))


def restrictions_of(reader: Tx | Connection, account_ids: Collection[str], now: datetime) -> dict[str, list[Restriction]]:
    """Each account's holds still running at `now`, the longest first, in one statement."""
    rows = reader.execute(_RUNNING, {"account_ids": list(account_ids), "now": now})
    found: dict[str, list[Restriction]] = {}
    for account_id, kind, reason, until in rows:
        found.setdefault(account_id, []).append(Restriction(kind, reason, until))
    return found
