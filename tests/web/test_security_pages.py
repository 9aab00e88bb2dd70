"""The security center without a browser: step-up as a page, the authenticator app set up from
its pages, the passkey options for the page's script, and refusals shown with their reason."""

from __future__ import annotations

import re
from urllib.parse import unquote

from tests.mfa.conftest import code_at
from tests.web.test_pages import REFERENCE, hidden, sign_in


def signed_in_page(app_client, account_factory, path: str = "/"):  # type: ignore[no-untyped-def]
    account = account_factory()
    assert sign_in(app_client, account["email"]).status_code == 303
    page = app_client.get(path)
    assert page.status_code == 200
    return account, hidden(page.text)


def test_a_change_after_the_step_up_window_asks_to_confirm_on_a_page(app_client, account_factory, clock,
                                                                     mailbox) -> None:
    account, csrf = signed_in_page(app_client, account_factory, "/security/emails")
    clock.advance(minutes=6)
    asked = app_client.post("/security/anti-phishing-code", data={"code": "Blue-Otter", "csrf_token": csrf})
    assert asked.status_code == 200 and "Confirm it's you" in asked.text
    assert "your new anti-phishing code is saved" in asked.text and "Blue-Otter" not in asked.text
    assert "Blue-Otter" not in str(asked.url)  # kept sealed in a cookie, never in the address
    assert 'name="back" value="/security/emails"' in asked.text and "reauth.required" not in asked.text
    assert all(mail["template"] != "anti_phishing_changed" for mail in mailbox.messages(account["email"]))

    wrong = app_client.post("/security/confirm", data={"back": "/security/emails", "method": "password",
                                                       "secret": "not it", "csrf_token": csrf})
    assert wrong.status_code == 401 and "Password not accepted" in wrong.text and REFERENCE.search(wrong.text)
    # Confirmed: the change that asked for it is made (kept meanwhile, sealed to this session), and shown.
    confirmed = app_client.post("/security/confirm", data={"back": "/security/emails", "method": "password",
                                                           "secret": account["password"], "csrf_token": csrf},
                                follow_redirects=False)
    assert confirmed.headers["location"] == "/security/emails?done=anti-phishing"
    assert [mail["template"] for mail in mailbox.messages(account["email"])].count("anti_phishing_changed") == 1
    again = app_client.post("/security/confirm", data={"back": "/security/emails", "method": "password",
                                                       "secret": account["password"], "csrf_token": csrf},
                            follow_redirects=False)
    assert again.headers["location"] == "/security/emails?done=confirmed"  # made once, then forgotten


def test_the_step_up_page_goes_back_only_to_the_security_center(app_client, account_factory) -> None:
    _, csrf = signed_in_page(app_client, account_factory)
    page = app_client.get("/security/confirm?back=https://evil.example/")
    assert 'name="back" value="/"' in page.text and "evil" not in page.text
    done = app_client.post("/security/confirm", data={"back": "//evil.example", "secret": "x", "csrf_token": csrf})
    assert "evil" not in done.text


def test_the_authenticator_app_is_set_up_from_its_pages(app_client, account_factory, clock, mailbox) -> None:
    account, csrf = signed_in_page(app_client, account_factory, "/security/two-factor")
    setup = app_client.post("/security/totp/setup", data={"csrf_token": csrf})
    assert setup.status_code == 200 and 'src="data:image/svg+xml;base64,' in setup.text
    key = re.search(r'<code id="manual-key">([A-Z2-7 ]+)</code>', setup.text).group(1).replace(" ", "")
    assert len(key) == 32

    wrong = app_client.post("/security/totp/confirm", data={"code": "000000", "csrf_token": csrf})
    assert wrong.status_code == 401 and "Code not accepted" in wrong.text and key[:4] in wrong.text
    done = app_client.post("/security/totp/confirm", data={"code": code_at(key, clock), "csrf_token": csrf})
    assert done.status_code == 200 and "Save your backup codes" in done.text
    codes = re.findall(r"<li><code>([0-9A-Z-]{19})</code></li>", done.text)
    assert len(codes) == 10
    download = unquote(re.search(r'href="data:text/plain;charset=utf-8,([^"]+)" download', done.text).group(1))
    assert all(code in download for code in codes) and account["email"] in download
    assert "10 of 10" in app_client.get("/security/two-factor").text
    assert mailbox.last(account["email"])["template"] == "factor_changed"
    assert key not in mailbox.last(account["email"])["text"]


def test_the_passkey_options_for_the_pages_script(app_client, account_factory, clock) -> None:
    _, csrf = signed_in_page(app_client, account_factory, "/security/two-factor")
    headers = {"accept": "application/json", "x-csrf-token": csrf}
    options = app_client.post("/security/passkeys/options", headers=headers)
    assert options.status_code == 200 and options.json()["publicKey"]["rp"]["id"] == "testserver"
    assert app_client.post("/security/passkeys/options", headers={"accept": "application/json"}).json()["code"] \
        == "csrf.invalid"
    clock.advance(minutes=6)
    stale = app_client.post("/security/passkeys/options", headers=headers)
    assert stale.status_code == 403 and stale.json()["code"] == "reauth.required"  # the script goes to step-up


def test_a_passkey_answer_that_is_not_one_is_refused_on_the_page(app_client, account_factory) -> None:
    _, csrf = signed_in_page(app_client, account_factory, "/security/two-factor")
    refused = app_client.post("/security/passkeys/add", data={"name": "Laptop", "credential": "{not json",
                                                              "csrf_token": csrf})
    assert refused.status_code == 400 and "Passkey not added" in refused.text and REFERENCE.search(refused.text)
    login = app_client.post("/login/passkey", data={"credential": "[]", "csrf_token": app_client.cookies["bastion_csrf"]})
    assert login.status_code == 401 and "Passkey not accepted" in login.text


def test_the_allowlist_keeps_what_was_typed_when_refused(app_client, account_factory) -> None:
    _, csrf = signed_in_page(app_client, account_factory, "/security/allowlist")
    refused = app_client.post("/security/allowlist", data={"cidrs": "10.0.0.0/8\nnonsense", "csrf_token": csrf})
    assert refused.status_code == 422 and "nonsense" in refused.text and "is not an IP address" in refused.text
    saved = app_client.post("/security/allowlist", data={"cidrs": "10.0.0.0/8, 192.0.2.1", "csrf_token": csrf},
                            follow_redirects=False)
    assert saved.status_code == 303
    assert "10.0.0.0/8\n192.0.2.1/32" in app_client.get("/security/allowlist").text


def test_holds_show_on_the_overview_until_they_end(app_client, account_factory, mailbox, clock) -> None:
    account, _ = signed_in_page(app_client, account_factory)
    reset = app_client.post("/v1/password-reset", json={"email": account["email"]})
    assert reset.status_code == 202
    token = re.search(r"token=([\w-]+)", mailbox.last(account["email"])["text"]).group(1)
    app_client.post("/v1/password-reset/confirm", json={"token": token, "new_password": "amber tugboat river 58 compass"})
    app_client.post("/login", data={"email": account["email"], "password": "amber tugboat river 58 compass",
                                    "csrf_token": app_client.cookies["bastion_csrf"]})
    overview = app_client.get("/")
    assert "Withdrawals paused until" in overview.text and "because your password was reset" in overview.text
    clock.advance(hours=24, minutes=1)
    app_client.post("/login", data={"email": account["email"], "password": "amber tugboat river 58 compass",
                                    "csrf_token": app_client.cookies["bastion_csrf"]})
    assert "Withdrawals paused" not in app_client.get("/").text
