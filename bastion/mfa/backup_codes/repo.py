"""Backup code sets and their codes in storage.

A code is used by one conditional UPDATE (`… SET used_at = :now WHERE set_id = :set AND code_mac =
:mac AND used_at IS NULL`) after the set's own row is updated, which takes its lock: a regeneration
at the same moment voids the set either before the use (the code is refused) or after it (the code
was used). The row count decides; nothing is read first (docs/design/backup-codes.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as Tx

from bastion.mfa.backup_codes.models import BackupCode, BackupCodeSet
from bastion.store.changes import rows_changed


@dataclass(frozen=True, slots=True)
class CodeSetStatus:
    set_id: str
    created_at: datetime
    total: int
    remaining: int


def active_set(tx: Tx, account_id: str) -> BackupCodeSet | None:
    return tx.execute(
        select(BackupCodeSet).where(BackupCodeSet.account_id == account_id, BackupCodeSet.voided_at.is_(None))
        .order_by(BackupCodeSet.created_at.desc()).limit(1)
    ).scalar_one_or_none()


def status(tx: Tx, account_id: str) -> CodeSetStatus | None:
    code_set = active_set(tx, account_id)
    if code_set is None:
        return None
    total, remaining = tx.execute(
        select(func.count(), func.count().filter(BackupCode.used_at.is_(None))).where(BackupCode.set_id == code_set.id)
    ).one()
    return CodeSetStatus(code_set.id, code_set.created_at, total, remaining)


def live_set_ids(tx: Tx, account_id: str) -> list[str]:
    """The sets not voided (part of a trusted device's fingerprint)."""
    return list(tx.execute(select(BackupCodeSet.id).where(
        BackupCodeSet.account_id == account_id, BackupCodeSet.voided_at.is_(None))).scalars())


def void_sets(tx: Tx, account_id: str, now: datetime) -> int:
    return rows_changed(tx,
        update(BackupCodeSet).where(BackupCodeSet.account_id == account_id, BackupCodeSet.voided_at.is_(None))
        .values(voided_at=now)
    )


def replace_set(tx: Tx, account_id: str, set_id: str, hash_key: str, code_macs: list[str], now: datetime) -> None:
    """Void the account's sets and store a new one: its encrypted key and its codes' keyed hashes."""
    void_sets(tx, account_id, now)
    tx.add(BackupCodeSet(id=set_id, account_id=account_id, hash_key=hash_key, created_at=now))
    tx.flush()
    tx.add_all([BackupCode(set_id=set_id, code_mac=mac) for mac in code_macs])
    tx.flush()


def use_code(tx: Tx, set_id: str, mac: str, now: datetime) -> bool:
    """Use the code once; False when it is unknown, used, or its set was voided meanwhile."""
    live = rows_changed(tx,
        update(BackupCodeSet).where(BackupCodeSet.id == set_id, BackupCodeSet.voided_at.is_(None))
        .values(last_used_at=now).execution_options(synchronize_session=False)
    )
    if live != 1:
        return False
    return rows_changed(tx,
        update(BackupCode).where(BackupCode.set_id == set_id, BackupCode.code_mac == mac,
                                 BackupCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)
    ) == 1
