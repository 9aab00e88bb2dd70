"""A person's whole first week, in Chromium: sign up, confirm from the email, turn on an
authenticator app from its manual key, sign out, sign in with the code, and find the session,
the device and the history in the security center."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import DEFAULT_PASSWORD


def test_sign_up_confirm_enable_totp_and_sign_in_with_it(page, site) -> None:
    email = f"journey-{id(page)}@example.com"

    page.goto("/signup")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    site.audit(page, "signup-sent")

    page.goto(site.link(email, "/confirm?token="))
    site.audit(page, "confirm")
    page.get_by_role("button", name="Confirm my email").click()
    page.get_by_role("heading", name="Email confirmed").wait_for()
    site.audit(page, "confirm-done")

    page.get_by_role("link", name="Sign in").click()
    sign_in_with_password(page, email)
    page.get_by_role("heading", name="Account security").wait_for()
    site.audit(page, "overview")

    # 2FA: the authenticator app, set up from the key typed in by hand.
    page.get_by_role("link", name="Turn on 2FA").click()
    site.audit(page, "two-factor-off")
    page.get_by_role("button", name="Set up an authenticator app").click()
    page.get_by_role("heading", name="Set up an authenticator app").wait_for()
    site.audit(page, "totp-setup")
    secret = page.locator("#manual-key").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)

    page.get_by_label("6-digit code").fill("000000")
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("heading", name="Code not accepted").wait_for()  # the same setup, with what went wrong
    assert page.locator("#manual-key").inner_text().replace(" ", "") == secret
    site.audit(page, "totp-setup-refused")

    page.get_by_label("6-digit code").fill(site.totp_code(secret))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("heading", name="Save your backup codes").wait_for()
    codes = page.locator(".codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code) for code in codes)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as a text file").click()
    saved = download.value
    assert saved.suggested_filename == "backup-codes.txt"
    saved_text = Path(saved.path()).read_text()
    assert all(code in saved_text for code in codes)
    site.audit(page, "backup-codes")
    page.get_by_role("link", name="I've saved them").click()
    assert "10 of 10" in page.locator("#backup-heading + p").inner_text()
    site.audit(page, "two-factor-on")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()

    # Back in, now with the code; a step accepted once is never accepted again, so a new one.
    site.next_totp_step()
    sign_in_with_password(page, email)
    page.get_by_role("heading", name="One more step").wait_for()
    site.audit(page, "second-step-totp")
    page.get_by_label("Authenticator code").fill(site.totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Account security").wait_for()
    page.get_by_text("2FA is on").wait_for()

    open_section(page, "Sessions and devices")
    sessions = page.locator("section", has=page.get_by_role("heading", name="Where you're signed in"))
    assert sessions.get_by_text("This device").count() == 1
    devices = page.locator("section", has=page.get_by_role("heading", name="Devices that signed in"))
    assert devices.locator(".row").count() == 1 and "This device" in devices.inner_text()
    site.audit(page, "sessions")

    open_section(page, "Activity")
    history = page.locator(".rows .row")
    texts = history.all_inner_texts()
    assert sum("Signed in" in text for text in texts) == 2  # the two sign-ins, newest first
    assert any("Another step asked" in text for text in texts)
    assert all("HeadlessChrome" in text or "Chrome" in text for text in texts)
    assert all("Unknown location" in text and "IP 127.0.0.1" in text for text in texts)
    site.audit(page, "activity")


def sign_in_with_password(page, email: str, password: str = DEFAULT_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def open_section(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("navigation", name="Security settings").get_by_role("link", name=name).click()
    page.wait_for_load_state()
