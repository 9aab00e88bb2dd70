"""What second factors an account has: the methods a sign-in offers, and the owner's summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session as Tx

from bastion.mfa import backup_codes, totp_repo
from bastion.mfa.backup_codes import CodeSetStatus
from bastion.store.models import Passkey, TotpCredential

# The order sign-in answers list them in (API.md).
METHODS = ("totp", "passkey", "backup_code")


def passkey_count(tx: Tx, account_id: str) -> int:
    return tx.execute(select(func.count()).select_from(Passkey).where(Passkey.account_id == account_id)).scalar_one()


# Whether there is a confirmed authenticator and a passkey, in one round trip (built once: sign-in path).
_REAL_FACTORS = select(
    select(TotpCredential.id).where(TotpCredential.account_id == bindparam("account_id"),
                                    TotpCredential.confirmed_at.is_not(None)).exists(),
    select(Passkey.id).where(Passkey.account_id == bindparam("account_id")).exists(),
)


def _real_factors(tx: Tx, account_id: str) -> tuple[bool, bool]:
    has_totp, has_passkey = tx.execute(_REAL_FACTORS, {"account_id": account_id}).one()
    return bool(has_totp), bool(has_passkey)


def enrolled_methods(tx: Tx, account_id: str) -> list[str]:
    """The second-step methods a sign-in of this account may use; empty when 2FA is off.

    Backup codes only stand in for a real factor: alone they do not turn 2FA on.
    """
    has_totp, has_passkey = _real_factors(tx, account_id)
    methods = [method for method, enrolled in (("totp", has_totp), ("passkey", has_passkey)) if enrolled]
    if methods:
        code_set = backup_codes.status(tx, account_id)
        if code_set is not None and code_set.remaining:
            methods.append("backup_code")
    return methods


def has_second_factor(tx: Tx, account_id: str) -> bool:
    return any(_real_factors(tx, account_id))


@dataclass(frozen=True, slots=True)
class MfaSummary:
    enabled: bool
    methods: list[str]
    totp_confirmed_at: datetime | None
    totp_last_used_at: datetime | None
    passkeys: int
    backup_codes: CodeSetStatus | None


def summary(tx: Tx, account_id: str) -> MfaSummary:
    """For the owner: what is enrolled and how many backup codes are left — never a secret."""
    credential: TotpCredential | None = totp_repo.confirmed_credential(tx, account_id)
    methods = enrolled_methods(tx, account_id)
    return MfaSummary(
        enabled=bool(methods),
        methods=methods,
        totp_confirmed_at=credential.confirmed_at if credential else None,
        totp_last_used_at=credential.last_used_at if credential else None,
        passkeys=passkey_count(tx, account_id),
        backup_codes=backup_codes.status(tx, account_id) if methods else None,
    )
