"""The security center's settings in Chromium: step-up as a page, the anti-phishing code, the IP
allowlist, the password, sessions from elsewhere, and the freeze."""

from __future__ import annotations

import httpx2 as httpx

from bastion.web.client import sign_device_id
from tests.browser.test_journey import open_section, sign_in_with_password
from tests.conftest import DEFAULT_PASSWORD

NEW_PASSWORD = "copper lantern meadow 71 orbit"


def signed_in(page, person, **options):  # type: ignore[no-untyped-def]
    account = person(**options)
    page.goto("/login")
    sign_in_with_password(page, account["email"], account["password"])
    page.get_by_role("heading", name="Account security").wait_for()
    return account


def test_a_stale_sign_in_confirms_it_is_you_on_a_page_then_saves_the_change(page, site, person) -> None:
    account = signed_in(page, person)
    site.clock.advance(minutes=6)  # the sign-in no longer counts as a recent proof
    open_section(page, "Emails")
    assert "first confirm it's you" in page.locator(".notice.info").inner_text()
    site.audit(page, "emails-stale")

    page.get_by_label("Code", exact=True).fill("Blue-Otter")
    page.get_by_role("button", name="Save code").click()
    page.get_by_role("heading", name="Confirm it's you").wait_for()
    site.audit(page, "step-up")
    page.get_by_label("Your password").fill("not my password at all")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Password not accepted").wait_for()
    site.audit(page, "step-up-refused")
    assert "your new anti-phishing code is saved" in page.locator("#waiting-change").inner_text()
    page.get_by_label("Your password").fill(account["password"])
    page.get_by_role("button", name="Confirm").click()
    # The change that asked for the confirmation is made by it: nothing to type again.
    page.get_by_text("Your anti-phishing code is saved.").wait_for()
    assert page.url.endswith("/security/emails?done=anti-phishing")
    site.audit(page, "emails")
    subject, text = site.mail(account["email"])
    assert subject == "Your anti-phishing code was changed" and text.startswith("Anti-phishing code: Blue-Otter")


def test_the_ip_allowlist_warns_when_this_network_is_left_out(page, site, person) -> None:
    signed_in(page, person)
    open_section(page, "IP allowlist")
    assert "You are connected from 127.0.0.1" in page.locator("main").inner_text()
    site.audit(page, "allowlist")
    page.get_by_label("Allowed networks").fill("not-a-network")
    page.get_by_role("button", name="Save allowlist").click()
    page.get_by_role("heading", name="Request not understood").wait_for()
    assert "not-a-network" in page.get_by_label("Allowed networks").input_value()  # kept to fix
    site.audit(page, "allowlist-refused")
    page.get_by_label("Allowed networks").fill("10.0.0.0/8\n192.0.2.7")
    page.get_by_role("button", name="Save allowlist").click()
    page.get_by_text("Your IP allowlist is saved.").wait_for()
    assert "Signing in again from here will be refused" in page.locator("main").inner_text()
    assert page.get_by_label("Allowed networks").input_value() == "10.0.0.0/8\n192.0.2.7/32"
    site.audit(page, "allowlist-saved")


def test_changing_the_password_ends_the_other_sessions(page, site, person) -> None:
    account = signed_in(page, person)
    elsewhere = httpx.post(f"{site.base_url}/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD},
                           headers={"user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) "
                                                  "AppleWebKit/605.1.15 Version/17.4 Mobile Safari/604.1"})
    token = elsewhere.json()["session"]["token"]
    open_section(page, "Sessions and devices")
    assert "Mobile Safari on iOS" in page.locator("main").inner_text()

    open_section(page, "Password")
    site.audit(page, "password")
    page.get_by_label("Current password").fill("wrong password entirely")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.get_by_role("heading", name="Password not accepted").wait_for()
    site.audit(page, "password-refused")
    page.get_by_label("Current password").fill(DEFAULT_PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Your password is changed.").wait_for()
    assert httpx.get(f"{site.base_url}/v1/session", headers={"authorization": f"Bearer {token}"}).status_code == 401
    open_section(page, "Sessions and devices")
    sessions = page.locator("section", has=page.get_by_role("heading", name="Where you're signed in"))
    assert "Mobile Safari on iOS" not in sessions.inner_text()
    assert "You are not signed in anywhere else." in sessions.inner_text()


def test_ending_a_session_elsewhere_and_forgetting_a_device(page, site, person) -> None:
    account = signed_in(page, person)
    httpx.post(f"{site.base_url}/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD},
               headers={"user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
                        "x-device-id": sign_device_id(site.services.keys, "the-office-pc")})
    open_section(page, "Sessions and devices")
    page.get_by_role("button", name="End the session on Firefox on Windows, IP 127.0.0.1").click()
    page.get_by_text("That session has been ended.").wait_for()
    site.audit(page, "sessions-ended")
    page.get_by_role("button", name="Forget Firefox on Windows").click()
    page.get_by_text("That device is forgotten").wait_for()
    assert "Firefox" not in page.locator("main").inner_text()


def test_freezing_the_account_ends_everything_and_sign_in_says_why(page, site, person) -> None:
    account = signed_in(page, person)
    page.get_by_role("link", name="Freeze my account now").click()
    page.get_by_role("heading", name="Freeze now?").wait_for()
    page.get_by_role("button", name="Freeze now").click()
    page.get_by_role("heading", name="Your account is frozen").wait_for()
    site.audit(page, "frozen")
    page.goto("/")
    page.wait_for_url("**/login")
    sign_in_with_password(page, account["email"], account["password"])
    page.get_by_role("heading", name="Account frozen").wait_for()
    assert page.locator(".alert").get_by_role("link", name="Ask to unfreeze your account").count() == 1
    site.audit(page, "login-frozen")
