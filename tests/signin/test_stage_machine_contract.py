"""The sign-in stage machine's contract (bastion.signin.flow, stages, continuation), tested on the
machine itself rather than through one method's sign-in:

- every stage declares its requirement and the reason a step sent to the wrong wait is told, and
  every requirement has its page and its API status;
- the composition root runs the stages in the documented order;
- a flow completes only when every stage is satisfied, and a satisfied stage is not asked again
  while the ones before it are (a freeze meanwhile still refuses);
- a stage added by a test runs in its place without any other module being edited;
- a flow voided by a security change never completes;
- a waiting flow goes forward only through the continuation (`continue_flow`).
"""

from __future__ import annotations

import ast
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session as Tx

import bastion
from bastion.accounts.models import Account
from bastion.accounts.repo import get_account
from bastion.accounts.security_change import security_changed
from bastion.context import Client
from bastion.errors import CATALOGUE, BastionError
from bastion.services import Services
from bastion.sessions.models import Session
from bastion.signin.continuation import OpenFlow, continue_flow
from bastion.signin.flow import (
    Authenticated,
    Requirement,
    SignInResult,
    Stage,
    StepRequired,
    advance_flow,
    mark_done,
    start_flow,
)
from bastion.signin.models import SignInFlow
from bastion.signin.visit import Visit, arrive
from bastion.startup import SIGN_IN_STAGES as STAGES
from bastion.web.api.schemas import LoginOut
from bastion.web.pages.next_step import STEP_PAGES

CLIENT = Client(ip="198.51.100.7", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", device_id=None)
ORDER = ("service_gate", "account_gate", "risk", "mfa", "device_trust")


@dataclass
class Recorded:
    """A stage as the machine sees it, recording each time it is asked (delegates to a real one)."""

    inner: Stage
    asked: list[str]

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def requirement(self) -> str | None:
        return self.inner.requirement

    @property
    def waiting_reason(self) -> str | None:
        return self.inner.waiting_reason

    def check(self, services: Services, tx: Tx, flow: SignInFlow, account: Account, visit: Visit) -> Requirement | None:
        self.asked.append(self.name)
        return self.inner.check(services, tx, flow, account, visit)


@dataclass
class Question:
    """A stage of the test's own: asks for "answer_required" until it is marked done."""

    asked: list[str]
    name: str = "question"
    requirement: str | None = "answer_required"
    waiting_reason: str | None = "flow.not_found"
    completions: list[str] = field(default_factory=list)

    def check(self, services: Services, tx: Tx, flow: SignInFlow, account: Account, visit: Visit) -> Requirement | None:
        self.asked.append(self.name)
        return Requirement(self.requirement or "")

    def completed(self, services: Services, tx: Tx, flow: SignInFlow, account: Account, visit: Visit) -> None:
        self.completions.append(flow.id)


def stage_names(stages: tuple[Stage, ...]) -> tuple[str, ...]:
    return tuple(stage.name for stage in stages)


def with_question(asked: list[str], before: str = "mfa") -> tuple[tuple[Stage, ...], Question]:
    """The real stages, recorded, with the test's own stage before `before`."""
    question = Question(asked)
    stages: list[Stage] = []
    for stage in STAGES:
        if stage.name == before:
            stages.append(question)
        stages.append(Recorded(stage, asked))
    return tuple(stages), question


@pytest.fixture
def begin(services: Services, account_factory: Callable[..., dict[str, str]]) -> Callable[..., tuple[str, SignInResult]]:
    """Pass the first factor of a new account and advance its flow through `stages` (one transaction)."""
    def run(stages: tuple[Stage, ...]) -> tuple[str, SignInResult]:
        account_id = account_factory()["id"]
        visit = arrive(services, CLIENT)
        with services.db.transaction() as tx:
            account = get_account(tx, account_id)
            flow = start_flow(services, account, visit, remember=False, done="password")
            return flow.id, advance_flow(services, tx, flow, account, visit, stages)
    return run


def advance_again(services: Services, flow_id: str, stages: tuple[Stage, ...], done: str | None = None) -> SignInResult:
    """A later request: the flow read back, `done` marked satisfied (as a step does), advanced."""
    visit = arrive(services, CLIENT)
    with services.db.transaction() as tx:
        flow = tx.get_one(SignInFlow, flow_id)
        if done is not None:
            mark_done(flow, done)
        return advance_flow(services, tx, flow, get_account(tx, flow.account_id or ""), visit, stages)


def sessions_of(services: Services, account_id: str) -> int:
    with services.db.transaction() as tx:
        return tx.execute(select(func.count()).select_from(Session).where(Session.account_id == account_id)).scalar_one()


# Declarations ---------------------------------------------------------------------------------

def test_the_composition_root_lists_the_stages_in_the_documented_order() -> None:
    assert stage_names(STAGES) == ORDER


@pytest.mark.parametrize("stage", STAGES, ids=lambda stage: stage.name)
def test_each_stage_declares_its_requirement_and_waiting_reason(stage: Stage) -> None:
    # A stage that may ask for something says what, and what a step sent to that wait is told.
    assert (stage.requirement is None) == (stage.waiting_reason is None)
    if stage.requirement is not None:
        assert stage.requirement.endswith("_required")
        assert stage.waiting_reason in CATALOGUE
    assert callable(stage.check)


def test_every_requirement_has_its_page_and_its_api_status() -> None:
    requirements = {stage.requirement for stage in STAGES if stage.requirement}
    assert requirements  # the second factor and the device check at least
    assert requirements == set(STEP_PAGES)
    api_statuses = set(typing.get_args(LoginOut.model_fields["status"].annotation))
    assert requirements == api_statuses - {"authenticated"}


def test_stage_names_and_requirements_are_distinct() -> None:
    assert len(set(stage_names(STAGES))) == len(STAGES)
    requirements = [stage.requirement for stage in STAGES if stage.requirement]
    assert len(set(requirements)) == len(requirements)


# Running -------------------------------------------------------------------------------------

def test_without_a_stage_that_asks_the_flow_completes_after_every_stage(services, begin) -> None:
    asked: list[str] = []
    flow_id, result = begin(tuple(Recorded(stage, asked) for stage in STAGES))
    assert isinstance(result, Authenticated)
    assert asked == list(ORDER)
    with services.db.transaction() as tx:
        flow = tx.get_one(SignInFlow, flow_id)
        assert flow.state == "completed" and set(flow.facts["done"]) == {"password", *ORDER}


def test_a_stage_added_in_its_place_runs_in_order_and_holds_the_flow(services, begin) -> None:
    asked: list[str] = []
    stages, question = with_question(asked)
    flow_id, result = begin(stages)
    # Asked after the stages before it, and nothing after it is asked yet.
    assert asked == ["service_gate", "account_gate", "risk", "question"]
    assert isinstance(result, StepRequired) and result.requirement.status == "answer_required"
    with services.db.transaction() as tx:
        flow = tx.get_one(SignInFlow, flow_id)
        assert flow.state == "answer_required" and flow.completed_at is None
        account_id = flow.account_id or ""
    assert sessions_of(services, account_id) == 0

    # Advanced again without the step: still waiting, never completed.
    again = advance_again(services, flow_id, stages)
    assert isinstance(again, StepRequired) and again.requirement.status == "answer_required"
    assert sessions_of(services, account_id) == 0

    # Its step done: the stages before it run again, it is not asked again, the ones after it run.
    asked.clear()
    done = advance_again(services, flow_id, stages, done="question")
    assert isinstance(done, Authenticated)
    assert asked == ["service_gate", "account_gate", "risk", "mfa", "device_trust"]
    assert question.completions == [flow_id]
    assert sessions_of(services, account_id) == 1


def test_a_refusal_before_a_satisfied_stage_still_refuses(services, begin) -> None:
    asked: list[str] = []
    stages, _ = with_question(asked)
    flow_id, _ = begin(stages)
    with services.db.transaction() as tx:
        account = get_account(tx, tx.get_one(SignInFlow, flow_id).account_id or "")
        account.status = "frozen"
    with pytest.raises(BastionError) as refused:
        advance_again(services, flow_id, stages, done="question")
    assert refused.value.code.startswith("account.")


def test_a_flow_voided_by_a_security_change_never_completes(services, begin, clock) -> None:
    stages, _ = with_question([])
    flow_id, _ = begin(stages)
    with services.db.transaction() as tx:
        account_id = tx.get_one(SignInFlow, flow_id).account_id or ""
    clock.advance(seconds=1)
    with services.db.transaction() as tx:
        assert security_changed(tx, account_id, clock.now()) == 1
    with pytest.raises(BastionError) as refused:
        advance_again(services, flow_id, stages, done="question")
    assert refused.value.code == "flow.not_found"
    assert sessions_of(services, account_id) == 0


def test_a_flow_started_before_a_security_change_never_completes_even_if_not_voided(services, begin, clock) -> None:
    stages, _ = with_question([])
    flow_id, _ = begin(stages)
    clock.advance(seconds=1)
    with services.db.transaction() as tx:
        flow = tx.get_one(SignInFlow, flow_id)
        get_account(tx, flow.account_id or "").security_changed_at = clock.now()
        account_id = flow.account_id or ""
    with pytest.raises(BastionError) as refused:
        advance_again(services, flow_id, stages, done="question")
    assert refused.value.code == "flow.not_found"
    assert sessions_of(services, account_id) == 0


# Going forward --------------------------------------------------------------------------------

@dataclass
class WrongStep:
    """A step for the second factor, sent to a flow that waits for something else."""

    stage: str = "mfa"
    method: str = "totp"
    budget: None = None
    alert_new_place: bool = False
    checked: bool = False

    def check(self, services: Services, flow: OpenFlow, client: Client, now: object) -> Callable[[Tx], None]:
        self.checked = True
        return lambda tx: None

    def done_facts(self) -> dict[str, object]:
        return {}

    def succeeded(self, services: Services, tx: Tx, flow: OpenFlow, client: Client) -> None:
        raise AssertionError("a step for another wait must not succeed")

    def refused(self, services: Services, tx: Tx, flow: OpenFlow, refusal: BastionError, client: Client) -> bool:
        return True


def test_a_step_for_another_wait_is_told_what_the_flow_waits_for(services, begin) -> None:
    # A sign-in waiting for the device check (its requirement) is sent a second-factor step.
    stages, _ = with_question([])
    flow_id, _ = begin(stages)
    with services.db.transaction() as tx:
        tx.get_one(SignInFlow, flow_id).state = "device_verification_required"
    step = WrongStep()
    with pytest.raises(BastionError) as refused:
        continue_flow(services, flow_id, CLIENT, step)  # type: ignore[arg-type]
    assert refused.value.code == "device.verification_required"
    assert not step.checked


# Who may move a flow: the continuation for a waiting flow; the first factor for the flow it starts
# (the password, and the passwordless passkey, which starts and finishes its flow in one request).
FORWARD = {"advance_flow": {"signin/continuation.py", "signin/password.py"},
           "mark_done": {"signin/continuation.py", "mfa/passkeys/sign_in.py"},
           "finish_flow": {"signin/continuation.py", "mfa/passkeys/sign_in.py"}}


def test_a_waiting_flow_goes_forward_only_through_the_continuation() -> None:
    root = Path(bastion.__file__).parent
    callers: dict[str, set[str]] = {name: set() for name in FORWARD}
    for path in root.rglob("*.py"):
        if path.name == "flow.py" and path.parent.name == "signin":
            continue  # where they are defined
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORWARD:
                callers[node.func.id].add(path.relative_to(root).as_posix())
    assert callers == FORWARD


def test_a_flow_is_found_only_by_its_whole_id(services, begin) -> None:
    stages, _ = with_question([])
    flow_id, _ = begin(stages)
    with services.db.transaction() as tx:
        tx.get_one(SignInFlow, flow_id).state = "mfa_required"
    with pytest.raises(BastionError) as refused:
        continue_flow(services, flow_id + "0", CLIENT, WrongStep())  # type: ignore[arg-type]
    assert refused.value.code == "flow.not_found"
