"""The staff enrolment link as pages: opened signed out it asks to sign in and comes back; its button
unlocks setting up the first factor; the security page says in words why a staff account needs it."""

from __future__ import annotations

from bastion.accounts.staff import ENROLMENT_LINK_PATH as LINK_PATH
from tests.mfa.test_staff_enrolment import enrolment_token
from tests.web.test_pages import REFERENCE, hidden, sign_in


def test_the_link_opened_signed_out_signs_in_comes_back_and_unlocks_the_setup(app_client, account_factory,
                                                                             mailbox) -> None:
    agent = account_factory(roles=["support"])
    token = enrolment_token(mailbox, agent["email"])
    opened = app_client.get(f"{LINK_PATH}?token={token}", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/login?done=staff-enrolment"
    assert "Sign in with your password first" in app_client.get("/login?done=staff-enrolment").text
    signed_in = sign_in(app_client, agent["email"])
    assert signed_in.headers["location"] == LINK_PATH
    page = app_client.get(LINK_PATH)
    assert "Use my enrolment link" in page.text and token in page.text
    used = app_client.post(LINK_PATH, data={"token": hidden(page.text, "token"), "csrf_token": hidden(page.text)},
                           follow_redirects=False)
    assert used.headers["location"] == "/security/two-factor?done=staff-enrolment-unlocked"
    two_factor = app_client.get(used.headers["location"])
    assert "Your enrolment link is accepted" in two_factor.text
    setup = app_client.post("/security/totp/setup", data={"csrf_token": hidden(two_factor.text)})
    assert setup.status_code == 200 and "QR code" in setup.text
    # The link worked once: opening it again is refused on the page, with its reason.
    again = app_client.post(LINK_PATH, data={"token": token, "csrf_token": hidden(two_factor.text)})
    assert again.status_code == 400 and REFERENCE.search(again.text) and "Link not valid" in again.text


def test_the_security_page_says_why_a_staff_account_cannot_enrol_alone(app_client, account_factory) -> None:
    agent = account_factory(roles=["admin"])
    assert sign_in(app_client, agent["email"]).status_code == 303
    page = app_client.get("/security/two-factor")
    assert "enrolment link emailed to you" in page.text and "Ask an administrator" in page.text
    refused = app_client.post("/security/totp/setup", data={"csrf_token": hidden(page.text)})
    assert refused.status_code == 403 and REFERENCE.search(refused.text)
    assert "Staff enrolment link needed" in refused.text and "Ask an administrator to send a new one" in refused.text


def test_customers_see_no_word_of_it(app_client, account_factory) -> None:
    customer = account_factory()
    assert sign_in(app_client, customer["email"]).status_code == 303
    page = app_client.get("/security/two-factor")
    assert "enrolment link" not in page.text
    setup = app_client.post("/security/totp/setup", data={"csrf_token": hidden(page.text)})
    assert setup.status_code == 200


def test_an_admin_sends_a_new_link_from_the_console(app_client, account_factory, staff, clock, mailbox) -> None:
    from tests.web.test_staff_pages import sign_in_with_code

    agent = account_factory(roles=["support"])
    first = enrolment_token(mailbox, agent["email"])
    admin = staff("admin")
    clock.advance(seconds=30)  # the fixture's sign-in used this step's code
    sign_in_with_code(app_client, admin, clock)
    page = app_client.get(f"/admin/accounts/{agent['id']}")
    assert "Email a new enrolment link" in page.text
    sent = app_client.post(f"/admin/accounts/{agent['id']}/staff-enrolment-link",
                           data={"csrf_token": hidden(page.text)}, follow_redirects=False)
    assert sent.headers["location"] == f"/admin/accounts/{agent['id']}?done=enrolment-link-sent"
    assert enrolment_token(mailbox, agent["email"]) != first
    customer = account_factory()
    assert "Email a new enrolment link" not in app_client.get(f"/admin/accounts/{customer['id']}").text
