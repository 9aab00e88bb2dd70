"""Sessions (requirements §25-27): expiry by the clock, revocation, cookies and CSRF, introspection."""

from __future__ import annotations

import pytest

from bastion.crypto import hash_token
from bastion.sessions.models import Session
from bastion.sessions.service_keys import create_service_key, revoke_service_key
from tests.conftest import DEFAULT_PASSWORD


def sign_in(client, account, **extra) -> str:  # type: ignore[no-untyped-def]
    answer = client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD, **extra})
    assert answer.status_code == 200, answer.text
    return answer.json()["session"]["token"]


def whoami(client, token: str):  # type: ignore[no-untyped-def]
    return client.get("/v1/session", headers={"Authorization": f"Bearer {token}"})


def test_token_is_256_bits_and_only_its_hash_is_stored(app_client, account_factory, services) -> None:
    token = sign_in(app_client, account_factory())
    random_part, _, mac = token.removeprefix("bst_").partition(".")
    assert len(random_part) == 43 and len(mac) == 32  # 32 bytes, base64url; a MAC over them
    with services.db.transaction() as tx:
        stored = tx.query(Session).one()
    assert stored.token_hash == hash_token(token)
    assert token not in repr(vars(stored))


def test_every_sign_in_gets_a_new_token(app_client, account_factory) -> None:
    account = account_factory()
    assert sign_in(app_client, account) != sign_in(app_client, account)


def test_idle_session_expires_after_30_minutes_without_use(app_client, account_factory, clock) -> None:
    token = sign_in(app_client, account_factory())
    clock.advance(minutes=29)
    assert whoami(app_client, token).status_code == 200
    clock.advance(minutes=29)  # used at 29 min: idle counts from there
    assert whoami(app_client, token).status_code == 200
    clock.advance(minutes=30, seconds=1)
    answer = whoami(app_client, token)
    assert answer.status_code == 401 and answer.json()["code"] == "session.expired"


def test_active_session_still_ends_12_hours_after_sign_in(app_client, account_factory, clock) -> None:
    token = sign_in(app_client, account_factory())
    for _ in range(24):
        clock.advance(minutes=29, seconds=50)
        assert whoami(app_client, token).status_code == 200
    clock.advance(minutes=4)  # 11 h 59 m 20 s + 4 m > 12 h
    assert whoami(app_client, token).json()["code"] == "session.expired"


def test_keep_me_signed_in_lasts_7_idle_and_30_absolute_days(app_client, account_factory, clock) -> None:
    token = sign_in(app_client, account_factory(), remember_device=True)
    clock.advance(days=6, hours=23)
    assert whoami(app_client, token).status_code == 200
    for _ in range(3):
        clock.advance(days=6, hours=23)
        assert whoami(app_client, token).status_code == 200
    clock.advance(days=6, hours=23)  # day 34: past the 30-day absolute limit
    assert whoami(app_client, token).json()["code"] == "session.expired"


def test_revoked_session_is_refused_as_revoked(app_client, account_factory) -> None:
    account = account_factory()
    first, second = sign_in(app_client, account), sign_in(app_client, account)
    sessions = app_client.get("/v1/me/sessions", headers={"Authorization": f"Bearer {second}"}).json()["sessions"]
    assert [item["current"] for item in sessions] == [True, False]
    other = sessions[1]["id"]
    assert app_client.delete(f"/v1/me/sessions/{other}", headers={"Authorization": f"Bearer {second}"}).status_code == 204
    answer = whoami(app_client, first)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "session.revoked"
    assert whoami(app_client, second).status_code == 200


def test_end_all_other_sessions_keeps_the_current_one(app_client, account_factory) -> None:
    account = account_factory()
    tokens = [sign_in(app_client, account) for _ in range(3)]
    answer = app_client.delete("/v1/me/sessions", headers={"Authorization": f"Bearer {tokens[-1]}"})
    assert answer.json() == {"revoked": 2}
    assert [whoami(app_client, token).status_code for token in tokens] == [401, 401, 200]


def test_a_session_of_another_account_cannot_be_ended(app_client, account_factory) -> None:
    mine, theirs = sign_in(app_client, account_factory()), sign_in(app_client, account_factory())
    their_id = whoami(app_client, theirs).json()["session"]["id"]
    answer = app_client.delete(f"/v1/me/sessions/{their_id}", headers={"Authorization": f"Bearer {mine}"})
    assert answer.status_code == 404
    assert whoami(app_client, theirs).status_code == 200


def test_logout_ends_the_session(app_client, account_factory) -> None:
    token = sign_in(app_client, account_factory())
    assert app_client.post("/v1/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert whoami(app_client, token).json()["code"] == "session.revoked"


@pytest.mark.parametrize("header, code", [
    (None, "session.required"),
    ("Bearer bst_not-a-real-token", "session.invalid"),
    ("Bearer something-else", "session.invalid"),
    ("Basic dXNlcjpwYXNz", "session.invalid"),
    ("Bearer ", "session.invalid"),
])
def test_missing_or_unknown_tokens_are_refused_clearly(app_client, header, code) -> None:
    headers = {"Authorization": header} if header is not None else {}
    answer = app_client.get("/v1/session", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == code
    # How to authenticate, and for a token that was sent, that it is not valid (RFC 6750 §3).
    assert answer.headers["www-authenticate"] == (
        'Bearer realm="bastion"' if code == "session.required" else 'Bearer realm="bastion", error="invalid_token"')


def test_cookie_sessions_need_the_csrf_token_on_unsafe_requests(app_client, account_factory) -> None:
    token = sign_in(app_client, account_factory())
    app_client.cookies.set("bastion_session", token)
    csrf = app_client.get("/v1/session").json()["csrf_token"]
    refused = app_client.delete("/v1/me/sessions")
    assert refused.status_code == 403 and refused.json()["code"] == "csrf.invalid"
    wrong = app_client.delete("/v1/me/sessions", headers={"X-CSRF-Token": csrf[:-1] + ("1" if csrf[-1] == "0" else "0")})
    assert wrong.json()["code"] == "csrf.invalid"
    assert app_client.delete("/v1/me/sessions", headers={"X-CSRF-Token": csrf}).status_code == 200


def test_introspection_needs_a_live_service_key(app_client, account_factory, services) -> None:
    token = sign_in(app_client, account_factory())
    secret, view = create_service_key(services, "platform")
    answer = app_client.post("/v1/introspect", json={"token": token}, headers={"Authorization": f"Bearer {secret}"})
    body = answer.json()
    assert body["active"] is True and body["aal"] == 1 and body["restrictions"] == []
    assert body["session_id"] == whoami(app_client, token).json()["session"]["id"]
    revoke_service_key(services, view.id)
    refused = app_client.post("/v1/introspect", json={"token": token}, headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401 and refused.json()["code"] == "service_key.invalid"
    # A session token is not a service key.
    assert app_client.post("/v1/introspect", json={"token": token},
                           headers={"Authorization": f"Bearer {token}"}).json()["code"] == "service_key.invalid"


def test_introspection_reports_dead_sessions_as_inactive(app_client, account_factory, services, clock) -> None:
    token = sign_in(app_client, account_factory())
    secret, _ = create_service_key(services, "platform")
    clock.advance(minutes=31)
    answer = app_client.post("/v1/introspect", json={"token": token}, headers={"Authorization": f"Bearer {secret}"})
    assert answer.json() == {"active": False, "restrictions": []}
