"""Sign-out reaches the apps: RP-initiated logout, and back-channel logout tokens whenever sessions
end (freeze, password reset, sign-out), delivered to a loopback receiver and retried."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from bastion.accounts.status import freeze_account
from bastion.context import Client
from bastion.oidc.logout import LOGOUT_EVENT, deliver_logout_tokens
from bastion.oidc.models import OidcLogoutDelivery
from bastion.recovery.password_reset import confirm_password_reset, request_password_reset
from bastion.services import Services
from tests.conftest import Mailbox, link_token
from tests.oidc.conftest import APP, BASE, Browser, RelyingParty, callback_of, through
from tests.oidc.receiver import LogoutReceiver


def _sign_in_app(rp: RelyingParty, browser: Browser) -> tuple[dict[str, Any], dict[str, Any]]:
    start = rp.start()
    token = rp.finish(start, callback_of(through(browser, rp, start)))
    return token, rp.id_claims(token, start.nonce)


def _logout_claims(rp: RelyingParty, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(rp.session.get(f"{BASE}/oauth2/jwks", withhold_token=True).json())
    decoded = jwt.decode(token, keys)
    assert decoded.header["typ"] == "logout+jwt"
    return dict(decoded.claims)


def test_rp_initiated_logout_ends_the_session_and_returns_to_the_registered_address(
        register: Callable[..., RelyingParty], signed_in_flow: Browser) -> None:
    rp = register()
    token, _claims = _sign_in_app(rp, signed_in_flow)
    bye = signed_in_flow.go(f"{BASE}/oauth2/logout", params={
        "id_token_hint": token["id_token"], "post_logout_redirect_uri": f"{APP}/bye", "state": "s9"})
    assert bye.status_code == 302 and bye.headers["location"] == f"{APP}/bye?state=s9"
    assert signed_in_flow.go("/security/sessions").headers["location"] == "/login"
    assert rp.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"


def test_logout_never_redirects_to_an_unregistered_address_and_asks_without_a_hint(
        register: Callable[..., RelyingParty], signed_in_flow: Browser, person: dict[str, str]) -> None:
    rp = register()
    token, _ = _sign_in_app(rp, signed_in_flow)
    evil = signed_in_flow.go(f"{BASE}/oauth2/logout", params={
        "id_token_hint": token["id_token"], "post_logout_redirect_uri": "https://evil.example/"})
    assert evil.status_code == 303 and evil.headers["location"] == "/login?done=signed-out"  # signed out, not sent away
    signed_in_flow.sign_in(person["email"])
    bare = signed_in_flow.go(f"{BASE}/oauth2/logout")
    assert bare.status_code == 200 and "Sign out of Bastion?" in bare.text  # a bare link signs nobody out
    forged = signed_in_flow.client.post("/oauth2/logout/confirm", data={"csrf_token": "forged"},
                                        follow_redirects=False)
    assert forged.status_code == 403
    confirmed = signed_in_flow.client.post("/oauth2/logout/confirm", data=Browser.hidden(bare.text),
                                           follow_redirects=False)
    assert confirmed.headers["location"] == "/login?done=signed-out"


def test_back_channel_logout_after_a_freeze(register: Callable[..., RelyingParty], signed_in_flow: Browser,
                                            services: Services, person: dict[str, str]) -> None:
    with LogoutReceiver() as receiver:
        rp = register(backchannel=receiver.url, offline=True)
        token, claims = _sign_in_app(rp, signed_in_flow)
        freeze_account(services, person["id"], Client(ip="192.0.2.1"), via="test")
        assert deliver_logout_tokens(services) == 1
        logout = _logout_claims(rp, receiver.tokens[0])
    assert logout["iss"] == BASE and logout["aud"] == rp.client_id and logout["sub"] == person["id"]
    assert logout["sid"] == claims["sid"] and logout["events"] == {LOGOUT_EVENT: {}} and "nonce" not in logout
    assert rp.userinfo(token["access_token"]).status_code == 401


def test_back_channel_logout_after_a_password_reset(register: Callable[..., RelyingParty],
                                                    signed_in_flow: Browser, services: Services,
                                                    person: dict[str, str], mailbox: Mailbox) -> None:
    with LogoutReceiver() as receiver:
        rp = register(backchannel=receiver.url)
        _sign_in_app(rp, signed_in_flow)
        request_password_reset(services, person["email"], Client())
        reset = link_token(mailbox.last(person["email"])["text"], "/password-reset/confirm?token=")
        confirm_password_reset(services, reset, "a brand new passphrase 77 orbit", Client())
        assert deliver_logout_tokens(services) == 1
        assert _logout_claims(rp, receiver.tokens[0])["sub"] == person["id"]


def test_an_unreachable_app_is_retried_with_backoff(register: Callable[..., RelyingParty],
                                                    signed_in_flow: Browser, services: Services,
                                                    person: dict[str, str], clock: Any) -> None:
    with LogoutReceiver(status=503) as receiver:
        rp = register(backchannel=receiver.url)
        _sign_in_app(rp, signed_in_flow)
        freeze_account(services, person["id"], Client(), via="test")
        assert deliver_logout_tokens(services) == 0
        with services.db.transaction() as tx:
            row = tx.execute(select(OidcLogoutDelivery)).scalar_one()
        assert row.attempts == 1 and row.sent_at is None and row.next_attempt_at > clock.now()
        assert deliver_logout_tokens(services) == 0  # not due yet
        receiver.status = 200
        clock.advance(seconds=31)
        assert deliver_logout_tokens(services) == 1 and len(receiver.tokens) == 1
