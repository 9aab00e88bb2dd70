"""Freeze (requirements §28), suspension and bans (requirements §30), the IP allowlist (requirements §29)."""

from __future__ import annotations

from datetime import timedelta

from bastion.clock import rfc3339
from tests.conftest import DEFAULT_PASSWORD, link_token


def sign_in(client, email: str, password: str = DEFAULT_PASSWORD) -> str:  # type: ignore[no-untyped-def]
    answer = client.post("/v1/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()["session"]["token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login_code(client, email: str, password: str = DEFAULT_PASSWORD) -> str:  # type: ignore[no-untyped-def]
    return client.post("/v1/login", json={"email": email, "password": password}).json().get("code", "ok")


def test_freezing_ends_every_session_and_refuses_sign_in_after_the_password(app_client, account_factory,
                                                                            mailbox) -> None:
    account = account_factory()
    first, second = sign_in(app_client, account["email"]), sign_in(app_client, account["email"])
    assert app_client.post("/v1/me/freeze", headers=bearer(second)).json() == {"status": "frozen"}
    for token in (first, second):
        assert app_client.get("/v1/session", headers=bearer(token)).json()["code"] == "session.revoked"
    assert login_code(app_client, account["email"]) == "account.frozen"
    # Before the first factor nothing is revealed.
    assert login_code(app_client, account["email"], "wrong password here again") == "credentials.invalid"
    assert mailbox.last(account["email"])["template"] == "account_frozen"


def test_the_freeze_link_in_a_security_email_freezes_once(app_client, account_factory, mailbox) -> None:
    account = account_factory()
    token = sign_in(app_client, account["email"])
    app_client.put("/v1/me/anti-phishing-code", json={"code": "Otter-7"}, headers=bearer(token))
    link = link_token(mailbox.last(account["email"])["text"], "/freeze?token=")
    assert app_client.get(f"/freeze?token={link}").status_code == 200  # a GET never freezes
    assert login_code(app_client, account["email"]) == "ok"
    assert app_client.post("/v1/freeze", json={"token": link}).json() == {"status": "frozen"}
    assert app_client.get("/v1/session", headers=bearer(token)).json()["code"] == "session.revoked"
    assert app_client.post("/v1/freeze", json={"token": link}).json()["code"] == "token.invalid"


def test_a_freeze_is_lifted_only_through_an_unfreeze_case(app_client, account_factory, staff) -> None:
    account = account_factory()
    app_client.post("/v1/me/freeze", headers=bearer(sign_in(app_client, account["email"])))
    owner_try = app_client.post(f"/v1/support/accounts/{account['id']}/unfreeze", json={"reason": "me"},
                                headers=bearer(sign_in(app_client, account_factory()["email"])))
    assert owner_try.json()["code"] == "permission.denied"
    without_case = app_client.post(f"/v1/support/accounts/{account['id']}/unfreeze",
                                   json={"reason": "identity checked"}, headers=staff("support")["headers"])
    assert without_case.status_code == 409 and without_case.json()["code"] == "case.not_ready"
    by_admin = app_client.post(f"/v1/admin/accounts/{account['id']}/reinstate", json={"reason": "asked by phone"},
                               headers=staff("admin")["headers"])
    assert by_admin.status_code == 422 and "unfreeze request" in by_admin.json()["detail"]
    assert login_code(app_client, account["email"]) == "account.frozen"


def test_staff_routes_need_a_session_signed_in_with_a_second_factor(app_client, account_factory) -> None:
    agent = account_factory(roles=["support"])
    refused = app_client.get("/v1/support/accounts?q=example", headers=bearer(sign_in(app_client, agent["email"])))
    assert refused.status_code == 403 and refused.json()["code"] == "permission.mfa_required"


def test_suspension_and_ban_need_an_admin_end_sessions_and_show_only_after_the_password(
    app_client, account_factory, clock, staff
) -> None:
    account = account_factory()
    admin, support = staff("admin")["token"], staff("support")["token"]
    session = sign_in(app_client, account["email"])
    path = f"/v1/admin/accounts/{account['id']}"
    assert app_client.post(f"{path}/suspend", json={"reason": "chargeback review"},
                           headers=bearer(support)).json()["code"] == "permission.denied"
    assert app_client.post(f"{path}/suspend", json={"reason": "chargeback review"},
                           headers=bearer(admin)).json() == {"status": "suspended"}
    assert app_client.get("/v1/session", headers=bearer(session)).json()["code"] == "session.revoked"
    refused = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}).json()
    assert refused["code"] == "account.suspended" and refused["detail"] == "chargeback review"
    assert login_code(app_client, account["email"], "wrong password here again") == "credentials.invalid"

    until = clock.now() + timedelta(days=1)
    assert app_client.post(f"{path}/ban", json={"reason": "abuse"}, headers=bearer(admin)).status_code == 422
    assert app_client.post(f"{path}/ban", json={"reason": "abuse", "until": rfc3339(until)},
                           headers=bearer(admin)).json() == {"status": "banned"}
    banned = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    assert banned.json()["code"] == "account.banned" and int(banned.headers["retry-after"]) == 86400
    clock.advance(days=1, seconds=1)
    assert login_code(app_client, account["email"]) == "ok"  # the ban ended by itself


def test_reinstating_lifts_a_suspension(app_client, account_factory, staff) -> None:
    account = account_factory()
    admin = staff("admin")["token"]
    path = f"/v1/admin/accounts/{account['id']}"
    app_client.post(f"{path}/suspend", json={"reason": "review"}, headers=bearer(admin))
    assert app_client.post(f"{path}/reinstate", json={"reason": "review done"},
                           headers=bearer(admin)).json() == {"status": "active"}
    assert login_code(app_client, account["email"]) == "ok"
    assert app_client.post("/v1/admin/accounts/nope/suspend", json={"reason": "x" * 5},
                           headers=bearer(admin)).status_code == 404


def test_ip_allowlist_limits_sign_in_needs_step_up_and_is_notified(app_client, account_factory, clock,
                                                                   mailbox) -> None:
    account = account_factory()
    token = sign_in(app_client, account["email"])
    bad = app_client.put("/v1/me/ip-allowlist", json={"cidrs": ["10.0.0.0/33"]}, headers=bearer(token))
    assert bad.status_code == 422 and "10.0.0.0/33" in bad.json()["detail"]
    too_many = app_client.put("/v1/me/ip-allowlist", json={"cidrs": [f"10.0.{i}.0/24" for i in range(21)]},
                              headers=bearer(token))
    assert too_many.status_code == 422
    saved = app_client.put("/v1/me/ip-allowlist", json={"cidrs": ["192.0.2.1", "2001:db8::/48", "192.0.2.1/32"]},
                           headers=bearer(token))
    assert saved.json() == {"cidrs": ["192.0.2.1/32", "2001:db8::/48"], "current_ip_allowed": False}
    assert mailbox.last(account["email"])["template"] == "ip_allowlist_changed"
    refused = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    assert refused.status_code == 403 and refused.json()["code"] == "account.ip_not_allowed"
    clock.advance(minutes=6)
    stale = app_client.put("/v1/me/ip-allowlist", json={"cidrs": []}, headers=bearer(token))
    assert stale.json()["code"] == "reauth.required"
    app_client.post("/v1/reauth", json={"password": DEFAULT_PASSWORD}, headers=bearer(token))
    assert app_client.put("/v1/me/ip-allowlist", json={"cidrs": []}, headers=bearer(token)).json()["cidrs"] == []
    assert login_code(app_client, account["email"]) == "ok"
