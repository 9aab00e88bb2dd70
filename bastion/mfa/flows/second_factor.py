"""Continuing a sign-in with its second factor: any registered method (requirements §8-12).

The method must be one the flow offered; the guard counts the attempt before the method checks
its proof, and what the proof uses once is consumed in the transaction that completes the flow
(`bastion.signin.continuation`), which raises the session to aal 2.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.guard.steps import SECOND_FACTOR
from bastion.mfa.method import Consume, ProofCheck, ProofContext, SecondFactorMethod
from bastion.mfa.registry import METHODS
from bastion.mfa.stage import MFA_STAGE
from bastion.services import Services
from bastion.signin.continuation import OpenFlow, continue_flow
from bastion.signin.flow import SignInResult


class FactorStep:
    stage = MFA_STAGE
    budget = SECOND_FACTOR
    alert_new_place = True

    def __init__(self, factor: SecondFactorMethod, proof: Any) -> None:
        self.factor, self.proof = factor, proof
        self.method = factor.name
        self._check: ProofCheck | None = None

    def check(self, services: Services, flow: OpenFlow, client: Client, now: datetime) -> Consume:
        if self.factor.name not in flow.facts.get("methods", []):
            raise BastionError(Reason.MFA_METHOD_UNAVAILABLE)
        self._check = self.factor.start_check(ProofContext(services, flow.account_id, client, "sign_in", flow.id),
                                              self.proof)
        return self._check.check(now)

    def done_facts(self) -> dict[str, object]:
        return {"aal": 2, "mfa_method": self.factor.name}

    def succeeded(self, services: Services, tx: Tx, flow: OpenFlow, client: Client) -> None:
        if self._check is not None:
            self._check.succeeded(tx)

    def refused(self, services: Services, tx: Tx, flow: OpenFlow, refusal: BastionError, client: Client) -> bool:
        return self._check is not None and self._check.refused(tx, refusal)


def sign_in_with_factor(services: Services, flow_id: str, method: str, proof: Any, client: Client) -> SignInResult:
    """`method`: a registered method's name; `proof`: what its step carries (a code, a credential)."""
    factor = METHODS.get(method)
    if factor is None:
        raise BastionError(Reason.MFA_METHOD_UNAVAILABLE)
    return continue_flow(services, flow_id, client, FactorStep(factor, proof))


def sign_in_with_totp(services: Services, flow_id: str, code: str, client: Client) -> SignInResult:
    return sign_in_with_factor(services, flow_id, "totp", code, client)


def sign_in_with_backup_code(services: Services, flow_id: str, code: str, client: Client) -> SignInResult:
    return sign_in_with_factor(services, flow_id, "backup_code", code, client)
