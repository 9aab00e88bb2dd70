"""Signing in to the platform's apps through Bastion in Chromium: a loopback relying party sends the
person through Bastion's sign-in (authenticator code, or a passkey through the virtual
authenticator) and gets them back signed in; a third-party app asks for consent; the admin console
registers apps and the security center lists connected apps."""

from __future__ import annotations

from tests.browser.relying_party import LoopbackApp
from tests.browser.test_admin_console import open_console_page, sign_in_with_totp
from tests.browser.test_journey import open_section, sign_in_with_password
from tests.browser.test_passkeys import autofill_asked, sign_out, signed_in_with_a_passkey


def test_an_app_signs_in_through_bastion_with_an_authenticator_code(page, site, person) -> None:
    account = person(totp=True)
    with LoopbackApp(site, "Trading web app", first_party=True).serving() as app:
        page.goto(f"{app.base}/start")
        sign_in_with_password(page, account["email"])
        page.get_by_label("Authenticator code").fill(site.totp_code(account["secret"]))
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Signed in to the app").wait_for()
        site.next_totp_step()
    assert app.signed_in["email"] == account["email"] and app.signed_in["acr"] == "aal2"
    assert app.signed_in["amr"] == ["pwd", "otp", "mfa"]


def test_an_app_signs_in_through_bastion_with_a_passkey(page, site, person) -> None:
    account, authenticator = signed_in_with_a_passkey(page, person)
    authenticator.present(False)
    sign_out(page)
    with LoopbackApp(site, "Wallet", first_party=True).serving() as app:
        page.goto(f"{app.base}/start")
        page.get_by_role("heading", name="Sign in").wait_for()
        autofill_asked(page)
        authenticator.present(True)
        page.get_by_role("button", name="Sign in with a passkey").click()
        page.get_by_role("heading", name="Signed in to the app").wait_for()
    assert app.signed_in["email"] == account["email"] and app.signed_in["acr"] == "aal2"
    assert app.signed_in["amr"][0] in ("hwk", "swk") and "pwd" not in app.signed_in["amr"]


def test_a_third_party_app_asks_for_consent_listed_in_the_security_center(page, site, person) -> None:
    account = person()
    with LoopbackApp(site, "Tax report partner", first_party=False,
                     scope="openid email restrictions").serving() as app:
        page.goto(f"{app.base}/start")
        sign_in_with_password(page, account["email"])
        page.get_by_role("heading", name="Allow Tax report partner to use your account?").wait_for()
        site.audit(page, "oidc-consent")
        page.get_by_role("button", name="Allow", exact=True).click()
        page.get_by_role("heading", name="Signed in to the app").wait_for()
        assert app.signed_in["email"] == account["email"]

        page.goto(f"{app.base}/start")  # remembered: straight through
        page.get_by_role("heading", name="Signed in to the app").wait_for()

        site.clock.advance(seconds=5)  # the server's clock stands still otherwise: time passes in life
        page.goto(f"{app.base}/start?prompt=login")
        page.get_by_role("heading", name="Confirm it's you").wait_for()
        site.audit(page, "oidc-confirm")
        page.get_by_label("Your password").fill(account["password"])
        page.get_by_role("button", name="Confirm and continue").click()
        page.get_by_role("heading", name="Signed in to the app").wait_for()

    page.goto("/")
    open_section(page, "Connected apps")
    page.get_by_text("Tax report partner").wait_for()
    site.audit(page, "security-connected-apps")
    page.get_by_role("button", name="Remove access for Tax report partner").click()
    page.get_by_text("The app's access is removed").wait_for()


def test_the_admin_console_registers_an_app(page, site, person) -> None:
    admin = person(roles=["admin"], totp=True)
    sign_in_with_totp(page, site, admin)
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Admin").click()
    open_console_page(page, "Admin console", "Apps (OpenID)")
    page.get_by_label("Name people see").fill("Support desk")
    page.get_by_label("Redirect addresses, one per line").fill("https://desk.example.com/oidc/callback\nhttp://evil.example/cb")
    page.get_by_role("button", name="Register app").click()
    page.get_by_text("is not allowed").wait_for()  # plain http off the loopback interface is refused
    page.get_by_label("Redirect addresses, one per line").fill("https://desk.example.com/oidc/callback")
    page.get_by_label("After sign-out addresses, one per line (optional)").fill("https://desk.example.com/")
    page.get_by_label("The platform's own app (no consent page)").check()
    page.get_by_role("button", name="Register app").click()
    page.get_by_text("Copy the client secret now").wait_for()
    assert page.locator("#new-secret").inner_text().startswith("bcs_")
    site.audit(page, "admin-apps")
    page.get_by_role("button", name="Delete Support desk").click()
    page.get_by_text("The app is deleted").wait_for()
