"""Passkeys end to end through the API with a software authenticator (requirements §12):
register (step-up), list, rename, remove; second factor; passwordless with user verification;
sign counter (clone detection); challenges used once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mfa.authenticator import SoftAuthenticator
from tests.mfa.conftest import bearer


def register(app_client, account: dict[str, Any], authenticator: SoftAuthenticator,  # type: ignore[no-untyped-def]
             name: str = "Laptop"):
    options = app_client.post("/v1/me/passkeys/options", headers=account["headers"]).json()["publicKey"]
    return app_client.post("/v1/me/passkeys", headers=account["headers"],
                           json={"credential": authenticator.create(options), "name": name})


@pytest.fixture
def with_passkey(app_client, signed_in):  # type: ignore[no-untyped-def]
    def make() -> tuple[dict[str, Any], SoftAuthenticator]:
        account, authenticator = signed_in(), SoftAuthenticator()
        answer = register(app_client, account, authenticator)
        assert answer.status_code == 201, answer.text
        return {**account, "backup_codes": answer.json()["backup_codes"]}, authenticator
    return make


def passkey_step(app_client, flow_id: str, authenticator: SoftAuthenticator, **kw: Any):  # type: ignore[no-untyped-def]
    options = app_client.post(f"/v1/login/{flow_id}/passkey/options").json()["publicKey"]
    return app_client.post(f"/v1/login/{flow_id}/passkey", json={"credential": authenticator.get(options, **kw)})


def passwordless(app_client, authenticator: SoftAuthenticator, **kw: Any):  # type: ignore[no-untyped-def]
    options = app_client.post("/v1/login/passkey/options").json()["publicKey"]
    return app_client.post("/v1/login/passkey", json={"credential": authenticator.get(options, **kw)})


def test_registration_options_ask_for_a_discoverable_credential_for_this_rp(app_client, signed_in) -> None:
    account = signed_in()
    answer = app_client.post("/v1/me/passkeys/options", headers=account["headers"])
    options = answer.json()["publicKey"]
    assert options["rp"] == {"name": "Bastion", "id": "testserver"}
    assert options["user"]["name"] == account["email"]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert len(options["challenge"]) >= 43  # 32 random bytes


def test_a_registered_passkey_is_listed_renamed_and_removed_with_step_up_and_emails(
        app_client, with_passkey, clock, mailbox) -> None:
    account, _ = with_passkey()
    assert len(account["backup_codes"]) == 10  # the first factor comes with backup codes
    listed = app_client.get("/v1/me/passkeys", headers=account["headers"]).json()["passkeys"]
    assert [item["name"] for item in listed] == ["Laptop"] and listed[0]["transports"] == ["internal"]
    passkey_id = listed[0]["id"]
    renamed = app_client.patch(f"/v1/me/passkeys/{passkey_id}", headers=account["headers"],
                               json={"name": "Work laptop"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Work laptop"
    assert app_client.delete(f"/v1/me/passkeys/{passkey_id}", headers=account["headers"]).status_code == 204
    assert app_client.get("/v1/me/passkeys", headers=account["headers"]).json()["passkeys"] == []
    texts = [mail["text"] for mail in mailbox.messages(account["email"]) if mail["template"] == "factor_changed"]
    assert any("“Laptop” was added" in text for text in texts)
    assert any("renamed to “Work laptop”" in text for text in texts)
    assert any("“Work laptop” was removed" in text for text in texts)
    missing = app_client.delete(f"/v1/me/passkeys/{passkey_id}", headers=account["headers"])
    assert missing.status_code == 404


def test_several_passkeys_per_account_and_the_same_one_cannot_be_added_twice(app_client, with_passkey) -> None:
    account, first = with_passkey()
    second = register(app_client, account, SoftAuthenticator(), name="Phone")
    assert second.status_code == 201 and second.json()["backup_codes"] is None
    assert len(app_client.get("/v1/me/passkeys", headers=account["headers"]).json()["passkeys"]) == 2
    again = register(app_client, account, first)
    assert again.status_code == 400 and again.json()["code"] == "passkey.registration_failed"


def test_a_passkey_is_a_second_factor_after_the_password(app_client, with_passkey, mfa_flow) -> None:
    account, authenticator = with_passkey()
    flow_id = mfa_flow(account)
    answer = passkey_step(app_client, flow_id, authenticator, user_verified=False)  # presence is enough here
    assert answer.status_code == 200 and answer.json()["status"] == "authenticated", answer.text
    session = app_client.get("/v1/session", headers=bearer(answer.json()["session"]["token"])).json()["session"]
    assert session["aal"] == 2


def test_passwordless_sign_in_with_user_verification(app_client, with_passkey) -> None:
    account, authenticator = with_passkey()
    options = app_client.post("/v1/login/passkey/options").json()
    assert options["publicKey"]["userVerification"] == "required" and options["flow"]["id"]
    assert "allowCredentials" not in options["publicKey"] or options["publicKey"]["allowCredentials"] == []
    answer = app_client.post("/v1/login/passkey", json={"credential": authenticator.get(options["publicKey"])})
    assert answer.status_code == 200 and answer.json()["account"]["email"] == account["email"], answer.text
    session = app_client.get("/v1/session", headers=bearer(answer.json()["session"]["token"])).json()["session"]
    assert session["aal"] == 2


def test_passwordless_without_user_verification_is_refused(app_client, with_passkey) -> None:
    _, authenticator = with_passkey()
    answer = passwordless(app_client, authenticator, user_verified=False)
    assert answer.status_code == 401 and answer.json()["code"] == "passkey.user_not_verified"


def test_a_stale_sign_counter_is_refused_as_a_cloned_authenticator_and_the_owner_told(
        app_client, with_passkey, mfa_flow, mailbox) -> None:
    account, authenticator = with_passkey()
    assert passwordless(app_client, authenticator).status_code == 200  # counter 1
    assert passwordless(app_client, authenticator).status_code == 200  # counter 2
    clone = passwordless(app_client, authenticator, sign_count=2)  # a copy still at 2
    assert clone.status_code == 403 and clone.json()["code"] == "passkey.cloned"
    mail = mailbox.last(account["email"])
    assert mail["template"] == "passkey_cloned" and "Laptop" in mail["text"] and "/freeze?token=" in mail["text"]
    as_second_factor = passkey_step(app_client, mfa_flow(account), authenticator, sign_count=1)
    assert as_second_factor.json()["code"] == "passkey.cloned"
    assert passwordless(app_client, authenticator, sign_count=3).status_code == 200


def test_a_challenge_works_once_and_only_for_its_ceremony(app_client, with_passkey, mfa_flow) -> None:
    account, authenticator = with_passkey()
    options = app_client.post("/v1/login/passkey/options").json()["publicKey"]
    credential = authenticator.get(options)
    assert app_client.post("/v1/login/passkey", json={"credential": credential}).status_code == 200
    replay = app_client.post("/v1/login/passkey", json={"credential": authenticator.get(options)})
    assert replay.status_code == 401 and replay.json()["code"] == "passkey.invalid"
    flow_id = mfa_flow(account)
    second_factor_options = app_client.post(f"/v1/login/{flow_id}/passkey/options").json()["publicKey"]
    crossed = app_client.post("/v1/login/passkey", json={"credential": authenticator.get(second_factor_options)})
    assert crossed.json()["code"] == "passkey.invalid"


def test_an_assertion_from_another_origin_is_refused(app_client, with_passkey) -> None:
    _, authenticator = with_passkey()
    answer = passwordless(app_client, authenticator, origin="https://evil.example")
    assert answer.status_code == 401 and answer.json()["code"] == "passkey.invalid"


def test_an_unknown_passkey_is_refused_without_saying_more(app_client, with_passkey) -> None:
    with_passkey()
    answer = passwordless(app_client, SoftAuthenticator())
    assert answer.status_code == 401 and answer.json()["code"] == "passkey.invalid"


def test_another_accounts_passkey_is_not_a_second_factor(app_client, with_passkey, mfa_flow) -> None:
    mine, _ = with_passkey()
    _, theirs = with_passkey()
    answer = passkey_step(app_client, mfa_flow(mine), theirs)
    assert answer.json()["code"] == "passkey.invalid"


def test_registration_needs_a_recent_sign_in(app_client, signed_in, clock) -> None:
    account = signed_in()
    clock.advance(minutes=5, seconds=1)
    answer = app_client.post("/v1/me/passkeys/options", headers=account["headers"])
    assert answer.status_code == 403 and answer.json()["code"] == "reauth.required"


def test_passwordless_options_are_limited_per_ip(app_client) -> None:
    answers = [app_client.post("/v1/login/passkey/options").status_code for _ in range(61)]
    assert answers[:60] == [200] * 60
    assert answers[60] == 429
