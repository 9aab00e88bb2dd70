"""The review's findings (issue 17), each reproduced as it was found and shown fixed, on SQLite and
PostgreSQL. The walker (`test_every_secret_is_budgeted`) holds the class; these hold the cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bastion.guard.passwords import lift_pause
from bastion.ops.maintenance import start_maintenance
from tests.conftest import DEFAULT_PASSWORD, link_token
from tests.help.conftest import HOME_IP, Lab

WRONG = "not the password at all 1"
NEW_PASSWORD = "a brand new passphrase 42 kites"


def templates(lab: Lab, email: str, name: str) -> int:
    return len([mail for mail in lab.mailbox.messages(email) if mail["template"] == name])


def test_step_up_passwords_are_budgeted_like_sign_in(any_lab: Lab) -> None:
    """Finding 1: 25 wrong step-up passwords all answered 401, then the right one worked."""
    lab = any_lab
    victim = lab.signed_in()
    answers = [lab.client.post("/v1/reauth", json={"password": WRONG}, headers=victim["headers"]) for _ in range(25)]
    codes = [answer.json()["code"] for answer in answers]
    assert codes[:5] == ["reauth.failed"] * 5 and set(codes[5:]) == {"account.locked"}, codes
    assert answers[-1].headers["retry-after"].isdigit()
    right = lab.client.post("/v1/reauth", json={"password": DEFAULT_PASSWORD}, headers=victim["headers"])
    assert right.status_code == 429 and right.json()["code"] == "account.locked"
    assert templates(lab, victim["email"], "sign_in_locked") == 1
    # The same budget as the sign-in page: signing in from a new device is paused too.
    assert lab.login(victim["email"], device="elsewhere").json()["code"] == "account.locked"
    changed = lab.client.put("/v1/me/password", headers=victim["headers"],
                             json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.json()["code"] == "account.locked"
    lab.clock.advance(minutes=16)
    assert lab.client.post("/v1/reauth", json={"password": DEFAULT_PASSWORD},
                           headers=victim["headers"]).json() == {"status": "reauthenticated"}


def test_maintenance_counts_staff_failures_and_answers_every_email_alike(any_lab: Lab) -> None:
    """Finding 2: a wrong staff password raised the maintenance refusal before it was counted."""
    lab = any_lab
    staff = lab.account(roles=["support"])
    person = lab.account()
    start_maintenance(lab.services, timedelta(hours=1))
    answers = {who: [lab.login(email, WRONG, device=None) for _ in range(5)]
               for who, email in (("staff", staff["email"]), ("person", person["email"]),
                                  ("unknown", "nobody@example.com"))}
    for who, replies in answers.items():
        assert [reply.status_code for reply in replies] == [503] * 5, who
        assert {reply.json()["code"] for reply in replies} == {"service.maintenance"}, who
    assert lab.login(staff["email"], WRONG, device=None).json()["code"] == "account.locked"
    assert lab.login(staff["email"], DEFAULT_PASSWORD, device=None).json()["code"] == "account.locked"
    assert templates(lab, staff["email"], "sign_in_locked") == 1


def test_the_device_code_cannot_be_guessed_by_restarting_the_sign_in(any_lab: Lab) -> None:
    """Finding 3: attempts were limited per code and per flow; 28 wrong codes, the code still worked."""
    lab = any_lab
    victim = lab.account()
    codes: list[str] = []
    while len(codes) < 28:
        flow = lab.device_flow(victim)
        right = lab.device_code(victim["email"])
        wrong = "000000" if right != "000000" else "111111"
        for _ in range(4):
            codes.append(lab.step(flow, "device", wrong, device="phone").json()["code"])
        resent = lab.client.post(f"/v1/login/{flow}/device/resend", headers={"X-Forwarded-For": HOME_IP,
                                                                           "X-Device-Id": lab.device_id("phone")})
        lab.clock.advance(minutes=1)  # past the resend's cooldown
        if resent.status_code == 202:
            codes.append(lab.step(flow, "device", wrong, device="phone").json()["code"])
    assert codes.count("device.code_invalid") == 10 and codes[10] == "device.locked", codes
    flow = lab.device_flow(victim)
    refused = lab.step(flow, "device", lab.device_code(victim["email"]), device="phone")
    assert refused.json()["code"] == "device.locked" and refused.headers["retry-after"].isdigit()
    assert templates(lab, victim["email"], "mfa_locked") == 1


def test_wrong_requests_do_not_block_the_owners_own_recovery_request(any_lab: Lab) -> None:
    """Finding 4: five wrong requests a day blocked the owner's own 2FA-reset and unfreeze request."""
    lab = any_lab
    owner = lab.enrolled()
    for attacker_ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"):
        assert lab.client.post("/v1/mfa-reset", json={"email": owner["email"], "password": WRONG},
                               headers={"X-Forwarded-For": attacker_ip}).status_code == 202
    lab.clock.advance(minutes=16)  # the email's pause after five wrong passwords ends
    asked = lab.client.post("/v1/mfa-reset", json={"email": owner["email"], "password": DEFAULT_PASSWORD},
                            headers={"X-Forwarded-For": HOME_IP})
    assert asked.status_code == 202 and templates(lab, owner["email"], "case_opened") == 1


def _paused_on_own_device(lab: Lab) -> dict[str, Any]:
    owner = lab.account()
    assert lab.login(owner["email"], device="desk").json()["status"] == "authenticated"
    for _ in range(5):
        assert lab.login(owner["email"], WRONG, device="desk").json()["code"] == "credentials.invalid"
    assert lab.login(owner["email"], device="desk").json()["code"] == "account.locked"
    return owner


def test_a_password_reset_lifts_the_pause_on_the_owners_own_device(any_lab: Lab) -> None:
    """Finding 5: a reset cleared only the email's counter; the known device stayed paused."""
    lab = any_lab
    owner = _paused_on_own_device(lab)
    assert lab.client.post("/v1/password-reset", json={"email": owner["email"]}).status_code == 202
    token = link_token(lab.mailbox.last(owner["email"])["text"], "/password-reset/confirm?token=")
    assert lab.client.post("/v1/password-reset/confirm",
                           json={"token": token, "new_password": NEW_PASSWORD}).status_code == 200
    assert lab.login(owner["email"], NEW_PASSWORD, device="desk").json()["status"] == "authenticated"


def test_an_operator_unlock_lifts_the_pause_on_the_owners_own_device(any_lab: Lab) -> None:
    lab = any_lab
    owner = _paused_on_own_device(lab)
    assert lift_pause(lab.services, owner["email"])  # `bastion user unlock` and support's unlock
    assert lab.login(owner["email"], device="desk").json()["status"] == "authenticated"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_failed_second_step_from_a_new_device_is_emailed_at_once(kind: str, lab_factory: Callable[..., Lab]) -> None:
    """Finding 6's other half: alerts are once per burst, but a new device or place still alerts."""
    lab = lab_factory(kind=kind, risk_policy="anonymizer=deny")  # a new device alone signs in (the default)
    owner = lab.enrolled()
    flow = lab.mfa_flow(owner, device="stranger")
    assert lab.step(flow, "totp", lab.wrong_code(owner["secret"]), device="stranger").json()["code"] \
        == "mfa.code_invalid"
    failed = [mail for mail in lab.mailbox.messages(owner["email"]) if mail["template"] == "mfa_failed"]
    assert len(failed) == 1 and "not used before" in failed[0]["text"]
    lab.step(flow, "totp", lab.wrong_code(owner["secret"]), device="stranger")
    assert templates(lab, owner["email"], "mfa_failed") == 1


def test_a_stolen_session_cannot_guess_codes_faster_than_a_sign_in(any_lab: Lab) -> None:
    lab = any_lab
    owner = lab.enrolled()
    codes = [lab.client.post("/v1/reauth", json={"totp": lab.wrong_code(owner["secret"])},
                             headers=owner["headers"]).json()["code"] for _ in range(11)]
    assert codes[:10] == ["mfa.code_invalid"] * 10 and codes[10] == "mfa.locked", codes
    flow = lab.mfa_flow(owner)
    assert lab.step(flow, "totp", lab.code(owner["secret"])).json()["code"] == "mfa.locked"  # one account budget
