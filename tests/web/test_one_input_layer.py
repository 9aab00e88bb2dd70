"""One input layer: for each kind of field, the same over-long or malformed value sent to the API
and to the page it has is refused the same way (`request.invalid`), the page marks the field, and
what was typed comes back whole — nothing is cut to fit."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bastion.help.models import Refusal
from bastion.services import Services
from tests.conftest import DEFAULT_PASSWORD
from tests.web.test_pages import REFERENCE, csrf_for, hidden, sign_in

LONG_EMAIL = "a" * 320 + "@example.com"
FLOW = "f" * 36


def page_refusal(services: Services, page: Any) -> str:
    """The reason code recorded under the reference the page shows."""
    found = re.search(rf"<code>({REFERENCE.pattern})</code>", page.text)
    assert found, page.text[:500]
    with services.db.transaction() as tx:
        return tx.execute(select(Refusal.code).where(Refusal.reference == found.group(1))).scalar_one()


def marked(page: Any, field: str) -> bool:
    return f'name="{field}" aria-invalid="true"' in page.text


def api_refusal(answer: Any) -> str:
    assert answer.status_code == 422, answer.text
    return str(answer.json()["code"])


# Before sign-in: (field, the API's request, the page's form, what the page must give back whole).
PUBLIC = {
    "email": (lambda c: c.post("/v1/login", json={"email": LONG_EMAIL, "password": DEFAULT_PASSWORD}),
              ("/login", "/login", {"email": LONG_EMAIL, "password": DEFAULT_PASSWORD}), LONG_EMAIL),
    "password": (lambda c: c.post("/v1/accounts", json={"email": "new@example.com", "password": "p" * 1025}),
                 ("/signup", "/signup", {"email": "new@example.com", "password": "p" * 1025}), None),
    "token": (lambda c: c.post("/v1/password-reset/confirm", json={"token": "t" * 257, "new_password": DEFAULT_PASSWORD}),
              ("/password-reset", "/password-reset/confirm", {"token": "t" * 257, "new_password": DEFAULT_PASSWORD}),
              "t" * 257),
    "code": (lambda c: c.post(f"/v1/login/{FLOW}/device", json={"code": "1" * 65}),
             ("/login", "/login/device-code", {"flow_id": FLOW, "code": "1" * 65}), None),
}


@pytest.mark.parametrize("field", PUBLIC)
def test_a_public_page_refuses_what_the_api_refuses_and_keeps_it_whole(app_client: TestClient, services: Services,
                                                                     field: str) -> None:
    api, (form_page, action, data), kept = PUBLIC[field]
    assert api_refusal(api(app_client)) == "request.invalid"
    page = app_client.post(action, data={**data, "csrf_token": csrf_for(app_client, form_page)},
                           headers={"accept": "text/html"})
    assert page.status_code == 422 and page_refusal(services, page) == "request.invalid"
    if field == "token":  # a hidden field: the refusal names it instead
        assert "Check the link." in page.text
    else:
        assert marked(page, field)
    if kept is not None:
        assert f'value="{kept}"' in page.text


@pytest.mark.parametrize("flow_id", ["f" * 65, "f\x01f"])
def test_a_malformed_flow_id_is_refused_by_both(app_client: TestClient, services: Services, flow_id: str) -> None:
    from urllib.parse import quote

    assert api_refusal(app_client.post(f"/v1/login/{quote(flow_id)}/device", json={"code": "123456"})) == \
        "request.invalid"
    page = app_client.post("/login/device-code", data={"flow_id": flow_id, "code": "123456",
                                                       "csrf_token": csrf_for(app_client, "/login")})
    assert page.status_code == 422 and page_refusal(services, page) == "request.invalid"


@pytest.mark.parametrize("session_id", ["s" * 65, "s%01s"])
def test_an_id_in_the_address_is_refused_by_both(app_client: TestClient, services: Services,
                                                 account_factory: Callable[..., dict[str, str]], session_id: str) -> None:
    account = account_factory()
    token = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}
                            ).json()["session"]["token"]
    api = app_client.delete(f"/v1/me/sessions/{session_id}", headers={"Authorization": f"Bearer {token}"})
    assert api_refusal(api) == "request.invalid"
    assert sign_in(app_client, account["email"]).status_code == 303
    csrf = hidden(app_client.get("/security/sessions").text)
    page = app_client.post(f"/security/sessions/{session_id}/end", data={"csrf_token": csrf},
                           follow_redirects=False)
    assert page.status_code == 422 and page_refusal(services, page) == "request.invalid"
    # Nothing ended: the page's own session still opens the page.
    assert app_client.get("/security/sessions").status_code == 200


def staff_cookie(app_client: TestClient, member: dict[str, Any]) -> None:
    app_client.cookies.clear()
    app_client.cookies.set("bastion_session", member["token"])


def test_a_staff_reason_is_refused_by_both_and_kept(app_client: TestClient, services: Services,
                                                    staff: Callable[..., dict[str, Any]],
                                                    account_factory: Callable[..., dict[str, str]]) -> None:
    admin, target = staff("admin"), account_factory()
    api = app_client.post(f"/v1/admin/accounts/{target['id']}/suspend", json={"reason": "no"}, headers=admin["headers"])
    assert api_refusal(api) == "request.invalid"
    staff_cookie(app_client, admin)
    csrf = hidden(app_client.get(f"/admin/accounts/{target['id']}").text)
    page = app_client.post(f"/admin/accounts/{target['id']}/restrict",
                           data={"kind": "suspended", "reason": "no", "csrf_token": csrf})
    assert page.status_code == 422 and page_refusal(services, page) == "request.invalid"
    assert marked(page, "reason") and 'value="no"' in page.text


@pytest.mark.parametrize("api_path, page_path, field, typed", [
    ("/v1/support/search?q={}", "/support/search?q={}", "q", "b" * 321),
    ("/v1/support/references/{}", "/support/references?reference={}", "reference", "R-" + "7" * 31),
])
def test_a_console_search_is_refused_by_both_and_kept(app_client: TestClient, services: Services,
                                                      staff: Callable[..., dict[str, Any]], api_path: str,
                                                      page_path: str, field: str, typed: str) -> None:
    agent = staff("support")
    assert api_refusal(app_client.get(api_path.format(typed), headers=agent["headers"])) == "request.invalid"
    staff_cookie(app_client, agent)
    page = app_client.get(page_path.format(typed))
    assert page.status_code == 422 and page_refusal(services, page) == "request.invalid"
    assert marked(page, field) and html.escape(typed) in page.text
