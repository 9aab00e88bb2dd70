"""The sign-in stage that asks for a second factor when the account has one (requirements §8-12)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Label
from sqlalchemy.orm import Session as Tx

from bastion.errors import Reason
from bastion.mfa.registry import METHODS
from bastion.services import Services
from bastion.signin.flow import FlowState, Requirement, SigningIn
from bastion.signin.visit import Visit

MFA_STAGE = "mfa"


class MfaStage:
    """Satisfied by any registered method the account has (`bastion.mfa.flows.second_factor`)."""

    name = MFA_STAGE
    requirement = "mfa_required"
    waiting_reason = Reason.MFA_REQUIRED

    def reads(self, services: Services, visit: Visit, now: datetime) -> tuple[tuple[Label[Any], ...], dict[str, Any]]:
        return METHODS.enrolled_reads(), {}

    def check(self, services: Services, tx: Tx, flow: FlowState, account: SigningIn, visit: Visit) -> Requirement | None:
        methods = METHODS.enrolled(tx, account.id, visit.looked_up)
        if not methods:
            return None
        flow.facts = {**flow.facts, "methods": methods}
        return Requirement(self.requirement, {"methods": methods})
