"""The sign-in flow: a persisted state object with an expiry, advanced by ordered stages.

A stage passes, refuses, or answers with its requirement; a step that meets one marks its stage
done and advances the flow, which one conditional UPDATE completes once. How and why:
docs/design/sign-in-flow.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Label, delete, inspect, update
from sqlalchemy.orm import Session as Tx
from sqlalchemy.orm.attributes import set_committed_value

from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.services import Services
from bastion.sessions.tokens import issue_session
from bastion.signin.models import SignInFlow
from bastion.signin.visit import Visit
from bastion.store.changes import rows_changed
from bastion.store.rows import add_now
from bastion.store.types import new_id


class SigningIn(Protocol):
    """The account a sign-in is for, as the flow and its stages read it: an account row of
    `bastion.accounts`, read locked in the step's transaction (`bastion.accounts.repo.lock_account`)."""

    @property
    def id(self) -> str: ...

    @property
    def email(self) -> str: ...

    @property
    def anti_phishing_code(self) -> str | None: ...

    @property
    def language(self) -> str | None: ...

    @property
    def time_zone(self) -> str | None: ...

    @property
    def password_hash(self) -> str | None: ...

    @property
    def role_set(self) -> frozenset[str]: ...

    @property
    def status(self) -> str: ...

    @property
    def status_reason(self) -> str | None: ...

    @property
    def status_until(self) -> datetime | None: ...

    @property
    def ip_allowlist(self) -> list[str]: ...

    @property
    def email_verified_at(self) -> datetime | None: ...

    @property
    def security_changed_at(self) -> datetime | None: ...


class FlowState(Protocol):
    """What a stage or a step reads of the flow it runs in, and the facts it records on it."""

    @property
    def id(self) -> str: ...

    @property
    def expires_at(self) -> datetime: ...

    @property
    def remember(self) -> bool: ...

    facts: dict[str, Any]


class IssuedSession(Protocol):
    """The session a completed sign-in issued (`bastion.sessions.tokens.issue_session`)."""

    @property
    def id(self) -> str: ...

    @property
    def aal(self) -> int: ...

    @property
    def remember(self) -> bool: ...

    @property
    def expires_at(self) -> datetime: ...

    @property
    def last_seen_at(self) -> datetime: ...

    @property
    def idle_seconds(self) -> int: ...


@dataclass(frozen=True)
class Requirement:
    """What the person must do next, e.g. status "mfa_required" with the enrolled methods."""

    status: str
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Authenticated:
    token: str
    session: IssuedSession
    account: SigningIn
    update_available: dict[str, str] | None = None


@dataclass(frozen=True)
class StepRequired:
    flow: SignInFlow
    requirement: Requirement
    update_available: dict[str, str] | None = None


SignInResult = Authenticated | StepRequired


class Stage(Protocol):
    # Read-only, so that a stage may declare narrower values (a literal name, no requirement).
    @property
    def name(self) -> str: ...

    @property
    def requirement(self) -> str | None:
        """The status it may answer with; None: it only passes or refuses."""

    @property
    def waiting_reason(self) -> Reason | None:
        """What a step sent to a flow waiting for this stage's requirement is told."""

    def check(self, services: Services, tx: Tx, flow: SignInFlow, account: SigningIn, visit: Visit) -> Requirement | None:
        """None when satisfied; its Requirement to ask for; raise BastionError to refuse."""


class ReadingStage(Stage, Protocol):
    """A stage whose look-ups can ride along the statement that locks the account: one round trip for
    the account and every stage's reads (`bastion.signin.password`)."""

    def reads(self, services: Services, visit: Visit, now: datetime) -> tuple[tuple[Label[Any], ...], dict[str, Any]]:
        """Its labelled columns (the same objects each time: the statement is cached by them) on the
        `account_id` parameter and the parameters returned; `check` then finds them in `visit.looked_up`."""


class CompletingStage(Stage, Protocol):
    """A stage that also acts once the flow has issued its session (e.g. recording the device)."""

    def completed(self, services: Services, tx: Tx, flow: SignInFlow, account: SigningIn, visit: Visit) -> None:
        """Runs in the completing transaction, after the session is issued."""


def start_flow(services: Services, account: SigningIn, visit: Visit, remember: bool, done: str) -> SignInFlow:
    """A new flow whose first factor (`done`: "password", "passkey") has passed; written by `advance_flow`."""
    now = services.clock.now()
    return _new_flow(visit.client, account.id, "first_factor_passed", now,
                     now + timedelta(minutes=services.settings.flow_ttl_minutes), remember, [done])


def open_anonymous_flow(tx: Tx, client: Client, state: str, now: datetime, valid_for: timedelta) -> SignInFlow:
    """A flow written now, before anyone is known, waiting in `state` for a first factor that names
    its account itself (a discoverable passkey)."""
    flow = _new_flow(client, None, state, now, now + valid_for, False, [])
    tx.add(flow)
    tx.flush()
    return flow


def _new_flow(client: Client, account_id: str | None, state: str, now: datetime, expires_at: datetime,
              remember: bool, done: list[str]) -> SignInFlow:
    return SignInFlow(id=new_id(), account_id=account_id, state=state, created_at=now, expires_at=expires_at,
                      remember=remember, ip=client.ip, user_agent=(client.user_agent or "")[:512] or None,
                      device_id=client.device_id, facts={"done": done})


def advance_flow(services: Services, tx: Tx, flow: SignInFlow, account: SigningIn, visit: Visit,
                 stages: Sequence[Stage]) -> SignInResult:
    """Run the stages not yet done; issue the session when all pass.

    A flow started in this transaction (`start_flow`) is still unwritten: nobody else can see or
    complete it, so its stages run before it is written, and it is written once, in its final state.
    A flow read back for a later step is completed by the conditional UPDATE (one session per flow).
    """
    fresh = inspect(flow).transient
    if not fresh and account.security_changed_at is not None and flow.created_at < account.security_changed_at:
        raise BastionError(Reason.FLOW_NOT_FOUND)  # started before a reset or password change
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
        claimed = rows_changed(tx,
            update(SignInFlow)
            .where(SignInFlow.id == flow.id, SignInFlow.completed_at.is_(None))
            .values(state="completed", completed_at=now, facts=facts)
            .execution_options(synchronize_session=False)
        )
        if claimed != 1:
            raise BastionError(Reason.FLOW_NOT_FOUND)
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
        raise BastionError(Reason.FLOW_NOT_FOUND)
    if now >= flow.expires_at:
        raise BastionError(Reason.FLOW_EXPIRED)
    if flow.state != state:
        waiting = {stage.requirement: stage.waiting_reason for stage in stages if stage.requirement}
        raise BastionError(waiting.get(flow.state) or Reason.FLOW_NOT_FOUND)
    return flow


def flow_facts(tx: Tx, flow_id: str) -> dict[str, Any] | None:
    """What a sign-in flow learnt (finished or not, kept a day after it expires); None when it is gone."""
    flow = tx.get(SignInFlow, flow_id)
    return None if flow is None else flow.facts


def mark_done(flow: SignInFlow, stage: str, **facts: object) -> None:
    """Record that `stage` is satisfied (and what the step learnt, e.g. aal=2)."""
    done = set(flow.facts.get("done", [])) | {stage}
    flow.facts = {**flow.facts, **facts, "done": sorted(done)}


def void_flow(tx: Tx, flow_id: str, now: datetime) -> None:
    """End a flow without a session (too many attempts): it can never be continued."""
    tx.execute(update(SignInFlow).where(SignInFlow.id == flow_id, SignInFlow.completed_at.is_(None))
               .values(state="void", completed_at=now))


def void_open_flows(tx: Tx, account_id: str, now: datetime) -> int:
    """A security change (`bastion.accounts.security_change`): every sign-in of the account still in
    progress ends without a session. Returns how many were open."""
    return rows_changed(tx, update(SignInFlow).where(SignInFlow.account_id == account_id,
                                               SignInFlow.completed_at.is_(None))
                      .values(state="void", completed_at=now))


def delete_expired_flows(tx: Tx, before: datetime) -> int:
    """Housekeeping: flows that expired before `before` (their device challenges go with them)."""
    return rows_changed(tx, delete(SignInFlow).where(SignInFlow.expires_at < before))
