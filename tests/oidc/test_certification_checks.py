"""The OpenID Foundation's basic and config profile checks not covered elsewhere (docs/oidc.md lists
every check and the test behind it)."""

from __future__ import annotations

from collections.abc import Callable

from bastion.clock import MovableClock
from tests.oidc.conftest import BASE, Browser, RelyingParty, callback_of, params_of, through


def test_request_without_nonce_unknown_parameters_and_hints_succeed(register: Callable[..., RelyingParty],
                                                                    signed_in_flow: Browser) -> None:
    rp = register()
    start = rp.start(login_hint="someone@example.com", ui_locales="de", claims_locales="fr", display="popup",
                     whatever="ignored", acr_values="aal1", scope="openid profile address phone email")
    url = start.url.replace(f"&nonce={start.nonce}", "")
    callback = callback_of(signed_in_flow.follow(signed_in_flow.go(url)))
    token = rp.finish(start, callback)
    assert set(token["scope"].split()) == {"openid", "email"}  # scopes it cannot serve are left out
    assert "id_token" in token


def test_authorization_request_by_post_and_client_secret_post(register: Callable[..., RelyingParty],
                                                              signed_in_flow: Browser) -> None:
    rp = register()
    start = rp.start()
    query = start.url.split("?", 1)[1]
    fields = dict(item.split("=", 1) for item in query.split("&"))
    from urllib.parse import unquote_plus

    posted = signed_in_flow.client.post("/oauth2/authorize", data={k: unquote_plus(v) for k, v in fields.items()},
                                        follow_redirects=False)
    assert posted.headers["location"] == "/login"  # a post is not taken as the signed-in person's word
    code = params_of(callback_of(signed_in_flow.follow(signed_in_flow.go("/login"))))["code"]
    answer = rp.http.post("/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                 "redirect_uri": rp.redirect_uri, "code_verifier": start.verifier,
                                                 "client_id": rp.client_id, "client_secret": rp.secret})
    assert answer.status_code == 200 and answer.json()["token_type"] == "Bearer"
    assert answer.headers["cache-control"] == "no-store"


def test_request_objects_are_refused_as_unsupported(register: Callable[..., RelyingParty],
                                                    signed_in_flow: Browser) -> None:
    rp = register()
    for parameter, error in (("request", "request_not_supported"), ("request_uri", "request_uri_not_supported")):
        answer = signed_in_flow.go(rp.start(**{parameter: "eyJhbGciOiJub25lIn0.e30."}).url)
        assert params_of(answer.headers["location"])["error"] == error


def test_prompt_none_when_signed_in_and_missing_response_type(register: Callable[..., RelyingParty],
                                                              signed_in_flow: Browser) -> None:
    rp = register()
    start = rp.start(prompt="none")
    assert "code" in params_of(callback_of(through(signed_in_flow, rp, start)))
    missing = signed_in_flow.go(rp.start().url.replace("response_type=code&", ""))
    assert missing.status_code in (302, 400)
    if missing.status_code == 302:
        assert params_of(missing.headers["location"])["error"] in ("invalid_request", "unsupported_response_type")


def test_max_age_1_after_two_seconds_asks_again(register: Callable[..., RelyingParty], signed_in_flow: Browser,
                                                clock: MovableClock) -> None:
    rp = register()
    clock.advance(seconds=2)
    assert through(signed_in_flow, rp, rp.start(max_age="1")).status_code == 200  # the confirmation page


def test_userinfo_by_get_and_post_with_the_bearer_header(register: Callable[..., RelyingParty],
                                                         signed_in_flow: Browser) -> None:
    rp = register()
    start = rp.start()
    token = rp.finish(start, callback_of(through(signed_in_flow, rp, start)))
    header = {"Authorization": f"Bearer {token['access_token']}"}
    assert rp.http.get("/oauth2/userinfo", headers=header).json()["sub"]
    assert rp.http.post("/oauth2/userinfo", headers=header).json()["sub"]
    missing = rp.http.get("/oauth2/userinfo")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].lower().startswith("bearer")


def test_cross_origin_apps_may_call_the_token_endpoint(register: Callable[..., RelyingParty]) -> None:
    rp = register()
    preflight = rp.http.options("/oauth2/token", headers={"Origin": "https://spa.example",
                                                         "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    assert rp.http.get(f"{BASE}/oauth2/jwks").headers["access-control-allow-origin"] == "*"
