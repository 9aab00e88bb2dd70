"""Agents working one case at the same moment (requirements §16, §33): of agents claiming it at once exactly
one holds it; four-eyes approvals made at once are each counted and move the case on once; a case is
decided once whatever races it — on SQLite and on PostgreSQL (READ COMMITTED)."""

from __future__ import annotations

from sqlalchemy import func, select

from bastion.accounts.admin import create_account
from bastion.audit.models import SecurityEvent
from bastion.context import Client
from bastion.mfa.totp import otp as totp
from bastion.mfa.totp import repo as totp_repo
from bastion.recovery.cases import add_document, request_case
from bastion.recovery.models import CaseDocument, RecoveryCase
from bastion.startup import build_services
from bastion.support.casework import claim_case
from bastion.support.decisions import approve_case, reject_case
from bastion.support.models import CaseApproval
from tests.conftest import DEFAULT_PASSWORD, Mailbox
from tests.races.racing import race
from tests.recovery.conftest import case_link, jpeg, pdf, png

AGENTS = 12


def ready_case(services, email: str = "owner@example.com") -> str:  # type: ignore[no-untyped-def]
    """A 2FA reset with all its documents in, as its owner makes it."""
    account_id = create_account(services, email, DEFAULT_PASSWORD, roles=[], verified=True)
    with services.db.transaction() as tx:
        totp_repo.enrol_confirmed(tx, services.keys, account_id, totp.new_secret(), services.clock.now())
    case_id = request_case(services, "mfa_reset", email, DEFAULT_PASSWORD, Client(ip="192.0.2.1"))
    _, token = case_link(Mailbox(services), email)
    for kind, content in (("id_front", png()), ("id_back", jpeg()), ("selfie", pdf())):
        add_document(services, case_id, token, kind, content, Client(ip="192.0.2.1"))
    return case_id


def agents(services, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [create_account(services, f"agent{number}@staff.example.com", DEFAULT_PASSWORD, roles=["support"],
                           verified=True) for number in range(count)]


def case_row(services, case_id: str) -> RecoveryCase:  # type: ignore[no-untyped-def]
    with services.db.transaction() as tx:
        return tx.get_one(RecoveryCase, case_id)


def test_twelve_agents_claiming_one_case_at_once_leave_it_with_one(services) -> None:
    case_id = ready_case(services)
    team = agents(services, AGENTS)
    outcomes = race(lambda agent: claim_case(services, case_id, agent, Client()), team)
    assert outcomes == {"ok": 1, "case.claimed": AGENTS - 1}, outcomes
    holder = case_row(services, case_id).claimed_by
    with services.db.transaction() as tx:
        claims = tx.execute(select(SecurityEvent.actor_id).where(SecurityEvent.kind == "case.claimed")).scalars().all()
    assert claims == [holder]


def test_two_first_approvals_at_once_are_both_counted_and_move_the_case_on_once(database_url, settings_factory,
                                                                                clock) -> None:
    """Four eyes: two agents approve a fresh case at the same moment; neither approval is lost, and the
    second one counted starts the waiting period."""
    services = build_services(settings_factory(database_url=database_url, case_approvals_required=2), clock=clock)
    try:
        pair = agents(services, 2)
        for round_number in range(3):
            case_id = ready_case(services, f"owner{round_number}@example.com")
            outcomes = race(lambda agent, case_id=case_id: approve_case(services, case_id, agent, "ID matches",
                                                                        Client()), pair)
            assert outcomes == {"in_review": 1, "waiting": 1}, outcomes
            case = case_row(services, case_id)
            assert case.status == "waiting" and case.due_at is not None and case.claimed_by is None
            with services.db.transaction() as tx:
                counted = tx.execute(select(func.count()).select_from(CaseApproval)
                                     .where(CaseApproval.case_id == case_id)).scalar_one()
            assert counted == 2
    finally:
        services.close()


def test_one_agent_approving_twice_at_once_counts_once(database_url, settings_factory, clock) -> None:
    services = build_services(settings_factory(database_url=database_url, case_approvals_required=2), clock=clock)
    try:
        case_id = ready_case(services)
        [agent] = agents(services, 1)
        outcomes = race(lambda _: approve_case(services, case_id, agent, "ID matches", Client()), range(6))
        assert outcomes == {"in_review": 1, "case.already_approved": 5}, outcomes
        assert case_row(services, case_id).status == "in_review"
    finally:
        services.close()


def test_second_approvals_and_rejections_racing_decide_the_case_once(database_url, settings_factory, clock) -> None:
    services = build_services(settings_factory(database_url=database_url, case_approvals_required=2), clock=clock)
    try:
        case_id = ready_case(services)
        first, *team = agents(services, AGENTS + 1)
        assert approve_case(services, case_id, first, "ID matches", Client()) == "in_review"

        def decide(agent: str) -> str:
            if team.index(agent) % 2:
                return reject_case(services, case_id, agent, "The photo does not match", Client())
            return approve_case(services, case_id, agent, "Agreed: the photo matches", Client())

        outcomes = race(decide, team)
        decided = outcomes["waiting"] + outcomes["rejected"]
        assert decided == 1 and outcomes["in_review"] == 0, outcomes
        assert set(outcomes) <= {"waiting", "rejected", "case.not_ready", "case.closed"}, outcomes
        with services.db.transaction() as tx:
            counted = tx.execute(select(func.count()).select_from(CaseApproval)
                                 .where(CaseApproval.case_id == case_id)).scalar_one()
        assert counted == (2 if outcomes["waiting"] else 1)
    finally:
        services.close()


def test_the_same_document_uploaded_twelve_times_at_once_is_stored_once(services) -> None:
    """Each upload replaces the kind's earlier file: at once, each found none and inserted its own
    (a unique violation: a 500 on PostgreSQL). The case's row is locked first: one file is left."""
    account_id = create_account(services, "uploader@example.com", DEFAULT_PASSWORD, roles=[], verified=True)
    with services.db.transaction() as tx:
        totp_repo.enrol_confirmed(tx, services.keys, account_id, totp.new_secret(), services.clock.now())
    case_id = request_case(services, "mfa_reset", "uploader@example.com", DEFAULT_PASSWORD, Client(ip="192.0.2.1"))
    _, token = case_link(Mailbox(services), "uploader@example.com")
    outcomes = race(lambda _: add_document(services, case_id, token, "id_front", png(), Client(ip="192.0.2.1")),
                    range(AGENTS))
    assert outcomes == {"ok": AGENTS}, outcomes
    with services.db.transaction() as tx:
        stored = tx.execute(select(func.count()).select_from(CaseDocument).where(CaseDocument.case_id == case_id))
        assert stored.scalar_one() == 1
