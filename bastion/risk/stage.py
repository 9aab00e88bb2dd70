"""The risk stage of sign-in (REQUIREMENTS 19–21): after the account gates, before the second factor.

Why before the second factor: DESIGN orders sign-in password → risk → 2FA. A denied sign-in (an
anonymizing network) then never reaches the 2FA step, so it can neither spend the account's 2FA
attempts (REQUIREMENTS 10, which lock the owner out) nor learn which factors are enrolled; and a
new device proves the mailbox before it may try a single TOTP code. The assessment is made once
per flow and kept in `flow.facts["risk"]`: when a later step runs the stages again, the stage
does not re-assess (the 2FA failures of this very flow would otherwise count against it).

Baseline and the default policy: a new device raises its signal only when the account already
has a known device — the first device to sign in (right after the email is confirmed) establishes
the baseline — and new country / impossible travel only when there is a located successful
sign-in to compare with. So a brand-new account's first sign-in is never asked to verify, and
clients without an address we can place (private, loopback, documentation ranges, the test
client) raise no location signal.

A new device *alone* is "allow" in the default policy (`new_device=allow`), with the new-device
email (REQUIREMENTS 21, "this wasn't me" → freeze) always sent: a new browser, a cleared cookie
jar or an app reinstall is the commonest thing a real person does, and asking each time trains
people to approve codes without reading; apps that send no `X-Device-Id` would be asked on every
sign-in. The signals that do point at someone else — a new country, impossible travel, an
anonymizing network, a burst of wrong passwords — verify or deny. Operators who want every new
device verified set `new_device=verify` (the tests run that policy too).

A trusted device ("remember this device", 30 days, fingerprinted over the password hash and the
factors: `trust.py`) skips "verify" — never "deny".
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session as Tx

from bastion.accounts.devices import remember_device
from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError
from bastion.risk.assess import assess
from bastion.risk.geo import locate
from bastion.risk.history import load_history
from bastion.risk.notices import send_new_sign_in
from bastion.risk.trust import trust_device
from bastion.risk.verification import issue_challenge
from bastion.services import Services
from bastion.signin.flow import Requirement
from bastion.store.models import Account, SignInFlow
from bastion.throttle.limits import parse_duration

RISK_STAGE = "risk"


def failure_velocity(setting: str) -> tuple[int, timedelta]:
    """'10/1h' → (10, 1 hour): that many wrong passwords on the account within the window."""
    count, _, window = setting.partition("/")
    return int(count), parse_duration(window)


class RiskStage:
    name = RISK_STAGE

    def check(self, services: Services, tx: Tx, flow: SignInFlow, account: Account,
              client: Client) -> Requirement | None:
        earlier = flow.facts.get("risk")
        if earlier is not None and earlier.get("passed"):
            return None
        settings = services.settings
        now = services.clock.now()
        location = locate(client.ip)
        limit, window = failure_velocity(settings.risk_failure_velocity)
        history = load_history(tx, account, client.device_id, now, settings.risk_new_country_days, window)
        assessment = assess(settings.risk_policy_parsed, location, client.ip, client.device_id, history, now,
                            settings.risk_max_speed_kmh, limit)
        record = {**assessment.record(), "trusted_device": history.device_trusted}
        if assessment.decision == "deny":
            raise BastionError("risk.denied", record={"risk": record})
        verify = assessment.decision == "verify" and not history.device_trusted
        flow.facts = {**flow.facts, "risk": {**record, "passed": not verify}}
        record_event(tx, now, "risk.assessed", account.id, client, flow_id=flow.id, **record)
        if not verify:
            return None
        issue_challenge(services, tx, flow, account, client, location, now)
        return Requirement("device_verification_required")

    def completed(self, services: Services, tx: Tx, flow: SignInFlow, account: Account, client: Client) -> None:
        """The flow issued a session: record the device, trust it if asked, tell the owner if it is new."""
        now = services.clock.now()
        remember_device(tx, now, account.id, client)
        if flow.remember and client.device_id:
            trust_device(tx, account, client.device_id, now, services.settings.device_trust_days)
        signals = list((flow.facts.get("risk") or {}).get("signals", []))
        if {"new_device", "new_country"} & set(signals):
            send_new_sign_in(services, tx, account, client, locate(client.ip), now, flow.id, signals)
