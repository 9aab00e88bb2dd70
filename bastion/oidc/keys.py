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
from datetime import datetime, timedelta
from typing import Any, cast

from joserfc.jwk import ECKey, KeyParameters, KeySet, KeySetSerialization, RSAKey
from sqlalchemy import or_, select, update

from bastion.oidc.models import OidcSigningKey
from bastion.services import Services

ALGORITHMS = ("RS256", "ES256")
DEFAULT_ALG = "RS256"
# What a key may still have signed after it retires: ID tokens and logout tokens, plus a margin.
_PUBLISH_MARGIN = timedelta(minutes=5)
_CACHE_SECONDS = 10.0  # a rotation reaches other nodes within this; the old key is still published


def _aad(kid: str) -> str:
    return f"oidc_signing_keys/{kid}"


def _generate(alg: str) -> RSAKey | ECKey:
    parameters: KeyParameters = {"alg": alg, "use": "sig"}
    if alg == "RS256":
        return RSAKey.generate_key(2048, parameters=parameters, auto_kid=True)
    return ECKey.generate_key("P-256", parameters=parameters, auto_kid=True)


def _add_key(services: Services, tx: Any, alg: str, now: datetime) -> OidcSigningKey:
    key = _generate(alg)
    kid = str(key.kid)
    row = OidcSigningKey(kid=kid, alg=alg, public_jwk=key.as_dict(private=False), created_at=now,
                         private_jwk=services.keys.encrypt(json.dumps(key.as_dict(private=True)), _aad(kid)))
    tx.add(row)
    return row


@dataclass(frozen=True)
class _Loaded:
    at: float
    signing: dict[str, RSAKey | ECKey]  # alg → the key that signs now
    published: dict[str, Any]  # the JWKS document


class SigningKeys:
    """The keys of one process: read from the database, decrypted once, refreshed every few seconds."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None

    def signing_key(self, alg: str = DEFAULT_ALG) -> RSAKey | ECKey:
        return self._current().signing[alg]

    def jwks(self) -> dict[str, Any]:
        return self._current().published

    def key_set(self) -> KeySet:
        return KeySet.import_key_set(cast(KeySetSerialization, self.jwks()))  # the document `_load` builds

    def forget(self) -> None:
        self._loaded = None

    def _current(self) -> _Loaded:
        loaded = self._loaded
        if loaded is not None and time.monotonic() - loaded.at < _CACHE_SECONDS:
            return loaded
        with self._lock:
            loaded = self._loaded
            if loaded is None or time.monotonic() - loaded.at >= _CACHE_SECONDS:
                loaded = self._loaded = self._load()
        return loaded

    def _load(self) -> _Loaded:
        services = self.services
        now = services.clock.now()
        ensure_signing_keys(services)
        with services.db.transaction() as tx:
            rows = list(tx.execute(
                select(OidcSigningKey)
                .where(or_(OidcSigningKey.unpublish_at.is_(None), OidcSigningKey.unpublish_at > now))
                .order_by(OidcSigningKey.created_at.desc())
            ).scalars())
        signing: dict[str, RSAKey | ECKey] = {}
        for row in rows:
            if row.retired_at is None and row.alg not in signing:
                private = json.loads(services.keys.decrypt(row.private_jwk, _aad(row.kid)))
                signing[row.alg] = (RSAKey if row.alg == "RS256" else ECKey).import_key(private)
        return _Loaded(time.monotonic(), signing, {"keys": [row.public_jwk for row in rows]})


def ensure_signing_keys(services: Services) -> None:
    """One signing key of each algorithm, made on first use. Two nodes starting at once may each make
    one: both are published and the newest signs, which is harmless."""
    with services.db.transaction() as tx:
        have = set(tx.execute(select(OidcSigningKey.alg).where(OidcSigningKey.retired_at.is_(None))).scalars())
        for alg in ALGORITHMS:
            if alg not in have:
                _add_key(services, tx, alg, services.clock.now())


def rotate_signing_keys(services: Services) -> list[str]:
    """A new key of each algorithm signs from now on; the old ones stay published until what they
    signed has expired. Returns the new kids."""
    now = services.clock.now()
    lifetime = timedelta(seconds=services.settings.oidc_id_token_seconds) + _PUBLISH_MARGIN
    with services.db.transaction() as tx:
        tx.execute(update(OidcSigningKey).where(OidcSigningKey.retired_at.is_(None))
                   .values(retired_at=now, unpublish_at=now + lifetime))
        kids = [_add_key(services, tx, alg, now).kid for alg in ALGORITHMS]
    return kids


def list_signing_keys(services: Services) -> list[OidcSigningKey]:
    with services.db.transaction() as tx:
        return list(tx.execute(select(OidcSigningKey).order_by(OidcSigningKey.created_at)).scalars())


def keys_of(services: Services) -> SigningKeys:
    """The process's signing keys for these services (kept on them: decrypted once, not per token)."""
    keys: SigningKeys | None = services.__dict__.get("oidc_signing_keys")
    if keys is None:
        keys = services.__dict__.setdefault("oidc_signing_keys", SigningKeys(services))
    return keys
