"""Whose account an agent may handle: support handles customers; a staff account is an admin's to
handle; nobody handles their own — on every support route and console page that names an account or
a case, found from the app's routes so a new one cannot be missed."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.mfa.conftest import code_at, enrolled, login, signed_in  # noqa: F401 (fixtures)
from tests.security.conftest import app_routes
from tests.support.conftest import act, open_ready_case
from tests.web.test_pages import hidden
from tests.web.test_staff_pages import sign_in_with_code

BODY = {"reason": "checking this account", "text": "a note"}


def targeted_routes(app: Any, prefix: str) -> list[tuple[str, str]]:
    """(method, path template) of every route under `prefix` whose path names an account or a case."""
    return [(method, route.path) for route in app_routes(app)
            if getattr(route, "path", "").startswith(prefix) and re.search(r"\{(account_id|case_id)\}", route.path)
            for method in sorted(route.methods - {"HEAD"})]


def filled(path: str, account_id: str, case_id: str) -> str:
    path = path.replace("{account_id}", account_id).replace("{case_id}", case_id)
    return re.sub(r"\{[^}]+\}", "unlock", path)  # the page's `{action}`; documents' ids are looked up later


def test_every_account_and_case_route_is_found(app_client) -> None:
    api = targeted_routes(app_client.app, "/v1/support/")
    pages = targeted_routes(app_client.app, "/support/")
    assert ("POST", "/v1/support/accounts/{account_id}/clear-allowlist") in api
    assert ("GET", "/v1/support/cases/{case_id}") in api and len(api) >= 14
    assert ("GET", "/support/cases/{case_id}") in pages and len(pages) >= 8


@pytest.mark.parametrize("target", ["admin", "support"])
def test_support_cannot_handle_a_staff_account_on_any_route(app_client, staff, mailbox, target) -> None:
    agent, colleague = staff("support"), staff(target)
    case_id = open_ready_case(app_client, mailbox, colleague["email"])
    for method, path in targeted_routes(app_client.app, "/v1/support/"):
        answer = app_client.request(method, filled(path, colleague["id"], case_id), headers=agent["headers"],
                                    json=BODY)
        assert (answer.status_code, answer.json()["code"]) == (403, "support.staff_account"), (method, path)
    # An admin may: a colleague's account is an admin's to handle.
    admin = staff("admin")
    shown = app_client.get(f"/v1/support/accounts/{colleague['id']}", headers=admin["headers"])
    assert shown.status_code == 200, shown.text
    assert act(app_client, admin, case_id, "claim").json() == {"status": "claimed"}


def test_no_agent_reads_or_handles_their_own_account_on_any_route(app_client, staff, mailbox) -> None:
    agent, admin = staff("support"), staff("admin")
    case_id = open_ready_case(app_client, mailbox, agent["email"])
    note = act(app_client, admin, case_id, "notes", text="do not approve, escalate to fraud team")
    assert note.status_code == 200, note.text
    for method, path in targeted_routes(app_client.app, "/v1/support/"):
        answer = app_client.request(method, filled(path, agent["id"], case_id), headers=agent["headers"], json=BODY)
        expected = "case.own_account" if "{case_id}" in path else "support.own_account"
        assert (answer.status_code, answer.json()["code"]) == (403, expected), (method, path)
        assert "fraud team" not in answer.text
    # The search may list the agent's own account; it only refuses to open it.
    found = app_client.get("/v1/support/search", params={"q": agent["email"]}, headers=agent["headers"])
    assert found.status_code == 200 and agent["id"] in found.text


def test_console_pages_refuse_the_same(app_client, enrolled, staff, mailbox, clock) -> None:  # noqa: F811
    admin = staff("admin")
    agent = enrolled(roles=["support"])
    own_case = open_ready_case(app_client, mailbox, agent["email"])
    act(app_client, admin, own_case, "notes", text="do not approve, escalate to fraud team")
    colleague = staff("admin")
    colleague_case = open_ready_case(app_client, mailbox, colleague["email"])
    sign_in_with_code(app_client, agent, clock)
    token = hidden(app_client.get("/support").text)
    for account_id, case_id, words in ((agent["id"], own_case, ("This is your own", "fraud team")),
                                       (colleague["id"], colleague_case, ("an admin's to handle", colleague["email"]))):
        for method, path in targeted_routes(app_client.app, "/support/"):
            url = filled(path, account_id, case_id)
            answer = app_client.get(url) if method == "GET" else app_client.post(
                url, data={"csrf_token": token, **BODY})
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert words[0] in html.unescape(answer.text), (method, path)
            assert words[1] not in answer.text, (method, path)
