"""Backup codes (requirements §11): 10 a set, 80 random bits each, single use, stored as keyed hashes.

Codes are HMAC-SHA-256 under the set's own key (encrypted with the key ring) and used by one
conditional UPDATE under the set's row lock: docs/design/backup-codes.md.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as Tx

from bastion.crypto import KeyRing
from bastion.mfa.backup_codes.models import BackupCode, BackupCodeSet
from bastion.store.changes import rows_changed
from bastion.store.types import new_id

CODES_PER_SET = 10
CODE_BITS = 80
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
_CHARS = CODE_BITS // 5
_READS_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code() -> str:
    value = secrets.randbits(CODE_BITS)
    return "".join(_ALPHABET[(value >> (5 * index)) & 31] for index in reversed(range(_CHARS)))


def display(code: str) -> str:
    """XXXX-XXXX-XXXX-XXXX"""
    return "-".join(code[index:index + 4] for index in range(0, _CHARS, 4))


def normalize(typed: str) -> str | None:
    """The canonical 16 characters, or None when it cannot be a backup code."""
    cleaned = "".join(ch for ch in typed.upper() if not ch.isspace() and ch != "-").translate(_READS_AS)
    if len(cleaned) != _CHARS or any(ch not in _ALPHABET for ch in cleaned):
        return None
    return cleaned


def key_aad(set_id: str) -> str:
    return f"backup_code_sets/{set_id}/hash_key"


def code_mac(set_key: bytes, normalized: str) -> str:
    return hmac.new(set_key, b"bastion/backup_code/" + normalized.encode(), hashlib.sha256).hexdigest()


def set_key(keys: KeyRing, code_set: BackupCodeSet) -> bytes:
    return keys.decrypt_bytes(code_set.hash_key, key_aad(code_set.id))


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


def void_sets(tx: Tx, account_id: str, now: datetime) -> int:
    return rows_changed(tx,
        update(BackupCodeSet).where(BackupCodeSet.account_id == account_id, BackupCodeSet.voided_at.is_(None))
        .values(voided_at=now)
    )


def issue_set(tx: Tx, keys: KeyRing, account_id: str, now: datetime) -> list[str]:
    """A new set (the old one stops working); returns the codes for display, the only time they exist."""
    void_sets(tx, account_id, now)
    set_id = new_id()
    raw_key = secrets.token_bytes(32)
    tx.add(BackupCodeSet(id=set_id, account_id=account_id, hash_key=keys.encrypt(raw_key, key_aad(set_id)),
                         created_at=now))
    tx.flush()
    codes = [new_code() for _ in range(CODES_PER_SET)]
    tx.add_all([BackupCode(set_id=set_id, code_mac=code_mac(raw_key, code)) for code in codes])
    tx.flush()
    return [display(code) for code in codes]


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
