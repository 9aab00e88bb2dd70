"""Counters in the SQL database: one atomic upsert per hit (INSERT … ON CONFLICT DO UPDATE … RETURNING).

Shared by every node on PostgreSQL; also the fallback when Redis is unreachable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as Tx

from bastion.store import Database
from bastion.store.changes import rows_changed
from bastion.throttle.models import ThrottleCounter
from bastion.throttle.store import Counted, increment_unless_held_in_steps

_HOLD = "h|"


class DatabaseStore:
    name = "database"

    def __init__(self, db: Database) -> None:
        self.db = db
        self._insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert

    def increment(self, key: str, window: timedelta, now: datetime, sliding: bool = False) -> int:
        table = ThrottleCounter.__table__
        expired = table.c.expires_at <= now
        statement = (
            self._insert(ThrottleCounter)
            .values(key=key, count=1, expires_at=now + window)
            .on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "count": case((expired, 1), else_=table.c.count + 1),
                    "expires_at": now + window if sliding else case((expired, now + window), else_=table.c.expires_at),
                },
            )
            .returning(ThrottleCounter.count)
        )
        with self.db.transaction() as tx:
            return tx.execute(statement).scalar_one()

    def increment_unless_held(self, key: str, window: timedelta, now: datetime, sliding: bool = False,
                              refuse_from: int | None = None) -> Counted:
        return increment_unless_held_in_steps(self, key, window, now, sliding, refuse_from)

    def count(self, key: str, now: datetime) -> int:
        with self.db.transaction() as tx:
            value = tx.execute(
                select(ThrottleCounter.count).where(ThrottleCounter.key == key, ThrottleCounter.expires_at > now)
            ).scalar_one_or_none()
        return value or 0

    def decrement(self, key: str, now: datetime) -> None:
        table = ThrottleCounter.__table__
        with self.db.transaction() as tx:
            tx.execute(update(table).where(table.c.key == key, table.c.expires_at > now, table.c.count > 0)
                       .values(count=table.c.count - 1))

    def reset(self, *keys: str) -> None:
        names = sorted([*keys, *(_HOLD + key for key in keys)])
        with self.db.transaction() as tx:
            # Rows locked in one order (PostgreSQL): a DELETE of several keys locks them in whatever
            # order its scan meets them, and two resets of overlapping keys at once deadlocked. Only
            # the rows locked are deleted: a key counted again after the lock (a row the lock never
            # saw) was deleted in the scan's order all the same, and three resets deadlocked.
            locked = tx.execute(select(ThrottleCounter.key).where(ThrottleCounter.key.in_(names))
                                .order_by(ThrottleCounter.key).with_for_update()).scalars().all()
            if locked:
                tx.execute(delete(ThrottleCounter).where(ThrottleCounter.key.in_(locked)))

    def hold(self, key: str, until: datetime, now: datetime) -> None:
        table = ThrottleCounter.__table__
        statement = (
            self._insert(ThrottleCounter)
            .values(key=_HOLD + key, count=0, expires_at=until)
            .on_conflict_do_update(
                index_elements=["key"],
                set_={"expires_at": case((table.c.expires_at > until, table.c.expires_at), else_=until)},
            )
        )
        with self.db.transaction() as tx:
            tx.execute(statement)

    def claim_hold(self, key: str, until: datetime, now: datetime) -> bool:
        """One statement: the row is taken over only where its hold has ended (the upsert's WHERE)."""
        table = ThrottleCounter.__table__
        statement = (
            self._insert(ThrottleCounter)
            .values(key=_HOLD + key, count=0, expires_at=until)
            .on_conflict_do_update(index_elements=["key"], set_={"expires_at": until},
                                   where=table.c.expires_at <= now)
            .returning(table.c.key)
        )
        with self.db.transaction() as tx:
            return tx.execute(statement).first() is not None

    def held_until(self, key: str, now: datetime, *, also: Sequence[str] = ()) -> datetime | None:
        with self.db.transaction() as tx:
            return tx.execute(
                select(func.max(ThrottleCounter.expires_at)).where(
                    ThrottleCounter.key.in_([_HOLD + one for one in (key, *also)]), ThrottleCounter.expires_at > now)
            ).scalar_one()

    def sweep(self, now: datetime) -> int:
        """Delete expired rows (housekeeping; expired rows already count as zero)."""
        with self.db.transaction() as tx:
            return rows_changed(tx, delete(ThrottleCounter).where(ThrottleCounter.expires_at <= now))


def delete_expired_counters(tx: Tx, before: datetime) -> int:
    """Housekeeping: counters and holds that ended before `before`."""
    return rows_changed(tx, delete(ThrottleCounter).where(ThrottleCounter.expires_at < before))
