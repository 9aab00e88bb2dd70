"""Refresh rotation with reuse detection, RFC 7009 revocation, RFC 7662 introspection, key rotation,
and the budget on client authentication."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bastion.audit.models import SecurityEvent
from bastion.clock import MovableClock
from bastion.oidc.keys import rotate_signing_keys
from bastion.services import Services
from tests.oidc.conftest import BASE, Browser, RelyingParty, callback_of, through


def _tokens(rp: RelyingParty, browser: Browser, **params: Any) -> tuple[dict[str, Any], str]:
    start = rp.start(**params)
    return rp.finish(start, callback_of(through(browser, rp, start))), start.nonce


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(
        register: Callable[..., RelyingParty], signed_in_flow: Browser, services: Services,
        person: dict[str, str]) -> None:
    rp = register()
    token, _ = _tokens(rp, signed_in_flow)
    first = rp.refresh(token["refresh_token"])
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != token["refresh_token"] and rotated["id_token"]
    assert rp.userinfo(rotated["access_token"]).status_code == 200

    reused = rp.refresh(token["refresh_token"])  # the old one, again: stolen, or replayed
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert rp.userinfo(rotated["access_token"]).status_code == 401
    assert rp.refresh(rotated["refresh_token"]).json()["error"] == "invalid_grant"
    with services.db.transaction() as tx:
        kinds = list(tx.execute(select(SecurityEvent.kind).where(SecurityEvent.account_id == person["id"])).scalars())
    assert kinds.count("oidc.refresh_reused") == 1


def test_refresh_keeps_the_authentication_of_the_sign_in(register: Callable[..., RelyingParty],
                                                        signed_in_flow: Browser) -> None:
    rp = register()
    token, nonce = _tokens(rp, signed_in_flow)
    original = rp.id_claims(token, nonce)
    refreshed = rp.refresh(token["refresh_token"]).json()
    claims = rp.id_claims(refreshed, nonce=None)  # type: ignore[arg-type]
    assert (claims["sub"], claims["auth_time"], claims["acr"]) == (original["sub"], original["auth_time"],
                                                                  original["acr"])
    assert "nonce" not in claims


def test_offline_access_only_when_the_client_may_have_it(register: Callable[..., RelyingParty],
                                                         signed_in_flow: Browser) -> None:
    allowed, refused = register(offline=True), register(offline=False)
    assert "offline_access" in _tokens(allowed, signed_in_flow, scope="openid offline_access")[0]["scope"]
    assert "offline_access" not in _tokens(refused, signed_in_flow, scope="openid offline_access")[0]["scope"]


def test_revocation_and_introspection(register: Callable[..., RelyingParty], signed_in_flow: Browser,
                                      person: dict[str, str]) -> None:
    rp, other = register(), register(first_party=False, name="Partner")
    token, _ = _tokens(rp, signed_in_flow)
    seen = rp.session.introspect_token(f"{BASE}/oauth2/introspect", token=token["access_token"]).json()
    assert seen["active"] is True and seen["sub"] == person["id"] and seen["client_id"] == rp.client_id
    assert seen["iss"] == BASE and seen["token_type"] == "Bearer"
    foreign = other.session.introspect_token(f"{BASE}/oauth2/introspect", token=token["access_token"]).json()
    assert foreign == {"active": False}  # a third-party app sees only its own tokens

    revoked = rp.session.revoke_token(f"{BASE}/oauth2/revoke", token=token["refresh_token"],
                                      token_type_hint="refresh_token")
    assert revoked.status_code == 200
    assert rp.session.introspect_token(f"{BASE}/oauth2/introspect", token=token["access_token"]).json() == {
        "active": False}
    assert rp.userinfo(token["access_token"]).status_code == 401
    unknown = rp.session.revoke_token(f"{BASE}/oauth2/revoke", token="bat_unknown")
    assert unknown.status_code == 200  # RFC 7009 §2.2: an unknown token is not an error


def test_a_key_rotation_during_a_session(register: Callable[..., RelyingParty], signed_in_flow: Browser,
                                         services: Services, clock: MovableClock) -> None:
    rp = register()
    before, nonce = _tokens(rp, signed_in_flow)
    old_kid = rp.id_claims(before, nonce)["_kid"]
    rotate_signing_keys(services)  # this node signs with the new key at once (tests/oidc/test_cached_tokens.py: others)
    assert rp.id_claims(before, nonce)["_kid"] == old_kid  # still published: still verifies
    after, nonce_after = _tokens(rp, signed_in_flow)
    assert rp.id_claims(after, nonce_after)["_kid"] != old_kid
    clock.advance(minutes=11)  # past the old key's last token: unpublished without a reload being asked for
    kids = {key["kid"] for key in rp.session.get(f"{BASE}/oauth2/jwks", withhold_token=True).json()["keys"]}
    assert old_kid not in kids and len(kids) == 2


def test_failed_client_authentication_is_paused_before_the_secret_is_checked(
        register: Callable[..., RelyingParty], signed_in_flow: Browser) -> None:
    rp = register()
    token, _ = _tokens(rp, signed_in_flow)
    for _ in range(21):  # 20 failures in 10 minutes are the budget (20/10m/oidc_client)
        wrong = rp.session.post(f"{BASE}/oauth2/token", data={"grant_type": "refresh_token",
                                "refresh_token": token["refresh_token"]}, auth=(rp.client_id, "bcs_guess"),
                                withhold_token=True)
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    paused = rp.refresh(token["refresh_token"])  # even the right secret waits now
    assert paused.status_code == 429 and paused.json()["error"] == "temporarily_unavailable"
    assert int(paused.headers["retry-after"]) > 0


def test_housekeeping_removes_what_expired_a_day_ago(register: Callable[..., RelyingParty],
                                                     signed_in_flow: Browser, services: Services,
                                                     clock: MovableClock) -> None:
    from bastion.oidc.housekeeping import sweep_oidc

    rp = register()
    _tokens(rp, signed_in_flow)
    clock.advance(seconds=5)
    assert signed_in_flow.go(rp.start(prompt="login").url).status_code == 200  # waits for a confirmation
    assert sum(sweep_oidc(services).values()) == 0
    clock.advance(days=32)
    gone = sweep_oidc(services)
    assert gone["oidc_tokens"] == 2 and gone["oidc_authorization_requests"] == 1


def test_a_new_secret_replaces_the_old_and_a_deleted_app_loses_its_tokens(
        register: Callable[..., RelyingParty], signed_in_flow: Browser, services: Services,
        clock: MovableClock) -> None:
    from bastion.oidc.clients import delete_client, rotate_client_secret

    rp = register()
    token, _ = _tokens(rp, signed_in_flow)
    old = rp.secret
    rp.secret = rotate_client_secret(services, rp.client_id)  # the client kept in memory is dropped at once
    stale = rp.session.post(f"{BASE}/oauth2/token", data={"grant_type": "refresh_token",
                            "refresh_token": token["refresh_token"]}, auth=(rp.client_id, old), withhold_token=True)
    assert stale.status_code == 401 and stale.json()["error"] == "invalid_client"
    fresh = rp.session.post(f"{BASE}/oauth2/token", data={"grant_type": "refresh_token",
                            "refresh_token": token["refresh_token"]}, auth=(rp.client_id, rp.secret),
                            withhold_token=True)
    assert fresh.status_code == 200
    assert delete_client(services, rp.client_id)
    assert rp.userinfo(fresh.json()["access_token"]).status_code == 401
