"""The server-rendered pages: sign-up, confirm, sign-in, home and sessions, the dev mailbox."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bastion import __version__
from bastion.signin.models import SignInAttempt
from bastion.startup import build_services
from bastion.web.app import create_app
from tests.conftest import DEFAULT_PASSWORD, link_token

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 Mobile Safari/604.1"
REFERENCE = re.compile(r"R-[0-9A-Z]{8}")


def hidden(page: str, name: str = "csrf_token") -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name} field"
    return match.group(1)


def csrf_for(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return hidden(page.text)


def set_cookies(response) -> list[str]:  # type: ignore[no-untyped-def]
    return response.headers.get_list("set-cookie")


def cookie_named(response, name: str) -> str:  # type: ignore[no-untyped-def]
    found = [value for value in set_cookies(response) if value.startswith(f"{name}=")]
    assert found, f"no {name} cookie set"
    return found[0]


def sign_in(client: TestClient, email: str, password: str = DEFAULT_PASSWORD, remember: bool = False):  # type: ignore[no-untyped-def]
    data = {"email": email, "password": password, "csrf_token": csrf_for(client, "/login")}
    if remember:
        data["remember"] = "on"
    answer = client.post("/login", data=data, follow_redirects=False)
    if answer.status_code == 303 and answer.headers["location"] == "/login":  # refused: shown on the page again
        return client.get("/login")
    return answer


def at_the_step(client: TestClient, answer):  # type: ignore[no-untyped-def]
    """The page of the sign-in's next step the answer sends the browser to (Post/Redirect/Get)."""
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login/"), answer.text
    return client.get(answer.headers["location"])


def session_ids_to_end(page: str) -> list[str]:
    return re.findall(r'action="/security/sessions/([^/"]+)/end"', page)


def test_sign_up_confirm_sign_in_and_manage_sessions(app_client, mailbox) -> None:
    signup = app_client.post("/signup", data={"email": "Dana@Example.com", "password": DEFAULT_PASSWORD,
                                              "csrf_token": csrf_for(app_client, "/signup")})
    assert signup.status_code == 200
    assert "Check your email" in signup.text and "dana@example.com" in signup.text

    token = link_token(mailbox.last("dana@example.com")["text"])
    for _ in range(2):  # mail scanners fetch links: a GET must not use the token up
        confirm = app_client.get(f"/confirm?token={token}")
        assert confirm.status_code == 200
        assert "Confirm my email" in confirm.text and hidden(confirm.text, "token") == token
    confirmed = app_client.post("/confirm", data={"token": token, "csrf_token": hidden(confirm.text)})
    assert confirmed.status_code == 200
    assert "Email confirmed" in confirmed.text and 'href="/login"' in confirmed.text

    # A second session elsewhere, through the API.
    phone = app_client.post("/v1/login", json={"email": "dana@example.com", "password": DEFAULT_PASSWORD},
                            headers={"user-agent": PHONE})
    phone_token = phone.json()["session"]["token"]

    login = sign_in(app_client, "dana@example.com")
    assert login.status_code == 303 and login.headers["location"] == "/"
    cookie = cookie_named(login, "bastion_session")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    assert "Max-Age" not in cookie  # not "keep me signed in": gone when the browser closes

    home = app_client.get("/")
    assert home.status_code == 200
    assert "dana@example.com" in home.text and "Signed in on 1 other session" in home.text
    home = app_client.get("/security/sessions")
    assert "This device" in home.text and "Mobile Safari on iOS" in home.text
    assert len(session_ids_to_end(home.text)) == 1
    assert "Signed in" in app_client.get("/security/activity").text

    ended = app_client.post("/security/sessions/end-others", data={"csrf_token": hidden(home.text)},
                            follow_redirects=False)
    assert ended.status_code == 303
    home = app_client.get(ended.headers["location"])
    assert "All your other sessions have been ended." in home.text
    assert session_ids_to_end(home.text) == []
    revoked = app_client.get("/v1/session", headers={"authorization": f"Bearer {phone_token}"})
    assert revoked.json()["code"] == "session.revoked"

    logout = app_client.post("/logout", data={"csrf_token": hidden(home.text)}, follow_redirects=False)
    assert logout.status_code == 303 and logout.headers["location"].startswith("/login")
    assert "bastion_session" not in app_client.cookies
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_keep_me_signed_in_lasts_until_the_session_expires(app_client, account_factory) -> None:
    account = account_factory()
    login = sign_in(app_client, account["email"], remember=True)
    assert login.status_code == 303
    assert f"Max-Age={30 * 24 * 3600}" in cookie_named(login, "bastion_session")


def test_ending_one_session_leaves_the_others(app_client, account_factory) -> None:
    account = account_factory()
    other = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    other_token = other.json()["session"]["token"]
    sign_in(app_client, account["email"])
    home = app_client.get("/security/sessions")
    [other_id] = session_ids_to_end(home.text)

    ended = app_client.post(f"/security/sessions/{other_id}/end", data={"csrf_token": hidden(home.text)},
                            follow_redirects=False)
    assert ended.status_code == 303
    assert app_client.get("/v1/session", headers={"authorization": f"Bearer {other_token}"}).status_code == 401
    assert app_client.get("/", follow_redirects=False).status_code == 200


def test_login_refusal_shows_message_reference_and_steps_but_no_code(app_client, account_factory, services) -> None:
    account = account_factory()
    refused = sign_in(app_client, account["email"], password="not the right password at all")
    assert refused.status_code == 401
    page = refused.text
    assert "Email or password is not right" in page
    assert "The email or password you entered is not correct." in page
    assert "check Caps Lock" in page
    reference = REFERENCE.search(page)
    assert reference
    assert "credentials.invalid" not in page and "Traceback" not in page
    assert f'value="{account["email"]}"' in page  # the email is kept
    assert not any(value.startswith("bastion_session=") for value in set_cookies(refused))
    with services.db.transaction() as tx:
        recorded = tx.execute(select(SignInAttempt).where(SignInAttempt.reference == reference.group(0))).scalar_one()
    assert recorded.outcome == "failure"


def test_unconfirmed_email_is_explained_on_the_sign_in_page(app_client, account_factory) -> None:
    account = account_factory(verified=False)
    refused = sign_in(app_client, account["email"])
    assert refused.status_code == 403
    assert "Confirm your email first" in refused.text and "spam folder" in refused.text
    assert "account.email_unverified" not in refused.text


def test_signup_policy_refusal_keeps_the_email_and_shows_the_steps(app_client) -> None:
    refused = app_client.post("/signup", data={"email": "erin@example.com", "password": "q1w2e3r4t5y6u7i8",
                                               "csrf_token": csrf_for(app_client, "/signup")})
    assert refused.status_code == 422
    assert "Password too common" in refused.text and "don&#39;t use anywhere else" in refused.text
    assert REFERENCE.search(refused.text)
    assert 'value="erin@example.com"' in refused.text
    assert "password.breached" not in refused.text


def test_signup_answers_the_same_page_for_a_taken_address(app_client, account_factory) -> None:
    owner = account_factory(email="owner@example.com")
    pages = [app_client.post("/signup", data={"email": email, "password": DEFAULT_PASSWORD,
                                              "csrf_token": csrf_for(app_client, "/signup")}).text
             for email in ("owner@example.com", "fresh@example.com")]
    assert pages[0].replace(owner["email"], "fresh@example.com") == pages[1]


def test_used_or_expired_confirmation_links_are_explained(app_client, mailbox, clock) -> None:
    app_client.post("/signup", data={"email": "late@example.com", "password": DEFAULT_PASSWORD,
                                     "csrf_token": csrf_for(app_client, "/signup")})
    token = link_token(mailbox.last("late@example.com")["text"])
    csrf = csrf_for(app_client, f"/confirm?token={token}")
    clock.advance(hours=24, seconds=1)
    expired = app_client.post("/confirm", data={"token": token, "csrf_token": csrf})
    assert expired.status_code == 410
    assert "Link expired" in expired.text and "Request a new one." in expired.text
    assert REFERENCE.search(expired.text) and "token.expired" not in expired.text

    unknown = app_client.post("/confirm", data={"token": "not-a-real-token", "csrf_token": csrf})
    assert unknown.status_code == 400 and "Link not valid" in unknown.text


@pytest.mark.parametrize("path, data", [
    ("/login", {"email": "someone@example.com", "password": DEFAULT_PASSWORD}),
    ("/signup", {"email": "someone@example.com", "password": DEFAULT_PASSWORD}),
    ("/confirm", {"token": "a-token"}),
])
def test_forms_before_sign_in_refuse_a_post_without_the_csrf_value(app_client, mailbox, path, data) -> None:
    csrf_for(app_client, "/login")  # the browser holds a CSRF cookie
    for extra in ({}, {"csrf_token": "x" * 43}):
        refused = app_client.post(path, data={**data, **extra})
        assert refused.status_code == 403
        assert "Page expired" in refused.text and REFERENCE.search(refused.text)
        assert "csrf.invalid" not in refused.text
    assert mailbox.messages() == []
    assert "bastion_session" not in app_client.cookies


def test_a_cross_site_form_without_the_cookie_is_refused(app_client, account_factory) -> None:
    account = account_factory()
    value = csrf_for(app_client, "/login")
    app_client.cookies.clear()
    refused = app_client.post("/login", data={"email": account["email"], "password": DEFAULT_PASSWORD,
                                              "csrf_token": value}, follow_redirects=False)
    assert refused.status_code == 403 and "Page expired" in refused.text


def test_signed_in_forms_refuse_a_post_without_the_csrf_value(app_client, account_factory) -> None:
    account = account_factory()
    sign_in(app_client, account["email"])
    for path in ("/logout", "/security/sessions/end-others", "/security/freeze", "/security/password",
                 "/security/totp/setup", "/security/anti-phishing-code"):
        refused = app_client.post(path, data={}, follow_redirects=False)
        assert refused.status_code == 403 and "Page expired" in refused.text
    assert app_client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_home_sends_the_signed_out_to_the_sign_in_page(app_client, account_factory, clock) -> None:
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/login"
    account = account_factory()
    sign_in(app_client, account["email"])
    assert app_client.get("/login", follow_redirects=False).headers["location"] == "/"
    clock.advance(minutes=31)  # idle timeout
    expired = app_client.get("/", follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"] == "/login"
    assert "bastion_session" not in app_client.cookies


def test_pages_keep_to_the_content_security_policy(app_client) -> None:
    for path in ("/login", "/signup"):
        page = app_client.get(path)
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["content-type"].startswith("text/html")
        # One script, served by Bastion: nothing inline, nothing from elsewhere.
        assert re.findall(r"<script[^>]*>", page.text) == [
            '<script src="/static/bastion.js?v=0.1.0" defer>'.replace("0.1.0", __version__)]
        assert "style=" not in page.text and "on" + "click" not in page.text
    assert 'autocomplete="username"' in app_client.get("/signup").text
    assert 'autocomplete="username webauthn"' in app_client.get("/login").text
    assert 'autocomplete="current-password"' in app_client.get("/login").text
    assert 'autocomplete="new-password"' in app_client.get("/signup").text
    csrf_cookie = cookie_named(app_client.get("/login"), "bastion_csrf")
    assert "HttpOnly" in csrf_cookie and "samesite=strict" in csrf_cookie.lower()
    for asset in ("/static/bastion.css", "/static/bastion.js"):
        assert app_client.get(asset).status_code == 200


def test_dev_mailbox_lists_the_outbox_and_shows_a_message(app_client, mailbox) -> None:
    app_client.post("/signup", data={"email": "mia@example.com", "password": DEFAULT_PASSWORD,
                                     "csrf_token": csrf_for(app_client, "/signup")})
    listing = app_client.get("/dev/mailbox")
    assert listing.status_code == 200
    assert "Confirm your email address" in listing.text and "mia@example.com" in listing.text
    [message_id] = re.findall(r'href="/dev/mailbox/(\d+)"', listing.text)

    message = app_client.get(f"/dev/mailbox/{message_id}")
    assert message.status_code == 200
    token = link_token(mailbox.last("mia@example.com")["text"])
    assert f'<a href="http://testserver/confirm?token={token}">' in message.text
    assert f'src="/dev/mailbox/{message_id}/html"' in message.text and "sandbox=" in message.text
    assert "frame-src 'self'" in message.headers["content-security-policy"]

    body = app_client.get(f"/dev/mailbox/{message_id}/html")
    assert body.status_code == 200 and "Confirm my email" in body.text
    policy = body.headers["content-security-policy"]
    assert "sandbox" in policy and "script-src" not in policy and "frame-ancestors 'self'" in policy
    assert app_client.get("/dev/mailbox/999999").status_code == 404


def test_dev_mailbox_is_not_there_when_smtp_is_configured(database_url, settings_factory, clock) -> None:
    settings = settings_factory(smtp_url="smtp://127.0.0.1:2525", database_url=database_url)
    services = build_services(settings, clock=clock)
    try:
        with TestClient(create_app(services, deliver_mail=False), raise_server_exceptions=False) as client:
            for path in ("/dev/mailbox", "/dev/mailbox/1", "/dev/mailbox/1/html"):
                answer = client.get(path)
                assert answer.status_code == 404
                assert "Not found" in answer.text and REFERENCE.search(answer.text)
            assert "dev mailbox" not in client.post(
                "/signup", data={"email": "sam@example.com", "password": DEFAULT_PASSWORD,
                                 "csrf_token": csrf_for(client, "/signup")}).text
    finally:
        services.close()
