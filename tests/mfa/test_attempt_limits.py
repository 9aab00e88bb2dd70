"""Second-step attempts: 5 per flow, 10 per account per 15 min, then locked like requirements §2 (requirements §10)."""

from __future__ import annotations

from tests.mfa.conftest import code_at

WRONG = "000000"


def test_a_sixth_attempt_in_one_flow_voids_the_flow(app_client, enrolled, mfa_flow, clock) -> None:
    account = enrolled()
    flow_id = mfa_flow(account)
    for _ in range(5):
        assert app_client.post(f"/v1/login/{flow_id}/totp", json={"code": WRONG}).json()["code"] == "mfa.code_invalid"
    sixth = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock)})
    assert sixth.status_code == 429 and sixth.json()["code"] == "mfa.attempts_exceeded"
    after = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock)})
    assert after.status_code == 404 and after.json()["code"] == "flow.not_found"
    # A new sign-in (password again) still works with a correct code.
    fresh = app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": code_at(account["secret"], clock)})
    assert fresh.json()["status"] == "authenticated"


def test_backup_codes_share_the_flows_budget(app_client, enrolled, mfa_flow) -> None:
    account = enrolled()
    flow_id = mfa_flow(account)
    for _ in range(3):
        app_client.post(f"/v1/login/{flow_id}/totp", json={"code": WRONG})
    for _ in range(2):
        app_client.post(f"/v1/login/{flow_id}/backup-code", json={"code": "0000-0000-0000-0000"})
    answer = app_client.post(f"/v1/login/{flow_id}/backup-code", json={"code": account["backup_codes"][0]})
    assert answer.json()["code"] == "mfa.attempts_exceeded"


def test_an_eleventh_attempt_on_the_account_locks_its_second_step_with_doubling_delays(
        app_client, enrolled, mfa_flow, clock, mailbox) -> None:
    account = enrolled()
    flows = [mfa_flow(account) for _ in range(3)]
    for index in range(10):  # spread over three flows: 4 + 4 + 2
        answer = app_client.post(f"/v1/login/{flows[index // 4]}/totp", json={"code": WRONG})
        assert answer.json()["code"] == "mfa.code_invalid"
    eleventh = app_client.post(f"/v1/login/{flows[2]}/totp", json={"code": code_at(account["secret"], clock)})
    assert eleventh.status_code == 429 and eleventh.json()["code"] == "mfa.locked"
    assert eleventh.json()["retry_after"] == 30 and eleventh.headers["retry-after"] == "30"
    assert app_client.post(f"/v1/login/{flows[2]}/totp", json={"code": WRONG}).json()["code"] == "flow.not_found"
    held = app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": code_at(account["secret"], clock)})
    assert held.json()["code"] == "mfa.locked" and held.json()["retry_after"] == 30
    locked_mail = [mail for mail in mailbox.messages(account["email"]) if mail["template"] == "mfa_locked"]
    assert len(locked_mail) == 1 and "paused for 30 seconds" in locked_mail[0]["text"]
    clock.advance(seconds=31)
    again = app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": code_at(account["secret"], clock)})
    assert again.json()["code"] == "mfa.locked" and again.json()["retry_after"] == 60  # doubled
    clock.advance(minutes=15)  # the 15-minute window is over
    answer = app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": code_at(account["secret"], clock)})
    assert answer.json()["status"] == "authenticated"


def test_the_lock_holds_for_every_method_and_for_step_up(app_client, enrolled, mfa_flow, clock) -> None:
    account = enrolled()
    flows = [mfa_flow(account) for _ in range(3)]
    for index in range(11):
        app_client.post(f"/v1/login/{flows[index // 4]}/totp", json={"code": WRONG})
    backup = app_client.post(f"/v1/login/{mfa_flow(account)}/backup-code", json={"code": account["backup_codes"][0]})
    assert backup.json()["code"] == "mfa.locked"
    step_up = app_client.post("/v1/reauth", headers=account["headers"],
                              json={"totp": code_at(account["secret"], clock)})
    assert step_up.json()["code"] == "mfa.locked"
