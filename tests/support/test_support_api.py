"""The support API (requirements §33-34): views without secrets, references, audited actions."""

from __future__ import annotations

import json

from sqlalchemy import select

from bastion.audit.models import SecurityEvent
from tests.conftest import DEFAULT_PASSWORD
from tests.recovery.conftest import case_link, png, upload_all


def test_an_agent_finds_an_account_and_sees_factors_devices_and_attempts_but_no_secret(
        app_client, enrolled, staff, services) -> None:
    account = enrolled()
    app_client.post("/v1/login", json={"email": account["email"], "password": "a wrong password"})
    agent = staff("support")
    found = app_client.get("/v1/support/accounts", params={"q": account["email"].split("@")[0]},
                           headers=agent["headers"]).json()
    assert [a["id"] for a in found] == [account["id"]]
    view = app_client.get(f"/v1/support/accounts/{account['id']}", headers=agent["headers"])
    assert view.status_code == 200
    body = view.json()
    assert {f["type"] for f in body["factors"]} == {"totp", "backup_codes"}
    assert body["attempts"][0]["code"] == "credentials.invalid" and body["devices"]
    text = json.dumps(body)
    for secret in (account["secret"], *account["backup_codes"], account["token"], DEFAULT_PASSWORD):
        assert secret not in text
    assert "argon2" not in text and "password_hash" not in text


def test_any_refusal_reference_is_found_with_its_reason_and_steps(app_client, account_factory, staff) -> None:
    account = account_factory()
    refused = app_client.post("/v1/login", json={"email": account["email"], "password": "not the right one"}).json()
    agent = staff("support")
    found = app_client.get(f"/v1/support/references/{refused['reference']}", headers=agent["headers"]).json()
    assert found["code"] == "credentials.invalid" and found["steps"] == refused["help"]
    assert found["attempt"]["identifier"] == account["email"] and found["attempt"]["outcome"] == "failure"
    # A refusal outside sign-in (recorded by the web layer) is found too.
    other = app_client.get("/v1/session", headers={"Authorization": "Bearer nonsense"}).json()
    found = app_client.get(f"/v1/support/references/{other['reference'].lower()}", headers=agent["headers"]).json()
    assert found["code"] == "session.invalid" and found["request"]["path"] == "/v1/session"
    missing = app_client.get("/v1/support/references/R-00000000", headers=agent["headers"])
    assert missing.status_code == 404


def test_the_case_queue_documents_and_every_agent_action_are_audited(app_client, enrolled, staff, mailbox,
                                                                     services) -> None:
    account = enrolled()
    case_id = app_client.post("/v1/mfa-reset", json={"email": account["email"], "password": DEFAULT_PASSWORD}
                              ).json()["case_id"]
    _, token = case_link(mailbox, account["email"])
    upload_all(app_client, case_id, token)
    agent = staff("support")
    queue = app_client.get("/v1/support/cases", params={"status": "in_review"}, headers=agent["headers"]).json()
    assert [c["id"] for c in queue["cases"]] == [case_id] and queue["cases"][0]["email"] == account["email"]
    view = app_client.get(f"/v1/support/cases/{case_id}", headers=agent["headers"]).json()
    front = next(d for d in view["documents"] if d["kind"] == "id_front")
    document = app_client.get(f"/v1/support/cases/{case_id}/documents/{front['id']}", headers=agent["headers"])
    assert document.status_code == 200 and document.content == png()
    assert document.headers["content-type"] == "image/png" and "sandbox" in document.headers["content-security-policy"]
    assert app_client.get("/v1/support/cases", params={"status": "odd"}, headers=agent["headers"]).status_code == 422
    app_client.post(f"/v1/support/accounts/{account['id']}/password-reset", headers=agent["headers"],
                    json={"reason": "owner asked on the phone"})
    assert mailbox.messages(account["email"])[-1]["template"] == "password_reset"
    with services.db.transaction() as tx:
        events = {e.kind: e for e in tx.execute(select(SecurityEvent).where(SecurityEvent.actor_id == agent["id"],
                                                                            SecurityEvent.account_id == account["id"]
                                                                            )).scalars()}
    assert {"case.document_viewed", "password_reset.requested"} <= set(events)
    assert events["case.document_viewed"].data == {"case_id": case_id, "document": "id_front"}


def test_a_trader_cannot_reach_support_routes(app_client, account_factory) -> None:
    account = account_factory()
    token = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}
                            ).json()["session"]["token"]
    for path in ("/v1/support/accounts?q=a", "/v1/support/cases", f"/v1/support/accounts/{account['id']}"):
        answer = app_client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 403 and answer.json()["code"] == "permission.denied"
