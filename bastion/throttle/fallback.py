"""Redis first, the database when Redis is unreachable: limits keep holding, never fail open.

After a Redis failure the database is used for `retry_after` before Redis is tried
again, so an outage costs one short timeout, not one per request. Counts and holds made
during the outage live in the database; for `remember` after the last failure both are
read (the larger wins), so a lock placed during the outage keeps holding once Redis is
back. In steady state only Redis is read and written.

A reset (a success, an unlock) must clear the database's counts too, if any node counted there:
a node back from an outage sets a mark in Redis for `remember`, and while the mark is up every
node's reset also deletes in the database. (A node cut off from Redis while the others reach it
can keep a stale count of its own until it reconnects: it errs towards a pause, never an opening.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

import redis

from bastion.throttle.database import DatabaseStore
from bastion.throttle.redis_store import RedisStore
from bastion.throttle.store import Counted, increment_unless_held_in_steps

log = logging.getLogger("bastion.throttle")
T = TypeVar("T")
_FAILURES = (redis.ConnectionError, redis.TimeoutError, OSError)
# Set in Redis while some node may hold counts in the database (see the module's docstring).
FALLBACK_MARK = "fallback-used"


class FallbackStore:
    name = "redis+database"

    def __init__(self, primary: RedisStore, fallback: DatabaseStore, retry_after: float = 5.0,
                 remember: float = 24 * 3600.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.primary = primary
        self.fallback = fallback
        self.retry_after = retry_after
        self.remember = remember
        self._monotonic = monotonic
        self._down_since: float | None = None
        self._lock = threading.Lock()
        # Resets made while Redis was away (a success, an unlock): applied to Redis when it is back,
        # so a count reset during the outage does not come back with it.
        self._pending_resets: set[str] = set()
        self._owes_mark = False

    @property
    def degraded(self) -> bool:
        with self._lock:
            return self._down_since is not None and self._monotonic() - self._down_since < self.retry_after

    @property
    def recently_degraded(self) -> bool:
        with self._lock:
            return self._down_since is not None and self._monotonic() - self._down_since < self.remember

    def _run(self, primary: Callable[[], T], fallback: Callable[[], T]) -> T:
        if self.degraded:
            return fallback()
        try:
            self._catch_up()
            result = primary()
        except _FAILURES as error:
            with self._lock:
                self._down_since = self._monotonic()
                self._owes_mark = True
            log.warning("redis unreachable; counting in the database", extra={"error": type(error).__name__})
            return fallback()
        return result

    def increment(self, key: str, window: timedelta, now: datetime, sliding: bool = False) -> int:
        def primary() -> int:
            value = self.primary.increment(key, window, now, sliding)
            # Failures counted in the database during the outage still count.
            return value + self.fallback.count(key, now) if self.recently_degraded else value

        return self._run(primary, lambda: self.fallback.increment(key, window, now, sliding))

    def increment_unless_held(self, key: str, window: timedelta, now: datetime, sliding: bool = False,
                              refuse_from: int | None = None) -> Counted:
        if self.recently_degraded:  # both stores' counts and holds count: step by step, as above and below
            return increment_unless_held_in_steps(self, key, window, now, sliding, refuse_from)
        return self._run(lambda: self.primary.increment_unless_held(key, window, now, sliding, refuse_from),
                         lambda: self.fallback.increment_unless_held(key, window, now, sliding, refuse_from))

    def count(self, key: str, now: datetime) -> int:
        def primary() -> int:
            value = self.primary.count(key, now)
            return max(value, self.fallback.count(key, now)) if self.recently_degraded else value

        return self._run(primary, lambda: self.fallback.count(key, now))

    def reset(self, *keys: str) -> None:
        def primary() -> None:
            if self.primary.reset_and_check_mark(FALLBACK_MARK, *keys) or self.recently_degraded:
                self.fallback.reset(*keys)

        def remember() -> None:
            self.fallback.reset(*keys)
            with self._lock:
                self._pending_resets.update(keys)

        self._run(primary, remember)

    def _catch_up(self) -> None:
        """Back from an outage: set the mark, then apply the resets Redis missed."""
        with self._lock:
            owes_mark, self._owes_mark = self._owes_mark, False
            pending, self._pending_resets = self._pending_resets, set()
        try:
            if owes_mark:
                self.primary.set_mark(FALLBACK_MARK, self.remember)
            if pending:
                self.primary.reset(*pending)
        except _FAILURES:
            with self._lock:
                self._owes_mark |= owes_mark
                self._pending_resets |= pending
            raise

    def decrement(self, key: str, now: datetime) -> None:
        def primary() -> None:
            self.primary.decrement(key, now)
            if self.recently_degraded:
                self.fallback.decrement(key, now)

        self._run(primary, lambda: self.fallback.decrement(key, now))

    def claim_hold(self, key: str, until: datetime, now: datetime) -> bool:
        def primary() -> bool:
            # A hold placed in the database during an outage still counts.
            if self.recently_degraded and self.fallback.held_until(key, now) is not None:
                return False
            return self.primary.claim_hold(key, until, now)

        return self._run(primary, lambda: self.fallback.claim_hold(key, until, now))

    def hold(self, key: str, until: datetime, now: datetime) -> None:
        self._run(lambda: self.primary.hold(key, until, now), lambda: self.fallback.hold(key, until, now))

    def held_until(self, key: str, now: datetime, *, also: Sequence[str] = ()) -> datetime | None:
        def primary() -> datetime | None:
            found = [self.primary.held_until(key, now, also=also)]
            if self.recently_degraded:
                found.append(self.fallback.held_until(key, now, also=also))
            present = [until for until in found if until is not None]
            return max(present) if present else None

        return self._run(primary, lambda: self.fallback.held_until(key, now, also=also))
