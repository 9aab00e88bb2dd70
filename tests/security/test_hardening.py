"""Response hardening: security headers on every kind of answer, cookie flags, and CSRF on every
unsafe route a cookie can authenticate — found by walking the app's routes, so a new route must
be protected or listed here with the reason it needs no token."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from bastion.context import Client
from bastion.sessions.tokens import issue_session
from bastion.startup import build_services
from bastion.web.app import create_app
from bastion.web.deps import csrf_token_for
from tests.conftest import DEFAULT_PASSWORD
from tests.security.conftest import app_routes

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Unsafe routes no cookie authenticates: what they act on comes in the request itself.
NO_COOKIE_AUTHORITY = {
    "/v1/login": "the credentials are in the body",
    "/v1/login/passkey/options": "starts a passwordless sign-in; no account yet",
    "/v1/login/passkey": "the passkey assertion is the credential",
    "/v1/login/{flow_id}/{method}": "the flow id and the code or passkey assertion are the credential",
    "/v1/login/{flow_id}/passkey/options": "the flow id is the credential",
    "/v1/login/{flow_id}/device": "the flow id and the emailed code are the credential",
    "/v1/accounts": "sign-up, before any account",
    "/v1/accounts/verify-email": "the emailed token is the credential",
    "/v1/accounts/resend-verification": "before sign-in; the same answer for everyone",
    "/v1/password-reset/resend": "before sign-in; the same answer for everyone",
    "/v1/login/{flow_id}/device/resend": "the flow id is the credential",
    "/v1/freeze": "the emailed token is the credential",
    "/v1/password-reset": "before sign-in; the same answer for everyone",
    "/v1/password-reset/confirm": "the emailed token is the credential",
    "/v1/introspect": "a service key in the Authorization header, never a cookie",
    "/v1/mfa-reset": "before sign-in: the email and password are in the body",
    "/v1/unfreeze-request": "before sign-in: the email and password are in the body",
    "/v1/allowlist-reset-request": "before sign-in: the email and password are in the body",
    "/v1/mfa-reset/cancel": "the emailed token is the credential",
    "/v1/mfa-reset/{case_id}/documents": "the emailed case link's token is the credential",
    "/v1/recovery-cases/{case_id}/documents": "the emailed case link's token is the credential",
    "/confirm": "the emailed token is the credential",
    "/login/device": "the emailed link's token is the credential",
    "/freeze": "the emailed token is the credential",
    "/oauth2/authorize": "an app's request posted to Bastion: the session cookie is not read (the person signs in)",
    "/oauth2/token": "client credentials and the code or refresh token, never a cookie",
    "/oauth2/revoke": "client credentials, never a cookie",
    "/oauth2/introspect": "client credentials, never a cookie",
    "/oauth2/userinfo": "a Bearer access token, never a cookie",
    "/oauth2/logout": "the id_token_hint is the credential; without one the person confirms on a page (CSRF token)",
}
ANY_ID = "00000000-0000-0000-0000-000000000000"
DOUBLE_SUBMIT = "A" * 43  # the shape of a form token (token_urlsafe(32))
COMMON_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY"}


def unsafe_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted((method, route.path) for route in app_routes(app) if hasattr(route, "methods")
                  for method in route.methods & UNSAFE)


def refused_for_csrf(answer) -> bool:  # type: ignore[no-untyped-def]
    if answer.headers.get("content-type", "").startswith("application/problem+json"):
        return answer.json()["code"] == "csrf.invalid"
    return answer.status_code == 403 and "Page expired" in answer.text  # the page of csrf.invalid


def test_every_unsafe_route_needs_the_csrf_token_with_a_session_cookie(services, app_client, account_factory) -> None:
    account = account_factory()
    checked = []
    for method, path in unsafe_routes(app_client.app):
        if path in NO_COOKIE_AUTHORITY:
            continue
        with services.db.transaction() as tx:  # a fresh session each time: some routes end it
            token, session = issue_session(services, tx, account["id"], Client(), remember=False)
        app_client.cookies.clear()  # only what this check sets: no form cookie from an earlier page
        app_client.cookies.set("bastion_session", token)

        def send(headers: dict[str, str] | None = None, form: dict[str, str] | None = None,
                 method: str = method, path: str = path):  # type: ignore[no-untyped-def]
            url = re.sub(r"\{[^}]+\}", ANY_ID, path)
            if path.startswith("/v1/"):
                return app_client.request(method, url, json={}, headers=headers or {})
            return app_client.request(method, url, data=form or {}, headers=headers or {}, follow_redirects=False)

        assert refused_for_csrf(send()), f"{method} {path} acted on a cookie without a CSRF token"
        assert refused_for_csrf(send(headers={"X-CSRF-Token": "forged-" + "x" * 60})), f"{method} {path}"
        csrf = csrf_token_for(services, session.id)
        with_token = send(form={"csrf_token": csrf}, headers={"X-CSRF-Token": csrf})
        if refused_for_csrf(with_token) and not path.startswith("/v1/"):
            # A form shown before sign-in: its token is the double-submit cookie's, not the session's.
            app_client.cookies.clear()  # the refusal page set a form cookie of its own
            app_client.cookies.set("bastion_session", token)
            app_client.cookies.set("bastion_csrf", DOUBLE_SUBMIT)
            with_token = send(form={"csrf_token": DOUBLE_SUBMIT}, headers={"X-CSRF-Token": DOUBLE_SUBMIT})
        assert not refused_for_csrf(with_token), f"{method} {path} refused a right token"
        checked.append(f"{method} {path}")
    assert len(checked) >= 30, checked
    listed = {path for _, path in unsafe_routes(app_client.app)}
    assert set(NO_COOKIE_AUTHORITY) <= listed, "an exempt route no longer exists: remove it from the list"


def test_a_bearer_token_needs_no_csrf_token(app_client, account_factory) -> None:
    account = account_factory()
    token = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}
                            ).json()["session"]["token"]
    app_client.cookies.clear()
    answer = app_client.post("/v1/me/totp/setup", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200  # a cross-site page cannot set this header


@pytest.mark.parametrize("path", ["/v1/status", "/login", "/v1/session", "/no/such/page", "/healthz"])
def test_security_headers_on_every_kind_of_answer(app_client, path: str) -> None:
    answer = app_client.get(path, headers={"Accept": "text/html"} if not path.startswith("/v1/") else {})
    for name, value in COMMON_HEADERS.items():
        assert answer.headers[name] == value, (path, name)
    assert answer.headers["cache-control"] == "no-store"
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy


def test_static_files_may_be_cached_and_still_carry_the_common_headers(app_client) -> None:
    answer = app_client.get("/static/bastion.css")
    assert answer.status_code == 200 and answer.headers.get("cache-control") != "no-store"
    assert all(answer.headers[name] == value for name, value in COMMON_HEADERS.items())


def _cookie(answer, name: str) -> str:  # type: ignore[no-untyped-def]
    lines = [line for line in answer.headers.get_list("set-cookie") if line.startswith(f"{name}=")]
    assert lines, f"no {name} cookie"
    return lines[0].lower()


def test_cookies_are_httponly_samesite_and_secure_behind_https(database_url, settings_factory, clock,
                                                               account_factory) -> None:
    services = build_services(settings_factory(database_url=database_url, public_url="https://bastion.example"),
                              clock=clock)
    from bastion.accounts.admin import create_account

    create_account(services, "cookies@example.com", DEFAULT_PASSWORD, roles=[], verified=True)
    with TestClient(create_app(services, deliver_mail=False), base_url="https://bastion.example") as client:
        form = client.get("/login")
        csrf = _cookie(form, "bastion_csrf")
        assert "httponly" in csrf and "secure" in csrf and "samesite=strict" in csrf
        field = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        signed_in = client.post("/login", data={"email": "cookies@example.com", "password": DEFAULT_PASSWORD,
                                                "csrf_token": field}, follow_redirects=False)
        assert signed_in.status_code == 303, signed_in.text
        session = _cookie(signed_in, "bastion_session")
        assert "httponly" in session and "secure" in session and "samesite=lax" in session and "path=/" in session
        device = _cookie(signed_in, "bastion_device")
        assert "httponly" in device and "secure" in device and "samesite" in device
    services.close()
