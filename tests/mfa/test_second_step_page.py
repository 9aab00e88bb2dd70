"""The browser's second step: the authenticator code or a backup code, on a page without JavaScript."""

from __future__ import annotations

import re

from tests.mfa.conftest import code_at


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)


def password_step(app_client, account):  # type: ignore[no-untyped-def]
    """The password, then the second step's page it sends the browser to (Post/Redirect/Get)."""
    app_client.cookies.clear()
    app_client.get("/login")
    answer = app_client.post("/login", data={"email": account["email"], "password": account["password"],
                                             "csrf_token": app_client.cookies.get("bastion_csrf")},
                             follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login/second-step"
    assert "bastion_session" not in answer.cookies and answer.cookies.get("bastion_device")
    return app_client.get(answer.headers["location"])


def test_a_browser_finishes_sign_in_with_the_authenticator_code(app_client, enrolled, clock) -> None:
    account = enrolled()
    step = password_step(app_client, account)
    assert step.status_code == 200 and 'autocomplete="one-time-code"' in step.text
    form = {name: hidden(step.text, name) for name in ("csrf_token", "flow_id", "methods")}
    wrong = app_client.post("/login/second-step", data={**form, "method": "totp", "code": "000000"})
    assert "Code not accepted" in wrong.text and "Reference" in wrong.text and "mfa.code_invalid" not in wrong.text
    done = app_client.post("/login/second-step", data={**form, "csrf_token": hidden(wrong.text, "csrf_token"),
                                                      "method": "totp", "code": code_at(account["secret"], clock)},
                           follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert done.cookies.get("bastion_session")
    assert app_client.get("/").status_code == 200


def test_a_drifted_phone_is_told_so_on_the_page(app_client, enrolled, clock) -> None:
    account = enrolled()
    step = password_step(app_client, account)
    form = {name: hidden(step.text, name) for name in ("csrf_token", "flow_id", "methods")}
    late = app_client.post("/login/second-step", data={**form, "method": "totp",
                                                      "code": code_at(account["secret"], clock, -150)})
    assert "clock" in late.text and "behind" in late.text


def test_switching_to_a_backup_code_and_signing_in_with_it(app_client, enrolled) -> None:
    account = enrolled()
    step = password_step(app_client, account)
    form = {name: hidden(step.text, name) for name in ("csrf_token", "flow_id", "methods")}
    switched = app_client.post("/login/second-step", data={**form, "method": "backup_code", "code": ""})
    assert "Backup code" in switched.text and "alert" not in switched.text
    done = app_client.post("/login/second-step", data={**form, "csrf_token": hidden(switched.text, "csrf_token"),
                                                      "method": "backup_code", "code": account["backup_codes"][0]},
                           follow_redirects=False)
    assert done.status_code == 303 and done.cookies.get("bastion_session")


def test_the_second_step_needs_the_browser_that_passed_the_password(app_client, enrolled, clock) -> None:
    account = enrolled()
    step = password_step(app_client, account)
    form = {name: hidden(step.text, name) for name in ("csrf_token", "flow_id", "methods")}
    app_client.cookies.delete("bastion_device")
    other = app_client.post("/login/second-step", data={**form, "method": "totp",
                                                       "code": code_at(account["secret"], clock)},
                            follow_redirects=False)
    assert other.status_code != 303 and "bastion_session" not in other.cookies
