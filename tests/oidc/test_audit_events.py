"""What apps do with a person's account is on the audit trail: tokens issued, refreshed and
revoked by an app, and every sign-out (Bastion's own, and one an app asked for)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bastion.audit.models import SecurityEvent
from bastion.services import Services
from tests.conftest import DEFAULT_PASSWORD
from tests.oidc.conftest import APP, BASE, Browser, RelyingParty, callback_of, params_of, through


def _events(services: Services, account_id: str) -> list[tuple[str, dict[str, Any]]]:
    with services.db.transaction() as tx:
        rows = tx.execute(select(SecurityEvent.kind, SecurityEvent.data)
                          .where(SecurityEvent.account_id == account_id).order_by(SecurityEvent.id)).all()
    return [(kind, data) for kind, data in rows]


def _of(services: Services, account_id: str, kind: str) -> list[dict[str, Any]]:
    return [data for found, data in _events(services, account_id) if found == kind]


def test_issuance_refresh_and_revocation_by_an_app_are_recorded(
        register: Callable[..., RelyingParty], signed_in_flow: Browser, services: Services,
        person: dict[str, str]) -> None:
    rp = register()
    start = rp.start()
    token = rp.finish(start, callback_of(through(signed_in_flow, rp, start)))
    [issued] = _of(services, person["id"], "oidc.tokens_issued")
    assert issued["client_id"] == rp.client_id and issued["grant_id"]
    refreshed = rp.refresh(token["refresh_token"]).json()
    assert _of(services, person["id"], "oidc.tokens_refreshed")[0]["grant_id"] == issued["grant_id"]
    revoked = rp.session.revoke_token(f"{BASE}/oauth2/revoke", token=refreshed["refresh_token"])
    assert revoked.status_code == 200
    [revocation] = _of(services, person["id"], "oidc.token_revoked")
    assert revocation == {"client_id": rp.client_id, "grant_id": issued["grant_id"], "token_kind": "refresh"}
    rp.session.revoke_token(f"{BASE}/oauth2/revoke", token=refreshed["refresh_token"])  # again: nothing new
    assert len(_of(services, person["id"], "oidc.token_revoked")) == 1
    assert all(token["access_token"] not in str(data) for _, data in _events(services, person["id"]))


def test_signing_out_on_the_api_and_the_pages_is_recorded(app_client: Any, browser: Browser, services: Services,
                                                          person: dict[str, str]) -> None:
    login = app_client.post("/v1/login", json={"email": person["email"], "password": DEFAULT_PASSWORD})
    session = login.json()["session"]["token"]
    assert app_client.post("/v1/logout", headers={"Authorization": f"Bearer {session}"}).status_code == 204
    assert len(_of(services, person["id"], "session.signed_out")) == 1
    browser.sign_in(person["email"])
    page = browser.client.get("/security")
    browser.client.post("/logout", data={"csrf_token": Browser.hidden(page.text)["csrf_token"]},
                        follow_redirects=False)
    signed_out = _of(services, person["id"], "session.signed_out")
    assert len(signed_out) == 2 and signed_out[0]["session_id"] != signed_out[1]["session_id"]


def test_an_app_initiated_logout_is_recorded_with_the_app(register: Callable[..., RelyingParty],
                                                         signed_in_flow: Browser, services: Services,
                                                         person: dict[str, str]) -> None:
    rp = register()
    start = rp.start()
    token = rp.finish(start, callback_of(through(signed_in_flow, rp, start)))
    answer = signed_in_flow.go(f"{BASE}/oauth2/logout?id_token_hint={token['id_token']}&client_id={rp.client_id}"
                               f"&post_logout_redirect_uri={APP}/bye&state=s1")
    assert answer.status_code == 302 and params_of(answer.headers["location"])["state"] == "s1"
    [logout] = _of(services, person["id"], "oidc.logout")
    assert logout["client_id"] == rp.client_id and logout["session_id"]
