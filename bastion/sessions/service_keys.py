"""Service keys: how the platform's own services authenticate to introspect sessions."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select, update

from bastion.crypto import hash_token, new_token
from bastion.errors import BastionError, Reason
from bastion.services import Services
from bastion.sessions.models import ServiceKey
from bastion.store.changes import rows_changed
from bastion.store.invalidation import SERVICE_KEYS, service_keys_changed

log = logging.getLogger("bastion.sessions")

KEY_PREFIX = "bsk_"
_MARK_USED_EVERY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ServiceKeyView:
    id: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def _view(key: ServiceKey) -> ServiceKeyView:
    return ServiceKeyView(key.id, key.name, key.prefix, key.created_at, key.revoked_at, key.last_used_at)


def create_service_key(services: Services, name: str) -> tuple[str, ServiceKeyView]:
    """A new key; the secret is returned here once and never stored in clear."""
    secret = new_token(KEY_PREFIX)
    key = ServiceKey(name=name, key_hash=hash_token(secret), prefix=secret[:10], created_at=services.clock.now())
    with services.db.transaction() as tx:
        tx.add(key)
    return secret, _view(key)


def list_service_keys(services: Services) -> list[ServiceKeyView]:
    with services.db.transaction() as tx:
        return [_view(key) for key in tx.execute(select(ServiceKey).order_by(ServiceKey.created_at)).scalars()]


def revoke_service_key(services: Services, key_id: str) -> bool:
    with services.db.transaction() as tx:
        revoked = rows_changed(
            tx,
            update(ServiceKey)
            .where(ServiceKey.id == key_id, ServiceKey.revoked_at.is_(None))
            .values(revoked_at=services.clock.now()),
        )
        service_keys_changed(tx)
        return revoked == 1


def authenticate_service_key(services: Services, secret: str) -> str:
    """The key's id, or `service_key.invalid`."""
    return cached_service_key(services, secret) or _service_key_from_database(services, secret)


def cached_service_key(services: Services, secret: str) -> str | None:
    """The key's id from memory (`service_key.invalid` if malformed), or None when the database must
    be asked. Its last use is noted every few minutes behind the request, never on its way."""
    cache_key = _cache_key(secret)
    known: _KnownKey | None = services.session_cache.get(cache_key)
    if known is None:
        return None
    now = services.clock.now()
    if now - known.last_used_at > _MARK_USED_EVERY:
        # Noted once: the entry says so at once, and one thread writes it when the database lets it.
        services.session_cache.replace(cache_key, _KnownKey(known.id, now))
        _NOTING.submit(_note_use, services, known.id, now)
    return known.id


def _note_use(services: Services, key_id: str, now: datetime) -> None:
    try:
        with services.db.transaction() as tx:
            tx.execute(update(ServiceKey).where(ServiceKey.id == key_id, ServiceKey.revoked_at.is_(None))
                       .values(last_used_at=now))
    except Exception as error:  # bookkeeping: the next use notes it again
        log.warning("could not note a service key's use", extra={"error": type(error).__name__})


_NOTING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bastion-service-key-use")


@dataclass(frozen=True, slots=True)
class _KnownKey:
    id: str
    last_used_at: datetime


_CACHED = "service-key:"


def _cache_key(secret: str) -> str:
    if not secret.startswith(KEY_PREFIX) or len(secret) > 128:
        raise BastionError(Reason.SERVICE_KEY_INVALID)
    return _CACHED + hash_token(secret)


def _service_key_from_database(services: Services, secret: str) -> str:
    cache_key = _cache_key(secret)
    cache = services.session_cache
    generation, loaded_at = cache.generation, time.monotonic()
    now = services.clock.now()
    keys = ServiceKey.__table__
    # Read without the write lock: a flood of made-up keys costs an indexed read each, and never
    # queues behind (or holds up) the one writer on SQLite.
    with services.db.reading() as reader:
        row = reader.execute(select(keys.c.id, keys.c.last_used_at)
                             .where(keys.c.key_hash == hash_token(secret), keys.c.revoked_at.is_(None))).first()
    if row is None:
        raise BastionError(Reason.SERVICE_KEY_INVALID)
    key_id, last_used_at = row
    if last_used_at is None or now - last_used_at > _MARK_USED_EVERY:
        with services.db.transaction() as tx:  # noted at most every few minutes, whoever gets there first
            tx.execute(update(ServiceKey).where(ServiceKey.id == key_id, ServiceKey.revoked_at.is_(None))
                       .values(last_used_at=now))
        last_used_at = now
    known = _KnownKey(key_id, last_used_at)
    cache.put(cache_key, known, (SERVICE_KEYS,), generation, loaded_at, kind=SERVICE_KEYS,
              refresh=partial(refresh_service_keys, services))
    cache.mark_used(cache_key)
    return known.id


def refresh_service_keys(services: Services, cache_keys: list[str]) -> None:
    """Read cached service keys again (the cache's refresher, behind the requests); revoked ones go."""
    cache = services.session_cache
    generation, loaded_at = cache.generation, time.monotonic()
    hashes = {cache_key.removeprefix(_CACHED): cache_key for cache_key in cache_keys}
    keys = ServiceKey.__table__
    with services.db.reading() as reader:
        rows = reader.execute(select(keys.c.key_hash, keys.c.id, keys.c.last_used_at)
                              .where(keys.c.key_hash.in_(hashes), keys.c.revoked_at.is_(None))).all()
    live = {key_hash: (key_id, last_used_at) for key_hash, key_id, last_used_at in rows}
    for key_hash, cache_key in hashes.items():
        if key_hash not in live:
            cache.forget(cache_key)
    cache.put_many([(hashes[key_hash], _KnownKey(key_id, last_used_at), (SERVICE_KEYS,))
                    for key_hash, (key_id, last_used_at) in live.items()], generation, loaded_at, kind=SERVICE_KEYS)
