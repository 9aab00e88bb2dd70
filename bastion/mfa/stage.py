"""The sign-in stage that asks for a second factor when the account has one (REQUIREMENTS 8–12)."""

from __future__ import annotations

from sqlalchemy.orm import Session as Tx

from bastion.context import Client
from bastion.mfa.factors import enrolled_methods
from bastion.services import Services
from bastion.signin.flow import Requirement
from bastion.store.models import Account, SignInFlow

MFA_STAGE = "mfa"


class MfaStage:
    """Satisfied by a TOTP code, a backup code or a passkey (`bastion.mfa.flows.second_factor`)."""

    name = MFA_STAGE

    def check(self, services: Services, tx: Tx, flow: SignInFlow, account: Account,
              client: Client) -> Requirement | None:
        methods = enrolled_methods(tx, account.id)
        if not methods:
            return None
        flow.facts = {**flow.facts, "methods": methods}
        return Requirement("mfa_required", {"methods": methods})
