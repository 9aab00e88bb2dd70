"""Changing the password while signed in: the current one proves it's you, other sessions end."""

from __future__ import annotations

from tests.conftest import DEFAULT_PASSWORD

NEW_PASSWORD = "quiet meadow tractor 47 umbrella"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(app_client, email: str, password: str = DEFAULT_PASSWORD):  # type: ignore[no-untyped-def]
    return app_client.post("/v1/login", json={"email": email, "password": password})


def test_the_current_password_changes_it_and_other_sessions_end(app_client, account_factory, mailbox) -> None:
    account = account_factory()
    here = sign_in(app_client, account["email"]).json()["session"]["token"]
    elsewhere = sign_in(app_client, account["email"]).json()["session"]["token"]

    changed = app_client.put("/v1/me/password", headers=bearer(here),
                             json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200 and changed.json() == {"revoked": 1}
    assert app_client.get("/v1/session", headers=bearer(here)).status_code == 200
    assert app_client.get("/v1/session", headers=bearer(elsewhere)).json()["code"] == "session.revoked"
    assert sign_in(app_client, account["email"]).json()["code"] == "credentials.invalid"
    assert sign_in(app_client, account["email"], NEW_PASSWORD).json()["status"] == "authenticated"
    mail = mailbox.last(account["email"])
    assert mail["subject"] == "Your password was changed" and "/freeze?token=" in mail["text"]
    assert NEW_PASSWORD not in mail["text"] and DEFAULT_PASSWORD not in mail["text"]


def test_other_sessions_may_be_kept(app_client, account_factory) -> None:
    account = account_factory()
    here = sign_in(app_client, account["email"]).json()["session"]["token"]
    elsewhere = sign_in(app_client, account["email"]).json()["session"]["token"]
    changed = app_client.put("/v1/me/password", headers=bearer(here), json={
        "current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "end_other_sessions": False})
    assert changed.json() == {"revoked": 0}
    assert app_client.get("/v1/session", headers=bearer(elsewhere)).status_code == 200


def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(app_client, account_factory, mailbox) -> None:
    account = account_factory()
    token = sign_in(app_client, account["email"]).json()["session"]["token"]
    wrong = app_client.put("/v1/me/password", headers=bearer(token),
                           json={"current_password": "not the password", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 401 and wrong.json()["code"] == "reauth.failed"
    weak = app_client.put("/v1/me/password", headers=bearer(token),
                          json={"current_password": DEFAULT_PASSWORD, "new_password": "password1234"})
    assert weak.status_code == 422 and weak.json()["code"] in {"password.weak", "password.breached"}
    assert sign_in(app_client, account["email"]).json()["status"] == "authenticated"
    assert all(mail["subject"] != "Your password was changed" for mail in mailbox.messages(account["email"]))
