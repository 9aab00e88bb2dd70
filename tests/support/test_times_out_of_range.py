"""Times a client sends beyond what Bastion can compute with (year 1 an hour east of UTC, year 9999 an
hour west) are refused as invalid, never a 500: the queue's cursor, the admin API's `until` and
maintenance and announcement times, and the consoles' typed times."""

from __future__ import annotations

import base64

import pytest

from bastion.clock import client_moment
from tests.mfa.conftest import code_at, enrolled, login, signed_in  # noqa: F401 (fixtures)
from tests.web.test_pages import hidden
from tests.web.test_staff_pages import sign_in_with_code

EDGES = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:00-01:00", "1969-12-31T23:59:59Z")


@pytest.mark.parametrize("edge", EDGES)
def test_a_moment_beyond_the_bounds_is_a_value_error(edge: str) -> None:
    from datetime import datetime

    with pytest.raises(ValueError):
        client_moment(datetime.fromisoformat(edge.replace("Z", "+00:00")))


def test_the_queue_refuses_a_cursor_at_the_edge_of_time(app_client, staff) -> None:
    agent = staff("support")
    for edge in EDGES[:2]:
        cursor = base64.urlsafe_b64encode(f"{edge}|x".encode()).decode().rstrip("=")
        answer = app_client.get("/v1/support/cases", params={"cursor": cursor}, headers=agent["headers"])
        assert (answer.status_code, answer.json()["code"]) == (422, "request.invalid"), edge


def test_the_admin_api_refuses_times_at_the_edge(app_client, staff, account_factory) -> None:
    admin, customer = staff("admin"), account_factory()
    for edge in EDGES[:2]:
        sent = [
            app_client.post(f"/v1/admin/accounts/{customer['id']}/ban", headers=admin["headers"],
                            json={"reason": "fraud", "until": edge}),
            app_client.post("/v1/admin/maintenance", headers=admin["headers"],
                            json={"starts_at": edge, "ends_at": "2026-02-01T01:00:00Z"}),
            app_client.post("/v1/admin/announcements", headers=admin["headers"],
                            json={"kind": "info", "title": "t", "body": "b", "expires_at": edge}),
        ]
        assert [answer.status_code for answer in sent] == [422, 422, 422], [answer.text for answer in sent]


def test_the_console_refuses_a_typed_time_at_the_edge(app_client, enrolled, account_factory, clock) -> None:  # noqa: F811
    admin, customer = enrolled(roles=["admin"]), account_factory()
    sign_in_with_code(app_client, admin, clock)
    token = hidden(app_client.get(f"/admin/accounts/{customer['id']}").text)
    answer = app_client.post(f"/admin/accounts/{customer['id']}/restrict", data={
        "csrf_token": token, "kind": "banned", "reason": "fraud", "until": "0001-01-01T00:00+01:00"})
    assert answer.status_code == 422 and "not a date and time" in answer.text
