"""Choosing the counter store from the settings."""

from __future__ import annotations

from bastion.config import Settings
from bastion.store import Database
from bastion.throttle.database import DatabaseStore
from bastion.throttle.store import CounterStore, MemoryStore


def build_store(settings: Settings, db: Database) -> CounterStore:
    backend = settings.throttle_backend
    if backend == "memory":
        return MemoryStore()
    if backend == "database" or (backend == "auto" and not settings.redis_url):
        return DatabaseStore(db)
    from bastion.throttle.fallback import FallbackStore
    from bastion.throttle.redis_store import RedisStore

    if settings.redis_url is None:  # the settings refuse this combination at start-up
        raise ValueError("BASTION_THROTTLE_BACKEND=redis needs BASTION_REDIS_URL")
    return FallbackStore(RedisStore(settings.redis_url), DatabaseStore(db))
