"""Passkeys in Chromium with its virtual authenticator (a platform authenticator with user
verification): added in the security center, then signing in with no password at all — from the
email field's autofill (conditional UI) or the button — and as the second step after a password."""

from __future__ import annotations

from tests.browser.site import VirtualAuthenticator
from tests.browser.test_journey import open_section, sign_in_with_password


def signed_in_with_a_passkey(page, person, name: str = "Laptop"):  # type: ignore[no-untyped-def]
    """An account signed in with its password that then adds a passkey (its first second factor)."""
    account = person()
    authenticator = VirtualAuthenticator(page)
    page.goto("/login")
    sign_in_with_password(page, account["email"])
    page.get_by_role("heading", name="Account security").wait_for()
    open_section(page, "2FA")
    page.get_by_label("Name for the new passkey").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    # The first second factor comes with backup codes, shown once.
    page.get_by_role("heading", name="Save your backup codes").wait_for()
    page.get_by_text("Your passkey is added").wait_for()
    page.get_by_role("link", name="I've saved them").click()
    return account, authenticator


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login?done=signed-out")


def autofill_asked(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the sign-in page's autofill request is with the browser: an authenticator made
    present before that would answer it at once and sign in before any button is pressed."""
    page.locator('form[data-autofill="asked"]').wait_for(state="attached")


def test_a_passkey_signs_in_from_the_autofill_or_the_button_without_a_password(page, site, person) -> None:
    account, authenticator = signed_in_with_a_passkey(page, person)
    passkeys = page.locator(".row.passkey")
    assert passkeys.count() == 1 and "Laptop" in passkeys.inner_text()
    site.audit(page, "two-factor-passkey")
    [credential] = authenticator.credentials()
    assert credential["isResidentCredential"] and credential["rpId"] == "localhost"

    passkeys.get_by_text("Rename").click()
    passkeys.get_by_label("New name for Laptop").fill("Work laptop")
    passkeys.get_by_role("button", name="Save name").click()
    page.get_by_text("The passkey is renamed.").wait_for()
    assert "Work laptop" in page.locator(".row.passkey").inner_text()

    # Conditional UI: the sign-in page asks for a passkey as soon as it loads (the email field is
    # marked "username webauthn"), and the browser offers it; choosing it signs in.
    with page.expect_request("**/login/passkey/options"):
        sign_out(page)
    page.wait_for_url(site.base_url + "/")
    page.get_by_role("heading", name="Account security").wait_for()
    open_section(page, "Activity")
    newest = page.locator(".rows .row").first.inner_text()
    assert "Signed in" in newest and "Passkey" in newest

    # The button, for browsers without autofill for passkeys or a person who prefers it.
    authenticator.present(False)
    sign_out(page)
    assert page.get_by_label("Email address").get_attribute("autocomplete") == "username webauthn"
    site.audit(page, "login-with-passkey")
    autofill_asked(page)
    authenticator.present(True)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.get_by_role("heading", name="Account security").wait_for()
    page.get_by_text(account["email"]).wait_for()


def test_a_passkey_is_the_second_step_after_the_password(page, site, person) -> None:
    account, authenticator = signed_in_with_a_passkey(page, person, "Phone")
    authenticator.present(False)
    sign_out(page)
    sign_in_with_password(page, account["email"])
    page.get_by_role("heading", name="One more step").wait_for()
    site.audit(page, "second-step-passkey")
    assert page.get_by_role("button", name="Use a backup code").count() == 1
    authenticator.present(True)
    page.get_by_role("button", name="Use my passkey").click()
    page.get_by_role("heading", name="Account security").wait_for()

    open_section(page, "2FA")
    page.get_by_role("button", name="Remove the passkey Phone").click()
    page.get_by_text("The passkey is removed.").wait_for()
    assert page.locator(".row.passkey").count() == 0
    assert "2FA is off" in page.locator("main").inner_text()


def test_a_passkey_the_site_no_longer_knows_is_refused_with_its_reason(page, site, person) -> None:
    _account, authenticator = signed_in_with_a_passkey(page, person)
    open_section(page, "2FA")
    page.get_by_role("button", name="Remove the passkey Laptop").click()
    page.get_by_text("The passkey is removed.").wait_for()
    authenticator.present(False)
    sign_out(page)

    assert authenticator.credentials()  # the authenticator still holds it; the site no longer does
    autofill_asked(page)
    authenticator.present(True)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.get_by_role("heading", name="Passkey not accepted").wait_for()
    assert "Reference" in page.locator(".alert").inner_text()
    assert "passkey.invalid" not in page.locator("main").inner_text()
    site.audit(page, "login-passkey-refused")
