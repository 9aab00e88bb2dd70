"""Backup codes (requirements §11): 10 a set, 80 random bits each, single use, stored as keyed hashes.

Codes are HMAC-SHA-256 under the set's own key (encrypted with the key ring), kept and used once by
the backup codes' repository (`bastion.mfa.backup_codes.repo`): docs/design/backup-codes.md.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy.orm import Session as Tx

from bastion.crypto import KeyRing
from bastion.mfa.backup_codes import repo
from bastion.mfa.backup_codes.models import BackupCodeSet
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


def issue_set(tx: Tx, keys: KeyRing, account_id: str, now: datetime) -> list[str]:
    """A new set (the old one stops working); returns the codes for display, the only time they exist."""
    set_id = new_id()
    raw_key = secrets.token_bytes(32)
    codes = [new_code() for _ in range(CODES_PER_SET)]
    repo.replace_set(tx, account_id, set_id, keys.encrypt(raw_key, key_aad(set_id)),
                     [code_mac(raw_key, code) for code in codes], now)
    return [display(code) for code in codes]
