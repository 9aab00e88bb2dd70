"""The session cache on one node: exact expiry by the moved clock, last_seen_at written behind, no stale reads."""

from __future__ import annotations

import time

from sqlalchemy import select

from bastion.sessions.last_seen import last_seen_writer
from bastion.sessions.models import Session
from bastion.store.cache import SessionCache
from tests.conftest import DEFAULT_PASSWORD


def sign_in(client, account) -> str:  # type: ignore[no-untyped-def]
    answer = client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.json()["session"]["token"]


def whoami(client, token: str):  # type: ignore[no-untyped-def]
    return client.get("/v1/session", headers={"Authorization": f"Bearer {token}"})


def stored_last_seen(services):  # type: ignore[no-untyped-def]
    last_seen_writer(services).flush()
    with services.db.transaction() as tx:
        return tx.execute(select(Session.last_seen_at)).scalar_one()


def test_idle_expiry_counts_to_the_second_from_the_last_use_the_cache_saw(app_client, account_factory,
                                                                          clock) -> None:
    token = sign_in(app_client, account_factory())
    clock.advance(minutes=10)
    assert whoami(app_client, token).status_code == 200  # cached from here on
    clock.advance(minutes=29, seconds=59)
    assert whoami(app_client, token).status_code == 200  # used at 39:59
    clock.advance(minutes=29, seconds=59)
    assert whoami(app_client, token).status_code == 200  # 1 s before the idle limit
    clock.advance(minutes=30)
    assert whoami(app_client, token).json()["code"] == "session.expired"


def test_absolute_expiry_is_exact_for_a_cached_session(app_client, account_factory, clock) -> None:
    token = sign_in(app_client, account_factory())
    for _ in range(24):
        clock.advance(minutes=29)
        assert whoami(app_client, token).status_code == 200
    clock.advance(minutes=23, seconds=59)
    assert whoami(app_client, token).status_code == 200  # 11:59:59
    clock.advance(seconds=1)
    assert whoami(app_client, token).json()["code"] == "session.expired"


def test_last_seen_is_written_at_most_once_a_touch_interval(app_client, account_factory, services, clock) -> None:
    token = sign_in(app_client, account_factory())
    signed_in_at = clock.now()
    for _ in range(5):
        clock.advance(seconds=10)
        assert whoami(app_client, token).status_code == 200
    assert stored_last_seen(services) == signed_in_at  # 50 s of use: nothing written
    clock.advance(seconds=10)
    assert whoami(app_client, token).status_code == 200
    assert stored_last_seen(services) == clock.now()  # 60 s: written once


def test_another_nodes_later_use_keeps_a_session_alive_here(app_client, account_factory, services, clock) -> None:
    token = sign_in(app_client, account_factory())
    assert whoami(app_client, token).status_code == 200
    clock.advance(minutes=20)
    with services.db.transaction() as tx:  # what another node wrote after seeing the session in use
        tx.execute(Session.__table__.update().values(last_seen_at=clock.now()))
    clock.advance(minutes=25)  # idle for 45 min as far as this node saw, 25 min in truth
    assert whoami(app_client, token).status_code == 200


def test_a_read_that_overlapped_a_change_is_not_kept(services) -> None:
    cache = SessionCache(services.db, ttl=1.0, capacity=10)
    generation, loaded_at = cache.generation, time.monotonic()
    cache.drop({"account-1"})  # a revocation committed while the read was in flight
    cache.put("token-hash", "stale", ("account-1", "session-1"), generation, loaded_at)
    assert cache.get("token-hash") is None
    cache.put("token-hash", "fresh", ("account-1", "session-1"), cache.generation, time.monotonic())
    assert cache.get("token-hash") == "fresh"
    cache.drop({"session-1"})
    assert cache.get("token-hash") is None


def test_a_read_that_overlapped_an_unrelated_change_is_kept(services) -> None:
    cache = SessionCache(services.db, ttl=1.0, capacity=10)
    generation, loaded_at = cache.generation, time.monotonic()
    cache.drop({"account-2"})  # someone else's logout while this read was in flight
    cache.put("token-hash", "fresh", ("account-1", "session-1"), generation, loaded_at)
    assert cache.get("token-hash") == "fresh"


def test_entries_in_use_are_read_again_in_a_batch_once_half_their_ttl_old(services) -> None:
    cache = SessionCache(services.db, ttl=1.0, capacity=10, refresh_in_background=False)
    refreshed: list[list[str]] = []

    def refresh(keys: list[str]) -> None:
        refreshed.append(sorted(keys))
        cache.put_many([(key, "new", ("a",)) for key in keys], cache.generation, time.monotonic(), kind="k")

    half_old = time.monotonic() - 0.6
    for key in ("used-1", "used-2", "unused"):
        cache.put(key, "old", ("a",), cache.generation, half_old, kind="k", refresh=refresh)
    cache.put("fresh", "old", ("a",), cache.generation, time.monotonic(), kind="k")
    assert [cache.get(key) for key in ("used-1", "used-2", "fresh")] == ["old"] * 3
    cache.refresh_due()
    assert refreshed == [["used-1", "used-2"]]  # one batch; not the fresh one yet, nor the one nobody asked for
    assert cache.get("used-1") == "new"
    cache.refresh_due()
    assert refreshed == [["used-1", "used-2"]]  # just read again: not due
    cache.put("used-1", "old", ("a",), cache.generation, half_old, kind="k")
    cache.refresh_due()
    assert refreshed[-1] == ["used-1"]  # still in use (asked for within KEEP_FRESH_FOR): read again


def test_without_a_live_subscription_an_entry_is_trusted_for_the_ttl_only(services) -> None:
    cache = SessionCache(services.db, ttl=1.0, capacity=10, redis_url="redis://127.0.0.1:1/0")
    cache.put("recent", "value", ("a",), cache.generation, time.monotonic())
    cache.put("older", "value", ("a",), cache.generation, time.monotonic() - 1.0)
    assert cache.get("recent") == "value"
    assert cache.get("older") is None
    cache.close()


def test_the_oldest_entries_go_first_when_full(services) -> None:
    cache = SessionCache(services.db, ttl=1.0, capacity=2)
    for key in ("first", "second", "third"):
        cache.put(key, key, (key,), cache.generation, time.monotonic())
    assert [cache.get(key) for key in ("first", "second", "third")] == [None, "second", "third"]
    assert cache.status()["entries"] == 2


def test_a_cache_of_zero_seconds_reads_the_database_every_time(settings_factory, database_url, clock,
                                                              account_factory) -> None:
    from fastapi.testclient import TestClient

    from bastion.startup import build_services
    from bastion.web.app import create_app

    services = build_services(settings_factory(database_url=database_url, session_cache_seconds=0), clock=clock)
    with TestClient(create_app(services, deliver_mail=False)) as client:
        token = sign_in(client, account_factory())
        assert whoami(client, token).status_code == 200
        assert services.session_cache.status()["entries"] == 0
    services.close()


def test_a_check_made_while_another_renews_the_maintenance_windows_reads_no_session(app_client, account_factory,
                                                                                    services) -> None:
    # Once a second the windows are read again, by one request at a time; the requests meanwhile take
    # the list as it was (at most one renewal late). They used to read their session from the database:
    # at 64 connections, about sixty reads a second on the embedded default.
    import asyncio
    import threading

    from sqlalchemy import event

    from bastion.sessions.validation import authenticate_session_async

    token = sign_in(app_client, account_factory())
    assert whoami(app_client, token).status_code == 200  # cached
    cached = services._maintenance_cache
    services._maintenance_cache = (time.monotonic() - 60, cached[1], cached[2])  # due to be read again
    renewal = services.__dict__.setdefault("_maintenance_renewal", threading.Lock())
    reads: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "FROM sessions" in statement:
            reads.append(statement)

    event.listen(services.db.engine, "before_cursor_execute", note)
    try:
        with renewal:  # another request is renewing them
            session = asyncio.run(authenticate_session_async(services, token))
    finally:
        event.remove(services.db.engine, "before_cursor_execute", note)
    assert session.email and reads == []
