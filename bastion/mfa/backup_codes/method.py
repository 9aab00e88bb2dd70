"""Backup codes as a second-factor method (requirements §11): they stand in for a real factor and
never turn 2FA on by themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.accounts.security_emails import send_security_email
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.crypto.rotation import Protected
from bastion.errors import BastionError, Reason
from bastion.i18n import N_
from bastion.mfa.backup_codes import codes, repo
from bastion.mfa.backup_codes.models import BackupCodeSet
from bastion.mfa.method import Consume, EventWords, HistoryWords, MethodWords, ProofContext
from bastion.services import Services
from bastion.store.types import new_id


@dataclass(frozen=True, slots=True)
class TypedCode:
    set_id: str
    mac: str


def check_backup_code(services: Services, account_id: str, typed: str) -> TypedCode:
    """The keyed hash to consume (`repo.use_code`); refuses what cannot be a live code."""
    normalized = codes.normalize(typed)
    with services.db.transaction() as tx:
        code_set = repo.active_set(tx, account_id)
        if code_set is None:
            raise BastionError(Reason.MFA_METHOD_UNAVAILABLE)
        key = codes.set_key(services.keys, code_set)
        set_id = code_set.id
    if normalized is None:
        raise BastionError(Reason.MFA_BACKUP_CODE_INVALID)
    return TypedCode(set_id, codes.code_mac(key, normalized))


def consume_backup_code(tx: Tx, code: TypedCode, now: datetime) -> None:
    if not repo.use_code(tx, code.set_id, code.mac, now):
        raise BastionError(Reason.MFA_BACKUP_CODE_INVALID)


class BackupCodeCheck:
    def __init__(self, context: ProofContext, typed: str) -> None:
        self.context, self.typed = context, typed

    def check(self, now: datetime) -> Consume:
        typed = check_backup_code(self.context.services, self.context.account_id, self.typed)
        return lambda tx: consume_backup_code(tx, typed, now)

    def refused(self, tx: Tx, refusal: BastionError) -> bool:
        return False

    def succeeded(self, tx: Tx) -> None:
        """Each use is audited and emailed, with how many are left."""
        context = self.context
        status = repo.status(tx, context.account_id)
        remaining = status.remaining if status else 0
        record_event(tx, context.services.clock.now(), "mfa.backup_code_used", context.account_id, context.client,
                     during=context.during, remaining=remaining)
        send_security_email(context.services, tx, context.account_id, "backup_code_used",
                            f"backup_code_used/{new_id()}", context.client, remaining=remaining)


class BackupCodeMethod:
    name = "backup_code"
    path = "backup-code"
    label = N_("Backup codes")
    proof = "code"
    stands_alone = False
    step_up = True
    amr = "otp"
    words = MethodWords(
        lead=N_("Enter one of your backup codes. Each works once."),
        switch=N_("Use a backup code"),
        named=N_("a backup code"),
        field_label=N_("Backup code"),
        hint=N_("16 characters, like ABCD-EFGH-JKMN-PQRS; dashes and spaces don't matter."),
        input={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "maxlength": "64"},
    )
    history = HistoryWords(
        step=N_("Backup code"), console_step=N_("backup code"), console_step_label=N_("Backup code step"),
        events={
            "mfa.backup_codes_regenerated": EventWords(
                console=N_("New backup codes made"), changes_factors=True,
                notice=N_("New backup codes were made; the old ones no longer work.")),
            "mfa.backup_code_used": EventWords(console=N_("Backup code used")),
        },
    )
    enrolled_clause = None
    protected = (Protected("backup code keys", BackupCodeSet, ("hash_key",), lambda row: codes.key_aad(row.id)),)

    def enrolled(self, tx: Tx, account_id: str) -> bool:
        status = repo.status(tx, account_id)
        return status is not None and status.remaining > 0

    def trust_ids(self, tx: Tx, account_id: str) -> list[str]:
        return repo.live_set_ids(tx, account_id)

    def start_check(self, context: ProofContext, proof: Any) -> BackupCodeCheck:
        return BackupCodeCheck(context, str(proof))

    def remove_all(self, tx: Tx, account_id: str, now: datetime) -> int:
        return repo.void_sets(tx, account_id, now)

    def support_view(self, tx: Tx, account_id: str) -> list[dict[str, Any]]:
        status = repo.status(tx, account_id)
        if status is None:
            return []
        return [{"type": "backup_codes", "added_at": rfc3339(status.created_at), "remaining": status.remaining}]
