"""The flows that lost people in their account and its recovery (issue 22), in Chromium: the freeze
asks first, "Confirm it's you" makes the change that asked for it, a recovery case speaks of itself
in one set of words and takes its documents in one form, and the authenticator setup and refusals
fit a phone."""

from __future__ import annotations

import re

import pytest

from bastion.accounts.preferences import save_preferences
from bastion.accounts.status import freeze_account
from bastion.context import Client
from tests.browser.speech import LANGUAGES, audit, open_section, say, sign_in_with_password, speak
from tests.browser.test_support_console import image, wait_for_subject
from tests.recovery.conftest import pdf

PHONE_WITH_KEYBOARD = {"width": 390, "height": 450}  # 390 × 844, less the keyboard and the browser's bars
CAMERA_HINT = ("On a phone, take the photos right here: choosing a file offers the camera, and the photo of you "
               "opens the front camera.")


@pytest.fixture(autouse=True, params=LANGUAGES)
def language(request, site):  # type: ignore[no-untyped-def]
    yield from speak(request, site)


def signed_in(page, person, **options):  # type: ignore[no-untyped-def]
    account = person(**options)
    page.goto("/login")
    sign_in_with_password(page, account["email"], account["password"])
    page.get_by_role("heading", name=say("Account security")).wait_for()
    return account


def test_the_freeze_asks_once_before_acting(page, site, person) -> None:
    """Item 3: "Freeze now? You will need to verify your identity to undo it." — and Cancel changes nothing."""
    signed_in(page, person)
    page.get_by_role("link", name=say("Freeze my account now")).click()
    page.get_by_role("heading", name=say("Freeze now?")).wait_for()
    assert say("You will need to verify your identity to undo it.") in page.locator("main").inner_text()
    audit(site, page, "flows-freeze-confirm")
    page.get_by_role("link", name=say("Cancel: keep my account as it is")).click()
    page.get_by_role("heading", name=say("Account security")).wait_for()  # still signed in: nothing happened

    page.get_by_role("link", name=say("Freeze my account now")).click()
    page.get_by_role("button", name=say("Freeze now")).click()
    page.get_by_role("heading", name=say("Your account is frozen")).wait_for()
    assert page.url.endswith("/freeze/done")
    page.reload()  # a page of its own: reloading freezes nothing twice, and still says so
    page.get_by_role("heading", name=say("Your account is frozen")).wait_for()


def test_confirm_it_is_you_makes_the_change_that_asked_for_it(page, site, person) -> None:
    """Item 6: the step-up page says which change waits, and makes it once confirmed; Cancel forgets it."""
    account = signed_in(page, person)
    site.clock.advance(minutes=6)
    open_section(page, "IP allowlist")
    page.get_by_label(say("Allowed networks")).fill("127.0.0.1\n10.0.0.0/8")
    page.get_by_role("button", name=say("Save allowlist")).click()
    page.get_by_role("heading", name=say("Confirm it's you")).wait_for()
    waiting = say("Once you have confirmed, your IP allowlist is saved as you typed it.")
    assert waiting in page.locator("#waiting-change").inner_text()
    assert "10.0.0.0" not in page.url  # kept sealed, never in the address
    audit(site, page, "flows-step-up-waiting")
    page.get_by_role("link", name=say("Cancel")).click()
    page.get_by_role("heading", name=say("IP allowlist")).wait_for()
    assert "10.0.0.0/8" not in page.get_by_label(say("Allowed networks")).input_value()  # nothing saved

    page.get_by_label(say("Allowed networks")).fill("127.0.0.1\n10.0.0.0/8")
    page.get_by_role("button", name=say("Save allowlist")).click()
    page.get_by_label(say("Your password")).fill(account["password"])
    page.get_by_role("button", name=say("Confirm")).click()
    page.get_by_text(say("Your IP allowlist is saved. We emailed you about the change.")).wait_for()
    assert page.get_by_label(say("Allowed networks")).input_value() == "127.0.0.1/32\n10.0.0.0/8"
    audit(site, page, "flows-step-up-made")


def test_a_recovery_case_uses_one_wording_and_one_upload_form(page, site, person, language) -> None:
    """Item 4: the request page, the email, the case page and the handwritten note name the case the
    same way; the three documents go in one form, with the camera on a phone."""
    owner = person()
    save_preferences(site.services, owner["id"], {"language": language})  # its mail speaks as its page does
    freeze_account(site.services, owner["id"], Client(), via="self_service")
    page.goto("/recovery/unfreeze")
    note = f'"{say("unfreeze request")}"'
    assert note in page.locator("main").inner_text()
    page.get_by_label(say("Email address")).fill(owner["email"])
    page.get_by_label(say("Password"), exact=True).fill(owner["password"])
    page.get_by_role("button", name=say("Start the request")).click()
    page.get_by_role("heading", name=say("Check your email")).wait_for()
    assert page.url.endswith("/recovery/requested")
    subject = wait_for_subject(site, owner["email"], re.escape(say("Your recovery request: upload your identity documents")))
    assert f'"{subject}"' in page.locator("main").inner_text()  # the page names the email as it arrives
    body = next(text for count in range(1, 10) for found, text in [site.mail(owner["email"], count)]
                if found == subject)
    assert note in body

    page.goto(site.link(owner["email"], "/recovery/case?"))
    page.get_by_role("heading", name=say("Your %(request)s") % {"request": say("unfreeze request")}).wait_for()
    form = page.locator("form.documents")
    assert form.count() == 1 and form.locator("input[type=file]").count() == 3
    selfie = form.locator(".field.document:has(input[name=selfie])")  # its label ends with the note, worded per language
    assert note in selfie.inner_text()
    assert selfie.locator("input").get_attribute("capture") == "user"
    assert "image/jpeg" in (selfie.locator("input").get_attribute("accept") or "")
    assert say(CAMERA_HINT) in page.locator("#camera-hint").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    audit(site, page, "flows-case-upload-form")

    files = {say("ID document, front"): ("front.png", "image/png", image("PNG")),
             say("ID document, back"): ("back.jpg", "image/jpeg", image("JPEG"))}
    for label, (name, mime, content) in files.items():
        form.locator(".field.document", has_text=label).locator("input[type=file]").set_input_files(
            {"name": name, "mimeType": mime, "buffer": content})
    selfie.locator("input").set_input_files({"name": "selfie.pdf", "mimeType": "application/pdf", "buffer": pdf()})
    page.get_by_role("button", name=say("Upload the chosen files")).click()
    page.get_by_text(say("Thanks, what you chose is in.")).wait_for()
    page.get_by_text(say("Support is reviewing it")).wait_for()


def test_authenticator_setup_on_a_phone_opens_the_app_and_copies_the_key(page, site, person) -> None:
    """Item 7: an otpauth:// link and a Copy button beside the QR code and the key."""
    signed_in(page, person)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base_url)
    page.set_viewport_size({"width": 390, "height": 844})
    open_section(page, "2FA")
    page.get_by_role("button", name=say("Set up an authenticator app")).click()
    page.get_by_role("heading", name=say("Set up an authenticator app")).wait_for()
    assert page.url.endswith("/security/totp/setup")  # reload and Back show the same setup
    opener = page.get_by_role("link", name=say("Open in authenticator app"))
    assert (opener.get_attribute("href") or "").startswith("otpauth://totp/")
    key = page.locator("#manual-key").inner_text().replace(" ", "")
    assert key in (opener.get_attribute("href") or "")
    page.get_by_role("button", name=say("Copy the key")).click()
    page.get_by_text(say("Copied: paste it into the app.")).wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == key
    audit(site, page, "flows-totp-setup")


def test_a_refusal_on_a_phone_leaves_the_field_and_its_button_above_the_keyboard(page, site, person) -> None:
    """Item 7: a compact refusal box, and the form's button kept in view with the field when the
    keyboard comes up (it takes the lower half of a 390 × 844 screen)."""
    account = person()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    sign_in_with_password(page, account["email"], "not the password at all")
    page.get_by_role("heading", name=say("Email or password is not right")).wait_for()
    alert = page.locator(".alert").bounding_box()
    assert alert is not None and alert["height"] < 380  # compact on a phone: the steps are folded
    page.locator(".alert summary").click()  # and one tap shows them
    page.locator(".alert .steps li").first.wait_for()
    field = page.get_by_label(say("Password"), exact=True)
    field.click()  # a tap on the field: the keyboard comes up and the visible part shrinks
    page.set_viewport_size(PHONE_WITH_KEYBOARD)
    page.wait_for_timeout(600)
    button = page.get_by_role("button", name=say("Sign in"), exact=True)
    for element in (field, button):
        box = element.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE_WITH_KEYBOARD["height"], box
