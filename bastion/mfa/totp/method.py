"""The authenticator app as a second-factor method (RFC 6238; requirements §8, §9, §14)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.accounts.security_emails import send_security_email
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.crypto.rotation import Protected
from bastion.errors import BastionError, Reason
from bastion.i18n import N_
from bastion.mfa.method import Consume, EventWords, HistoryWords, MethodWords, ProofContext
from bastion.mfa.totp import repo
from bastion.mfa.totp.check import ValidCode, check_code
from bastion.mfa.totp.models import TotpCredential

log = logging.getLogger("bastion.mfa")


class TotpCheck:
    def __init__(self, context: ProofContext, code: str) -> None:
        self.context, self.code = context, code
        self.valid: ValidCode | None = None

    def check(self, now: datetime) -> Consume:
        valid = check_code(self.context.services, self.context.account_id, self.code, now)
        self.valid = valid
        return lambda tx: repo.accept_step(tx, valid.credential_id, valid.step, now)

    def refused(self, tx: Tx, refusal: BastionError) -> bool:
        """A code presented again (RFC 6238 §5.2): audit, log and email, one per reused step."""
        if refusal.code != Reason.MFA_CODE_REUSED or self.valid is None:
            return False
        context = self.context
        now = context.services.clock.now()
        record_event(tx, now, "mfa.totp_code_reused", context.account_id, context.client, during=context.during)
        log.warning("totp code reused", extra={"account_id": context.account_id, "reason_code": "mfa.code_reused",
                                               "during": context.during})
        send_security_email(context.services, tx, context.account_id, "totp_code_reused",
                            f"totp_code_reused/{self.valid.credential_id}/{self.valid.step}", context.client)
        return True

    def succeeded(self, tx: Tx) -> None:
        return None


class TotpMethod:
    name = "totp"
    path = "totp"
    label = N_("Authenticator app")
    proof = "code"
    stands_alone = True
    step_up = True
    amr = "otp"
    words = MethodWords(
        lead=N_("Enter the 6-digit code from your authenticator app."),
        switch=N_("Use the authenticator app"),
        named=N_("the authenticator app"),
        field_label=N_("Authenticator code"),
        hint=N_("Code rejected though it looks right? Your phone's clock may be off: we will tell you."),
        input={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]{6,7}", "maxlength": "7"},
    )
    history = HistoryWords(
        step=N_("Authenticator code"), console_step=N_("authenticator code"),
        console_step_label=N_("Authenticator code step"),
        events={
            "mfa.totp_enabled": EventWords(
                console=N_("Authenticator app set up"), changes_factors=True,
                notice=N_("An authenticator app was set up for 2FA, and new backup codes were made.")),
            "mfa.totp_removed": EventWords(console=N_("Authenticator app removed"), changes_factors=True,
                                           notice=N_("The authenticator app was removed from 2FA.")),
            "mfa.totp_code_reused": EventWords(console=N_("An authenticator code was used twice and refused")),
        },
    )
    enrolled_clause = repo.enrolled_clause()
    protected = (Protected("TOTP secrets", TotpCredential, ("secret",), lambda row: repo.secret_aad(row.id)),)

    def enrolled(self, tx: Tx, account_id: str) -> bool:
        return repo.confirmed_credential(tx, account_id) is not None

    def trust_ids(self, tx: Tx, account_id: str) -> list[str]:
        return repo.confirmed_credential_ids(tx, account_id)

    def start_check(self, context: ProofContext, proof: Any) -> TotpCheck:
        return TotpCheck(context, str(proof))

    def remove_all(self, tx: Tx, account_id: str, now: datetime) -> int:
        return int(repo.remove(tx, account_id))

    def support_view(self, tx: Tx, account_id: str) -> list[dict[str, Any]]:
        credential = repo.confirmed_credential(tx, account_id)
        if credential is None:
            return []
        return [{"type": "totp", "added_at": rfc3339(credential.confirmed_at),
                 "last_used_at": rfc3339(credential.last_used_at)}]
