"""Validated sessions and service keys kept in memory: no database round trip per request.

What a node may trust (REQUIREMENTS 27, revocation on every node within 1 s):
- an entry loaded less than `ttl` seconds ago (BASTION_SESSION_CACHE_SECONDS, at most 1 s);
- with Redis, any entry loaded while the invalidation subscription is live
  (`RedisInvalidation.covers`): other nodes' changes arrive as messages.
Changes committed by this process drop their entries before its commit returns. An entry
whose database read overlapped a change is not kept (the `generation` check), so a read
that raced a revocation cannot outlive it.

Entries are grouped (account id, session id, or `SERVICE_KEYS`) so a change drops exactly
what it concerns. The oldest entries go first when `capacity` is reached. The cache also
owns the writer that records sessions' `last_seen_at` behind the requests (`last_seen`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.sessions.invalidation import EVERYTHING, RedisInvalidation, changes_of
from bastion.sessions.last_seen import LastSeenWriter
from bastion.store import Database


@dataclass(slots=True)
class _Entry:
    value: Any
    groups: tuple[str, ...]
    loaded_at: float  # monotonic, taken before the database read


class SessionCache:
    def __init__(self, db: Database, ttl: float, capacity: int, redis_url: str | None = None) -> None:
        self.ttl = ttl
        self.capacity = capacity if ttl > 0 else 0
        self.generation = 0
        self._entries: dict[str, _Entry] = {}
        self._groups: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        # Publish even with the cache off here: other nodes may keep one.
        self._invalidation = RedisInvalidation(redis_url, self.drop) if redis_url else None
        self._listening = False
        self.last_seen = LastSeenWriter(db)
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
        if now - entry.loaded_at < self.ttl or (
                self._invalidation is not None and self._invalidation.covers(entry.loaded_at, now)):
            return entry.value
        return None

    def peek(self, key: str) -> Any | None:
        """The value stored under `key`, trusted or not (what this node last saw)."""
        entry = self._entries.get(key)
        return None if entry is None else entry.value

    def put(self, key: str, value: Any, groups: tuple[str, ...], generation: int, loaded_at: float) -> None:
        """Keep `value`, read from the database since `loaded_at`, unless a change arrived meanwhile."""
        if not self.capacity:
            return
        with self._lock:
            if generation != self.generation:
                return
            self._remove(key)
            while len(self._entries) >= self.capacity:
                self._remove(next(iter(self._entries)))
            self._entries[key] = _Entry(value, groups, loaded_at)
            for group in groups:
                self._groups.setdefault(group, set()).add(key)

    def forget(self, key: str) -> None:
        with self._lock:
            self._remove(key)

    def drop(self, groups: Iterable[str]) -> None:
        """Forget every entry of these groups (`EVERYTHING`: all of them)."""
        with self._lock:
            self.generation += 1
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

    def close(self) -> None:
        self.last_seen.close()
        if self._invalidation is not None:
            self._invalidation.close()

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
