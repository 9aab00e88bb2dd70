"""Emailed single-use tokens: stored as hashes, newest-only, consumed atomically.

Consumption is one conditional UPDATE (`… WHERE used_at IS NULL AND expires_at > now`)
whose row count decides: under any concurrency exactly one request wins.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session as Tx

from bastion.accounts.models import OneTimeToken
from bastion.crypto import hash_token, new_token
from bastion.errors import BastionError, Reason
from bastion.store.changes import rows_changed


def issue_token(
    tx: Tx, now: datetime, account_id: str, purpose: str, valid_for: timedelta, newest_only: bool = True,
    password_hash: str | None = None, origin: dict[str, Any] | None = None,
) -> str:
    """A fresh token for `purpose`; with `newest_only`, every older unused one stops working.

    A sign-up's confirmation link carries the password it chose and where it came from."""
    if newest_only:
        tx.execute(
            update(OneTimeToken)
            .where(
                OneTimeToken.account_id == account_id,
                OneTimeToken.purpose == purpose,
                OneTimeToken.used_at.is_(None),
            )
            .values(used_at=now)
        )
    token = new_token()
    tx.add(
        OneTimeToken(
            account_id=account_id,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + valid_for,
            password_hash=password_hash,
            origin=origin,
        )
    )
    return token


def peek_token(tx: Tx, now: datetime, purpose: str, token: str) -> str:
    """The token's account id if it would be accepted now, without using it; else the same refusal."""
    row = tx.execute(
        select(OneTimeToken.account_id, OneTimeToken.expires_at).where(
            OneTimeToken.token_hash == hash_token(token),
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
    ).first()
    if row is None:
        raise BastionError(Reason.TOKEN_INVALID)
    account_id, expires_at = row
    if expires_at <= now:
        raise BastionError(Reason.TOKEN_EXPIRED)
    return account_id


def consume_token(tx: Tx, now: datetime, purpose: str, token: str) -> str:
    """Use the token once and return its account id, or raise `token.invalid` / `token.expired`."""
    token_hash = hash_token(token)
    account_id = tx.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.token_hash == token_hash,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(OneTimeToken.account_id)
    ).scalar_one_or_none()
    if account_id is not None:
        return account_id
    stale = tx.execute(
        select(OneTimeToken.id).where(
            OneTimeToken.token_hash == token_hash,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
    ).first()
    raise BastionError(Reason.TOKEN_EXPIRED if stale else Reason.TOKEN_INVALID)


def live_tokens(tx: Tx, account_id: str, purpose: str, now: datetime) -> list[tuple[str, datetime, dict[str, str]]]:
    """The account's unused, unexpired tokens for `purpose`, by id: their expiry and origin (for
    tokens never emailed, such as a grant bound to one session)."""
    rows = tx.execute(select(OneTimeToken.id, OneTimeToken.expires_at, OneTimeToken.origin).where(
        OneTimeToken.account_id == account_id, OneTimeToken.purpose == purpose,
        OneTimeToken.used_at.is_(None), OneTimeToken.expires_at > now)).all()
    return [(row.id, row.expires_at, row.origin or {}) for row in rows]


def use_token_once(tx: Tx, token_id: str, now: datetime) -> bool:
    """Use a live token found by `live_tokens`: one conditional UPDATE, True for the one caller that did."""
    return rows_changed(tx, update(OneTimeToken).where(OneTimeToken.id == token_id, OneTimeToken.used_at.is_(None),
                                                       OneTimeToken.expires_at > now).values(used_at=now)) == 1
