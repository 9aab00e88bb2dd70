"""The flows that keep people where they are (issue 22), without a browser: results and refusals on
GET pages kept for them in sealed cookies (never in the address, bound to the session where they
are secrets), a change kept while "Confirm it's you" is asked, a confirmation link that tells what it
already did and no more, one form for the three documents, and pauses worded for the device."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from bastion.accounts.signup import confirmation_link_state
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.recovery import cases
from tests.conftest import DEFAULT_PASSWORD, link_token
from tests.mfa.conftest import code_at, enrolled, login, signed_in  # noqa: F401 (fixtures)
from tests.recovery.conftest import case_link, jpeg, pdf, png
from tests.web.test_pages import REFERENCE, at_the_step, csrf_for, hidden, sign_in

PASSWORD = "amber walnut cascade 48 ridge"


def signed_in_csrf(client: TestClient, email: str, path: str = "/") -> str:
    assert sign_in(client, email).status_code == 303
    return hidden(client.get(path).text)


def test_sign_up_answers_with_a_redirect_to_its_result_and_the_address_never_in_it(app_client, mailbox) -> None:
    answer = app_client.post("/signup", data={"email": "kept@example.com", "password": PASSWORD,
                                              "csrf_token": csrf_for(app_client, "/signup")}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signup/sent"
    memo = next(value for value in answer.headers.get_list("set-cookie") if value.startswith("bastion_signup_sent="))
    assert "kept@example.com" not in memo and "Path=/signup/sent" in memo and "HttpOnly" in memo
    assert "kept@example.com" in app_client.get("/signup/sent").text
    app_client.cookies.clear()  # another browser: nothing to show, so back to the form
    assert app_client.get("/signup/sent", follow_redirects=False).headers["location"] == "/signup"


def test_a_sealed_page_memo_cannot_be_forged_or_moved(app_client, account_factory) -> None:
    for value in ("not sealed", "v1.00000000." + "A" * 40):
        app_client.cookies.set("bastion_signup_sent", value, path="/signup/sent")
        assert app_client.get("/signup/sent", follow_redirects=False).status_code == 303
    app_client.cookies.clear()
    answer = app_client.post("/password-reset", data={"email": "x@example.com",
                                                      "csrf_token": csrf_for(app_client, "/password-reset")},
                             follow_redirects=False)
    sealed = answer.cookies["bastion_reset_sent"]
    app_client.cookies.set("bastion_signup_sent", sealed, path="/signup/sent")  # one page's memo at another
    assert app_client.get("/signup/sent", follow_redirects=False).status_code == 303


def test_new_backup_codes_are_shown_to_their_session_only(app_client, account_factory, services, clock) -> None:
    account = account_factory()
    csrf = signed_in_csrf(app_client, account["email"], "/security/two-factor")
    other = TestClient(app_client.app, base_url=str(app_client.base_url))
    other.cookies.set("bastion_device", app_client.cookies["bastion_device"])
    assert sign_in(other, account["email"]).headers["location"] == "/"  # the same account, another session
    setup = app_client.post("/security/totp/setup", data={"csrf_token": csrf}, follow_redirects=False)
    assert setup.headers["location"] == "/security/totp/setup"
    key = re.search(r'<code id="manual-key">([A-Z2-7 ]+)</code>', app_client.get("/security/totp/setup").text)
    secret = key.group(1).replace(" ", "")  # type: ignore[union-attr]
    done = app_client.post("/security/totp/confirm", data={"code": code_at(secret, services.clock), "csrf_token": csrf},
                           follow_redirects=False)
    assert done.headers["location"] == "/security/backup-codes"
    sealed = done.cookies["bastion_backup_codes"]
    codes = re.findall(r"<li><code>([0-9A-Z-]{19})</code></li>", app_client.get("/security/backup-codes").text)
    assert len(codes) == 10 and not any(code in sealed for code in codes)
    assert len(re.findall(r"<li><code>", app_client.get("/security/backup-codes").text)) == 10  # reload: again

    other.cookies.set("bastion_backup_codes", sealed, path="/security/backup-codes")
    assert other.get("/security/backup-codes", follow_redirects=False).headers["location"] == "/security/two-factor"

    saved = app_client.get("/security/two-factor/codes-saved", follow_redirects=False)
    assert 'bastion_backup_codes=""' in saved.headers["set-cookie"]  # "I've saved them": not shown again
    assert app_client.get("/security/backup-codes", follow_redirects=False).status_code == 303


def test_a_change_waiting_for_confirmation_is_kept_for_its_session_and_forgotten_on_cancel(
        app_client, account_factory, clock, mailbox) -> None:
    account = account_factory()
    csrf = signed_in_csrf(app_client, account["email"], "/security/emails")
    clock.advance(minutes=6)
    asked = app_client.post("/security/anti-phishing-code", data={"code": "Blue-Otter", "csrf_token": csrf},
                            follow_redirects=False)
    assert asked.headers["location"] == "/security/confirm?back=/security/emails"
    assert "Blue-Otter" not in asked.headers["set-cookie"]
    page = app_client.get("/security/confirm?back=/security/emails")
    assert "your new anti-phishing code is saved" in page.text and "Blue-Otter" not in page.text
    cancelled = app_client.get("/security/confirm/cancel?back=/security/emails", follow_redirects=False)
    assert cancelled.headers["location"] == "/security/emails"
    confirmed = app_client.post("/security/confirm", data={"back": "/security/emails", "secret": account["password"],
                                                           "csrf_token": csrf}, follow_redirects=False)
    assert confirmed.headers["location"] == "/security/emails?done=confirmed"  # nothing was waiting any more
    assert all(mail["template"] != "anti_phishing_changed" for mail in mailbox.messages(account["email"]))


def test_a_second_click_on_a_confirmation_link_says_it_already_confirmed(app_client, mailbox, services) -> None:
    app_client.post("/signup", data={"email": "twice@example.com", "password": PASSWORD,
                                     "csrf_token": csrf_for(app_client, "/signup")})
    token = link_token(mailbox.last("twice@example.com")["text"])
    page = app_client.get(f"/confirm?token={token}")
    app_client.post("/confirm", data={"token": token, "csrf_token": hidden(page.text)})
    again = app_client.get(f"/confirm?token={token}")
    assert again.status_code == 200 and "Already confirmed — sign in" in again.text and 'href="/login"' in again.text
    assert not REFERENCE.search(again.text)  # not a refusal
    assert confirmation_link_state(services, token, Client(ip="192.0.2.1")) == "already_confirmed"


def test_only_the_link_that_confirmed_says_so(app_client, mailbox, services, clock) -> None:
    """A link replaced by a newer one, or a made-up one, is "not valid" as before: the click learns
    what its own link did, nothing about the account."""
    app_client.post("/signup", data={"email": "replaced@example.com", "password": PASSWORD,
                                     "csrf_token": csrf_for(app_client, "/signup")})
    first = link_token(mailbox.last("replaced@example.com")["text"])
    app_client.post("/help/sign-in/resend-verification", data={"email": "replaced@example.com",
                                                               "csrf_token": csrf_for(app_client, "/help/sign-in/email")})
    newest = link_token(mailbox.last("replaced@example.com")["text"])
    assert newest != first
    clock.advance(seconds=1)
    page = app_client.get(f"/confirm?token={newest}")
    app_client.post("/confirm", data={"token": newest, "csrf_token": hidden(page.text)})
    for token in (first, "made-up-token-" + "x" * 30):
        answer = app_client.get(f"/confirm?token={token}")
        assert answer.status_code == 400 and "Link not valid" in answer.text and "Already confirmed" not in answer.text
        try:
            confirmation_link_state(services, token, Client(ip="192.0.2.1"))
        except BastionError as refusal:
            assert refusal.code == Reason.TOKEN_INVALID
        else:
            raise AssertionError("a replaced link was not refused")


def test_the_three_documents_go_in_one_form(app_client, enrolled, mailbox, monkeypatch) -> None:  # noqa: F811
    budgets = []
    checked = cases.check_evidence
    monkeypatch.setattr(cases, "check_evidence", lambda content, budget=None: (budgets.append(budget),
                                                                                checked(content, budget))[1])
    owner = enrolled()
    app_client.post("/recovery/mfa-reset", data={"email": owner["email"], "password": owner["password"],
                                                 "csrf_token": csrf_for(app_client, "/recovery/mfa-reset")})
    case_id, token = case_link(mailbox, owner["email"])
    page = app_client.get(f"/recovery/case?case={case_id}&token={token}")
    assert page.text.count('type="file"') == 3 and 'capture="user"' in page.text
    fields = {"case": case_id, "token": token, "csrf_token": hidden(page.text)}
    nothing = app_client.post("/recovery/case/documents", data=fields,
                              files={"id_front": ("", b"", "application/octet-stream")})
    assert nothing.status_code == 422 and "Choose at least one file" in nothing.text
    bad = app_client.post("/recovery/case/documents", data=fields, files={
        "id_front": ("front.png", png(), "image/png"), "id_back": ("back.jpg", b"PK\x03\x04 a zip", "image/jpeg")})
    assert bad.status_code == 415 and "ID document, back:" in bad.text  # says which of the files
    assert "Received" in bad.text  # the good one is in
    done = app_client.post("/recovery/case/documents", data=fields, follow_redirects=False, files={
        "id_back": ("back.jpg", jpeg(), "image/jpeg"), "selfie": ("me.pdf", pdf(), "application/pdf"),
        "id_front": ("", b"", "application/octet-stream")})  # a field left empty: skipped
    assert done.status_code == 303 and "done=uploaded" in done.headers["location"]
    # The form's files share one CPU budget for their checks, not one each.
    assert len(budgets) == 4 and budgets[0] is budgets[1] is not None and budgets[2] is budgets[3] is not budgets[0]
    assert "Support is reviewing it" in app_client.get(done.headers["location"]).text
    assert len([m for m in mailbox.messages(owner["email"]) if m["template"] == "case_submitted"]) == 1


def test_a_pause_of_a_known_device_leaves_out_the_device_step_and_keeps_the_fact_to_itself(
        app_client, account_factory) -> None:
    account = account_factory()
    assert sign_in(app_client, account["email"]).status_code == 303  # this browser is now a known device
    app_client.post("/logout", data={"csrf_token": hidden(app_client.get("/").text)})
    for _ in range(6):
        page = sign_in(app_client, account["email"], password="not the password at all")
    assert "Sign-in paused" in page.text and "device you used before" not in page.text
    device = app_client.cookies.get("bastion_device")
    api = app_client.post("/v1/login", json={"email": account["email"], "password": "still not it"},
                          headers={"x-device-id": device or ""})
    assert api.json()["code"] == "account.locked" and "known_device" not in api.text


def test_a_refused_step_is_shown_on_its_page_once(app_client, enrolled, clock) -> None:  # noqa: F811
    account = enrolled()
    app_client.cookies.clear()
    step = at_the_step(app_client, sign_in(app_client, account["email"]))
    form = {name: hidden(step.text, name) for name in ("csrf_token", "flow_id", "methods")}
    wrong = app_client.post("/login/second-step", data={**form, "method": "totp", "code": "000000"},
                            follow_redirects=False)
    assert wrong.status_code == 303 and wrong.headers["location"] == "/login/second-step?method=totp"
    shown = app_client.get(wrong.headers["location"])
    assert shown.status_code == 401 and "Code not accepted" in shown.text
    assert 'href="/login/second-step?method=backup_code"' in shown.text  # the backup codes of this sign-in
    assert 'aria-invalid="true" aria-describedby="problem code-hint"' in shown.text
    reference = REFERENCE.search(shown.text).group(0)  # type: ignore[union-attr]
    again = app_client.get("/login/second-step")  # Back, or a reload: the page as it is, no refusal
    assert again.status_code == 200 and reference not in again.text and "Code not accepted" not in again.text
    done = app_client.post("/login/second-step", follow_redirects=False, data={
        **form, "csrf_token": hidden(again.text), "method": "totp", "code": code_at(account["secret"], clock)})
    assert done.status_code == 303 and done.cookies.get("bastion_session")
    assert DEFAULT_PASSWORD not in str(app_client.cookies)


def test_a_change_left_waiting_on_one_page_is_not_made_by_a_confirmation_asked_from_another(
        app_client, account_factory, clock, mailbox) -> None:
    account = account_factory()
    csrf = signed_in_csrf(app_client, account["email"], "/security/emails")
    clock.advance(minutes=6)
    app_client.post("/security/anti-phishing-code", data={"code": "Blue-Otter", "csrf_token": csrf})
    elsewhere = app_client.get("/security/confirm?back=/security/two-factor")  # e.g. adding a passkey
    assert "anti-phishing" not in elsewhere.text
    confirmed = app_client.post("/security/confirm", data={"back": "/security/two-factor",
                                                           "secret": account["password"], "csrf_token": csrf},
                                follow_redirects=False)
    assert confirmed.headers["location"] == "/security/two-factor?done=confirmed"
    assert all(mail["template"] != "anti_phishing_changed" for mail in mailbox.messages(account["email"]))
