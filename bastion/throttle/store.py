"""The counter store every throttle rule is built on, and its in-process implementation.

Primitives, each atomic in every backend (but the last: see it):
- `increment(key, window, now, sliding)`: add one to a counter and return the new
  value. A fixed window starts at the first hit; a sliding one restarts at each hit
  (used for "consecutive failures", which last until a success or a long quiet spell).
  `decrement(key, now)` takes one back (an attempt counted, then refused unchecked).
- `hold(key, until, now)` / `held_until(key, now, also=...)`: a lock that ends at a time (the
  latest end of those on several keys, in one look-up: one round trip for the IP and its subnet).
  `claim_hold(key, until, now)` places one only where none is in force, and says whether it did:
  of concurrent claimants exactly one wins.
- `increment_unless_held(key, window, now, sliding, refuse_from)`: `increment`, unless the key is
  held or its count already reached `refuse_from` — checked and counted in one atomic step in
  memory and on Redis (one round trip for a password attempt's pause check and its count); the
  database store and the fallback take the steps one after another, as the callers did before
  (`increment_unless_held_in_steps`).

Time is always passed in (the injected clock), never read from the backend, so tests
move time instead of sleeping and every backend agrees on when things expire.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Counted:
    """What `increment_unless_held` did: `count`, the new count, when it counted; when it did not,
    None, and `held_until`, the end of the hold in force — or None: the count had reached `refuse_from`."""

    count: int | None
    held_until: datetime | None = None


class CounterStore(Protocol):
    name: str

    def increment(self, key: str, window: timedelta, now: datetime, sliding: bool = False) -> int: ...

    def count(self, key: str, now: datetime) -> int: ...

    def decrement(self, key: str, now: datetime) -> None: ...

    def reset(self, *keys: str) -> None: ...

    def hold(self, key: str, until: datetime, now: datetime) -> None: ...

    def claim_hold(self, key: str, until: datetime, now: datetime) -> bool: ...

    def held_until(self, key: str, now: datetime, *, also: Sequence[str] = ()) -> datetime | None: ...

    def increment_unless_held(self, key: str, window: timedelta, now: datetime, sliding: bool = False,
                              refuse_from: int | None = None) -> Counted: ...


def increment_unless_held_in_steps(store: CounterStore, key: str, window: timedelta, now: datetime, sliding: bool,
                                   refuse_from: int | None) -> Counted:
    """`increment_unless_held` from the other primitives, one after another (for a store whose
    round trips are not what counts, or that must combine two stores' answers)."""
    if refuse_from is not None and store.count(key, now) >= refuse_from:
        return Counted(None)
    until = store.held_until(key, now)
    if until is not None:
        return Counted(None, until)
    return Counted(store.increment(key, window, now, sliding))


class MemoryStore:
    """One process only: the embedded default without Redis."""

    name = "memory"

    def __init__(self) -> None:
        self._counters: dict[str, tuple[int, datetime]] = {}
        self._holds: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def increment(self, key: str, window: timedelta, now: datetime, sliding: bool = False) -> int:
        with self._lock:
            return self._increment(key, window, now, sliding)

    def increment_unless_held(self, key: str, window: timedelta, now: datetime, sliding: bool = False,
                              refuse_from: int | None = None) -> Counted:
        with self._lock:
            count, expires = self._counters.get(key, (0, now))
            current = count if expires > now else 0
            if refuse_from is not None and current >= refuse_from:
                return Counted(None)
            until = self._holds.get(key)
            if until is not None and until > now:
                return Counted(None, until)
            return Counted(self._increment(key, window, now, sliding))

    def _increment(self, key: str, window: timedelta, now: datetime, sliding: bool) -> int:
        count, expires = self._counters.get(key, (0, now))
        if expires <= now:
            count, expires = 0, now + window
        count += 1
        self._counters[key] = (count, now + window if sliding else expires)
        if len(self._counters) > 100_000:
            self._sweep(now)
        return count

    def count(self, key: str, now: datetime) -> int:
        with self._lock:
            count, expires = self._counters.get(key, (0, now))
            return count if expires > now else 0

    def decrement(self, key: str, now: datetime) -> None:
        with self._lock:
            count, expires = self._counters.get(key, (0, now))
            if count > 0 and expires > now:
                self._counters[key] = (count - 1, expires)

    def reset(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._counters.pop(key, None)
                self._holds.pop(key, None)

    def hold(self, key: str, until: datetime, now: datetime) -> None:
        with self._lock:
            self._holds[key] = max(until, self._holds.get(key, until))

    def claim_hold(self, key: str, until: datetime, now: datetime) -> bool:
        with self._lock:
            current = self._holds.get(key)
            if current is not None and current > now:
                return False
            self._holds[key] = until
            return True

    def held_until(self, key: str, now: datetime, *, also: Sequence[str] = ()) -> datetime | None:
        with self._lock:
            ends = [self._holds.get(one) for one in (key, *also)]
        return max((until for until in ends if until is not None and until > now), default=None)

    def _sweep(self, now: datetime) -> None:
        self._counters = {key: value for key, value in self._counters.items() if value[1] > now}
        self._holds = {key: until for key, until in self._holds.items() if until > now}
