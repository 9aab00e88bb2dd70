"""Confirming a new device or place with the emailed code or link (requirements §20).

The code goes to `POST /v1/login/{flow_id}/device`: 5 attempts per code, counted before the check
with one conditional UPDATE (`attempts = attempts + 1 WHERE attempts < 5 AND used_at IS NULL`), so
parallel guesses cannot overtake the count; the 5th wrong code voids the sign-in. Across sign-ins
and resends the account's budget (`device_account`, 10 an hour) holds too, counted by the guard
before the code's own count: restarting the sign-in buys no more guesses. The link opens a page
whose button (a POST — a GET never acts) finishes the sign-in in the browser that started it.
Either is used once: the completing transaction sets `used_at` with `WHERE used_at IS NULL` and
checks the row count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session as Tx

from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.guard.steps import DEVICE_CODE, StepBudget
from bastion.guard.tokens import guarded_token
from bastion.risk import repo
from bastion.risk.challenge import STATE, challenge_by_link, code_matches, open_challenge
from bastion.risk.stage import RISK_STAGE
from bastion.services import Services
from bastion.signin.continuation import Consume, OpenFlow, continue_flow, open_flow
from bastion.signin.flow import SignInResult, void_flow


def _use(challenge_id: str, now: datetime) -> Consume:
    def consume(tx: Tx) -> None:
        if not repo.use_challenge(tx, challenge_id, now):
            raise BastionError(Reason.DEVICE_VERIFICATION_EXPIRED)
    return consume


class _DeviceStep:
    stage = RISK_STAGE
    method = "device"
    # A wrong code from a new device is the expected case (the owner mistyping the code we emailed,
    # which told them of the sign-in already): the owner hears of a burst, not of each typo.
    alert_new_place = False
    budget: StepBudget | None = DEVICE_CODE
    via = "code"

    def __init__(self) -> None:
        self.risk: dict[str, object] = {}

    def done_facts(self) -> dict[str, object]:
        return {"risk": {**self.risk, "passed": True, "verified_by": self.via}}

    def succeeded(self, services: Services, tx: Tx, flow: OpenFlow, client: Client) -> None:
        record_event(tx, services.clock.now(), "device.verified", flow.account_id, client, flow_id=flow.id, via=self.via)

    def refused(self, services: Services, tx: Tx, flow: OpenFlow, refusal: BastionError, client: Client) -> bool:
        return False


class DeviceCodeStep(_DeviceStep):
    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code.strip()

    def check(self, services: Services, flow: OpenFlow, client: Client, now: datetime) -> Consume:
        self.risk = dict(flow.facts.get("risk") or {})
        limit = services.settings.device_verification_attempts
        with services.db.transaction() as tx:
            challenge = open_challenge(tx, flow.id, now)
            counted = repo.count_attempt(tx, challenge.id, limit)
            challenge_id, expected = challenge.id, challenge.code_mac
        if counted is None:
            # Over the limit: refused unchecked. The flow was voided by the 5th wrong code — or a
            # right one among the first five is finishing it, which an excess request must not undo.
            raise BastionError(Reason.DEVICE_ATTEMPTS_EXCEEDED)
        if not code_matches(services.keys, challenge_id, self.code, expected):
            if counted >= limit:
                with services.db.transaction() as tx:
                    _use(challenge_id, now)(tx)
                    void_flow(tx, flow.id, now)
                raise BastionError(Reason.DEVICE_ATTEMPTS_EXCEEDED)
            raise BastionError(Reason.DEVICE_CODE_INVALID)
        return _use(challenge_id, now)


class DeviceLinkStep(_DeviceStep):
    """The emailed link: its 256-bit token is the proof (guarded as a token, not as a guessable code)."""

    budget = None
    via = "link"

    def __init__(self, challenge_id: str) -> None:
        super().__init__()
        self.challenge_id = challenge_id

    def check(self, services: Services, flow: OpenFlow, client: Client, now: datetime) -> Consume:
        self.risk = dict(flow.facts.get("risk") or {})
        return _use(self.challenge_id, now)


def verify_device_code(services: Services, flow_id: str, code: str, client: Client) -> SignInResult:
    return continue_flow(services, flow_id, client, DeviceCodeStep(code))


def peek_device_link(services: Services, token: str, client: Client) -> None:
    """Whether the link would work now, without using it (the GET page)."""
    with guarded_token(services, client), services.db.transaction() as tx:
        challenge_by_link(tx, token, services.clock.now())


def verify_device_link(services: Services, token: str, client: Client) -> SignInResult:
    now = services.clock.now()

    with guarded_token(services, client), services.db.transaction() as tx:
        challenge = challenge_by_link(tx, token, now)
        open_flow(tx, challenge.flow_id, now, STATE, client)
        flow_id, challenge_id = challenge.flow_id, challenge.id
    return continue_flow(services, flow_id, client, DeviceLinkStep(challenge_id))
