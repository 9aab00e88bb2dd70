"""The pool never hands out a connection PostgreSQL closed, and does not ping one used just now."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from bastion.store import Database
from tests.conftest import PG_ADMIN_DSN, fresh_database


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database("postgresql", request, tmp_path) as url:
        yield url


def backend_pid(database: Database) -> int:
    with database.transaction() as tx:
        return tx.execute(text("SELECT pg_backend_pid()")).scalar_one()


def count_pings(database: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    real_ping = database.engine.dialect.do_ping

    def counted(dbapi_connection):  # type: ignore[no-untyped-def]
        pings.append(1)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_used_moments_ago_is_handed_out_without_a_round_trip(pg_url, monkeypatch) -> None:
    database = Database(pg_url)
    try:
        pings = count_pings(database, monkeypatch)
        first = backend_pid(database)
        assert [backend_pid(database) for _ in range(5)] == [first] * 5  # the same pooled connection
        assert pings == []
    finally:
        database.dispose()


def test_a_connection_the_server_closed_is_replaced_before_anyone_uses_it(pg_url, monkeypatch) -> None:
    database = Database(pg_url)
    try:
        pings = count_pings(database, monkeypatch)
        killed = backend_pid(database)
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (killed,))
            deadline = time.monotonic() + 10
            while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (killed,)).fetchone()[0]:
                assert time.monotonic() < deadline, "the backend did not exit"
                time.sleep(0.02)
        # The first statement after the kill already succeeds, on a new connection, with no ping.
        assert backend_pid(database) != killed
        assert pings == []
    finally:
        database.dispose()


def test_a_connection_idle_past_the_limit_is_pinged_first(pg_url, monkeypatch) -> None:
    database = Database(pg_url, ping_after_idle=0)
    try:
        pings = count_pings(database, monkeypatch)
        first = backend_pid(database)  # opened just now: no ping
        assert pings == []
        assert backend_pid(database) == first
        assert pings == [1]  # idle "long enough" (0 s) before this checkout: one ping, and it answered
    finally:
        database.dispose()
