"""An app asks for more: `prompt=login`, `max_age`, `acr_values=aal2` (the second factor before a
withdrawal); the ID token's acr, amr and auth_time say what was done. Consent for third-party apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bastion.clock import MovableClock
from bastion.mfa.totp import otp as totp
from tests.oidc.conftest import Browser, RelyingParty, callback_of, through


def _confirm(browser: Browser, page: Any, method: str, secret: str) -> Any:
    fields = Browser.hidden(page.text)
    action = page.text.split('action="', 1)[1].split('"', 1)[0]
    return browser.follow(browser.client.post(action, data={"method": method, "secret": secret,
                                                            "csrf_token": fields["csrf_token"]},
                                              follow_redirects=False))


def test_prompt_login_asks_to_confirm_and_refreshes_auth_time(register: Callable[..., RelyingParty],
                                                              signed_in_flow: Browser, person: dict[str, str],
                                                              clock: MovableClock) -> None:
    rp = register()
    clock.advance(minutes=3)
    start = rp.start(prompt="login")
    page = through(signed_in_flow, rp, start)
    assert page.status_code == 200 and "Confirm it's you" in page.text and "Trading app" in page.text
    wrong = _confirm(signed_in_flow, page, "password", "not my password")
    assert wrong.status_code == 401 and "Confirm it's you" in wrong.text
    done = _confirm(signed_in_flow, wrong, "password", person["password"])
    claims = rp.id_claims(rp.finish(start, callback_of(done)), start.nonce)
    assert claims["auth_time"] == int(clock.now().timestamp()) and claims["acr"] == "aal1"


def test_max_age_exceeded_asks_again_and_recent_sign_in_goes_straight_through(
        register: Callable[..., RelyingParty], signed_in_flow: Browser, person: dict[str, str],
        clock: MovableClock) -> None:
    rp = register()
    recent = rp.start(max_age="600")
    assert through(signed_in_flow, rp, recent).status_code == 302
    clock.advance(minutes=11)
    start = rp.start(max_age="600")
    page = through(signed_in_flow, rp, start)
    assert page.status_code == 200 and "Confirm it's you" in page.text
    claims = rp.id_claims(rp.finish(start, callback_of(_confirm(signed_in_flow, page, "password",
                                                                person["password"]))), start.nonce)
    assert claims["auth_time"] == int(clock.now().timestamp())


def test_acr_values_aal2_forces_the_second_factor(register: Callable[..., RelyingParty], browser: Browser,
                                                  person: dict[str, str], clock: MovableClock,
                                                  with_totp: Callable[[str], str]) -> None:
    rp = register()
    browser.sign_in(person["email"])  # password only: aal 1
    secret = with_totp(person["id"])  # set up afterwards
    start = rp.start(acr_values="aal2")
    page = through(browser, rp, start)
    assert "asks for your second step" in page.text and 'name="method" value="totp"' in page.text
    assert "your password</a>" not in page.text  # a password does not satisfy it
    clock.advance(seconds=30)
    done = _confirm(browser, page, "totp", totp.code_at_time(secret, clock.now().timestamp()))
    claims = rp.id_claims(rp.finish(start, callback_of(done)), start.nonce)
    assert claims["acr"] == "aal2" and claims["amr"] == ["pwd", "otp", "mfa"]


def test_a_two_step_sign_in_already_satisfies_aal2(register: Callable[..., RelyingParty], browser: Browser,
                                                   person: dict[str, str], clock: MovableClock,
                                                   with_totp: Callable[[str], str]) -> None:
    secret = with_totp(person["id"])
    browser.sign_in(person["email"], totp_secret=secret, now=clock.now().timestamp())
    rp = register()
    start = rp.start(acr_values="aal2")
    claims = rp.id_claims(rp.finish(start, callback_of(through(browser, rp, start))), start.nonce)
    assert claims["acr"] == "aal2" and claims["amr"] == ["pwd", "otp", "mfa"]


def test_aal2_with_max_age_zero_needs_the_second_factor_again(register: Callable[..., RelyingParty],
                                                              browser: Browser, person: dict[str, str],
                                                              clock: MovableClock,
                                                              with_totp: Callable[[str], str]) -> None:
    secret = with_totp(person["id"])
    browser.sign_in(person["email"], totp_secret=secret, now=clock.now().timestamp())
    clock.advance(minutes=2)
    rp = register()
    start = rp.start(acr_values="aal2", max_age="0")
    page = through(browser, rp, start)
    assert "asks for your second step" in page.text
    done = _confirm(browser, page, "totp", totp.code_at_time(secret, clock.now().timestamp()))
    assert rp.id_claims(rp.finish(start, callback_of(done)), start.nonce)["acr"] == "aal2"


def test_third_party_app_asks_consent_once_and_remove_access_ends_it(
        register: Callable[..., RelyingParty], signed_in_flow: Browser) -> None:
    rp = register(first_party=False, name="Tax report partner")
    start = rp.start()
    page = through(signed_in_flow, rp, start)
    assert page.status_code == 200 and "Allow" in page.text and "Tax report partner" in page.text
    assert "See your email address" in page.text
    fields = Browser.hidden(page.text)
    action = page.text.split('action="/oauth2/consent/', 1)[1].split('"', 1)[0]
    forged = signed_in_flow.client.post(f"/oauth2/consent/{action}", data={"decision": "allow",
                                                                           "csrf_token": "forged"})
    assert forged.status_code == 403  # another site cannot consent for the person
    allowed = signed_in_flow.client.post(f"/oauth2/consent/{action}", data={"decision": "allow",
                                                                            "csrf_token": fields["csrf_token"]})
    token = rp.finish(start, callback_of(allowed))
    again = rp.start()
    assert through(signed_in_flow, rp, again).status_code == 302  # remembered

    apps = signed_in_flow.client.get("/security/apps")
    assert "Tax report partner" in apps.text and "Remove access" in apps.text
    removed = signed_in_flow.client.post(f"/security/apps/{rp.client_id}/remove",
                                         data={"csrf_token": Browser.hidden(apps.text)["csrf_token"]})
    assert "access is removed" in removed.text
    assert rp.userinfo(token["access_token"]).status_code == 401
    assert through(signed_in_flow, rp, rp.start()).status_code == 200  # asks again


def test_denied_consent_answers_access_denied(register: Callable[..., RelyingParty],
                                              signed_in_flow: Browser) -> None:
    rp = register(first_party=False)
    start = rp.start()
    page = through(signed_in_flow, rp, start)
    action = page.text.split('action="', 1)[1].split('"', 1)[0]
    denied = signed_in_flow.client.post(action, data={"decision": "deny",
                                                      "csrf_token": Browser.hidden(page.text)["csrf_token"]})
    callback = callback_of(denied)
    assert "error=access_denied" in callback and f"state={start.state}" in callback
