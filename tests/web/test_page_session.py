"""The page session as one dependency: a page handler receives a session or never runs; a signed-out
browser goes to sign-in (its dead cookie dropped), a customer on a console page gets the page that
says why, and a refusal (a paused session) is a page with its reference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse, Response

from bastion.services import Services
from bastion.sessions.tokens import SessionInfo
from bastion.web.app import create_app
from bastion.web.pages.signed_in import PageSession, SupportSession
from tests.web.test_one_input_layer import page_refusal
from tests.web.test_pages import sign_in


@pytest.fixture
def probe(services: Services) -> tuple[TestClient, list[SessionInfo]]:
    """The app with two test pages that record every session they are given."""
    reached: list[SessionInfo] = []
    router = APIRouter()

    @router.get("/probe/mine")
    def mine(session: PageSession) -> Response:
        reached.append(session)
        return PlainTextResponse(session.email)

    @router.get("/probe/support")
    def support(session: SupportSession) -> Response:
        reached.append(session)
        return PlainTextResponse("console")

    app = create_app(services, deliver_mail=False)
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, reached


def test_signed_out_goes_to_sign_in_and_the_handler_never_runs(probe) -> None:
    client, reached = probe
    answer = client.get("/probe/mine", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    client.cookies.set("bastion_session", "bst_not-a-session")
    answer = client.get("/probe/support", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    assert 'bastion_session=""' in answer.headers["set-cookie"]  # the dead cookie is dropped
    assert reached == []


def test_a_customer_on_a_console_page_gets_the_page_that_says_why(probe, services, account_factory) -> None:
    client, reached = probe
    account = account_factory()
    assert sign_in(client, account["email"]).status_code == 303
    answer = client.get("/probe/support")
    assert answer.status_code == 403 and page_refusal(services, answer) == "permission.denied"
    assert reached == []
    mine = client.get("/probe/mine")
    assert mine.status_code == 200 and mine.text == account["email"]
    assert [session.email for session in reached] == [account["email"]]


def test_support_reaches_the_console_page(probe, staff: Callable[..., dict[str, Any]]) -> None:
    client, reached = probe
    agent = staff("support")
    client.cookies.set("bastion_session", agent["token"])
    assert client.get("/probe/support").text == "console"
    assert [session.account_id for session in reached] == [agent["id"]]
