"""Validated sessions and service keys kept in memory: no database round trip per request.

A node trusts an entry for at most BASTION_SESSION_CACHE_SECONDS, or while it hears of every
change (a live Redis subscription, or on SQLite the database's change feed, change_feed.py), and
reads entries in use again behind the requests (requirements §27). Why it is both fast and right: docs/design/session-cache.md. It sits in the store, beside the database
whose commits it follows, since the shared services build it and sessions and the OpenID provider
both keep entries in it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.store.change_feed import DatabaseChangeFeed
from bastion.store.db import Database
from bastion.store.invalidation import EVERYTHING, RedisInvalidation, changes_of

log = logging.getLogger("bastion.sessions")

KEEP_FRESH_FOR = 30.0  # seconds after its last use an entry is still read again behind the requests
DROPS_KEPT = 256  # recent changes remembered, so a read that overlapped an unrelated one is still kept
Refresh = Callable[[list[str]], None]  # reads these keys again and puts (or forgets) them


@dataclass(slots=True)
class _Entry:
    value: Any
    groups: tuple[str, ...]
    loaded_at: float  # monotonic, taken before the database read
    kind: str


class SessionCache:
    def __init__(self, db: Database, ttl: float, capacity: int, redis_url: str | None = None,
                 refresh_in_background: bool = True) -> None:
        self.ttl = ttl
        self.capacity = capacity if ttl > 0 else 0
        self.generation = 0
        self._entries: dict[str, _Entry] = {}
        self._groups: dict[str, set[str]] = {}
        self._drops: deque[tuple[int, frozenset[str]]] = deque(maxlen=DROPS_KEPT)
        self._lock = threading.Lock()
        self._used: set[str] = set()  # entries asked for since the refresher last looked
        self._active: dict[str, float] = {}  # the refresher's own: entries by when last asked for
        self._refreshers: dict[str, Refresh] = {}
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None
        self._refresh_in_background = refresh_in_background
        self._refresh_failing = False
        # Publish even with the cache off here: other nodes may keep one.
        self._invalidation: RedisInvalidation | DatabaseChangeFeed | None = None
        if redis_url:
            self._invalidation = RedisInvalidation(redis_url, self.drop)
        elif db.dialect == "sqlite":
            self._invalidation = DatabaseChangeFeed(db, self.drop)
            db.before_commit(self._invalidation.record)
        self._listening = False
        db.after_commit(self.on_commit)

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def get(self, key: str) -> Any | None:
        """The value stored under `key` while it may still be trusted, else None."""
        entry = self._entries.get(key)
        if entry is None:
            if not self._listening:
                self._start_listening()
            return None
        now = time.monotonic()
        if now - entry.loaded_at < self.ttl or self._covered(entry, now):
            self._used.add(key)
            return entry.value
        return None

    def replace(self, key: str, value: Any) -> None:
        """The entry under `key` (if any) with a new value, as read and grouped before: what this
        node itself did to it (a service key's use noted)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.value = value

    def peek(self, key: str) -> Any | None:
        """The value stored under `key`, trusted or not (what this node last saw)."""
        entry = self._entries.get(key)
        return None if entry is None else entry.value

    def put(self, key: str, value: Any, groups: tuple[str, ...], generation: int, loaded_at: float,
            kind: str = "", refresh: Refresh | None = None) -> None:
        """Keep `value`, read from the database since `loaded_at`, unless a change arrived meanwhile."""
        self.put_many([(key, value, groups)], generation, loaded_at, kind, refresh)

    def put_many(self, items: Iterable[tuple[str, Any, tuple[str, ...]]], generation: int, loaded_at: float,
                 kind: str = "", refresh: Refresh | None = None) -> None:
        """`put` for values read together; `refresh` reads entries of this `kind` again in batches."""
        if not self.capacity:
            return
        with self._lock:
            for key, value, groups in items:
                if self._changed_since(generation, groups):
                    continue
                self._remove(key)
                while len(self._entries) >= self.capacity:
                    self._remove(next(iter(self._entries)))
                self._entries[key] = _Entry(value, groups, loaded_at, kind)
                for group in groups:
                    self._groups.setdefault(group, set()).add(key)
            if refresh is not None and self.ttl > 0:
                self._refreshers[kind] = refresh
                self._start_refreshing()

    def forget(self, key: str) -> None:
        with self._lock:
            self._remove(key)

    def drop(self, groups: Iterable[str]) -> None:
        """Forget every entry of these groups (`EVERYTHING`: all of them)."""
        with self._lock:
            self.generation += 1
            self._drops.append((self.generation, frozenset(groups)))
            for group in groups:
                if group == EVERYTHING:
                    self._entries.clear()
                    self._groups.clear()
                    return
                for key in list(self._groups.get(group, ())):
                    self._remove(key)

    def on_commit(self, tx: Tx) -> None:
        """After each commit: drop what the transaction changed here, and tell the other nodes."""
        changes = changes_of(tx)
        if not changes:
            return
        self.drop(changes)
        if self._invalidation is not None:
            self._invalidation.publish(changes)

    def status(self) -> dict[str, object]:
        """For operators and benchmarks: how much is cached, and whether other nodes' changes are heard."""
        status: dict[str, object] = {"entries": len(self._entries), "ttl_seconds": self.ttl}
        if self._invalidation is not None:
            status.update(self._invalidation.status())
        return status

    def _start_listening(self) -> None:
        # On first use, so commands that never validate a session start no thread.
        self._listening = True
        if self._invalidation is not None and self.capacity:
            self._invalidation.start()

    def mark_used(self, key: str) -> None:
        """A request used the entry it just read (a trusted `get` marks it itself)."""
        self._used.add(key)

    def refresh_due(self) -> None:
        """Read again, in batches, the entries in use that are half their TTL old (the refresher's tick)."""
        now = time.monotonic()
        used, self._used = self._used, set()
        for key in list(used):
            self._active[key] = now
        due: dict[str, list[str]] = {}
        for key, used_at in list(self._active.items()):
            entry = self._entries.get(key)
            if entry is None or now - used_at > KEEP_FRESH_FOR:
                del self._active[key]
            elif entry.kind in self._refreshers and not self._covered(entry, now) and \
                    now - entry.loaded_at >= self.ttl / 2:
                due.setdefault(entry.kind, []).append(key)
        for kind, keys in due.items():
            try:
                self._refreshers[kind](keys)
            except Exception as error:  # they expire and are read on demand, as without a refresher
                if not self._refresh_failing:  # once, not four times a second while the database is away
                    log.warning("could not refresh cached sessions", extra={"kind": kind, "error": str(error)})
                self._refresh_failing = True
            else:
                self._refresh_failing = False

    def close(self) -> None:
        self._stop.set()
        if self._refresher is not None:
            self._refresher.join(timeout=5)
        if self._invalidation is not None:
            self._invalidation.close()

    def _covered(self, entry: _Entry, now: float) -> bool:
        return self._invalidation is not None and self._invalidation.covers(entry.loaded_at, now)

    def _changed_since(self, generation: int, groups: tuple[str, ...]) -> bool:
        """Whether a change to any of `groups` (or to everything) was dropped after `generation`."""
        if generation == self.generation:
            return False
        if not self._drops or self._drops[0][0] > generation + 1:
            return True  # older than what is remembered: assume it was
        for dropped_at, dropped in reversed(self._drops):
            if dropped_at <= generation:
                return False
            if EVERYTHING in dropped or not dropped.isdisjoint(groups):
                return True
        return False

    def _start_refreshing(self) -> None:
        if self._refresher is None and self._refresh_in_background and not self._stop.is_set():
            self._refresher = threading.Thread(target=self._refresh_loop, name="bastion-session-refresh", daemon=True)
            self._refresher.start()

    def _refresh_loop(self) -> None:
        # Four looks per TTL: an entry is read again between half and three quarters of its TTL.
        while not self._stop.wait(max(0.01, self.ttl / 4)):
            self.refresh_due()

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for group in entry.groups:
            members = self._groups.get(group)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._groups[group]
