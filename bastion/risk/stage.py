"""The risk stage of sign-in (requirements §19-21): after the account gates, before the second factor.

The assessment is made once per flow and kept in `flow.facts["risk"]`: when a later step runs the
stages again, the stage does not re-assess (the 2FA failures of this very flow would otherwise
count against it). A denied sign-in never reaches the second step; "verify" asks for the emailed
code (`challenge.py`), unless the device is trusted (`trust.py`). Why this order and this default
policy: docs/design/risk-before-second-factor.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Label
from sqlalchemy.orm import Session as Tx

from bastion.accounts.devices import remember_device
from bastion.audit import record_event
from bastion.errors import BastionError, Reason
from bastion.geo import locate
from bastion.risk.assess import assess
from bastion.risk.challenge import STATE, issue_challenge
from bastion.risk.history import PAST_SIGNALS, load_history, past_parameters
from bastion.risk.notices import send_new_sign_in
from bastion.risk.policy import failure_velocity, policy_of
from bastion.risk.trust import trust_device
from bastion.services import Services
from bastion.signin.flow import FlowState, Requirement, SigningIn
from bastion.signin.visit import Visit

RISK_STAGE = "risk"


class RiskStage:
    name = RISK_STAGE
    requirement = STATE
    waiting_reason = Reason.DEVICE_VERIFICATION_REQUIRED

    def reads(self, services: Services, visit: Visit, now: datetime) -> tuple[tuple[Label[Any], ...], dict[str, Any]]:
        _, window = failure_velocity(services.settings.risk_failure_velocity)
        return PAST_SIGNALS, past_parameters(visit.client.device_id, now, window)

    def check(self, services: Services, tx: Tx, flow: FlowState, account: SigningIn, visit: Visit) -> Requirement | None:
        client = visit.client
        earlier = flow.facts.get("risk")
        if earlier is not None and earlier.get("passed"):
            return None
        settings = services.settings
        now = services.clock.now()
        location = locate(client.ip)
        limit, window = failure_velocity(settings.risk_failure_velocity)
        history = load_history(tx, account, client.device_id, now, settings.risk_new_country_days, window,
                               visit.looked_up)
        assessment = assess(policy_of(settings), location, client.ip, client.device_id, history, now,
                            settings.risk_max_speed_kmh, limit)
        record = {**assessment.record(), "trusted_device": history.device_trusted}
        if assessment.decision == "deny":
            raise BastionError(Reason.RISK_DENIED, record={"risk": record})
        verify = assessment.decision == "verify" and not history.device_trusted
        flow.facts = {**flow.facts, "risk": {**record, "passed": not verify}}
        record_event(tx, now, "risk.assessed", account.id, client, flow_id=flow.id, **record)
        if not verify:
            return None
        issue_challenge(services, tx, flow, account, client, location, now)
        return Requirement(STATE)


class DeviceTrustStage:
    """The last stage: once the flow issued its session, the device is recorded (and trusted, when
    the person asked to be remembered), and the owner told of a new device or country."""

    name = "device_trust"
    requirement = None
    waiting_reason = None

    def check(self, services: Services, tx: Tx, flow: FlowState, account: SigningIn, visit: Visit) -> Requirement | None:
        return None

    def completed(self, services: Services, tx: Tx, flow: FlowState, account: SigningIn, visit: Visit) -> None:
        now, client = services.clock.now(), visit.client
        remember_device(tx, now, account.id, client)
        if flow.remember and client.device_id:
            trust_device(tx, account, client.device_id, now, services.settings.device_trust_days)
        signals = list((flow.facts.get("risk") or {}).get("signals", []))
        if {"new_device", "new_country"} & set(signals):
            send_new_sign_in(services, tx, account, client, locate(client.ip), now, flow.id, signals)
