"""The flows that lost people before and after signing in (issue 22), in Chromium: each keeps the
person where they are — the second step within the same sign-in, results on pages Back and reload
can return to, a link that says what it did before anything is typed, words that fit the person's
situation, and fields a screen reader can tell are wrong."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bastion.ops.maintenance import start_maintenance, stop_maintenance
from tests.browser.speech import LANGUAGES, audit, open_section, say, say_part, sign_in_with_password, speak

WRONG = "not my password, sorry"
# The pause's step that sends a new device to one used before (the catalogue's words, translated).
KNOWN_DEVICE_STEP = "Sign in from a device you used before: it is not paused."
STATUS_STEP = 'Check the <a href="%(href)s">service status</a>: maintenance or an outage may be the cause.'


@pytest.fixture(autouse=True, params=LANGUAGES)
def language(request, site):  # type: ignore[no-untyped-def]
    yield from speak(request, site)


def flow_id(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.locator('form[action="/login/second-step"] input[name="flow_id"]').first.input_value())


def test_a_wrong_code_offers_the_backup_code_form_of_the_same_sign_in(page, site, person) -> None:
    """Item 1: "Use a backup code instead" switches within the sign-in; a mistyped backup code keeps
    trying again as the main action; Back never meets a form resubmission."""
    account = person(totp=True)
    page.goto("/login")
    sign_in_with_password(page, account["email"], account["password"])
    page.get_by_role("heading", name=say("One more step")).wait_for()
    assert page.url.endswith("/login/second-step")  # a page of its own, reached by a redirect
    started = flow_id(page)

    page.get_by_label(say("Authenticator code")).fill("000000")
    page.get_by_role("button", name=say("Sign in")).click()
    alert = page.locator(".alert")
    alert.get_by_role("heading", name=say("Code not accepted")).wait_for()
    audit(site, page, "flows-second-step-wrong-code")
    alert.get_by_role("link", name=say("Use a backup code instead")).click()
    page.get_by_label(say("Backup code")).wait_for()
    assert "/help/" not in page.url and page.url.endswith("/login/second-step?method=backup_code")
    assert flow_id(page) == started  # the same sign-in, not a new one

    page.get_by_label(say("Backup code")).fill("AAAA-BBBB-CCCC-DDDD")
    page.get_by_role("button", name=say("Sign in")).click()
    alert.get_by_role("heading", name=say("Backup code not accepted")).wait_for()
    assert page.get_by_role("button", name=say("Try again")).get_attribute("class") == "primary"
    reset = alert.get_by_role("link", name=say("Request a 2FA reset"))
    assert reset.count() == 1 and "button" not in (reset.get_attribute("class") or "")  # a quiet link, not the main action
    audit(site, page, "flows-second-step-wrong-backup-code")

    # Back goes to the pages of the steps as they were: GETs, no "Confirm form resubmission".
    page.go_back()
    page.get_by_label(say("Backup code")).wait_for()
    page.go_back()
    page.get_by_label(say("Authenticator code")).wait_for()
    assert flow_id(page) == started
    page.get_by_label(say("Authenticator code")).fill(site.totp_code(account["secret"]))
    page.get_by_role("button", name=say("Sign in")).click()
    page.get_by_role("heading", name=say("Account security")).wait_for()
    site.next_totp_step()


def test_no_backup_code_is_offered_while_the_app_is_set_up(page, site, person) -> None:
    """Item 1: during setup there are no backup codes yet, so a wrong code offers none."""
    account = person()
    page.goto("/login")
    sign_in_with_password(page, account["email"], account["password"])
    open_section(page, "2FA")
    page.get_by_role("button", name=say("Set up an authenticator app")).click()
    page.get_by_role("heading", name=say("Set up an authenticator app")).wait_for()
    page.get_by_label(say("6-digit code")).fill("000000")
    page.get_by_role("button", name=say("Turn on")).click()
    alert = page.locator(".alert")
    alert.get_by_role("heading", name=say("Code not accepted")).wait_for()
    assert say("Backup code").lower() not in alert.inner_text().lower()
    assert alert.get_by_role("link", name=say("Use a backup code instead")).count() == 0


def test_results_of_forms_are_pages_that_back_and_reload_return_to(page, site, language) -> None:
    """Item 2: Post/Redirect/Get — the result of a form is a GET page; reloading it sends nothing again."""
    email = f"prg-signup-{language}@example.com"
    page.goto("/signup")
    page.get_by_label(say("Email address")).fill(email)
    page.get_by_label(say("Password"), exact=True).fill("amber walnut cascade 48 ridge")
    page.get_by_role("button", name=say("Create account")).click()
    page.get_by_role("heading", name=say("Check your email")).wait_for()
    assert page.url.endswith("/signup/sent") and email in page.locator("main").inner_text()
    site.link(email, "/confirm?token=")
    page.reload()
    page.get_by_role("heading", name=say("Check your email")).wait_for()
    assert site.mails_to(email) == 1  # the reload posted nothing
    audit(site, page, "flows-signup-sent")

    page.goto("/password-reset")
    page.get_by_label(say("Email address")).fill(email)
    page.get_by_role("button", name=say("Email me a link")).click()
    page.get_by_role("heading", name=say("Check your email")).wait_for()
    assert page.url.endswith("/password-reset/sent")
    page.go_back()
    page.get_by_role("heading", name=say("Forgot your password?")).wait_for()
    page.go_forward()
    page.get_by_role("heading", name=say("Check your email")).wait_for()


def test_a_used_reset_link_and_a_second_confirmation_click_say_so_first(page, site, person, language) -> None:
    """Item 5: a used reset link says so with no form; a confirmation link clicked again says it
    already confirmed the address, with the way to sign in."""
    account = person()
    page.goto("/password-reset")
    page.get_by_label(say("Email address")).fill(account["email"])
    page.get_by_role("button", name=say("Email me a link")).click()
    page.get_by_role("heading", name=say("Check your email")).wait_for()
    link = site.link(account["email"], "/password-reset/confirm?token=")
    page.goto(link)
    page.get_by_label(say("New password")).fill("harbour quartz lantern 93 pine")
    page.get_by_role("button", name=say("Set new password")).click()
    page.get_by_role("heading", name=say("Password changed")).wait_for()
    assert page.url.endswith("/password-reset/done")
    page.goto(link)
    page.get_by_role("heading", name=say("Link not valid")).wait_for()
    assert page.locator("input[type=password]").count() == 0  # nothing to type before being told
    audit(site, page, "flows-reset-link-used")

    email = f"twice-clicked-{language}@example.com"
    page.goto("/signup")
    page.get_by_label(say("Email address")).fill(email)
    page.get_by_label(say("Password"), exact=True).fill("velvet orchard summit 27 brook")
    page.get_by_role("button", name=say("Create account")).click()
    confirm = site.link(email, "/confirm?token=")
    page.goto(confirm)
    page.get_by_role("button", name=say("Confirm my email")).click()
    page.get_by_role("heading", name=say("Email confirmed")).wait_for()
    page.goto(confirm)
    page.get_by_role("heading", name=say("Already confirmed — sign in")).wait_for()
    assert page.locator(".alert").count() == 0 and say("Link not valid") not in page.locator("main").inner_text()
    audit(site, page, "flows-confirm-again")
    page.get_by_role("link", name=say("Sign in"), exact=True).click()
    page.get_by_role("heading", name=say("Sign in")).wait_for()


def test_a_pause_on_a_known_device_does_not_send_it_to_a_device_used_before(page, other_page, site, person) -> None:
    """Item 8: the pause's step "sign in from a device you used before" only where it helps."""
    account = person()
    page.goto("/login")
    sign_in_with_password(page, account["email"], account["password"])
    page.get_by_role("heading", name=say("Account security")).wait_for()
    page.get_by_role("button", name=say("Sign out")).click()
    for _ in range(6):
        sign_in_with_password(page, account["email"], WRONG)
        page.locator(".alert").wait_for()
    page.get_by_role("heading", name=say("Sign-in paused")).wait_for()
    assert say(KNOWN_DEVICE_STEP) not in page.locator(".alert").inner_text()
    audit(site, page, "flows-paused-known-device")

    other_page.goto("/login")  # another browser, new to the account: that step is its way in
    for _ in range(6):
        sign_in_with_password(other_page, account["email"], WRONG)
        other_page.locator(".alert").wait_for()
    other_page.get_by_role("heading", name=say("Sign-in paused")).wait_for()
    assert say(KNOWN_DEVICE_STEP) in other_page.locator(".alert").inner_text()


def test_maintenance_is_said_calmly_before_anything_is_typed(page, site) -> None:
    """Item 8: the sign-in and sign-up pages show the window and its end at once, as a notice."""
    start_maintenance(site.services, timedelta(minutes=45), message="We are upgrading the database.")
    try:
        for path, name in (("/login", "flows-maintenance-login"), ("/signup", "flows-maintenance-signup")):
            page.goto(path)
            notice = page.locator("#maintenance")
            assert say_part("Scheduled maintenance until %(time)s").search(notice.inner_text())
            assert "We are upgrading the database." in notice.inner_text()
            assert notice.locator("time").get_attribute("datetime")
            assert page.locator(".alert").count() == 0  # calm: not a refusal, no reference
            audit(site, page, name)
    finally:
        stop_maintenance(site.services)
    page.goto("/login")
    assert page.locator("#maintenance").count() == 0


def test_the_contact_page_without_a_support_address_says_what_to_do_instead(page, site) -> None:
    """Item 8: no BASTION_SUPPORT_URL is no dead end: the reference, the help topics, the status page."""
    page.goto("/help/sign-in/contact")
    reach = page.locator("#reach")
    text = reach.inner_text()
    assert say("There is no support contact on this site. What you can do instead:") in text and "R-7F3K9Q2M" in text
    status = re.search(r">(.+?)</a>", say(STATUS_STEP))  # the link's words within the translated step
    assert status and reach.get_by_role("link", name=status[1]).get_attribute("href") == "/status"
    assert reach.get_by_role("link", name=say("I forgot my password")).count() == 1
    audit(site, page, "flows-contact")


def test_fields_a_refusal_is_about_are_marked_and_described(page, site, person) -> None:
    """Item 9: aria-invalid and aria-describedby on the fields a refusal is about; a focus ring that
    stands out; "Show password"; the reset form names the account for password managers."""
    account = person()
    page.goto("/login")
    sign_in_with_password(page, account["email"], WRONG)
    page.get_by_role("heading", name=say("Email or password is not right")).wait_for()
    password = page.get_by_label(say("Password"), exact=True)
    assert password.get_attribute("aria-invalid") == "true"
    described = (password.get_attribute("aria-describedby") or "").split()
    assert "problem" in described and page.locator("#problem").get_attribute("role") == "alert"
    assert page.get_by_label(say("Email address")).get_attribute("aria-invalid") == "true"
    assert page.locator("#remember").get_attribute("aria-invalid") is None

    page.keyboard.press("Tab")  # the keyboard's focus: the focus ring shows
    focused = page.evaluate("""() => {
        const element = document.activeElement, style = getComputedStyle(element);
        let back = element.parentElement;
        while (back && getComputedStyle(back).backgroundColor === "rgba(0, 0, 0, 0)") back = back.parentElement;
        return {outline: style.outlineColor, width: style.outlineWidth, shadow: style.boxShadow,
                background: back ? getComputedStyle(back).backgroundColor : "rgb(255, 255, 255)"};
    }""")
    assert float(focused["width"].removesuffix("px")) >= 2
    rings = [focused["outline"], *re.findall(r"rgba?\([^)]*\)", focused["shadow"])]
    assert max(contrast(ring, focused["background"]) for ring in rings) >= 3, focused

    toggle = page.get_by_role("button", name=say("Show password"))
    password.fill("hunter2 secret words")
    toggle.click()
    assert password.get_attribute("type") == "text" and toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    assert password.get_attribute("type") == "password" and toggle.get_attribute("aria-pressed") == "false"
    audit(site, page, "flows-login-refused")

    page.goto("/password-reset")
    page.get_by_label(say("Email address")).fill(account["email"])
    page.get_by_role("button", name=say("Email me a link")).click()
    page.goto(site.link(account["email"], "/password-reset/confirm?token="))
    username = page.locator('input[autocomplete="username"]')
    assert username.get_attribute("value") == account["email"] and not username.is_visible()
    assert page.get_by_role("button", name=say("Show password")).is_visible()
    audit(site, page, "flows-reset-form")


def test_without_a_script_there_is_no_show_password_button_and_the_form_still_works(page_without_script,
                                                                                    person) -> None:
    page = page_without_script
    account = person()
    page.goto("/login")
    assert not page.get_by_role("button", name=say("Show password")).is_visible()
    sign_in_with_password(page, account["email"], account["password"])
    page.get_by_role("heading", name=say("Account security")).wait_for()


def contrast(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two CSS rgb()/rgba() colours (alpha ignored: the rings are opaque)."""
    def luminance(colour: str) -> float:
        red, green, blue = (int(float(part)) / 255 for part in re.findall(r"[\d.]+", colour)[:3])
        linear = [value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
                  for value in (red, green, blue)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
