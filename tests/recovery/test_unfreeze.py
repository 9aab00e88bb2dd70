"""Lifting a freeze (requirements §28): an unfreeze case with identity evidence, approved by
support, taking effect not before `unfreeze_min_hours` (2) after the freeze, then a 24 h withdrawal hold."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from bastion.accounts.admin import create_account
from bastion.accounts.status import freeze_account
from bastion.context import Client
from bastion.recovery.cases import request_case
from bastion.recovery.completion import complete_due_cases
from bastion.recovery.models import RecoveryCase
from bastion.startup import build_services
from tests.conftest import DEFAULT_PASSWORD
from tests.recovery.conftest import case_link, upload_all


def login(client, email: str):  # type: ignore[no-untyped-def]
    return client.post("/v1/login", json={"email": email, "password": DEFAULT_PASSWORD})


def test_an_unfreeze_case_lifts_the_freeze_two_hours_after_it_at_the_earliest(
        app_client, account_factory, staff, mailbox, clock, services) -> None:
    account = account_factory()
    session = login(app_client, account["email"]).json()["session"]["token"]
    app_client.post("/v1/me/freeze", headers={"Authorization": f"Bearer {session}"})
    clock.advance(minutes=30)
    started = app_client.post("/v1/unfreeze-request", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    assert started.status_code == 202
    case_id, token = case_link(mailbox, account["email"])
    assert started.json()["case_id"] == case_id
    assert upload_all(app_client, case_id, token).json()["status"] == "in_review"

    agent = staff("support")
    approved = app_client.post(f"/v1/support/accounts/{account['id']}/unfreeze", headers=agent["headers"],
                               json={"reason": "ID matches, owner called from the registered number"})
    assert approved.json() == {"status": "waiting"}
    assert complete_due_cases(services) == 0
    assert login(app_client, account["email"]).json()["code"] == "account.frozen"
    clock.advance(minutes=90)  # two hours after the freeze
    assert complete_due_cases(services) == 1
    answer = login(app_client, account["email"]).json()
    assert answer["status"] == "authenticated"
    restrictions = app_client.get("/v1/session", headers={"Authorization": f"Bearer {answer['session']['token']}"}
                                  ).json()["restrictions"]
    assert [(r["kind"], r["reason"]) for r in restrictions] == [("withdrawal", "unfreeze_completed")]
    assert "no longer frozen" in mailbox.messages(account["email"])[-1]["text"]


def test_an_unfreeze_request_for_an_account_that_is_not_frozen_opens_nothing(app_client, account_factory,
                                                                             mailbox) -> None:
    account = account_factory()
    answer = app_client.post("/v1/unfreeze-request", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    assert answer.status_code == 202
    assert [m for m in mailbox.messages(account["email"]) if m["template"] == "case_opened"] == []


def test_the_minimum_time_before_an_unfreeze_takes_effect_is_a_setting(database_url, settings_factory, clock) -> None:
    """BASTION_UNFREEZE_MIN_HOURS=6: an unfreeze approved half an hour after the freeze waits until 6 h after it."""
    from fastapi.testclient import TestClient

    from bastion.web.app import create_app
    from tests.conftest import Mailbox, make_staff

    services = build_services(settings_factory(database_url=database_url, unfreeze_min_hours=6), clock=clock)
    with TestClient(create_app(services, deliver_mail=False)) as client:
        account_id = create_account(services, "frozen@example.com", DEFAULT_PASSWORD, roles=[], verified=True)
        freeze_account(services, account_id, Client(), via="test")
        frozen_at = clock.now()
        assert "6 hours after the freeze" in Mailbox(services).last("frozen@example.com")["text"]
        clock.advance(minutes=30)
        client.post("/v1/unfreeze-request", json={"email": "frozen@example.com", "password": DEFAULT_PASSWORD})
        case_id, token = case_link(Mailbox(services), "frozen@example.com")
        upload_all(client, case_id, token)
        agent = make_staff(client, services, clock, "support", "agent@staff.example.com")
        assert client.post(f"/v1/support/accounts/{account_id}/unfreeze", headers=agent["headers"],
                           json={"reason": "ID matches"}).json() == {"status": "waiting"}
        status = client.get(f"/v1/recovery-cases/{case_id}", headers={"X-Case-Token": token}).json()
        assert datetime.fromisoformat(status["due_at"]) == frozen_at + timedelta(hours=6)
        clock.advance(hours=2)  # the old fixed minimum has passed
        assert complete_due_cases(services) == 0
        assert login(client, "frozen@example.com").json()["code"] == "account.frozen"
        clock.advance(hours=3, minutes=30)
        assert complete_due_cases(services) == 1
        assert login(client, "frozen@example.com").json()["status"] == "authenticated"
        assert "6 hours after the freeze" in client.get("/recovery/unfreeze").text
    services.close()


def test_with_no_minimum_an_approved_unfreeze_takes_effect_at_once(database_url, settings_factory, clock) -> None:
    from bastion.support.decisions import approve_case

    services = build_services(settings_factory(database_url=database_url, unfreeze_min_hours=0), clock=clock)
    account_id = create_account(services, "frozen@example.com", DEFAULT_PASSWORD, roles=[], verified=True)
    freeze_account(services, account_id, Client(), via="test")
    case_id = request_case(services, "unfreeze", "frozen@example.com", DEFAULT_PASSWORD, Client())
    with services.db.transaction() as tx:
        tx.execute(update(RecoveryCase).where(RecoveryCase.id == case_id).values(status="in_review"))
    assert approve_case(services, case_id, "an-agent", "ID matches", Client()) == "waiting"
    assert complete_due_cases(services) == 1
    services.close()
