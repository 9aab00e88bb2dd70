"""Service keys: how the platform's own services authenticate to introspect sessions."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bastion.crypto import hash_token, new_token
from bastion.errors import BastionError
from bastion.services import Services
from bastion.sessions.invalidation import SERVICE_KEYS, service_keys_changed
from bastion.store.models import ServiceKey

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
        result = tx.execute(
            update(ServiceKey)
            .where(ServiceKey.id == key_id, ServiceKey.revoked_at.is_(None))
            .values(revoked_at=services.clock.now())
        )
        service_keys_changed(tx)
        return result.rowcount == 1


def authenticate_service_key(services: Services, secret: str) -> str:
    """The key's id, or `service_key.invalid`."""
    return cached_service_key(services, secret) or _service_key_from_database(services, secret)


def cached_service_key(services: Services, secret: str) -> str | None:
    """The key's id from memory (`service_key.invalid` if malformed), or None when the database must be asked."""
    known: _KnownKey | None = services.session_cache.get(_cache_key(secret))
    if known is None or services.clock.now() - known.last_used_at > _MARK_USED_EVERY:
        return None
    return known.id


@dataclass(frozen=True, slots=True)
class _KnownKey:
    id: str
    last_used_at: datetime


def _cache_key(secret: str) -> str:
    if not secret.startswith(KEY_PREFIX) or len(secret) > 128:
        raise BastionError("service_key.invalid")
    return "service-key:" + hash_token(secret)


def _service_key_from_database(services: Services, secret: str) -> str:
    cache_key = _cache_key(secret)
    cache = services.session_cache
    generation, loaded_at = cache.generation, time.monotonic()
    now = services.clock.now()
    with services.db.transaction() as tx:
        key = tx.execute(select(ServiceKey).where(ServiceKey.key_hash == hash_token(secret))).scalar_one_or_none()
        if key is None or key.revoked_at is not None:
            raise BastionError("service_key.invalid")
        if key.last_used_at is None or now - key.last_used_at > _MARK_USED_EVERY:
            key.last_used_at = now
        known = _KnownKey(key.id, key.last_used_at)
    cache.put(cache_key, known, (SERVICE_KEYS,), generation, loaded_at)
    return known.id
