"""Maintenance windows and app versions (requirements §31, §32) hold for the second step and for
passwordless passkeys too, not only for the password."""

from __future__ import annotations

from datetime import timedelta

from bastion.ops.client_versions import set_policy
from bastion.ops.maintenance import start_maintenance
from tests.mfa.authenticator import SoftAuthenticator
from tests.mfa.conftest import code_at


def test_maintenance_that_starts_between_password_and_code_stops_the_second_step(
        app_client, enrolled, mfa_flow, clock, services) -> None:
    account = enrolled()
    flow_id = mfa_flow(account)
    start_maintenance(services, timedelta(minutes=30))
    answer = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock)})
    assert answer.status_code == 503 and answer.json()["code"] == "service.maintenance"
    assert answer.json()["retry_after"] == 1800


def test_staff_finish_their_second_step_during_maintenance(app_client, enrolled, mfa_flow, clock, services) -> None:
    account = enrolled(roles=["support"])
    flow_id = mfa_flow(account)
    start_maintenance(services, timedelta(minutes=30))
    answer = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock)})
    assert answer.json()["status"] == "authenticated"


def test_passwordless_sign_in_waits_for_the_end_of_maintenance(app_client, signed_in, services) -> None:
    account, authenticator = signed_in(), SoftAuthenticator()
    options = app_client.post("/v1/me/passkeys/options", headers=account["headers"]).json()["publicKey"]
    app_client.post("/v1/me/passkeys", headers=account["headers"], json={"credential": authenticator.create(options)})
    start_maintenance(services, timedelta(minutes=10))
    options = app_client.post("/v1/login/passkey/options").json()["publicKey"]
    answer = app_client.post("/v1/login/passkey", json={"credential": authenticator.get(options)})
    assert answer.status_code == 503 and answer.json()["code"] == "service.maintenance"


def test_an_outdated_app_is_refused_and_an_old_one_told_to_update_at_the_second_step(
        app_client, enrolled, mfa_flow, clock, services) -> None:
    account = enrolled()
    set_policy(services, "ios", minimum="2.0.0", recommended="3.0.0", update_url="https://apps.example/bastion")
    flow_id = mfa_flow(account)
    outdated = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock)},
                               headers={"X-Client-Platform": "ios", "X-Client-Version": "1.9.0"})
    assert outdated.status_code == 426 and outdated.json()["code"] == "client.outdated"
    answer = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock)},
                             headers={"X-Client-Platform": "ios", "X-Client-Version": "2.5.0"})
    assert answer.json()["status"] == "authenticated"
    assert answer.json()["update_available"]["recommended_version"] == "3.0.0"
