"""Telling every node that cached sessions changed (requirements §27: within 1 s).

A transaction that revokes sessions, places a hold or changes a service key says so with
`sessions_changed` / `service_keys_changed`; once it commits, the node's own cache drops
what it held (`SessionCache.on_commit`) and, with Redis, the change is published so every
other node drops it too, within milliseconds.

A subscriber can miss a message only while its connection is down. It pings every
`PING_EVERY` seconds; `covers()` answers whether it has heard from Redis within
`LIVENESS` seconds on a subscription older than the entry in question. When it has not,
the cache falls back to trusting entries for at most its TTL (≤ 1 s), so a revocation still
reaches the node within 1 s.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

import redis
from sqlalchemy.orm import Session as Tx

log = logging.getLogger("bastion.sessions")

_CHANGED = "bastion.sessions.changed"
SERVICE_KEYS = "service-keys"  # the group every cached service key belongs to
EVERYTHING = "*"
PING_EVERY = 0.2
LIVENESS = 0.9  # with the TTL (<= 1 s), keeps every node within requirements §27's 1 s


def sessions_changed(tx: Tx, account_or_session_id: str) -> None:
    """Once `tx` commits, drop the cached sessions of this account (or this one session) everywhere."""
    tx.info.setdefault(_CHANGED, set()).add(account_or_session_id)


def service_keys_changed(tx: Tx) -> None:
    tx.info.setdefault(_CHANGED, set()).add(SERVICE_KEYS)


def changes_of(tx: Tx) -> set[str]:
    """The transaction's changes, taken (after it commits)."""
    return tx.info.pop(_CHANGED, None) or set()


def pending_changes(tx: Tx) -> set[str]:
    """The transaction's changes so far, left in place (before it commits)."""
    changes: set[str] = tx.info.get(_CHANGED) or set()
    return changes


class RedisInvalidation:
    """Publishes changes after commit and listens for other nodes' changes on one Redis channel."""

    def __init__(self, url: str, on_change: Callable[[set[str]], None]) -> None:
        self._url = url
        self._on_change = on_change
        self._publisher = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        db = self._publisher.connection_pool.connection_kwargs.get("db", 0)
        # Pub/sub ignores database numbers: the number in the name keeps deployments apart.
        self.channel = f"bastion:{db}:sessions-changed"
        self._connected_since: float | None = None
        self._heard_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._listen, name="bastion-session-invalidation",
                                                daemon=True)
                self._thread.start()

    def covers(self, loaded_at: float, now: float) -> bool:
        """True when every change published since `loaded_at` has reached this node by now."""
        since = self._connected_since
        return since is not None and since <= loaded_at and now - self._heard_at < LIVENESS

    def status(self) -> dict[str, object]:
        since = self._connected_since
        return {"subscribed": since is not None,
                "heard_seconds_ago": round(time.monotonic() - self._heard_at, 3) if since is not None else None}

    def publish(self, changes: Iterable[str]) -> None:
        try:
            self._publisher.publish(self.channel, " ".join(sorted(changes)))
        except redis.RedisError as error:
            # The subscribers' connections are most likely down too: they fall back to the TTL.
            log.warning("could not publish a session change", extra={"error": str(error)})

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._publisher.close()

    def _listen(self) -> None:
        warned = False
        while not self._stop.is_set():
            client = redis.Redis.from_url(self._url, socket_timeout=5, socket_connect_timeout=1)
            pubsub = client.pubsub()  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(self.channel)
                self._receive(pubsub)
            except (redis.RedisError, OSError) as error:
                if not warned:
                    log.warning("session invalidation: Redis unreachable, trusting cached sessions for the TTL "
                                "only", extra={"error": str(error)})
                    warned = True
            finally:
                self._connected_since = None
                pubsub.close()
                client.close()
            self._stop.wait(0.5)

    def _receive(self, pubsub: redis.client.PubSub) -> None:
        pinged = time.monotonic()
        while not self._stop.is_set():
            message = pubsub.get_message(timeout=PING_EVERY)
            now = time.monotonic()
            if message is not None:
                self._heard_at = now
                if message["type"] == "subscribe":
                    # Changes published while unsubscribed were missed: everything cached before is suspect.
                    self._on_change({EVERYTHING})
                    self._connected_since = now
                elif message["type"] == "message":
                    self._on_change(set(message["data"].decode().split()))
            if now - pinged >= PING_EVERY:
                pubsub.ping()
                pinged = now
