"""Passkeys and their challenges in storage.

A challenge is kept as its SHA-256 and consumed by one conditional UPDATE (`… SET used_at = :now
WHERE challenge_hash = :hash AND used_at IS NULL AND expires_at > :now`): each works once.
The sign counter moves forward by a conditional UPDATE too, so two uses of one counter value
cannot both pass.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, delete, func, select, update
from sqlalchemy.orm import Session as Tx

from bastion.mfa.passkeys.models import Passkey, PasskeyChallenge
from bastion.mfa.passkeys.webauthn import NewPasskey
from bastion.store.changes import rows_changed


def store_challenge(tx: Tx, challenge_hash: str, purpose: str, now: datetime, valid_for: timedelta,
                    account_id: str | None = None, flow_id: str | None = None) -> None:
    tx.add(PasskeyChallenge(challenge_hash=challenge_hash, purpose=purpose, account_id=account_id, flow_id=flow_id,
                            created_at=now, expires_at=now + valid_for))
    tx.flush()


def consume_challenge(tx: Tx, challenge_hash: str, purpose: str, now: datetime) -> PasskeyChallenge | None:
    """The challenge's row, used up now; None when unknown, used, expired or for another purpose."""
    used = rows_changed(tx,
        update(PasskeyChallenge)
        .where(PasskeyChallenge.challenge_hash == challenge_hash, PasskeyChallenge.purpose == purpose,
               PasskeyChallenge.used_at.is_(None), PasskeyChallenge.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)
    )
    if used != 1:
        return None
    return tx.get(PasskeyChallenge, challenge_hash)


_ANY_PASSKEY = select(Passkey.id).where(Passkey.account_id == bindparam("account_id")).exists()


def enrolled_clause() -> ColumnElement[bool]:
    """Whether the account has a passkey, as an EXISTS on the `account_id` parameter: the registry
    asks every method in one statement (`bastion.mfa.repo`)."""
    return _ANY_PASSKEY


def has_passkey(tx: Tx, account_id: str) -> bool:
    return tx.execute(select(Passkey.id).where(Passkey.account_id == account_id).limit(1)).first() is not None


def passkey_ids(tx: Tx, account_id: str) -> list[str]:
    return list(tx.execute(select(Passkey.id).where(Passkey.account_id == account_id)).scalars())


def list_passkeys(tx: Tx, account_id: str) -> list[Passkey]:
    return list(tx.execute(select(Passkey).where(Passkey.account_id == account_id)
                           .order_by(Passkey.created_at, Passkey.id)).scalars())


def count_passkeys(tx: Tx, account_id: str) -> int:
    return tx.execute(select(func.count()).select_from(Passkey).where(Passkey.account_id == account_id)).scalar_one()


def backed_up_used_near(tx: Tx, account_id: str, at: datetime, window: timedelta) -> bool | None:
    """Whether the passkey used last within `window` of `at` is synced between devices; None: none was."""
    used = tx.execute(
        select(Passkey.backed_up).where(Passkey.account_id == account_id, Passkey.last_used_at >= at - window,
                                        Passkey.last_used_at <= at + window)
        .order_by(Passkey.last_used_at.desc())
    ).first()
    return None if used is None else bool(used[0])


def find_by_credential_id(tx: Tx, credential_id: str) -> Passkey | None:
    return tx.execute(select(Passkey).where(Passkey.credential_id == credential_id)).scalar_one_or_none()


def get_passkey(tx: Tx, account_id: str, passkey_id: str) -> Passkey | None:
    return tx.execute(select(Passkey).where(Passkey.id == passkey_id, Passkey.account_id == account_id)
                      ).scalar_one_or_none()


def add_passkey(tx: Tx, account_id: str, new: NewPasskey, name: str, now: datetime) -> Passkey | None:
    """None when this authenticator's credential is registered already (to any account)."""
    if find_by_credential_id(tx, new.credential_id) is not None:
        return None
    passkey = Passkey(account_id=account_id, credential_id=new.credential_id, public_key=new.public_key,
                      sign_count=new.sign_count, name=name, aaguid=new.aaguid, transports=new.transports,
                      backed_up=new.backed_up, created_at=now)
    tx.add(passkey)
    tx.flush()
    return passkey


def advance_counter(tx: Tx, passkey_id: str, stored: int, presented: int, now: datetime) -> bool:
    """Record a use; with a counter, only when it moved past the value this request read."""
    statement = update(Passkey).where(Passkey.id == passkey_id)
    if presented or stored:
        statement = statement.where(Passkey.sign_count < presented)
    return rows_changed(tx, statement.values(sign_count=presented, last_used_at=now)
                      .execution_options(synchronize_session=False)) == 1


def rename_passkey(tx: Tx, account_id: str, passkey_id: str, name: str) -> bool:
    return rows_changed(tx, update(Passkey).where(Passkey.id == passkey_id, Passkey.account_id == account_id)
                      .values(name=name)) == 1


def remove_passkey(tx: Tx, account_id: str, passkey_id: str) -> bool:
    return rows_changed(tx, delete(Passkey).where(Passkey.id == passkey_id, Passkey.account_id == account_id)
                      ) == 1


def remove_all_passkeys(tx: Tx, account_id: str) -> int:
    return rows_changed(tx, delete(Passkey).where(Passkey.account_id == account_id))


def delete_expired_challenges(tx: Tx, before: datetime) -> int:
    """Housekeeping: challenges that expired before `before`."""
    return rows_changed(tx, delete(PasskeyChallenge).where(PasskeyChallenge.expires_at < before))
