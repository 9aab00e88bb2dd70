"""A staff account's first second factor needs the emailed enrolment link, not just its password."""

from __future__ import annotations

from typing import Any

import pytest

from bastion.mfa.registry import METHODS
from tests.conftest import DEFAULT_PASSWORD
from tests.mfa.authenticator import SoftAuthenticator
from tests.mfa.conftest import bearer, code_at, staff_enrolment_token
from tests.mfa.test_passkeys import register

REFUSED = "mfa.staff_enrolment_link_required"


def enrolment_token(mailbox, email: str) -> str:  # type: ignore[no-untyped-def]
    return staff_enrolment_token(mailbox, email)


def enrol_totp(app_client, account: dict[str, Any], clock) -> Any:  # type: ignore[no-untyped-def]
    setup = app_client.post("/v1/me/totp/setup", headers=account["headers"])
    if setup.status_code != 200:
        return setup
    return app_client.post("/v1/me/totp/confirm", headers=account["headers"],
                           json={"code": code_at(setup.json()["secret"], clock)})


def use_link(app_client, account: dict[str, Any], token: str) -> Any:  # type: ignore[no-untyped-def]
    return app_client.post("/v1/me/staff-enrolment", headers=account["headers"], json={"token": token})


@pytest.mark.parametrize("role", ["support", "admin"])
def test_a_staff_password_alone_cannot_enrol_a_factor_and_reach_the_console(app_client, signed_in, login,
                                                                             clock, role: str) -> None:
    agent = signed_in(roles=[role])
    answer = enrol_totp(app_client, agent, clock)
    assert answer.status_code == 403 and answer.json()["code"] == REFUSED, answer.text
    problem = answer.json()
    assert any("enrolment link" in step for step in problem["help"]), problem
    assert any("administrator" in step for step in problem["help"]), problem
    options = app_client.post("/v1/me/passkeys/options", headers=agent["headers"])
    assert options.status_code == 403 and options.json()["code"] == REFUSED
    again = login(agent["email"]).json()
    assert again["status"] == "authenticated"  # the password alone: no second step to offer
    console = app_client.get("/v1/support/cases", headers=bearer(again["session"]["token"]))
    assert console.json()["code"] == "permission.mfa_required"


def test_the_role_grant_emails_a_link_that_unlocks_enrolment_once(app_client, signed_in, login, clock,
                                                                  mailbox) -> None:
    agent = signed_in(roles=["support"])
    token = enrolment_token(mailbox, agent["email"])
    assert len(token) >= 43  # 256 bits, base64url
    opened = use_link(app_client, agent, token)
    assert opened.status_code == 200 and opened.json()["status"] == "enrolment_unlocked", opened.text
    secret = app_client.post("/v1/me/totp/setup", headers=agent["headers"]).json()["secret"]
    confirmed = app_client.post("/v1/me/totp/confirm", headers=agent["headers"], json={"code": code_at(secret, clock)})
    assert confirmed.status_code == 200, confirmed.text
    assert len(confirmed.json()["backup_codes"]) == 10
    # Used once: the link cannot unlock anything again.
    reused = use_link(app_client, agent, token)
    assert reused.json()["code"] == "token.invalid"
    # The factor works: the next sign-in has two steps and reaches the console.
    clock.advance(seconds=30)
    flow = login(agent["email"]).json()["flow"]
    done = app_client.post(f"/v1/login/{flow['id']}/totp", json={"code": code_at(secret, clock)}).json()
    assert app_client.get("/v1/support/cases", headers=bearer(done["session"]["token"])).status_code == 200


def test_the_grant_belongs_to_the_session_that_opened_the_link(app_client, signed_in, login, clock,
                                                               mailbox) -> None:
    agent = signed_in(roles=["admin"])
    other = login(agent["email"]).json()["session"]["token"]
    assert use_link(app_client, agent, enrolment_token(mailbox, agent["email"])).status_code == 200
    elsewhere = app_client.post("/v1/me/totp/setup", headers=bearer(other))
    assert elsewhere.json()["code"] == REFUSED
    assert enrol_totp(app_client, agent, clock).status_code == 200


def test_an_expired_link_is_refused(app_client, signed_in, login, clock, mailbox, services) -> None:
    agent = signed_in(roles=["support"])
    token = enrolment_token(mailbox, agent["email"])
    clock.advance(hours=services.settings.staff_enrolment_link_hours, seconds=1)
    fresh = {"headers": bearer(login(agent["email"]).json()["session"]["token"])}
    expired = use_link(app_client, fresh, token)
    assert expired.status_code == 410 and expired.json()["code"] == "token.expired"
    assert app_client.post("/v1/me/totp/setup", headers=fresh["headers"]).json()["code"] == REFUSED


def test_another_accounts_link_is_refused_and_stays_unused(app_client, signed_in, mailbox) -> None:
    agent, other = signed_in(roles=["support"]), signed_in(roles=["support"])
    token = enrolment_token(mailbox, agent["email"])
    assert use_link(app_client, other, token).json()["code"] == "token.invalid"
    assert use_link(app_client, agent, token).status_code == 200


def test_the_grant_lasts_only_a_few_minutes(app_client, signed_in, clock, mailbox, services) -> None:
    agent = signed_in(roles=["support"])
    assert use_link(app_client, agent, enrolment_token(mailbox, agent["email"])).status_code == 200
    setup = app_client.post("/v1/me/totp/setup", headers=agent["headers"]).json()
    clock.advance(minutes=services.settings.staff_enrolment_grant_minutes, seconds=1)
    app_client.post("/v1/reauth", headers=agent["headers"], json={"password": DEFAULT_PASSWORD})
    late = app_client.post("/v1/me/totp/confirm", headers=agent["headers"], json={"code": code_at(setup["secret"], clock)})
    assert late.json()["code"] == REFUSED, late.text


def test_a_new_link_voids_the_older_one(app_client, signed_in, clock, mailbox, staff) -> None:
    admin_session = staff("admin")
    agent = signed_in(roles=["support"])
    first = enrolment_token(mailbox, agent["email"])
    sent = app_client.post(f"/v1/admin/accounts/{agent['id']}/staff-enrolment-link", headers=admin_session["headers"])
    assert sent.status_code == 200 and sent.json()["status"] == "enrolment_link_sent", sent.text
    second = enrolment_token(mailbox, agent["email"])
    assert second != first
    assert use_link(app_client, agent, first).json()["code"] == "token.invalid"
    assert use_link(app_client, agent, second).status_code == 200


def test_the_link_enrols_a_passkey_too(app_client, signed_in, mailbox) -> None:
    agent = signed_in(roles=["support"])
    assert use_link(app_client, agent, enrolment_token(mailbox, agent["email"])).status_code == 200
    added = register(app_client, agent, SoftAuthenticator())
    assert added.status_code == 201, added.text
    assert added.json()["backup_codes"]


def test_every_method_that_stands_alone_is_gated(app_client, signed_in, mailbox) -> None:
    """The registry's enrollable methods: an authenticator app and passkeys (backup codes only come with one)."""
    assert {method.name for method in METHODS if method.stands_alone} == {"totp", "passkey"}


def test_staff_with_a_factor_add_more_as_before(app_client, staff, clock) -> None:
    agent = staff("support")
    app_client.post("/v1/reauth", headers=agent["headers"], json={"password": DEFAULT_PASSWORD})
    added = register(app_client, agent, SoftAuthenticator())
    assert added.status_code == 201, added.text


def test_customers_enrol_as_before_and_get_no_link(app_client, signed_in, clock, mailbox) -> None:
    customer = signed_in()
    assert enrol_totp(app_client, customer, clock).status_code == 200
    assert not [mail for mail in mailbox.messages(customer["email"]) if mail["template"] == "staff_enrolment_link"]
    refused = use_link(app_client, customer, "t" * 43)
    assert refused.json()["code"] == "token.invalid"


def test_the_admin_api_refuses_a_link_for_customers_and_enrolled_staff(app_client, signed_in, staff) -> None:
    admin_session = staff("admin")
    customer = signed_in()
    answer = app_client.post(f"/v1/admin/accounts/{customer['id']}/staff-enrolment-link",
                             headers=admin_session["headers"])
    assert answer.status_code == 422 and answer.json()["code"] == "request.invalid", answer.text
    enrolled = staff("support")
    answer = app_client.post(f"/v1/admin/accounts/{enrolled['id']}/staff-enrolment-link",
                             headers=admin_session["headers"])
    assert answer.json()["code"] == "mfa.already_enrolled"
    agent = signed_in(roles=["support"])
    refused = app_client.post(f"/v1/admin/accounts/{agent['id']}/staff-enrolment-link", headers=agent["headers"])
    assert refused.status_code == 403
