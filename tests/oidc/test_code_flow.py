"""Sign-in to an app through Bastion with the authorization code flow and PKCE, as a relying party
library does it (authlib's OAuth2Session), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from authlib.oidc.discovery import OpenIDProviderMetadata
from authlib.oidc.rpinitiated import OpenIDProviderMetadata as LogoutMetadata

from bastion.clock import MovableClock
from bastion.services import Services
from bastion.sessions.holds import place_hold
from tests.oidc.conftest import APP, BASE, Browser, RelyingParty, callback_of, params_of, through


def test_discovery_is_valid_openid_provider_metadata(register: Callable[..., RelyingParty]) -> None:
    metadata = register().metadata()
    OpenIDProviderMetadata(metadata).validate(metadata_classes=[LogoutMetadata])
    assert metadata["issuer"] == BASE and "RS256" in metadata["id_token_signing_alg_values_supported"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["backchannel_logout_supported"] is True


def test_jwks_publishes_rs256_and_es256_keys_without_private_parts(register: Callable[..., RelyingParty]) -> None:
    keys = register().session.get(f"{BASE}/oauth2/jwks", withhold_token=True).json()["keys"]
    assert sorted(key["alg"] for key in keys) == ["ES256", "RS256"]
    assert all("d" not in key and key["kid"] for key in keys)


def test_confidential_client_gets_a_verified_id_token_and_userinfo(
        register: Callable[..., RelyingParty], signed_in_flow: Browser, person: dict[str, str]) -> None:
    rp = register(scope="openid email restrictions")
    start = rp.start()
    callback = callback_of(through(signed_in_flow, rp, start))
    assert callback.startswith(APP) and params_of(callback)["iss"] == BASE  # RFC 9207
    token = rp.finish(start, callback)
    claims = rp.id_claims(token, start.nonce)
    assert claims["sub"] == person["id"] and claims["aud"] == rp.client_id
    assert claims["acr"] == "aal1" and claims["amr"] == ["pwd"] and claims["auth_time"] <= claims["iat"]
    assert token["expires_in"] == 300 and token["refresh_token"].startswith("brt_")
    info = rp.userinfo(token["access_token"]).json()
    assert info["email"] == person["email"] and info["email_verified"] is True
    assert info["bastion"] == {"status": "active", "restrictions": [], "withdrawals_allowed": True}


def test_userinfo_shows_a_security_hold(register: Callable[..., RelyingParty], signed_in_flow: Browser,
                                        person: dict[str, str], services: Services) -> None:
    rp = register(scope="openid restrictions")
    start = rp.start()
    token = rp.finish(start, callback_of(through(signed_in_flow, rp, start)))
    with services.db.transaction() as tx:
        place_hold(tx, services.clock.now(), person["id"], "withdrawal", "password_reset", timedelta(hours=24))
    claim = rp.userinfo(token["access_token"]).json()["bastion"]
    assert claim["withdrawals_allowed"] is False and claim["restrictions"][0]["reason"] == "password_reset"


def test_public_client_needs_pkce(register: Callable[..., RelyingParty], signed_in_flow: Browser) -> None:
    rp = register(public=True, first_party=True)
    plain = signed_in_flow.go(f"{BASE}/oauth2/authorize?response_type=code&client_id={rp.client_id}"
                              f"&redirect_uri={rp.redirect_uri}&scope=openid&state=s1")
    assert plain.status_code == 302 and params_of(plain.headers["location"])["error"] == "invalid_request"
    assert params_of(plain.headers["location"])["state"] == "s1"
    start = rp.start()
    token = rp.finish(start, callback_of(through(signed_in_flow, rp, start)))
    assert rp.id_claims(token, start.nonce)["aud"] == rp.client_id


def test_pkce_downgrade_and_a_wrong_verifier_are_refused(register: Callable[..., RelyingParty],
                                                         signed_in_flow: Browser) -> None:
    rp = register()
    start = rp.start()
    code = params_of(callback_of(through(signed_in_flow, rp, start)))["code"]
    for verifier in ("", "x" * 43):
        answer = rp.session.post(f"{BASE}/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": rp.redirect_uri, "code_verifier": verifier},
                                 auth=(rp.client_id, rp.secret), withhold_token=True)
        assert answer.status_code == 400 and answer.json()["error"] in ("invalid_request", "invalid_grant")


def test_a_code_works_once_and_its_reuse_revokes_what_it_gave(register: Callable[..., RelyingParty],
                                                              signed_in_flow: Browser) -> None:
    rp = register()
    start = rp.start()
    callback = callback_of(through(signed_in_flow, rp, start))
    token = rp.finish(start, callback)
    again = rp.session.post(f"{BASE}/oauth2/token", data={"grant_type": "authorization_code",
                            "code": params_of(callback)["code"], "redirect_uri": rp.redirect_uri,
                            "code_verifier": start.verifier}, auth=(rp.client_id, rp.secret), withhold_token=True)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert rp.userinfo(token["access_token"]).status_code == 401
    assert rp.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_code_expires_in_a_minute(register: Callable[..., RelyingParty], signed_in_flow: Browser,
                                    clock: MovableClock) -> None:
    rp = register()
    start = rp.start()
    callback = callback_of(through(signed_in_flow, rp, start))
    clock.advance(seconds=61)
    answer = rp.session.post(f"{BASE}/oauth2/token", data={"grant_type": "authorization_code",
                             "code": params_of(callback)["code"], "redirect_uri": rp.redirect_uri,
                             "code_verifier": start.verifier}, auth=(rp.client_id, rp.secret), withhold_token=True)
    assert answer.json()["error"] == "invalid_grant"


def test_a_code_of_one_app_buys_nothing_for_another(register: Callable[..., RelyingParty],
                                                    signed_in_flow: Browser) -> None:
    victim, attacker = register(), register(name="Other app")
    start = victim.start()
    callback = callback_of(through(signed_in_flow, victim, start))
    code = params_of(callback)["code"]
    answer = attacker.session.post(f"{BASE}/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                   "redirect_uri": attacker.redirect_uri, "code_verifier": start.verifier},
                                   auth=(attacker.client_id, attacker.secret), withhold_token=True)
    assert answer.json()["error"] == "invalid_grant"
    assert victim.finish(start, callback)["access_token"]  # the attempt did not use the code up


def test_redirect_address_must_match_exactly_and_is_never_followed_otherwise(
        register: Callable[..., RelyingParty], signed_in_flow: Browser) -> None:
    rp = register()
    for redirect in (rp.redirect_uri + "/x", rp.redirect_uri + "?a=1", "https://evil.example/cb",
                     rp.redirect_uri.upper()):
        answer = signed_in_flow.go(f"{BASE}/oauth2/authorize", params={
            "response_type": "code", "client_id": rp.client_id, "redirect_uri": redirect, "scope": "openid"})
        assert answer.status_code == 400 and "location" not in answer.headers
        assert "The app&#39;s sign-in link is not valid" in answer.text
    unknown = signed_in_flow.go(f"{BASE}/oauth2/authorize", params={
        "response_type": "code", "client_id": "app_nobody", "redirect_uri": "https://evil.example/cb"})
    assert unknown.status_code == 400 and "location" not in unknown.headers


def test_signed_out_person_signs_in_on_bastion_and_comes_back(register: Callable[..., RelyingParty],
                                                               browser: Browser, person: dict[str, str]) -> None:
    rp = register()
    start = rp.start()
    first = browser.go(start.url)
    assert first.status_code == 303 and first.headers["location"] == "/login"
    signed_in = browser.sign_in(person["email"])
    assert signed_in.headers["location"].startswith("/oauth2/authorize/resume/")
    page = browser.follow(signed_in)
    token = rp.finish(start, callback_of(page))  # a page that moves on by itself (form-action 'self')
    assert rp.id_claims(token, start.nonce)["sub"] == person["id"]
    assert browser.go("/login").headers["location"] == "/"  # the way back is used up


def test_form_post_response_mode(register: Callable[..., RelyingParty], signed_in_flow: Browser) -> None:
    rp = register()
    start = rp.start(response_mode="form_post")
    page = through(signed_in_flow, rp, start)
    assert page.status_code == 200 and f'action="{rp.redirect_uri}"' in page.text
    fields = Browser.hidden(page.text)
    assert fields["state"] == start.state and fields["code"].startswith("bac_") and fields["iss"] == BASE
    assert f"form-action 'self' {APP}" in page.headers["content-security-policy"]


def test_prompt_none_without_a_session_answers_login_required(register: Callable[..., RelyingParty],
                                                              browser: Browser) -> None:
    start = register().start(prompt="none")
    answer = browser.go(start.url)
    assert params_of(answer.headers["location"])["error"] == "login_required"
