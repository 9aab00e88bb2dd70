"""The sign-in help in Chromium, reached the way a stuck person reaches it — from the refusal on the
page — for three problems: a paused sign-in, a phone whose clock is off, a lost phone. Each path
ends in the action that gets the person back in."""

from __future__ import annotations

from bastion.mfa.totp import otp as totp
from tests.browser.test_journey import sign_in_with_password


def test_a_paused_sign_in_says_when_it_ends_and_a_new_password_lifts_it(page, site, person) -> None:
    account = person()
    page.goto("/login")
    for _ in range(6):
        sign_in_with_password(page, account["email"], "not my password, sorry")
        page.locator(".alert").wait_for()
    page.get_by_role("heading", name="Sign-in paused").wait_for()
    reference = page.locator(".alert .reference code").inner_text()
    site.audit(page, "login-paused")
    page.locator(".alert").get_by_role("link", name="More help with this").click()
    page.get_by_role("heading", name="Sign-in is paused after too many attempts").wait_for()
    page.get_by_label("Reference").fill(reference)
    page.get_by_role("button", name="Look it up").click()
    assert "It lasts until" in page.locator(".help-answer").inner_text()
    site.audit(page, "help-locked")

    reset = page.locator("#reset")
    reset.get_by_label("Email address").fill(account["email"])
    reset.get_by_role("button", name="Set a new password").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    assert site.link(account["email"], "/password-reset/confirm?token=")


def test_a_drifted_phone_is_told_how_far_off_and_where_to_set_the_clock(page, site, person) -> None:
    account = person(totp=True)
    page.goto("/login")
    sign_in_with_password(page, account["email"], account["password"])
    behind = site.clock.now().timestamp() - 150  # a phone two and a half minutes slow
    page.get_by_label("Authenticator code").fill(totp.code_at_time(account["secret"], behind))
    page.get_by_role("button", name="Sign in").click()
    alert = page.locator(".alert")
    alert.get_by_role("heading", name="Your phone's clock is off").wait_for()
    assert "behind" in alert.inner_text()
    site.audit(page, "second-step-clock-skew")
    alert.get_by_role("link", name="More help with this").click()
    page.get_by_role("heading", name="My authenticator code is rejected").wait_for()
    clock = page.locator("#clock")
    assert "Our clock now" in clock.inner_text() and "Set Automatically" in clock.inner_text()
    site.audit(page, "help-authenticator")
    clock.get_by_role("link", name="Sign in with the new code").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def test_a_lost_phone_leads_to_a_backup_code_or_a_2fa_reset(page, site, person) -> None:
    account = person(totp=True)
    page.goto("/login")
    page.get_by_role("link", name="Can't sign in?").click()
    page.get_by_role("link", name="I lost my phone or my authenticator app").click()
    site.audit(page, "help-lost-phone")
    assert page.locator("#backup").get_by_role("link", name="Sign in with a backup code").count() == 1

    request = page.locator("#reset")
    request.get_by_label("Email address").fill(account["email"])
    request.get_by_label("Password").fill(account["password"])
    request.get_by_role("button").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    page.goto(site.link(account["email"], "/recovery/case?"))
    page.get_by_text("Waiting for your documents").wait_for()
