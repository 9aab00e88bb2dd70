"""Step-up (requirements §13): every factor change needs a proof within 5 minutes — password,
authenticator code or backup code — and answers reauth.required otherwise."""

from __future__ import annotations

import pytest

from tests.mfa.conftest import code_at

FACTOR_CHANGES = [
    ("post", "/v1/me/totp/setup", None),
    ("post", "/v1/me/totp/confirm", {"code": "123456"}),
    ("delete", "/v1/me/totp", None),
    ("post", "/v1/me/backup-codes", None),
    ("post", "/v1/me/passkeys/options", None),
    ("post", "/v1/me/passkeys", {"credential": {"id": "x"}, "name": "Phone"}),
    ("patch", "/v1/me/passkeys/7b0e2c57-0000-4000-8000-000000000000", {"name": "Phone"}),
    ("delete", "/v1/me/passkeys/7b0e2c57-0000-4000-8000-000000000000", None),
]


@pytest.mark.parametrize(("method", "path", "body"), FACTOR_CHANGES)
def test_factor_changes_need_a_proof_from_the_last_5_minutes(app_client, enrolled, clock, method, path, body) -> None:
    account = enrolled()
    clock.advance(minutes=5, seconds=1)
    answer = app_client.request(method.upper(), path, headers=account["headers"], json=body)
    assert answer.status_code == 403 and answer.json()["code"] == "reauth.required", answer.text


def test_an_authenticator_code_refreshes_step_up(app_client, enrolled, clock) -> None:
    account = enrolled()
    clock.advance(minutes=6)
    answer = app_client.post("/v1/reauth", headers=account["headers"], json={"totp": code_at(account["secret"], clock)})
    assert answer.status_code == 200 and answer.json() == {"status": "reauthenticated"}
    assert app_client.post("/v1/me/backup-codes", headers=account["headers"]).status_code == 200


def test_a_backup_code_refreshes_step_up_and_is_used_up(app_client, enrolled, mfa_flow, clock, mailbox) -> None:
    account = enrolled()
    clock.advance(minutes=6)
    code = account["backup_codes"][0]
    assert app_client.post("/v1/reauth", headers=account["headers"], json={"backup_code": code}).status_code == 200
    assert mailbox.last(account["email"])["template"] == "backup_code_used"
    assert app_client.post(f"/v1/login/{mfa_flow(account)}/backup-code",
                           json={"code": code}).json()["code"] == "mfa.backup_code_invalid"


def test_the_password_still_works_for_step_up(app_client, enrolled, clock) -> None:
    account = enrolled()
    clock.advance(minutes=6)
    assert app_client.post("/v1/reauth", headers=account["headers"],
                           json={"password": account["password"]}).status_code == 200
    wrong = app_client.post("/v1/reauth", headers=account["headers"], json={"password": "not my password at all"})
    assert wrong.json()["code"] == "reauth.failed"


def test_a_wrong_or_reused_code_does_not_step_up(app_client, enrolled, clock, mailbox) -> None:
    account = enrolled()
    clock.advance(minutes=6)
    wrong = app_client.post("/v1/reauth", headers=account["headers"], json={"totp": "000000"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "mfa.code_invalid"
    code = code_at(account["secret"], clock)
    assert app_client.post("/v1/reauth", headers=account["headers"], json={"totp": code}).status_code == 200
    reused = app_client.post("/v1/reauth", headers=account["headers"], json={"totp": code})
    assert reused.json()["code"] == "mfa.code_reused"
    assert mailbox.last(account["email"])["template"] == "totp_code_reused"


def test_step_up_takes_exactly_one_proof(app_client, enrolled) -> None:
    account = enrolled()
    for body in ({}, {"password": account["password"], "totp": "123456"}):
        answer = app_client.post("/v1/reauth", headers=account["headers"], json=body)
        assert answer.status_code == 422 and answer.json()["code"] == "request.invalid"


def test_step_up_with_a_code_needs_an_authenticator(app_client, signed_in) -> None:
    answer = app_client.post("/v1/reauth", headers=signed_in()["headers"], json={"totp": "123456"})
    assert answer.status_code == 400 and answer.json()["code"] == "mfa.method_unavailable"
