"""Passkeys as a second-factor method (WebAuthn level 2; requirements §12)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.clock import rfc3339
from bastion.errors import BastionError, Reason
from bastion.i18n import N_
from bastion.mfa.method import Consume, EventWords, HistoryWords, MethodWords, ProofContext
from bastion.mfa.passkeys import repo, webauthn
from bastion.mfa.passkeys.assertion import UsedPasskey, advance_counter, alert_cloned, check_assertion


class PasskeyCheck:
    def __init__(self, context: ProofContext, credential: Any) -> None:
        self.context = context
        self.credential = credential if isinstance(credential, dict) else {}
        self.seen: tuple[UsedPasskey, int] | None = None

    def check(self, now: datetime) -> Consume:
        context = self.context
        used, assertion = check_assertion(context.services, self.credential, "second_factor", now)
        if used.account_id != context.account_id or used.challenge_flow_id != context.flow_id:
            raise BastionError(Reason.PASSKEY_INVALID)
        self.seen = (used, assertion.sign_count)
        if not webauthn.counter_is_fresh(used.sign_count, assertion.sign_count):
            raise BastionError(Reason.PASSKEY_CLONED)
        return lambda tx: advance_counter(tx, used, assertion.sign_count, now)

    def refused(self, tx: Tx, refusal: BastionError) -> bool:
        if refusal.code != Reason.PASSKEY_CLONED or self.seen is None:
            return False
        used, presented = self.seen
        alert_cloned(self.context.services, tx, used, presented, self.context.client)
        return True

    def succeeded(self, tx: Tx) -> None:
        return None


class PasskeyMethod:
    name = "passkey"
    path = "passkey"
    label = N_("Passkeys")
    proof = "credential"
    stands_alone = True
    step_up = False
    amr = "hwk"
    words = MethodWords(lead=N_("Use your passkey: your device asks for its screen lock, fingerprint or face."),
                        switch=N_("Use a passkey"), named=N_("a passkey"))
    history = HistoryWords(
        step=N_("Passkey"), console_step=N_("passkey"), console_step_label=N_("Passkey step"),
        events={
            "mfa.passkey_added": EventWords(console=N_("Passkey added"), changes_factors=True,
                                            notice=N_("A passkey named “%(name)s” was added.")),
            "mfa.passkey_renamed": EventWords(console=N_("Passkey renamed"),
                                              notice=N_("A passkey was renamed to “%(name)s”.")),
            "mfa.passkey_removed": EventWords(console=N_("Passkey removed"), changes_factors=True,
                                              notice=N_("The passkey named “%(name)s” was removed.")),
            "mfa.passkey_cloned": EventWords(console=N_("A passkey looked copied and was refused")),
        },
    )
    protected = ()  # public keys: nothing secret to encrypt
    enrolled_clause = repo.enrolled_clause()

    def enrolled(self, tx: Tx, account_id: str) -> bool:
        return repo.has_passkey(tx, account_id)

    def trust_ids(self, tx: Tx, account_id: str) -> list[str]:
        return repo.passkey_ids(tx, account_id)

    def start_check(self, context: ProofContext, proof: Any) -> PasskeyCheck:
        return PasskeyCheck(context, proof)

    def remove_all(self, tx: Tx, account_id: str, now: datetime) -> int:
        return repo.remove_all_passkeys(tx, account_id)

    def support_view(self, tx: Tx, account_id: str) -> list[dict[str, Any]]:
        return [{"type": "passkey", "name": passkey.name, "added_at": rfc3339(passkey.created_at),
                 "last_used_at": rfc3339(passkey.last_used_at)} for passkey in repo.list_passkeys(tx, account_id)]
