"""TOTP credentials in storage: the encrypted secret, and one-time use of each time step.

A step is accepted by one conditional UPDATE that raises the credential's high-water mark
(`… SET last_step = :step WHERE id = :id AND (last_step IS NULL OR last_step < :step)`); its
row count decides, so under any concurrency exactly one request wins (requirements §8, RFC 6238
§5.2). Burned future steps (clock-skew diagnosis) are rows of their own: burning takes the
credential's row lock first, and acceptance checks for a burn after taking it, so a step burned
before it was accepted is never accepted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as Tx

from bastion.crypto import KeyRing
from bastion.errors import BastionError, Reason
from bastion.mfa.totp.models import TotpBurnedStep, TotpCredential
from bastion.store.changes import rows_changed
from bastion.store.types import new_id


def secret_aad(credential_id: str) -> str:
    """Binds the ciphertext to its row: copied to another credential it does not decrypt."""
    return f"totp_credentials/{credential_id}/secret"


def decrypt_secret(keys: KeyRing, credential: TotpCredential) -> str:
    return keys.decrypt(credential.secret, secret_aad(credential.id))


def find_credential(tx: Tx, account_id: str) -> TotpCredential | None:
    """The account's authenticator, confirmed or still being set up."""
    return tx.execute(select(TotpCredential).where(TotpCredential.account_id == account_id)).scalar_one_or_none()


def confirmed_credential(tx: Tx, account_id: str) -> TotpCredential | None:
    credential = find_credential(tx, account_id)
    return credential if credential is not None and credential.confirmed_at is not None else None


_CONFIRMED_EXISTS = select(TotpCredential.id).where(TotpCredential.account_id == bindparam("account_id"),
                                                    TotpCredential.confirmed_at.is_not(None)).exists()


def enrolled_clause() -> ColumnElement[bool]:
    """Whether the account has a confirmed authenticator, as an EXISTS on the `account_id` parameter:
    the registry asks every method in one statement (`bastion.mfa.repo`)."""
    return _CONFIRMED_EXISTS


def confirmed_credential_ids(tx: Tx, account_id: str) -> list[str]:
    return list(tx.execute(select(TotpCredential.id).where(
        TotpCredential.account_id == account_id, TotpCredential.confirmed_at.is_not(None))).scalars())


def replace_pending(tx: Tx, keys: KeyRing, account_id: str, secret: str, now: datetime) -> TotpCredential:
    """A new unconfirmed credential, replacing an earlier unfinished setup."""
    tx.execute(delete(TotpCredential).where(TotpCredential.account_id == account_id,
                                            TotpCredential.confirmed_at.is_(None)))
    credential_id = new_id()
    credential = TotpCredential(id=credential_id, account_id=account_id, created_at=now,
                                secret=keys.encrypt(secret, secret_aad(credential_id)))
    tx.add(credential)
    tx.flush()
    return credential


def confirm(tx: Tx, credential_id: str, step: int, now: datetime) -> bool:
    """Enrol the pending credential; the confirming code's step counts as used."""
    return rows_changed(tx,
        update(TotpCredential)
        .where(TotpCredential.id == credential_id, TotpCredential.confirmed_at.is_(None))
        .values(confirmed_at=now, last_step=step, last_used_at=now)
    ) == 1


def accept_step(tx: Tx, credential_id: str, step: int, now: datetime) -> None:
    """Use `step` once, or raise `mfa.code_reused` (the caller's transaction must then roll back)."""
    raised = rows_changed(tx,
        update(TotpCredential)
        .where(TotpCredential.id == credential_id,
               TotpCredential.confirmed_at.is_not(None),
               or_(TotpCredential.last_step.is_(None), TotpCredential.last_step < step))
        .values(last_step=step, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if raised != 1:
        raise BastionError(Reason.MFA_CODE_REUSED)
    # The row is ours now (locked until commit); a burn committed before this point is visible.
    burned = tx.execute(select(TotpBurnedStep.step).where(
        TotpBurnedStep.credential_id == credential_id, TotpBurnedStep.step == step)).first()
    if burned is not None:
        raise BastionError(Reason.MFA_CODE_REUSED)
    # Steps at or below the high-water mark are refused anyway: their burn rows are no longer needed.
    tx.execute(delete(TotpBurnedStep).where(TotpBurnedStep.credential_id == credential_id,
                                            TotpBurnedStep.step <= step))


def burn_step(tx: Tx, credential_id: str, step: int, now: datetime) -> None:
    """Record a future step as used without accepting it: it can never be accepted later."""
    tx.execute(select(TotpCredential.id).where(TotpCredential.id == credential_id).with_for_update())
    dialect = postgresql if tx.get_bind().dialect.name == "postgresql" else sqlite
    tx.execute(dialect.insert(TotpBurnedStep)
               .values(credential_id=credential_id, step=step, created_at=now)
               .on_conflict_do_nothing(index_elements=["credential_id", "step"]))


def remove(tx: Tx, account_id: str) -> bool:
    return rows_changed(tx, delete(TotpCredential).where(TotpCredential.account_id == account_id)) > 0


def enrol_confirmed(tx: Tx, keys: KeyRing, account_id: str, secret: str, now: datetime) -> None:
    """An authenticator set up by an operator (demo and test staff accounts): confirmed, no code used yet."""
    from bastion.mfa.totp.otp import time_step

    credential = replace_pending(tx, keys, account_id, secret, now)
    confirm(tx, credential.id, time_step(now.timestamp()) - 1, now)
