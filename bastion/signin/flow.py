"""The sign-in flow: a persisted state object with an expiry, advanced by ordered stages.

After the first factor a flow exists; each stage either passes, refuses (raises a
`BastionError`), or answers with its requirement — what the person must do next. A stage
declares that requirement (`requirement`, e.g. "mfa_required") and the reason a step sent to a
flow waiting for something else is told (`waiting_reason`, e.g. "mfa.required"), so the API and
the pages answer a requirement by looking it up. The stage list is built in one place
(`bastion.signin.stages`); adding a stage means adding it there, not editing the others.

A step that satisfies a requirement (e.g. a TOTP code for "mfa_required") marks its stage done
with `mark_done` and calls `advance_flow` again (`bastion.signin.continuation`): the stages before
it run again (so a freeze or a maintenance window in the meantime still refuses), the done ones
are skipped, the ones after it run, and the session gets the assurance level the flow reached
(`facts["aal"]`, 1 unless a second factor raised it). A flow that continues in a later request is
completed by a conditional UPDATE, so one flow yields at most one session; then each stage with a
`completed` method acts on the success (in the same transaction).

A security change (password reset or change, 2FA reset) voids the account's open flows
(`void_open_flows`), and a flow started before the account's last one never completes.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import inspect, update
from sqlalchemy.orm import Session as Tx
from sqlalchemy.orm.attributes import set_committed_value

from bastion.audit import record_event
from bastion.errors import BastionError
from bastion.services import Services
from bastion.sessions.tokens import issue_session
from bastion.signin.visit import Visit
from bastion.store.models import Account, Session, SignInFlow
from bastion.store.rows import add_now
from bastion.store.types import new_id


@dataclass(frozen=True)
class Requirement:
    """What the person must do next, e.g. status "mfa_required" with the enrolled methods."""

    status: str
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Authenticated:
    token: str
    session: Session
    account: Account
    update_available: dict[str, str] | None = None


@dataclass(frozen=True)
class StepRequired:
    flow: SignInFlow
    requirement: Requirement
    update_available: dict[str, str] | None = None


SignInResult = Authenticated | StepRequired


class Stage(Protocol):
    name: str
    requirement: str | None  # the status it may answer with; None: it only passes or refuses
    waiting_reason: str | None  # what a step sent to a flow waiting for this stage's requirement is told

    def check(self, services: Services, tx: Tx, flow: SignInFlow, account: Account, visit: Visit) -> Requirement | None:
        """None when satisfied; its Requirement to ask for; raise BastionError to refuse."""


class CompletingStage(Stage, Protocol):
    """A stage that also acts once the flow has issued its session (e.g. recording the device)."""

    def completed(self, services: Services, tx: Tx, flow: SignInFlow, account: Account, visit: Visit) -> None:
        """Runs in the completing transaction, after the session is issued."""


def start_flow(services: Services, account: Account, visit: Visit, remember: bool, done: str) -> SignInFlow:
    """A new flow whose first factor (`done`: "password", "passkey") has passed; written by `advance_flow`."""
    now = services.clock.now()
    client = visit.client
    return SignInFlow(
        id=new_id(), account_id=account.id, state="first_factor_passed", created_at=now,
        expires_at=now + timedelta(minutes=services.settings.flow_ttl_minutes), remember=remember,
        ip=client.ip, user_agent=(client.user_agent or "")[:512] or None, device_id=client.device_id,
        facts={"done": [done]},
    )


def advance_flow(services: Services, tx: Tx, flow: SignInFlow, account: Account, visit: Visit,
                 stages: Sequence[Stage]) -> SignInResult:
    """Run the stages not yet done; issue the session when all pass.

    A flow started in this transaction (`start_flow`) is still unwritten: nobody else can see or
    complete it, so its stages run before it is written, and it is written once, in its final state.
    A flow read back for a later step is completed by the conditional UPDATE (one session per flow).
    """
    fresh = inspect(flow).transient
    if not fresh and account.security_changed_at is not None and flow.created_at < account.security_changed_at:
        raise BastionError("flow.not_found")  # started before a reset or password change
    done = set(flow.facts.get("done", []))
    # Rows a stage adds that name a fresh flow (a device challenge) must wait for it: no autoflush.
    with tx.no_autoflush if fresh else nullcontext():
        for stage in stages:
            if stage.name in done:
                continue
            requirement = stage.check(services, tx, flow, account, visit)
            if requirement is not None:
                flow.state = requirement.status
                if fresh:
                    add_now(tx, flow)
                return StepRequired(flow, requirement, visit.update_available)
            done.add(stage.name)
    now = services.clock.now()
    facts = {**flow.facts, "done": sorted(done)}
    if fresh:
        flow.facts, flow.state, flow.completed_at = facts, "completed", now
        add_now(tx, flow)
    else:
        tx.flush()
        claimed = tx.execute(
            update(SignInFlow)
            .where(SignInFlow.id == flow.id, SignInFlow.completed_at.is_(None))
            .values(state="completed", completed_at=now, facts=facts)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            raise BastionError("flow.not_found")
        # What the UPDATE wrote, without writing it again.
        for name, value in (("facts", facts), ("state", "completed"), ("completed_at", now)):
            set_committed_value(flow, name, value)
    token, session = issue_session(services, tx, account.id, visit.client, remember=flow.remember,
                                   aal=int(flow.facts.get("aal", 1)))
    record_event(tx, now, "signin.succeeded", account.id, visit.client, session_id=session.id, flow_id=flow.id,
                 aal=session.aal, steps=facts["done"])
    for stage in stages:
        completed = getattr(stage, "completed", None)
        if completed is not None:
            completed(services, tx, flow, account, visit)
    return Authenticated(token, session, account, visit.update_available)


def load_open_flow(tx: Tx, flow_id: str, now: datetime, state: str, stages: Sequence[Stage] = ()) -> SignInFlow:
    """The flow waiting in `state`, or `flow.not_found` (unknown, finished, void) / `flow.expired`,
    or the reason of the step it waits for instead (from `stages`' declarations)."""
    flow = tx.get(SignInFlow, flow_id)
    if flow is None or flow.completed_at is not None:
        raise BastionError("flow.not_found")
    if now >= flow.expires_at:
        raise BastionError("flow.expired")
    if flow.state != state:
        waiting = {stage.requirement: stage.waiting_reason for stage in stages if stage.requirement}
        raise BastionError(waiting.get(flow.state) or "flow.not_found")
    return flow


def mark_done(flow: SignInFlow, stage: str, **facts: object) -> None:
    """Record that `stage` is satisfied (and what the step learnt, e.g. aal=2)."""
    done = set(flow.facts.get("done", [])) | {stage}
    flow.facts = {**flow.facts, **facts, "done": sorted(done)}


def void_flow(tx: Tx, flow_id: str, now: datetime) -> None:
    """End a flow without a session (too many attempts): it can never be continued."""
    tx.execute(update(SignInFlow).where(SignInFlow.id == flow_id, SignInFlow.completed_at.is_(None))
               .values(state="void", completed_at=now))


def void_open_flows(tx: Tx, account_id: str, now: datetime) -> int:
    """A security change: every sign-in of the account still in progress ends without a session,
    and none started before now may finish. Returns how many were open."""
    tx.execute(update(Account).where(Account.id == account_id).values(security_changed_at=now)
               .execution_options(synchronize_session=False))
    return tx.execute(update(SignInFlow).where(SignInFlow.account_id == account_id,
                                               SignInFlow.completed_at.is_(None))
                      .values(state="void", completed_at=now)).rowcount
