"""Setting up the authenticator app: setup → confirm (first backup codes) → remove; audited and emailed."""

from __future__ import annotations

from sqlalchemy import select

from bastion.audit.models import SecurityEvent
from tests.mfa.conftest import code_at


def events(services, account_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with services.db.transaction() as tx:
        return list(tx.execute(select(SecurityEvent.kind).where(SecurityEvent.account_id == account_id)
                               .order_by(SecurityEvent.id)).scalars())


def test_setup_shows_secret_uri_and_qr_with_the_issuer_and_email(app_client, signed_in) -> None:
    account = signed_in(email="alice@example.com")
    answer = app_client.post("/v1/me/totp/setup", headers=account["headers"])
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"secret", "otpauth_uri", "qr_svg"}
    assert body["otpauth_uri"].startswith("otpauth://totp/Bastion:alice%40example.com?")
    assert f"secret={body['secret']}" in body["otpauth_uri"] and "issuer=Bastion" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg xmlns=")


def test_the_issuer_is_configurable(services, app_client, signed_in) -> None:
    services.settings = services.settings.model_copy(update={"totp_issuer": "Acme Exchange"})
    body = app_client.post("/v1/me/totp/setup", headers=signed_in()["headers"]).json()
    assert body["otpauth_uri"].startswith("otpauth://totp/Acme%20Exchange:")


def test_confirming_with_a_current_code_enrols_and_issues_ten_backup_codes(app_client, signed_in, clock,
                                                                           mailbox, services) -> None:
    account = signed_in()
    setup = app_client.post("/v1/me/totp/setup", headers=account["headers"]).json()
    answer = app_client.post("/v1/me/totp/confirm", headers=account["headers"],
                             json={"code": code_at(setup["secret"], clock)})
    assert answer.status_code == 200
    assert len(answer.json()["backup_codes"]) == 10
    summary = app_client.get("/v1/me/mfa", headers=account["headers"]).json()
    assert summary["enabled"] is True and summary["methods"] == ["totp", "backup_code"]
    assert summary["totp"]["enabled"] is True and summary["backup_codes"]["remaining"] == 10
    assert setup["secret"] not in str(summary)
    mail = mailbox.last(account["email"])
    assert mail["template"] == "factor_changed" and "authenticator app was set up" in mail["text"]
    assert setup["secret"] not in mail["text"] + mail["html"]
    assert "mfa.totp_enabled" in events(services, account["id"])


def test_a_wrong_code_does_not_enrol(app_client, signed_in, clock) -> None:
    account = signed_in()
    setup = app_client.post("/v1/me/totp/setup", headers=account["headers"]).json()
    wrong = str((int(code_at(setup["secret"], clock)) + 1) % 1_000_000).zfill(6)
    answer = app_client.post("/v1/me/totp/confirm", headers=account["headers"], json={"code": wrong})
    assert answer.status_code == 401 and answer.json()["code"] == "mfa.code_invalid"
    assert app_client.get("/v1/me/mfa", headers=account["headers"]).json()["enabled"] is False


def test_a_phone_with_a_wrong_clock_is_told_so_during_setup(app_client, signed_in, clock) -> None:
    account = signed_in()
    setup = app_client.post("/v1/me/totp/setup", headers=account["headers"]).json()
    answer = app_client.post("/v1/me/totp/confirm", headers=account["headers"],
                             json={"code": code_at(setup["secret"], clock, -150)})
    assert answer.json()["code"] == "mfa.clock_skew" and answer.json()["drift_seconds"] == -150


def test_a_setup_left_unconfirmed_expires(app_client, signed_in, clock) -> None:
    account = signed_in()
    setup = app_client.post("/v1/me/totp/setup", headers=account["headers"]).json()
    clock.advance(minutes=4)
    app_client.post("/v1/reauth", headers=account["headers"], json={"password": account["password"]})
    clock.advance(minutes=12)  # 16 min after setup, 12 after the step-up
    app_client.post("/v1/reauth", headers=account["headers"], json={"password": account["password"]})
    answer = app_client.post("/v1/me/totp/confirm", headers=account["headers"],
                             json={"code": code_at(setup["secret"], clock)})
    assert answer.status_code == 409 and answer.json()["code"] == "mfa.setup_required"


def test_a_second_authenticator_needs_the_first_removed(app_client, enrolled) -> None:
    account = enrolled()
    answer = app_client.post("/v1/me/totp/setup", headers=account["headers"])
    assert answer.status_code == 409 and answer.json()["code"] == "mfa.already_enrolled"


def test_removing_the_only_factor_turns_2fa_off_voids_backup_codes_and_holds_withdrawals(
        app_client, enrolled, login, mailbox, services) -> None:
    account = enrolled()
    assert app_client.delete("/v1/me/totp", headers=account["headers"]).status_code == 204
    assert app_client.get("/v1/me/mfa", headers=account["headers"]).json() == {
        "enabled": False, "methods": [], "passkeys": 0, "backup_codes": None,
        "totp": {"enabled": False, "confirmed_at": None, "last_used_at": None}}
    assert login(account["email"]).json()["status"] == "authenticated"
    changes = [mail["text"] for mail in mailbox.messages(account["email"]) if mail["template"] == "factor_changed"]
    assert any("authenticator app was removed" in text for text in changes)
    assert any("2FA is now off" in text and "withdrawals are on hold until" in text for text in changes)
    restrictions = app_client.get("/v1/session", headers=account["headers"]).json()["restrictions"]
    assert [(item["kind"], item["reason"]) for item in restrictions] == [("withdrawal", "mfa_disabled")]
    kinds = events(services, account["id"])
    assert "mfa.totp_removed" in kinds and "mfa.mfa_disabled" in kinds
    again = app_client.delete("/v1/me/totp", headers=account["headers"])
    assert again.status_code == 400 and again.json()["code"] == "mfa.method_unavailable"
