"""The database's change feed (bastion/store/change_feed.py): on SQLite without Redis, every process
hears of a change to cached sessions within a poll, and trusts its entries meanwhile."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, func, select

from bastion.store.cache import SessionCache
from bastion.store.change_feed import DatabaseChangeFeed, prune
from bastion.store.invalidation import EVERYTHING, sessions_changed
from bastion.store.models import CacheChange

# SQLite only: PostgreSQL commits in parallel, so its deployments use Redis (or the refresher).
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def sqlite_services(services):  # type: ignore[no-untyped-def]
    return services


def change(services, *groups: str) -> None:  # type: ignore[no-untyped-def]
    with services.db.transaction() as tx:
        for group in groups:
            sessions_changed(tx, group)


def feed_of(services) -> tuple[DatabaseChangeFeed, list[set[str]]]:  # type: ignore[no-untyped-def]
    heard: list[set[str]] = []
    return DatabaseChangeFeed(services.db, heard.append), heard


def test_a_change_is_a_row_committed_with_it_and_heard_by_every_follower(sqlite_services) -> None:
    feed, heard = feed_of(sqlite_services)
    feed.poll()
    assert heard == []  # what was cached before is not covered (the next test): nothing to drop
    change(sqlite_services, "account-1", "session-2")
    change(sqlite_services, "account-3")
    feed.poll()
    assert heard == [{"account-1", "session-2", "account-3"}]
    feed.poll()
    assert len(heard) == 1  # nothing new


def test_a_rolled_back_change_is_never_heard(sqlite_services) -> None:
    feed, heard = feed_of(sqlite_services)
    feed.poll()
    with pytest.raises(RuntimeError), sqlite_services.db.transaction() as tx:
        sessions_changed(tx, "account-1")
        raise RuntimeError("the change fails")
    feed.poll()
    assert heard == []


def test_entries_read_after_the_feed_started_are_trusted_while_it_is_heard(sqlite_services) -> None:
    feed, _ = feed_of(sqlite_services)
    before = time.monotonic()
    assert not feed.covers(before, before)  # not followed yet: the TTL alone
    feed.poll()
    after = time.monotonic()
    assert not feed.covers(before, after)  # read before the feed started: it may have missed a change
    assert feed.covers(after, after)
    assert not feed.covers(after, after + 1.0)  # the last poll is too old: the TTL alone again


def test_an_entry_read_while_the_first_snapshot_was_taken_is_not_covered(sqlite_services) -> None:
    # A session read (and revoked elsewhere) while the feed took its first look at the newest change
    # could hide a change the feed counts as seen: only entries read after that look are covered.
    feed, _ = feed_of(sqlite_services)
    during: list[float] = []

    def reading_meanwhile(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "cache_changes" in statement:
            during.append(time.monotonic())

    event.listen(sqlite_services.db.engine, "before_cursor_execute", reading_meanwhile)
    try:
        feed.poll()
    finally:
        event.remove(sqlite_services.db.engine, "before_cursor_execute", reading_meanwhile)
    assert during and not feed.covers(during[0], time.monotonic())
    assert feed.covers(time.monotonic(), time.monotonic())


def test_a_follower_that_fell_behind_the_pruning_forgets_everything(sqlite_services) -> None:
    feed, heard = feed_of(sqlite_services)
    feed.poll()
    for number in range(5):
        change(sqlite_services, f"account-{number}")
    assert prune(sqlite_services.db, kept=2) == 3
    feed.poll()
    assert heard[0] == {EVERYTHING}  # the three it never read are gone
    assert heard[1] == {"account-3", "account-4"}
    with sqlite_services.db.reading() as reader:
        assert reader.execute(select(func.count()).select_from(CacheChange)).scalar_one() == 2


def test_another_process_drops_a_revoked_entry_without_being_asked(sqlite_services) -> None:
    cache = SessionCache(sqlite_services.db, ttl=1.0, capacity=10, refresh_in_background=False)
    cache.get("")  # the first use starts following the feed
    deadline = time.monotonic() + 5
    while not cache.status()["subscribed"]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    cache.put("token", "session", ("account-1",), cache.generation, time.monotonic())
    change(sqlite_services, "account-1")  # committed by another handle on the same file: "another process"
    deadline = time.monotonic() + 1.0  # requirements §27
    while cache.peek("token") is not None:
        assert time.monotonic() < deadline, "the change did not arrive within 1 s"
        time.sleep(0.01)
    cache.close()
