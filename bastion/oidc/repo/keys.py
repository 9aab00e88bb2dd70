"""The signing keys in storage: the private half encrypted by the caller (bastion.oidc.keys)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, or_, select, update
from sqlalchemy.orm import Session as Tx

from bastion.oidc.models import OidcSigningKey

_KEYS = OidcSigningKey.__table__
_PUBLISHED = (select(_KEYS.c.kid, _KEYS.c.alg, _KEYS.c.public_jwk, _KEYS.c.private_jwk, _KEYS.c.retired_at,
                     _KEYS.c.unpublish_at)
              .where(or_(_KEYS.c.unpublish_at.is_(None), _KEYS.c.unpublish_at > bindparam("now")))
              .order_by(_KEYS.c.created_at.desc()))


def published_keys(reader: Connection, now: datetime) -> list[Row[*tuple[Any, ...]]]:
    """The keys still published at `now`, the newest first: kid, alg, public_jwk, private_jwk,
    retired_at, unpublish_at."""
    return list(reader.execute(_PUBLISHED, {"now": now}))


def signing_algorithms(tx: Tx) -> set[str]:
    """The algorithms that have a key not yet retired."""
    return set(tx.execute(select(OidcSigningKey.alg).where(OidcSigningKey.retired_at.is_(None))).scalars())


def add_signing_key(tx: Tx, kid: str, alg: str, public_jwk: dict[str, Any], private_jwk: str,
                    now: datetime) -> OidcSigningKey:
    """A new key (`private_jwk` already encrypted), signing from the commit."""
    row = OidcSigningKey(kid=kid, alg=alg, public_jwk=public_jwk, created_at=now, private_jwk=private_jwk)
    tx.add(row)
    return row


def retire_signing_keys(tx: Tx, now: datetime, unpublish_at: datetime) -> None:
    """Every key still signing stops now, and stays published until `unpublish_at`."""
    tx.execute(update(OidcSigningKey).where(OidcSigningKey.retired_at.is_(None))
               .values(retired_at=now, unpublish_at=unpublish_at))


def all_signing_keys(tx: Tx) -> list[OidcSigningKey]:
    """Every key, the oldest first."""
    return list(tx.execute(select(OidcSigningKey).order_by(OidcSigningKey.created_at)).scalars())
