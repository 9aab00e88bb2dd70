"""Signing keys: RS256 (OIDC Core §15.1: every provider offers it) and ES256, made by Bastion.

The private half is stored encrypted under the key ring (bound to its kid); the public half is
published at the JWKS endpoint. `rotate_signing_keys` makes a new key of each algorithm; the old
ones stop signing at once but stay published until every token they signed has expired, so a
relying party never meets a `kid` it cannot find.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from joserfc.jwk import ECKey, KeyParameters, KeySet, KeySetSerialization, RSAKey
from sqlalchemy.orm import Session as Tx

from bastion.crypto.rotation import Protected
from bastion.oidc.models import OidcSigningKey
from bastion.oidc.repo import keys as repo
from bastion.services import Services
from bastion.store.invalidation import sessions_changed

ALGORITHMS = ("RS256", "ES256")
DEFAULT_ALG = "RS256"
# What a key may still have signed after it retires: ID tokens and logout tokens, plus a margin.
_PUBLISH_MARGIN = timedelta(minutes=5)
KEYS_CHANGED = "oidc-signing-keys"  # the cache entry of the keys in use, and the change a rotation names


def _aad(kid: str) -> str:
    return f"oidc_signing_keys/{kid}"


# Encrypted under the key ring: rotated by `bastion keys rotate` (bastion.protected).
PROTECTED = (Protected("OpenID signing keys", OidcSigningKey, ("private_jwk",), lambda row: _aad(row.kid)),)


def _generate(alg: str) -> RSAKey | ECKey:
    parameters: KeyParameters = {"alg": alg, "use": "sig"}
    if alg == "RS256":
        return RSAKey.generate_key(2048, parameters=parameters, auto_kid=True)
    return ECKey.generate_key("P-256", parameters=parameters, auto_kid=True)


def _add_key(services: Services, tx: Tx, alg: str, now: datetime) -> OidcSigningKey:
    key = _generate(alg)
    kid = str(key.kid)
    return repo.add_signing_key(tx, kid, alg, key.as_dict(private=False),
                                services.keys.encrypt(json.dumps(key.as_dict(private=True)), _aad(kid)), now)


@dataclass(frozen=True, eq=False)
class _Loaded:
    signing: dict[str, RSAKey | ECKey]  # alg → the key that signs now
    published: dict[str, Any]  # the JWKS document
    until: datetime  # when a published key is to be unpublished: read again then


_FOREVER = datetime.max.replace(tzinfo=UTC)


class SigningKeys:
    """The keys of one process. The set in use is an entry of the session cache (bastion.store.cache),
    so it is trusted as a cached session is — for the cache's TTL (at most 1 s), read again behind the
    requests while in use, or with Redis until a change arrives — and a rotation (`KEYS_CHANGED` in its
    transaction) drops it at commit on this node and on every other. Reading the set again is one small
    statement: a private key is decrypted once per process (a kid's key never changes)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._private: dict[str, RSAKey | ECKey] = {}

    def signing_key(self, alg: str = DEFAULT_ALG) -> RSAKey | ECKey:
        return self._current().signing[alg]

    def jwks(self) -> dict[str, Any]:
        return self._current().published

    def key_set(self) -> KeySet:
        return KeySet.import_key_set(cast(KeySetSerialization, self.jwks()))

    def forget(self) -> None:
        self._loaded = None

    def _trusted(self, loaded: _Loaded | None) -> bool:
        if loaded is None:
            return False
        return self.services.clock.now() < loaded.until and self.services.session_cache.get(KEYS_CHANGED) is loaded

    def _current(self) -> _Loaded:
        loaded = self._loaded
        if loaded is not None and self._trusted(loaded):
            return loaded
        with self._lock:
            loaded = self._loaded
            if loaded is None or not self._trusted(loaded):
                loaded = self._loaded = self._load()
        return loaded

    def _reload(self, _: list[str]) -> None:
        """The cache's refresher, behind the requests."""
        with self._lock:
            self._loaded = self._load()

    def _load(self) -> _Loaded:
        services, cache = self.services, self.services.session_cache
        generation, loaded_at = cache.generation, time.monotonic()  # before the read: see SessionCache.put
        now = services.clock.now()
        rows = self._published(now)
        if {row.alg for row in rows if row.retired_at is None} != set(ALGORITHMS):
            ensure_signing_keys(services)  # first use
            rows = self._published(now)
        signing: dict[str, RSAKey | ECKey] = {}
        for row in rows:
            if row.retired_at is None and row.alg not in signing:
                signing[row.alg] = self._private_key(row.kid, row.alg, row.private_jwk)
        until = min((row.unpublish_at for row in rows if row.unpublish_at is not None), default=_FOREVER)
        loaded = _Loaded(signing, {"keys": [row.public_jwk for row in rows]}, until)
        cache.put(KEYS_CHANGED, loaded, (KEYS_CHANGED,), generation, loaded_at, kind=KEYS_CHANGED,
                  refresh=self._reload)
        return loaded

    def _published(self, now: datetime) -> list[Any]:
        with self.services.db.reading() as reader:
            return repo.published_keys(reader, now)

    def _private_key(self, kid: str, alg: str, encrypted: str) -> RSAKey | ECKey:
        key = self._private.get(kid)
        if key is None:
            private = json.loads(self.services.keys.decrypt(encrypted, _aad(kid)))
            key = self._private[kid] = (RSAKey if alg == "RS256" else ECKey).import_key(private)
        return key


def ensure_signing_keys(services: Services) -> None:
    """One signing key of each algorithm, made on first use. Two nodes starting at once may each make
    one: both are published and the newest signs, which is harmless."""
    with services.db.transaction() as tx:
        have = repo.signing_algorithms(tx)
        for alg in ALGORITHMS:
            if alg not in have:
                _add_key(services, tx, alg, services.clock.now())


def rotate_signing_keys(services: Services) -> list[str]:
    """A new key of each algorithm signs from now on; the old ones stay published until what they
    signed has expired. Returns the new kids."""
    now = services.clock.now()
    lifetime = timedelta(seconds=services.settings.oidc_id_token_seconds) + _PUBLISH_MARGIN
    with services.db.transaction() as tx:
        repo.retire_signing_keys(tx, now, now + lifetime)
        kids = [_add_key(services, tx, alg, now).kid for alg in ALGORITHMS]
        sessions_changed(tx, KEYS_CHANGED)  # every node signs with the new keys once this commits
    return kids


def list_signing_keys(services: Services) -> list[OidcSigningKey]:
    with services.db.transaction() as tx:
        return repo.all_signing_keys(tx)


def keys_of(services: Services) -> SigningKeys:
    """The process's signing keys for these services (kept on them: decrypted once, not per token)."""
    keys = services.__dict__.get("oidc_signing_keys")
    if keys is None:
        keys = services.__dict__.setdefault("oidc_signing_keys", SigningKeys(services))
    return cast(SigningKeys, keys)
