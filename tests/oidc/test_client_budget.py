"""Wrong client secrets slow down only the guesser: an app's own servers are never paused by
someone else's failures, and a public client (no secret) is never paused at all."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.oidc.conftest import Browser, RelyingParty, callback_of, through

ENDPOINTS = ("/oauth2/token", "/oauth2/revoke", "/oauth2/introspect")


def _tokens(rp: RelyingParty, browser: Browser) -> dict[str, Any]:
    start = rp.start()
    return rp.finish(start, callback_of(through(browser, rp, start)))


def _guesser(rp_http: TestClient, ip: str) -> TestClient:
    return TestClient(rp_http.app, client=(ip, 40000))


def _basic(user: bytes, password: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(user + b":" + password).decode()}


def test_wrong_secrets_from_elsewhere_do_not_pause_the_app(register: Callable[..., RelyingParty],
                                                           signed_in_flow: Browser, rp_http: TestClient) -> None:
    rp = register(name="Partner App")
    token = _tokens(rp, signed_in_flow)
    guesser = _guesser(rp_http, "127.0.0.2")
    answers = [guesser.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": "brt_x"},
                            auth=(rp.client_id, "bcs_guess")) for _ in range(22)]
    assert {answer.status_code for answer in answers[:21]} == {401}  # 20 failures in 10 minutes are the budget
    assert answers[-1].status_code == 429  # the guesser is paused...
    refreshed = rp.refresh(token["refresh_token"])  # ...the app, from its own address, is not
    assert refreshed.status_code == 200, refreshed.text
    seen = rp.session.introspect_token("http://testserver/oauth2/introspect",
                                       token=refreshed.json()["access_token"])
    assert seen.status_code == 200 and seen.json()["active"] is True


def test_a_public_client_is_never_paused_by_basic_guesses(register: Callable[..., RelyingParty],
                                                          signed_in_flow: Browser, rp_http: TestClient) -> None:
    rp = register(public=True, name="Trading Web")
    guesser = _guesser(rp_http, "127.0.0.3")
    for _ in range(21):
        wrong = guesser.post("/oauth2/token", data={"grant_type": "authorization_code", "code": "bac_x"},
                             headers=_basic(rp.client_id.encode(), b"x"))
        assert wrong.status_code in (401, 429)
    token = _tokens(rp, signed_in_flow)  # the person's PKCE exchange, from the app's own address
    assert token["access_token"] and token["id_token"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_basic_credentials_that_are_not_utf8_are_an_invalid_client(path: str, rp_http: TestClient) -> None:
    answer = rp_http.post(path, data={"grant_type": "refresh_token", "refresh_token": "brt_x", "token": "bat_x"},
                          headers=_basic(b"\xff", b"\xff"))
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


@pytest.mark.parametrize("client_id", ["app_\x00", "%00", "\x00"])
def test_a_client_id_with_a_nul_is_refused_in_oauth_terms(client_id: str, rp_http: TestClient) -> None:
    for path in ENDPOINTS:
        answer = rp_http.post(path, data={"grant_type": "authorization_code", "code": "bac_x", "token": "bat_x",
                                          "client_id": client_id})
        assert 400 <= answer.status_code < 500 and answer.json()["error"], (path, answer.text)
