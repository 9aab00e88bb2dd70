"""What second factors an account has: the owner's summary (never a secret)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session as Tx

from bastion.mfa.backup_codes import repo as backup_code_repo
from bastion.mfa.backup_codes.repo import CodeSetStatus
from bastion.mfa.passkeys import repo as passkey_repo
from bastion.mfa.registry import METHODS
from bastion.mfa.totp import repo as totp_repo


@dataclass(frozen=True, slots=True)
class MfaSummary:
    enabled: bool
    methods: list[str]
    totp_confirmed_at: datetime | None
    totp_last_used_at: datetime | None
    passkeys: int
    backup_codes: CodeSetStatus | None


def summary(tx: Tx, account_id: str) -> MfaSummary:
    """For the owner: what is enrolled and how many backup codes are left."""
    credential = totp_repo.confirmed_credential(tx, account_id)
    methods = METHODS.enrolled(tx, account_id)
    return MfaSummary(
        enabled=bool(methods),
        methods=methods,
        totp_confirmed_at=credential.confirmed_at if credential else None,
        totp_last_used_at=credential.last_used_at if credential else None,
        passkeys=passkey_repo.count_passkeys(tx, account_id),
        backup_codes=backup_code_repo.status(tx, account_id) if methods else None,
    )
