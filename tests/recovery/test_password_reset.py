"""Password reset (requirements §5, §15): enumeration-safe, single use, newest only, ends sessions, places a hold."""

from __future__ import annotations

from bastion.sessions.service_keys import create_service_key
from tests.conftest import DEFAULT_PASSWORD, link_token

NEW_PASSWORD = "marble falcon orchard 61 drift"
RESET_PATH = "/password-reset/confirm?token="


def request_reset(client, email: str):  # type: ignore[no-untyped-def]
    return client.post("/v1/password-reset", json={"email": email})


def reset_token(mailbox, email: str) -> str:  # type: ignore[no-untyped-def]
    return link_token(mailbox.last(email)["text"], RESET_PATH)


def confirm(client, token: str, password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/v1/password-reset/confirm", json={"token": token, "new_password": password})


def sign_in(client, email: str, password: str = DEFAULT_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/v1/login", json={"email": email, "password": password})


def test_existing_and_unknown_addresses_get_the_same_answer(app_client, account_factory, mailbox) -> None:
    account = account_factory()
    known, unknown = request_reset(app_client, account["email"]), request_reset(app_client, "ghost@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert mailbox.messages("ghost@example.com") == []
    assert mailbox.last(account["email"])["template"] == "password_reset"


def test_reset_ends_sessions_never_signs_in_and_holds_withdrawals_for_24_hours(
    app_client, account_factory, mailbox, services, clock
) -> None:
    account = account_factory()
    old_session = sign_in(app_client, account["email"]).json()["session"]["token"]
    request_reset(app_client, account["email"])
    done = confirm(app_client, reset_token(mailbox, account["email"]))
    assert done.status_code == 200 and done.json() == {"status": "password_changed"}
    assert "token" not in done.text.replace('"status"', "")
    assert app_client.get("/v1/session", headers={"Authorization": f"Bearer {old_session}"}).json()["code"] == \
        "session.revoked"
    assert sign_in(app_client, account["email"]).json()["code"] == "credentials.invalid"
    token = sign_in(app_client, account["email"], NEW_PASSWORD).json()["session"]["token"]
    whoami = app_client.get("/v1/session", headers={"Authorization": f"Bearer {token}"}).json()
    assert [(item["kind"], item["reason"]) for item in whoami["restrictions"]] == [("withdrawal", "password_reset")]
    secret, _ = create_service_key(services, "platform")

    def introspected() -> list:  # type: ignore[type-arg]
        return app_client.post("/v1/introspect", json={"token": token},
                               headers={"Authorization": f"Bearer {secret}"}).json()["restrictions"]

    assert introspected()[0]["kind"] == "withdrawal"
    for _ in range(48):  # keep the session alive while a day passes
        clock.advance(minutes=29, seconds=50)
        app_client.get("/v1/session", headers={"Authorization": f"Bearer {token}"})
    clock.advance(minutes=10)
    assert introspected() == []
    done_mail = mailbox.last(account["email"])
    assert done_mail["template"] == "password_reset_done" and "/freeze?token=" in done_mail["text"]


def test_a_used_or_superseded_link_is_invalid_and_an_old_one_expired(app_client, account_factory, mailbox,
                                                                       clock) -> None:
    account = account_factory()
    request_reset(app_client, account["email"])
    first = reset_token(mailbox, account["email"])
    request_reset(app_client, account["email"])
    second = reset_token(mailbox, account["email"])
    assert confirm(app_client, first).json()["code"] == "token.invalid"  # only the newest works
    assert confirm(app_client, second).status_code == 200
    assert confirm(app_client, second, "another fine 42 passphrase").json()["code"] == "token.invalid"
    request_reset(app_client, account["email"])
    late = reset_token(mailbox, account["email"])
    clock.advance(minutes=30, seconds=1)
    answer = confirm(app_client, late)
    assert answer.status_code == 410 and answer.json()["code"] == "token.expired"


def test_a_refused_new_password_does_not_use_up_the_link(app_client, account_factory, mailbox) -> None:
    account = account_factory()
    request_reset(app_client, account["email"])
    token = reset_token(mailbox, account["email"])
    assert confirm(app_client, token, "password1234").json()["code"] in {"password.breached", "password.weak"}
    assert confirm(app_client, token).status_code == 200


def test_forgot_password_works_while_locked_and_the_reset_lifts_the_lock(app_client, account_factory,
                                                                          mailbox) -> None:
    account = account_factory()
    for _ in range(6):
        sign_in(app_client, account["email"], "wrong password again and again")
    assert sign_in(app_client, account["email"]).json()["code"] == "account.locked"
    assert request_reset(app_client, account["email"]).status_code == 202
    confirm(app_client, reset_token(mailbox, account["email"]))
    assert sign_in(app_client, account["email"], NEW_PASSWORD).json()["status"] == "authenticated"


def test_requests_are_rate_limited_per_identifier(app_client, account_factory) -> None:
    account = account_factory()
    answers = [request_reset(app_client, account["email"]).status_code for _ in range(6)]
    assert answers == [202] * 5 + [429]
    limited = request_reset(app_client, account["email"])
    assert limited.json()["code"] == "rate_limited" and int(limited.headers["retry-after"]) > 0
    # The same for an address without an account: the limit reveals nothing.
    ghost = [request_reset(app_client, "ghost@example.com").status_code for _ in range(6)]
    assert ghost == answers


def test_the_pages_take_a_person_through_the_reset(app_client, account_factory, mailbox) -> None:
    account = account_factory()
    page = app_client.get("/password-reset")
    csrf = app_client.cookies.get("bastion_csrf")
    assert page.status_code == 200 and 'autocomplete="username"' in page.text
    sent = app_client.post("/password-reset", data={"email": account["email"], "csrf_token": csrf})
    assert "Check your email" in sent.text
    token = reset_token(mailbox, account["email"])
    form = app_client.get(f"{RESET_PATH}{token}")
    assert 'autocomplete="new-password"' in form.text
    done = app_client.post("/password-reset/confirm", data={"token": token, "new_password": NEW_PASSWORD,
                                                           "csrf_token": app_client.cookies.get("bastion_csrf")})
    assert "Password changed" in done.text
    reused = app_client.post("/password-reset/confirm", data={"token": token, "new_password": NEW_PASSWORD,
                                                             "csrf_token": app_client.cookies.get("bastion_csrf")})
    assert "Link not valid" in reused.text and "Reference" in reused.text
