"""Continuing a sign-in that waits for a step: a second factor, or the emailed device code.

Every step goes the same way (requirements §8-12, §20): the flow is checked, the guard admits the
attempt, the proof is checked, then one transaction consumes it and advances the flow
(docs/design/sign-in-flow.md). Passwordless passkey sign-in shares `finish_flow`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session as Tx

from bastion.accounts.devices import find_device
from bastion.accounts.repo import get_account, lock_account
from bastion.context import Client
from bastion.errors import BastionError, Reason, new_reference
from bastion.guard import steps as guard
from bastion.guard.steps import StepBudget
from bastion.services import Services
from bastion.signin.attempts import record_attempt
from bastion.signin.flow import Authenticated, SigningIn, SignInResult, advance_flow, load_open_flow, mark_done
from bastion.signin.models import SignInFlow
from bastion.signin.stages import STAGES
from bastion.signin.visit import Visit, arrive

Consume = Callable[[Tx], None]
# Risk signals that make a failed second step worth an email at once (a device or place not seen).
NEW_PLACE_SIGNALS = frozenset({"new_device", "new_country", "impossible_travel", "anonymizer"})


@dataclass(frozen=True, slots=True)
class OpenFlow:
    """What a step knows of the flow it continues, read before its check."""

    id: str
    account_id: str
    email: str
    facts: dict[str, Any]
    known_device: bool  # the step comes from a device that signed in to the account before

    @property
    def new_place(self) -> bool:
        return bool(NEW_PLACE_SIGNALS & set((self.facts.get("risk") or {}).get("signals", [])))


class Step(Protocol):
    stage: str  # the stage it satisfies
    method: str  # as the sign-in history names it
    alert_new_place: bool  # a failure from a new device or place is emailed at once

    @property
    def budget(self) -> StepBudget | None:
        """None: the proof cannot be guessed (an emailed link's token). Read-only, so a step may be narrower."""

    def check(self, services: Services, flow: OpenFlow, client: Client, now: datetime) -> Consume:
        """Check the proof (raise its refusal); return what to consume in the completing transaction."""

    def done_facts(self) -> dict[str, object]:
        """What the flow learns when the stage is done (e.g. aal=2)."""

    def succeeded(self, services: Services, tx: Tx, flow: OpenFlow, client: Client) -> None: ...

    def refused(self, services: Services, tx: Tx, flow: OpenFlow, refusal: BastionError, client: Client) -> bool:
        """Side effects of its own (an alert); True when it told the owner itself."""


def waiting_state(stage_name: str) -> str:
    return next(stage.requirement for stage in STAGES() if stage.name == stage_name and stage.requirement)


def open_flow(tx: Tx, flow_id: str, now: datetime, state: str, client: Client) -> SignInFlow:
    """The flow waiting in `state`; only the device that passed the password may go on with it."""
    flow = load_open_flow(tx, flow_id, now, state, STAGES())
    if flow.device_id is not None and flow.device_id != client.device_id:
        raise BastionError(Reason.FLOW_NOT_FOUND)
    return flow


def continue_flow(services: Services, flow_id: str, client: Client, step: Step) -> SignInResult:
    now = services.clock.now()
    visit = arrive(services, client)
    state = waiting_state(step.stage)
    with services.db.transaction() as tx:
        flow = open_flow(tx, flow_id, now, state, client)
        opened = OpenFlow(flow.id, flow.account_id or "", get_account(tx, flow.account_id or "").email,
                          dict(flow.facts), find_device(tx, flow.account_id or "", client.device_id) is not None)
    try:
        if step.budget is not None:
            guard.admit(services, step.budget, opened.account_id, opened.id, client, opened.known_device)
        consume = step.check(services, opened, client, now)
        with services.db.transaction() as tx:
            account = lock_account(tx, opened.account_id)  # a freeze or reset meanwhile is seen, or waits
            flow = open_flow(tx, flow_id, now, state, client)
            result = finish_flow(services, tx, flow, account, visit, step.stage, step.done_facts(), consume,
                                 step.method)
            step.succeeded(services, tx, opened, client)
    except BastionError as refusal:
        refusal.reference = refusal.reference or new_reference()
        with services.db.transaction() as tx:
            record_attempt(tx, now, opened.email, step.method, "failure", client, account_id=opened.account_id,
                           code=refusal.code, reference=refusal.reference, flow_id=opened.id)
            alerted = step.refused(services, tx, opened, refusal, client)
        guard.failed(services, opened.account_id, refusal.code, client,
                     new_place=step.alert_new_place and opened.new_place, alert=not alerted)
        raise
    if step.budget is not None:
        guard.succeeded(services, step.budget, opened.account_id)
    return result


def finish_flow(services: Services, tx: Tx, flow: SignInFlow, account: SigningIn, visit: Visit, stage: str,
                facts: dict[str, object], consume: Consume, method: str) -> SignInResult:
    """Consume the proof, mark its stage done and advance the flow; record the step in the history."""
    consume(tx)
    mark_done(flow, stage, **facts)
    result = advance_flow(services, tx, flow, account, visit, STAGES())
    authenticated = isinstance(result, Authenticated)
    record_attempt(tx, services.clock.now(), account.email, method, "success" if authenticated else "challenge",
                   visit.client, account_id=account.id, flow_id=flow.id,
                   code=None if isinstance(result, Authenticated) else result.requirement.status)
    return result
