"""A refusal's reference tells what happened — live for what ends by itself — and never who:
the person sees the reason, support also sees the attempt (requirements §34)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bastion.accounts.status import restrict_account
from bastion.context import Client
from bastion.help.references import normalize_reference
from bastion.ops.maintenance import start_maintenance, stop_maintenance
from tests.help.conftest import HOME_IP, Lab

WRONG = "not the password at all 1"


@pytest.mark.parametrize(("typed", "read"), [
    ("R-7F3K9Q2M", "R-7F3K9Q2M"), ("r-7f3k9q2m", "R-7F3K9Q2M"), (" R 7F3K 9Q2M ", "R-7F3K9Q2M"),
    ("7F3K9Q2M", "R-7F3K9Q2M"), ("R7F3K9Q2M", "R-7F3K9Q2M"), ("R-RF3K9Q2M", "R-RF3K9Q2M"), ("RF3K9Q2M", "R-RF3K9Q2M"),
])
def test_a_reference_is_read_as_people_type_it(typed: str, read: str) -> None:
    assert normalize_reference(typed) == read


def test_letters_that_look_like_digits_are_read_as_digits_and_nonsense_is_refused() -> None:
    assert normalize_reference("R-7F3K9QOL") == "R-7F3K9Q01"
    for nonsense in ("", "R-", "R-7F3K9Q2", "R-7F3K9Q2M9", "R-7F3K9Q2U", "<script>", "R-7F3K9Q2M'--"):
        assert normalize_reference(nonsense) is None


def _locked(lab: Lab, email: str) -> str:
    for _ in range(5):
        lab.login(email, WRONG)
    answer = lab.login(email, WRONG)
    assert answer.json()["code"] == "account.locked"
    return answer.json()["reference"]


def test_the_public_answer_says_what_and_when_but_not_who(any_lab: Lab) -> None:
    account = any_lab.account()
    reference = any_lab.login(account["email"], WRONG).json()["reference"]
    answer = any_lab.client.get(f"/v1/help/references/{reference.lower()}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["reference"] == reference and body["code"] == "credentials.invalid"
    assert body["occurred_at"] == "2026-01-05T09:00:00Z" and body["in_effect_until"] is None
    assert body["action"]["href"] == "/password-reset" and body["help_url"] == "/help/sign-in/forgot-password"
    for private in (account["email"], account["id"], HOME_IP, "laptop", "details"):
        assert private not in answer.text


def test_a_pause_tells_live_when_it_ends(any_lab: Lab) -> None:
    reference = _locked(any_lab, any_lab.account()["email"])
    body = any_lab.client.get(f"/v1/help/references/{reference}").json()
    assert body["code"] == "account.locked" and body["in_effect_until"] == "2026-01-05T09:00:30Z"
    any_lab.clock.advance(seconds=31)
    assert any_lab.client.get(f"/v1/help/references/{reference}").json()["in_effect_until"] is None


def test_the_locked_help_page_shows_the_end_of_the_pause_and_then_that_it_ended(any_lab: Lab) -> None:
    reference = _locked(any_lab, any_lab.account()["email"])
    page = any_lab.client.get("/help/sign-in/locked", params={"reference": reference})
    assert "Sign-in paused" in page.text and 'datetime="2026-01-05T09:00:30+00:00"' in page.text
    assert 'href="/password-reset"' in page.text and 'action="/password-reset"' in page.text
    any_lab.clock.advance(minutes=1)
    page = any_lab.client.get("/help/sign-in/locked", params={"reference": reference})
    assert "It has ended: you can try again now." in page.text


def test_a_network_pause_a_second_step_pause_a_ban_and_maintenance_tell_their_end(lab: Lab) -> None:
    for number in range(50):
        lab.login(f"stranger{number}@example.net", WRONG, ip="192.0.2.99")
    network = lab.login("anyone@example.net", ip="192.0.2.99").json()
    assert network["code"] == "ip.throttled"
    assert lab.client.get(f"/v1/help/references/{network['reference']}").json()["in_effect_until"] == \
        "2026-01-05T09:15:00Z"

    banned = lab.account()
    restrict_account(lab.services, banned["id"], "banned", "abuse", lab.clock.now() + timedelta(days=2), None, Client())
    ban = lab.login(banned["email"]).json()
    assert lab.client.get(f"/v1/help/references/{ban['reference']}").json()["in_effect_until"] == \
        "2026-01-07T09:00:00Z"

    start_maintenance(lab.services, timedelta(minutes=45), "Database upgrade.")
    window = lab.login(lab.account()["email"]).json()
    assert window["code"] == "service.maintenance"
    assert lab.client.get(f"/v1/help/references/{window['reference']}").json()["in_effect_until"] == \
        "2026-01-05T09:45:00Z"
    stop_maintenance(lab.services)
    assert lab.client.get(f"/v1/help/references/{window['reference']}").json()["in_effect_until"] is None


def test_a_second_step_pause_tells_its_end(lab: Lab) -> None:
    account = lab.enrolled()
    wrong = lab.wrong_code(account["secret"])
    flows = [lab.mfa_flow(account) for _ in range(3)]
    for flow in flows[:2]:
        for _ in range(5):
            lab.step(flow, "totp", wrong)
    paused = lab.step(flows[2], "totp", wrong).json()
    assert paused["code"] == "mfa.locked"
    until = lab.client.get(f"/v1/help/references/{paused['reference']}").json()["in_effect_until"]
    assert until is not None and until > lab.clock.now().isoformat()[:19]


def test_support_sees_the_attempt_the_person_does_not(any_lab: Lab) -> None:
    account = any_lab.account()
    reference = any_lab.login(account["email"], WRONG, device="laptop",
                              headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0"}).json()["reference"]
    person = any_lab.signed_in()
    refused = any_lab.client.get(f"/v1/support/references/{reference}", headers=person["headers"])
    assert refused.status_code == 403 and refused.json()["code"] == "permission.denied"
    agent = any_lab.staff("support")
    seen = any_lab.client.get(f"/v1/support/references/{reference.lower()}", headers=agent["headers"])
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["code"] == "credentials.invalid" and body["steps"] and body["help_url"] == "/help/sign-in/forgot-password"
    assert body["occurred_at"] == "2026-01-05T09:00:00Z" and body["in_effect_until"] is None
    attempt = body["attempt"]
    assert attempt["identifier"] == account["email"] and attempt["ip"] == HOME_IP
    assert attempt["account_id"] == account["id"] and attempt["method"] == "password"
    assert attempt["outcome"] == "failure" and attempt["device"] == "Firefox on Linux"
    assert body["account"]["id"] == account["id"] and body["account"]["status"] == "active"
    assert WRONG not in seen.text


def test_support_sees_live_when_a_pause_ends(lab: Lab) -> None:
    reference = _locked(lab, lab.account()["email"])
    body = lab.client.get(f"/v1/support/references/{reference}", headers=lab.staff("admin")["headers"]).json()
    assert body["code"] == "account.locked" and body["in_effect_until"] == "2026-01-05T09:00:30Z"


def test_refusals_outside_sign_in_are_found_too_with_their_request_for_support(any_lab: Lab) -> None:
    refused = any_lab.client.post("/v1/accounts/verify-email", json={"token": "nope"}).json()
    agent = any_lab.staff("admin")
    seen = any_lab.client.get(f"/v1/support/references/{refused['reference']}", headers=agent["headers"]).json()
    assert seen["code"] == "token.invalid"
    assert seen["request"] == {"at": "2026-01-05T09:00:00Z", "method": "POST", "path": "/v1/accounts/verify-email",
                               "status": 400, "ip": "127.0.0.1", "account_id": None}


def test_an_unknown_reference_answers_its_own_reason(lab: Lab) -> None:
    for typed in ("R-00000000", "not-a-reference"):
        answer = lab.client.get(f"/v1/help/references/{typed}")
        assert answer.status_code == 404 and answer.json()["code"] == "help.reference_not_found"
    page = lab.client.get("/help/sign-in", params={"reference": "R-00000000"})
    assert page.status_code == 200 and "Reference not found" in page.text
