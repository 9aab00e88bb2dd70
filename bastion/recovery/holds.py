"""Security holds: after risky changes the platform blocks withdrawals for a while.

A hold has a kind (e.g. "withdrawal"), a reason (e.g. "password_reset") and an end.
`GET /v1/session` and `POST /v1/introspect` report the live ones as `restrictions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as Tx

from bastion.services import Services
from bastion.sessions.invalidation import sessions_changed
from bastion.store.models import SecurityHold

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
    holds = tx.execute(
        select(SecurityHold).where(SecurityHold.account_id == account_id, SecurityHold.until > now)
        .order_by(SecurityHold.until.desc())
    ).scalars()
    return [Restriction(hold.kind, hold.reason, hold.until) for hold in holds]
