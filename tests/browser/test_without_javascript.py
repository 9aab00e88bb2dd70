"""With JavaScript switched off, the basic flows still work: every form is a plain form. Only
passkeys need a script, and the pages say so instead of offering a button that does nothing."""

from __future__ import annotations

from tests.browser.test_journey import open_section, sign_in_with_password

NEW_PASSWORD = "granite harbour violet 62 kettle"


def test_sign_in_with_a_code_manage_and_sign_out_without_javascript(page_without_script, site, person) -> None:
    page = page_without_script
    account = person(totp=True)
    page.goto("/login")
    assert not page.locator("form[data-passkey]").is_visible()  # no passkey button without a script
    sign_in_with_password(page, account["email"], account["password"])
    page.get_by_label("Authenticator code").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Code not accepted").wait_for()
    page.get_by_role("button", name="Use a backup code").click()
    page.get_by_label("Backup code").wait_for()
    page.get_by_role("button", name="Use the authenticator app").click()
    page.get_by_label("Authenticator code").fill(site.totp_code(account["secret"]))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Account security").wait_for()
    site.next_totp_step()

    open_section(page, "2FA")
    assert page.get_by_text("Adding a passkey needs JavaScript").is_visible()
    page.get_by_role("button", name="Make new backup codes").click()
    page.get_by_role("heading", name="Save your backup codes").wait_for()
    assert page.locator(".codes code").count() == 10

    open_section(page, "Password")
    page.get_by_label("Current password").fill(account["password"])
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Your password is changed.").wait_for()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email address").fill(account["email"])
    page.get_by_role("button", name="Email me a link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
