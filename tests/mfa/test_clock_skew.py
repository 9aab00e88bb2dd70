"""A phone whose clock is off is told by how much (requirements §9) — and gains nothing from it."""

from __future__ import annotations

from tests.mfa.conftest import code_at


def test_a_code_from_90_seconds_ago_is_diagnosed_as_a_clock_about_2_minutes_behind(app_client, enrolled,
                                                                                   mfa_flow, clock) -> None:
    account = enrolled()
    answer = app_client.post(f"/v1/login/{mfa_flow(account)}/totp",
                             json={"code": code_at(account["secret"], clock, -90)})
    assert answer.status_code == 401
    body = answer.json()
    assert body["code"] == "mfa.clock_skew"
    assert body["drift_seconds"] == -90
    assert "about 2 minutes behind" in body["detail"] and "automatic" in body["detail"]


def test_a_code_from_2_minutes_ahead_is_diagnosed_as_ahead_and_never_works_later(app_client, enrolled, mfa_flow,
                                                                                 clock) -> None:
    account = enrolled()
    future_code = code_at(account["secret"], clock, 120)
    answer = app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": future_code})
    assert answer.json()["code"] == "mfa.clock_skew"
    assert answer.json()["drift_seconds"] == 120 and "about 2 minutes ahead" in answer.json()["detail"]
    clock.advance(seconds=120)  # now that step is the current one: it was burned
    later = app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": future_code})
    assert later.status_code == 401 and later.json()["code"] == "mfa.code_reused"


def test_burning_a_future_step_does_not_block_the_codes_before_it(app_client, enrolled, mfa_flow, clock) -> None:
    account = enrolled()
    app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": code_at(account["secret"], clock, 150)})
    # The owner fixes the phone's clock: the current code works at once.
    answer = app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": code_at(account["secret"], clock)})
    assert answer.json()["status"] == "authenticated"


def test_codes_beyond_ten_steps_are_simply_wrong(app_client, enrolled, mfa_flow, clock) -> None:
    account = enrolled()
    flow_id = mfa_flow(account)
    for offset in (-330, 330):
        answer = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock, offset)})
        assert answer.json()["code"] == "mfa.code_invalid"


def test_diagnosed_codes_count_as_failed_attempts(app_client, enrolled, mfa_flow, clock) -> None:
    account = enrolled()
    flow_id = mfa_flow(account)
    for offset in (-300, -240, -180, 180, 240):
        assert app_client.post(f"/v1/login/{flow_id}/totp", json={
            "code": code_at(account["secret"], clock, offset)}).json()["code"] == "mfa.clock_skew"
    answer = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock)})
    assert answer.status_code == 429 and answer.json()["code"] == "mfa.attempts_exceeded"
