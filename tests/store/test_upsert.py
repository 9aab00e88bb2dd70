"""INSERT … ON CONFLICT DO NOTHING tells whether it inserted, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from bastion.store import Database
from bastion.store.upsert import insert_ignoring_duplicates
from bastion.throttle.models import ThrottleCounter


def test_insert_ignoring_duplicates_reports_the_first_insert_only(database_url: str) -> None:
    database = Database(database_url)
    row = dict(key="k", count=1, expires_at=datetime(2030, 1, 1, tzinfo=UTC))
    try:
        with database.transaction() as tx:
            assert insert_ignoring_duplicates(tx, ThrottleCounter, row, conflict_column="key") is True
            assert insert_ignoring_duplicates(tx, ThrottleCounter, row, conflict_column="key") is False
    finally:
        database.dispose()
