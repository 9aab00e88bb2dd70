"""The sign-in flow: a persisted state object with an expiry, advanced by ordered stages.

After the first factor a flow exists; each stage either passes, refuses (raises a
`BastionError`), or answers with the next requirement. Adding a stage means
adding it to `STAGES`, not editing the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlalchemy.orm import Session as Tx

from bastion.context import Client
from bastion.services import Services
from bastion.sessions.tokens import issue_session
from bastion.store.models import Account, Session, SignInFlow


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


@dataclass(frozen=True)
class StepRequired:
    flow: SignInFlow
    requirement: Requirement


SignInResult = Authenticated | StepRequired


class Stage(Protocol):
    name: str

    def check(self, services: Services, tx: Tx, flow: SignInFlow, account: Account, client: Client) -> Requirement | None:
        """None when satisfied; a Requirement to ask for; raise BastionError to refuse."""


def start_flow(services: Services, tx: Tx, account: Account, client: Client, remember: bool) -> SignInFlow:
    now = services.clock.now()
    flow = SignInFlow(
        account_id=account.id,
        state="first_factor_passed",
        created_at=now,
        expires_at=now + timedelta(minutes=services.settings.flow_ttl_minutes),
        remember=remember,
        ip=client.ip,
        user_agent=(client.user_agent or "")[:512] or None,
        device_id=client.device_id,
        facts={"done": ["password"]},
    )
    tx.add(flow)
    tx.flush()
    return flow


def advance_flow(
    services: Services, tx: Tx, flow: SignInFlow, account: Account, client: Client, stages: list[Stage]
) -> SignInResult:
    """Run the stages not yet done; issue the session when all pass."""
    done = set(flow.facts.get("done", []))
    for stage in stages:
        if stage.name in done:
            continue
        requirement = stage.check(services, tx, flow, account, client)
        if requirement is not None:
            flow.state = requirement.status
            return StepRequired(flow, requirement)
        done.add(stage.name)
    flow.facts = {**flow.facts, "done": sorted(done)}
    flow.state = "completed"
    flow.completed_at = services.clock.now()
    token, session = issue_session(services, tx, account.id, client, remember=flow.remember)
    return Authenticated(token, session, account)
