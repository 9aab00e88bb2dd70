"""Lifting a freeze (REQUIREMENTS 28): an unfreeze case with identity evidence, approved by
support, taking effect not before 2 h after the freeze, then a 24 h withdrawal hold."""

from __future__ import annotations

from bastion.recovery.completion import complete_due_cases
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
