"""The support console's pages: staff land in their console after signing in; a refusal on a console
page is told to the agent (never the account holder's "quote this reference"); the words agents
read are plain — no raw code shows through."""

from __future__ import annotations

import re

from bastion.accounts.status import freeze_account
from bastion.context import Client
from tests.mfa.conftest import code_at, enrolled, login, signed_in  # noqa: F401 (fixtures)
from tests.support.conftest import act, open_ready_case
from tests.web.test_pages import hidden, sign_in
from tests.web.test_staff_pages import sign_in_with_code

RAW = ("mfa_reset", "in_review", "awaiting_documents", "allowlist_reset", "self_service", "backup_codes", "totp",
       "case.claimed", "case.not_ready", "permission.denied", "Failure", "Challenge", "mfa_reset_completed")


def visible_text(page: str) -> str:
    """What a reader sees: the page without its tags, attributes, styles or scripts."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def landing(app_client, account, clock) -> str:  # type: ignore[no-untyped-def]
    where = sign_in_with_code(app_client, account, clock)
    clock.advance(seconds=30)  # the next sign-in's code is a fresh one
    return where


def test_staff_sign_in_straight_to_their_console(app_client, enrolled, account_factory, clock) -> None:  # noqa: F811
    assert landing(app_client, enrolled(roles=["support"]), clock) == "/support"
    assert landing(app_client, enrolled(roles=["admin"]), clock) == "/admin"
    assert landing(app_client, enrolled(), clock) == "/"
    app_client.cookies.clear()  # staff without a second factor set one up first, on their security page
    assert sign_in(app_client, account_factory(roles=["support"])["email"]).headers["location"] == "/"


def test_a_refusal_on_a_console_page_is_told_to_the_agent(app_client, enrolled, staff, mailbox, clock) -> None:  # noqa: F811
    owner = enrolled()
    case_id = open_ready_case(app_client, mailbox, owner["email"])
    holder = staff("support")
    assert act(app_client, holder, case_id, "claim").json() == {"status": "claimed"}
    agent = enrolled(roles=["support"])
    sign_in_with_code(app_client, agent, clock)
    page = app_client.get(f"/support/cases/{case_id}")
    refused = app_client.post(f"/support/cases/{case_id}/approve",
                              data={"csrf_token": hidden(page.text), "reason": "looks fine to me"})
    assert refused.status_code == 409
    text = visible_text(refused.text)
    assert "Another agent is working on this case" in text and f"{holder['email']} is working on this case" in text
    assert "quote it if you contact support" not in text and "case.claimed" not in text


def test_the_console_speaks_in_words_not_codes(app_client, enrolled, staff, mailbox, clock, services) -> None:  # noqa: F811
    owner = enrolled()
    case_id = open_ready_case(app_client, mailbox, owner["email"])
    app_client.post("/v1/login", json={"email": owner["email"], "password": "not the password"})
    freeze_account(services, owner["id"], Client(), via="self_service")
    agent = enrolled(roles=["support"])
    sign_in_with_code(app_client, agent, clock)
    for path in ("/support", "/support?status=all", f"/support/cases/{case_id}", f"/support/accounts/{owner['id']}",
                 f"/support/accounts/{owner['id']}/timeline", f"/support/search?q={owner['email']}"):
        answer = app_client.get(path)
        assert answer.status_code == 200, path
        text = visible_text(answer.text)
        assert not [raw for raw in RAW if raw in text], (path, [raw for raw in RAW if raw in text])
    case_page = visible_text(app_client.get(f"/support/cases/{case_id}").text)
    assert "2FA reset for" in case_page and "To review" in case_page and "Authenticator app" in case_page
    assert "Frozen" in case_page and "frozen by the owner in their security settings" in case_page
    assert staff
