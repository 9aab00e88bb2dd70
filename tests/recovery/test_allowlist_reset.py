"""An IP allowlist whose every network is lost (requirements §29): the refusal leads to a request
that works from the refused network, an identity-checked case clears the allowlist after its
waiting period; support and admin can clear it at once with a reason. Each way is audited, the
owner emailed, and withdrawals held after."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bastion.accounts.repo import get_account
from bastion.audit.models import SecurityEvent
from bastion.recovery.completion import complete_due_cases
from tests.conftest import DEFAULT_PASSWORD
from tests.help.conftest import HOME_IP, Lab, bearer, lab_factory  # noqa: F401 (fixture)
from tests.recovery.conftest import case_link, upload_all

OFFICE = "198.51.100.0/24"


@pytest.fixture(params=["sqlite", "postgresql"])
def lab(request: pytest.FixtureRequest, lab_factory) -> Lab:  # type: ignore[no-untyped-def]  # noqa: F811
    """Requests that say where they come from (X-Forwarded-For through a trusted hop), on each database."""
    return lab_factory(kind=request.param)


def allowlisted(lab: Lab) -> dict[str, Any]:
    """An account that signed in at home, then allowed only its office network: home is refused now."""
    account = lab.signed_in()
    listed = lab.client.put("/v1/me/ip-allowlist", headers=account["headers"], json={"cidrs": [OFFICE]})
    assert listed.json() == {"cidrs": [OFFICE], "current_ip_allowed": False}, listed.text
    return account


def ask(lab: Lab, email: str, password: str = DEFAULT_PASSWORD, ip: str = HOME_IP) -> Any:
    return lab.client.post("/v1/allowlist-reset-request", json={"email": email, "password": password},
                           headers={"X-Forwarded-For": ip})


def events(lab: Lab, account_id: str, kind: str) -> list[SecurityEvent]:
    with lab.services.db.transaction() as tx:
        return list(tx.execute(select(SecurityEvent).where(SecurityEvent.account_id == account_id,
                                                           SecurityEvent.kind == kind)).scalars())


def holds(lab: Lab, email: str) -> list[tuple[str, str]]:
    signed_in = lab.login(email)
    assert signed_in.json()["status"] == "authenticated", signed_in.text
    session = lab.client.get("/v1/session", headers=bearer(signed_in.json()["session"]["token"])).json()
    return [(hold["kind"], hold["reason"]) for hold in session["restrictions"]]


def test_the_refusal_leads_to_a_request_that_works_from_the_refused_network_and_clears_it_after_the_wait(
        lab: Lab) -> None:
    account = allowlisted(lab)
    refused = lab.login(account["email"]).json()
    assert refused["code"] == "account.ip_not_allowed"
    assert refused["action"] == {"label": "Ask to clear your IP allowlist", "href": "/recovery/allowlist",
                                 "endpoint": "POST /v1/allowlist-reset-request"}

    # The request checks the password, not the network: the allowlist does not stand in its way.
    started = ask(lab, account["email"])
    assert started.status_code == 202, started.text
    case_id, token = case_link(lab.mailbox, account["email"])
    assert started.json()["case_id"] == case_id
    opened = lab.mailbox.last(account["email"])
    assert opened["template"] == "case_opened" and "IP allowlist is cleared after a 24-hour waiting period" in opened["text"]
    assert upload_all(lab.client, case_id, token).json()["status"] == "in_review"
    agent = lab.staff("support")
    view = lab.client.get(f"/v1/support/cases/{case_id}", headers=agent["headers"]).json()
    assert view["kind"] == "allowlist_reset" and view["ip"] == HOME_IP and view["account_ip_allowlist"] == [OFFICE]
    approved = lab.client.post(f"/v1/support/cases/{case_id}/approve", headers=agent["headers"],
                               json={"reason": "ID matches; the office network was closed down"})
    assert approved.json() == {"status": "waiting"}

    lab.clock.advance(hours=23, minutes=59)
    assert complete_due_cases(lab.services) == 0
    assert lab.login(account["email"]).json()["code"] == "account.ip_not_allowed"
    lab.clock.advance(minutes=1)
    assert complete_due_cases(lab.services) == 1
    assert holds(lab, account["email"]) == [("withdrawal", "allowlist_reset_completed")]

    templates = [mail["template"] for mail in lab.mailbox.messages(account["email"])]
    assert templates[-4:] == ["case_opened", "case_submitted", "case_approved", "case_completed"]
    assert "was cleared: you can sign in from any network again" in lab.mailbox.last(account["email"])["text"]
    cleared = events(lab, account["id"], "ip_allowlist.cleared")
    assert [(e.data["via"], e.data["case_id"], e.data["networks_removed"]) for e in cleared] == [
        ("recovery_case", case_id, [OFFICE])]
    assert lab.client.get(f"/v1/recovery-cases/{case_id}", headers={"X-Case-Token": token}).json()["status"] == "completed"


def test_the_request_answers_the_same_whoever_asks_and_only_an_allowlisted_owner_gets_mail(lab: Lab) -> None:
    owner = allowlisted(lab)
    without = lab.signed_in()
    answers = [ask(lab, email, password) for email, password in (
        (owner["email"], DEFAULT_PASSWORD), (owner["email"], "not the password at all"),
        ("nobody@example.com", DEFAULT_PASSWORD), (without["email"], DEFAULT_PASSWORD))]
    assert {answer.status_code for answer in answers} == {202}
    assert len({answer.json()["case_id"] for answer in answers}) == 4
    assert len({tuple(sorted({**answer.json(), "case_id": ""}.items())) for answer in answers}) == 1
    opened = {email: [m for m in lab.mailbox.messages(email) if m["template"] == "case_opened"]
              for email in (owner["email"], without["email"])}
    assert len(opened[owner["email"]]) == 1 and opened[without["email"]] == []
    assert events(lab, without["id"], "case.opened") == []


def test_support_clears_an_allowlist_at_once_with_a_reason_audited_emailed_and_held(lab: Lab) -> None:
    account = allowlisted(lab)
    pending = ask(lab, account["email"]).json()["case_id"]  # the owner's own request, still open
    agent = lab.staff("support")
    path = f"/v1/support/accounts/{account['id']}/clear-allowlist"
    assert lab.client.post(path, headers=agent["headers"], json={"reason": "x"}).status_code == 422
    cleared = lab.client.post(path, headers=agent["headers"], json={"reason": "Called back on the KYC number"})
    assert cleared.json() == {"status": "allowlist_cleared"}, cleared.text
    again = lab.client.post(path, headers=agent["headers"], json={"reason": "Called back on the KYC number"})
    assert again.status_code == 422 and "no IP allowlist" in again.json()["detail"]

    [event] = events(lab, account["id"], "ip_allowlist.cleared")
    assert event.actor_id == agent["id"] and event.data["reason"] == "Called back on the KYC number"
    assert event.data["via"] == "support_api" and event.data["networks_removed"] == [OFFICE]
    mail = lab.mailbox.last(account["email"])
    assert mail["template"] == "ip_allowlist_cleared" and OFFICE in mail["text"] and "/freeze?token=" in mail["text"]
    assert "Called back" not in mail["text"]  # the reason is for the audit trail
    view = lab.client.get(f"/v1/support/cases/{pending}", headers=agent["headers"]).json()
    assert view["status"] == "completed"  # nothing left for the request to do later
    assert holds(lab, account["email"]) == [("withdrawal", "allowlist_cleared")]

    # The "this wasn't me" link of that email freezes the account.
    token = mail["text"].split("/freeze?token=")[1].split()[0]
    assert lab.client.post("/v1/freeze", json={"token": token}).status_code == 200
    assert lab.login(account["email"]).json()["code"] == "account.frozen"


def test_only_staff_signed_in_with_a_second_factor_clear_an_allowlist(lab: Lab) -> None:
    account = allowlisted(lab)
    other = lab.signed_in()
    path = f"/v1/support/accounts/{account['id']}/clear-allowlist"
    body = {"reason": "please clear it"}
    refused = lab.client.post(path, headers=other["headers"], json=body)
    assert refused.status_code == 403 and refused.json()["code"] == "permission.denied"
    password_only = lab.signed_in(roles=["support"])
    refused = lab.client.post(path, headers=password_only["headers"], json=body)
    assert refused.status_code == 403 and refused.json()["code"] == "permission.mfa_required"
    assert lab.client.post(path, json=body).status_code == 401
    agent = lab.staff("support")
    missing = lab.client.post("/v1/support/accounts/nope/clear-allowlist", headers=agent["headers"], json=body)
    assert missing.status_code == 404
    assert events(lab, account["id"], "ip_allowlist.cleared") == []
    assert lab.login(account["email"]).json()["code"] == "account.ip_not_allowed"


def test_staff_cannot_clear_their_own_allowlist_without_the_step_up_their_own_settings_ask_for(lab: Lab) -> None:
    agent = lab.staff("support")
    with lab.services.db.transaction() as tx:
        get_account(tx, agent["id"]).ip_allowlist = [OFFICE]
    refused = lab.client.post(f"/v1/support/accounts/{agent['id']}/clear-allowlist", headers=agent["headers"],
                              json={"reason": "my own, quickly"})
    assert refused.status_code == 403 and refused.json()["code"] == "support.own_account"
    assert events(lab, agent["id"], "ip_allowlist.cleared") == []


def test_an_owner_back_in_who_sets_the_allowlist_ends_their_pending_request(lab: Lab) -> None:
    """Otherwise the approved request would clear the new allowlist when its wait ends."""
    account = allowlisted(lab)
    case_id = ask(lab, account["email"]).json()["case_id"]
    _, token = case_link(lab.mailbox, account["email"])
    upload_all(lab.client, case_id, token)
    agent = lab.staff("support")
    lab.client.post(f"/v1/support/cases/{case_id}/approve", headers=agent["headers"], json={"reason": "ID ok"})
    back = lab.login(account["email"], ip="198.51.100.7")  # the office network works again
    assert back.json()["status"] == "authenticated", back.text
    headers = {**bearer(back.json()["session"]["token"]), "X-Forwarded-For": "198.51.100.7"}
    new = ["198.51.100.0/24", "203.0.113.0/24"]
    assert lab.client.put("/v1/me/ip-allowlist", headers=headers, json={"cidrs": new}).json()["cidrs"] == new
    lab.clock.advance(hours=25)
    assert complete_due_cases(lab.services) == 0
    with lab.services.db.transaction() as tx:
        assert get_account(tx, account["id"]).ip_allowlist == new
    assert lab.client.get(f"/v1/recovery-cases/{case_id}", headers={"X-Case-Token": token}).json()["status"] == "completed"
    [closed] = events(lab, account["id"], "case.completed")
    assert closed.data["via"] == "changed_by_owner"
