"""Who reaches the support API: every route needs the support or admin role and a session signed in with
a second factor; support cannot change admin settings; a customer learns nothing (no enumeration)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import DEFAULT_PASSWORD
from tests.security.conftest import app_routes

ADMIN_CHANGES = [
    ("POST", "/v1/admin/rejection-reasons", {"title": "Blurred", "text": "Too blurred to read.", "kinds": []}),
    ("PUT", "/v1/admin/rejection-reasons/x", {"title": "Blurred", "text": "Too blurred to read.", "kinds": []}),
    ("DELETE", "/v1/admin/rejection-reasons/x", None),
    ("POST", "/v1/admin/maintenance", {"starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-02-01T01:00:00Z"}),
    ("POST", "/v1/admin/accounts/x/suspend", {"reason": "support may not"}),
]


def support_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = []
    for route in app_routes(app):
        path = getattr(route, "path", "")
        if path.startswith("/v1/support/"):
            found.extend((method, re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path))
                         for method in sorted(route.methods - {"HEAD"}))
    return found


def test_support_cannot_change_admin_settings(app_client, staff) -> None:
    agent = staff("support")
    for method, path, body in ADMIN_CHANGES:
        answer = app_client.request(method, path, json=body, headers=agent["headers"])
        assert answer.status_code == 403 and answer.json()["code"] == "permission.denied", (method, path)


@pytest.mark.parametrize("who", ["nobody", "customer", "staff_without_second_factor"])
def test_every_support_route_is_closed_to_everyone_but_staff_with_a_second_factor(app_client, account_factory,
                                                                                 who) -> None:
    routes = support_routes(app_client.app)
    assert len(routes) >= 20 and ("GET", "/v1/support/search") in routes
    headers = {}
    if who != "nobody":
        account = account_factory(roles=["support"] if who == "staff_without_second_factor" else [])
        token = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}
                                ).json()["session"]["token"]
        headers = {"Authorization": f"Bearer {token}"}
    expected = {"nobody": (401, "session.required"), "customer": (403, "permission.denied"),
                "staff_without_second_factor": (403, "permission.mfa_required")}[who]
    for method, path in routes:
        answer = app_client.request(method, path, params={"q": "someone@example.com"}, headers=headers,
                                    json={"reason": "looking around", "text": "a note"})
        assert (answer.status_code, answer.json()["code"]) == expected, (method, path)


def test_a_customer_cannot_use_the_search_to_learn_whether_an_email_has_an_account(app_client, account_factory) -> None:
    """The search says which accounts exist: closed before any lookup, the same answer for any query."""
    known = account_factory()
    customer = account_factory()
    token = app_client.post("/v1/login", json={"email": customer["email"], "password": DEFAULT_PASSWORD}
                            ).json()["session"]["token"]
    answers = [app_client.get("/v1/support/search", params={"q": q}, headers={"Authorization": f"Bearer {token}"})
               for q in (known["email"], "nobody-here@example.com")]
    assert {answer.status_code for answer in answers} == {403}
    bodies = [{key: value for key, value in answer.json().items() if key != "reference"} for answer in answers]
    assert bodies[0] == bodies[1] and known["email"] not in answers[0].text
