"""What second factors an account has: the owner's summary (never a secret)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Tx

from bastion.mfa.backup_codes import codes as backup_codes
from bastion.mfa.backup_codes.codes import CodeSetStatus
from bastion.mfa.passkeys.models import Passkey
from bastion.mfa.registry import METHODS
from bastion.mfa.totp import repo as totp_repo
from bastion.mfa.totp.models import TotpCredential


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
    credential: TotpCredential | None = totp_repo.confirmed_credential(tx, account_id)
    methods = METHODS.enrolled(tx, account_id)
    return MfaSummary(
        enabled=bool(methods),
        methods=methods,
        totp_confirmed_at=credential.confirmed_at if credential else None,
        totp_last_used_at=credential.last_used_at if credential else None,
        passkeys=tx.execute(select(func.count()).select_from(Passkey).where(Passkey.account_id == account_id)
                            ).scalar_one(),
        backup_codes=backup_codes.status(tx, account_id) if methods else None,
    )
