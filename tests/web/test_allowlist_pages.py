"""The IP allowlist reset in pages, without a browser: the refusal at sign-in leads to the request
page, the request (there or in the troubleshooter) answers the same page to everyone, and support
and admin consoles clear an allowlist with a reason."""

from __future__ import annotations

from sqlalchemy import select

from bastion.accounts.repo import get_account
from bastion.audit.models import SecurityEvent
from tests.mfa.conftest import enrolled, login, signed_in  # noqa: F401 (fixtures)
from tests.web.test_pages import REFERENCE, csrf_for, hidden, sign_in
from tests.web.test_staff_pages import sign_in_with_code

OFFICE = "198.51.100.0/24"


def allowlist(services, account_id: str, cidrs: list[str]) -> None:  # type: ignore[no-untyped-def]
    with services.db.transaction() as tx:
        get_account(tx, account_id).ip_allowlist = cidrs


def test_the_sign_in_refusal_leads_to_the_request_page_which_answers_alike_for_everyone(
        app_client, account_factory, services, mailbox) -> None:
    owner, other = account_factory(), account_factory()
    allowlist(services, owner["id"], [OFFICE])
    refused = sign_in(app_client, owner["email"])
    assert "Network not on your allowlist" in refused.text and REFERENCE.search(refused.text)
    assert 'href="/recovery/allowlist"' in refused.text and "account.ip_not_allowed" not in refused.text

    page = app_client.get("/recovery/allowlist")
    assert page.status_code == 200 and "Clear your IP allowlist" in page.text
    assert "cleared after a 24-hour waiting period" in page.text
    answers = [app_client.post("/recovery/allowlist", data={
        "email": email, "password": password, "csrf_token": csrf_for(app_client, "/recovery/allowlist")}).text
        for email, password in ((owner["email"], owner["password"]), (owner["email"], "not the password"),
                                ("nobody@example.com", owner["password"]), (other["email"], other["password"]))]
    assert len(set(answers)) == 1 and "Check your email" in answers[0]
    assert [m["template"] for m in mailbox.messages(owner["email"])].count("case_opened") == 1
    assert mailbox.messages(other["email"]) == []


def test_the_troubleshooter_asks_for_it_right_on_the_allowlist_section(app_client, account_factory, services,
                                                                        mailbox) -> None:
    owner = account_factory()
    allowlist(services, owner["id"], [OFFICE])
    help_page = app_client.get("/help/sign-in/restricted")
    assert 'action="/help/sign-in/allowlist-reset"' in help_page.text
    token = hidden(help_page.text)
    answers = [app_client.post("/help/sign-in/allowlist-reset", data={"email": email, "password": password,
                                                                       "csrf_token": token})
               for email, password in ((owner["email"], owner["password"]), ("nobody@example.com", "whatever it is"))]
    assert {answer.status_code for answer in answers} == {200}
    assert answers[0].text == answers[1].text and "the account has an IP allowlist" in answers[0].text
    assert [m["template"] for m in mailbox.messages(owner["email"])] == ["case_opened"]


def test_support_and_admin_consoles_clear_an_allowlist_with_a_reason(
        app_client, account_factory, enrolled, clock, services, mailbox) -> None:  # noqa: F811
    owner = account_factory()
    allowlist(services, owner["id"], [OFFICE])
    agent = enrolled(roles=["support"])
    sign_in_with_code(app_client, agent, clock)
    page = app_client.get(f"/support/accounts/{owner['id']}")
    assert OFFICE in page.text and "Clear the IP allowlist" in page.text
    path = f"/support/accounts/{owner['id']}/clear-allowlist"
    no_reason = app_client.post(path, data={"reason": "", "csrf_token": hidden(page.text)})
    assert no_reason.status_code == 422 and "Request not understood" in no_reason.text
    done = app_client.post(path, data={"reason": "Owner verified on a call", "csrf_token": hidden(page.text)},
                           follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=clear-allowlist")
    after = app_client.get(done.headers["location"])
    assert "The IP allowlist is cleared" in after.text and "Clear the IP allowlist" not in after.text
    assert mailbox.last(owner["email"])["template"] == "ip_allowlist_cleared"

    allowlist(services, owner["id"], [OFFICE])
    admin = enrolled(roles=["admin"])
    sign_in_with_code(app_client, admin, clock)
    page = app_client.get(f"/admin/accounts/{owner['id']}")
    assert OFFICE in page.text
    done = app_client.post(f"/admin/accounts/{owner['id']}/clear-allowlist",
                           data={"reason": "Owner verified in the branch", "csrf_token": hidden(page.text)},
                           follow_redirects=False)
    assert done.status_code == 303
    assert "The IP allowlist is cleared" in app_client.get(done.headers["location"]).text
    with services.db.transaction() as tx:
        cleared = list(tx.execute(select(SecurityEvent).where(SecurityEvent.kind == "ip_allowlist.cleared")
                                  .order_by(SecurityEvent.id)).scalars())
    assert [(e.actor_id, e.data["via"]) for e in cleared] == [(agent["id"], "support_console"),
                                                              (admin["id"], "admin_console")]


def test_a_customer_cannot_post_to_the_console_actions(app_client, account_factory, services) -> None:
    owner, customer = account_factory(), account_factory()
    allowlist(services, owner["id"], [OFFICE])
    sign_in(app_client, customer["email"])
    token = hidden(app_client.get("/security/allowlist").text)
    for path in (f"/support/accounts/{owner['id']}/clear-allowlist", f"/admin/accounts/{owner['id']}/clear-allowlist"):
        refused = app_client.post(path, data={"reason": "let me in", "csrf_token": token})
        assert refused.status_code == 403, path
    with services.db.transaction() as tx:
        assert get_account(tx, owner["id"]).ip_allowlist == [OFFICE]
