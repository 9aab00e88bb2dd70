"""Forgot password in Chromium: the link from the email, a new password, every session ended, a
withdrawal hold shown in the security center until it ends."""

from __future__ import annotations

from datetime import timedelta

from tests.browser.test_journey import sign_in_with_password

NEW_PASSWORD = "amber tugboat river 58 compass"


def test_reset_password_from_the_emailed_link(page, site, person) -> None:
    account = person()
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email address").fill(account["email"])
    site.audit(page, "reset-request-filled")
    page.get_by_role("button", name="Email me a link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    site.audit(page, "reset-sent")

    subject, _ = site.mail(account["email"])
    assert subject == "Set a new password"
    page.goto(site.link(account["email"], "/password-reset/confirm?token="))
    page.get_by_label("New password").fill("password1234")
    page.get_by_role("button", name="Set new password").click()
    page.get_by_role("heading", name="Choose a stronger password").or_(
        page.get_by_role("heading", name="Password too common")).wait_for()
    site.audit(page, "reset-confirm-refused")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    page.get_by_role("heading", name="Password changed").wait_for()
    site.audit(page, "reset-done")

    page.get_by_role("link", name="Sign in").click()
    sign_in_with_password(page, account["email"], account["password"])
    page.get_by_role("heading", name="Email or password is not right").wait_for()
    site.audit(page, "login-refused")
    sign_in_with_password(page, account["email"], NEW_PASSWORD)
    hold = page.locator(".hold")
    hold.wait_for()
    # A day after now: the suite's clock has moved on by however much the tests before this one moved it.
    ends = site.clock.now() + timedelta(hours=24)
    assert "Withdrawals paused until" in hold.inner_text() and f"{ends.day} {ends:%b}" in hold.inner_text()
    assert "because your password was reset" in hold.inner_text()
    site.audit(page, "overview-with-hold")
