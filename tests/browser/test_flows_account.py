"""The flows that lost people in their account and its recovery (issue 22), in Chromium: the freeze
asks first, "Confirm it's you" makes the change that asked for it, a recovery case speaks of itself
in one set of words and takes its documents in one form, and the authenticator setup and refusals
fit a phone."""

from __future__ import annotations

from bastion.accounts.status import freeze_account
from bastion.context import Client
from tests.browser.test_journey import open_section, sign_in_with_password
from tests.browser.test_support_console import image, wait_for_subject
from tests.recovery.conftest import pdf

PHONE_WITH_KEYBOARD = {"width": 390, "height": 450}  # 390 × 844, less the keyboard and the browser's bars


def signed_in(page, person, **options):  # type: ignore[no-untyped-def]
    account = person(**options)
    page.goto("/login")
    sign_in_with_password(page, account["email"], account["password"])
    page.get_by_role("heading", name="Account security").wait_for()
    return account


def test_the_freeze_asks_once_before_acting(page, site, person) -> None:
    """Item 3: "Freeze now? You will need to verify your identity to undo it." — and Cancel changes nothing."""
    signed_in(page, person)
    page.get_by_role("link", name="Freeze my account now").click()
    page.get_by_role("heading", name="Freeze now?").wait_for()
    assert "You will need to verify your identity to undo it." in page.locator("main").inner_text()
    site.audit(page, "flows-freeze-confirm")
    page.get_by_role("link", name="Cancel: keep my account as it is").click()
    page.get_by_role("heading", name="Account security").wait_for()  # still signed in: nothing happened

    page.get_by_role("link", name="Freeze my account now").click()
    page.get_by_role("button", name="Freeze now").click()
    page.get_by_role("heading", name="Your account is frozen").wait_for()
    assert page.url.endswith("/freeze/done")
    page.reload()  # a page of its own: reloading freezes nothing twice, and still says so
    page.get_by_role("heading", name="Your account is frozen").wait_for()


def test_confirm_it_is_you_makes_the_change_that_asked_for_it(page, site, person) -> None:
    """Item 6: the step-up page says which change waits, and makes it once confirmed; Cancel forgets it."""
    account = signed_in(page, person)
    site.clock.advance(minutes=6)
    open_section(page, "IP allowlist")
    page.get_by_label("Allowed networks").fill("127.0.0.1\n10.0.0.0/8")
    page.get_by_role("button", name="Save allowlist").click()
    page.get_by_role("heading", name="Confirm it's you").wait_for()
    assert "your IP allowlist is saved as you typed it" in page.locator("#waiting-change").inner_text()
    assert "10.0.0.0" not in page.url  # kept sealed, never in the address
    site.audit(page, "flows-step-up-waiting")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("heading", name="IP allowlist").wait_for()
    assert "10.0.0.0/8" not in page.get_by_label("Allowed networks").input_value()  # nothing saved

    page.get_by_label("Allowed networks").fill("127.0.0.1\n10.0.0.0/8")
    page.get_by_role("button", name="Save allowlist").click()
    page.get_by_label("Your password").fill(account["password"])
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Your IP allowlist is saved.").wait_for()
    assert page.get_by_label("Allowed networks").input_value() == "127.0.0.1/32\n10.0.0.0/8"
    site.audit(page, "flows-step-up-made")


def test_a_recovery_case_uses_one_wording_and_one_upload_form(page, site, person) -> None:
    """Item 4: the request page, the email, the case page and the handwritten note name the case the
    same way; the three documents go in one form, with the camera on a phone."""
    owner = person()
    freeze_account(site.services, owner["id"], Client(), via="self_service")
    page.goto("/recovery/unfreeze")
    note = '"unfreeze request"'
    assert note in page.locator("main").inner_text()
    page.get_by_label("Email address").fill(owner["email"])
    page.get_by_label("Password", exact=True).fill(owner["password"])
    page.get_by_role("button", name="Start the request").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    assert page.url.endswith("/recovery/requested")
    subject = wait_for_subject(site, owner["email"], "upload your identity documents")
    assert f'"{subject}"' in page.locator("main").inner_text()  # the page names the email as it arrives
    body = next(text for count in range(1, 10) for found, text in [site.mail(owner["email"], count)]
                if found == subject)
    assert note in body

    page.goto(site.link(owner["email"], "/recovery/case?"))
    page.get_by_role("heading", name="Your unfreeze request").wait_for()
    form = page.locator("form.documents")
    assert form.count() == 1 and form.locator("input[type=file]").count() == 3
    selfie = form.locator(".field.document", has_text="Photo of you holding the ID")
    assert note in selfie.inner_text()
    assert selfie.locator("input").get_attribute("capture") == "user"
    assert "image/jpeg" in (selfie.locator("input").get_attribute("accept") or "")
    assert "camera" in page.locator("#camera-hint").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    site.audit(page, "flows-case-upload-form")

    files = {"ID document, front": ("front.png", "image/png", image("PNG")),
             "ID document, back": ("back.jpg", "image/jpeg", image("JPEG")),
             "Photo of you holding the ID": ("selfie.pdf", "application/pdf", pdf())}
    for label, (name, mime, content) in files.items():
        form.locator(".field.document", has_text=label).locator("input[type=file]").set_input_files(
            {"name": name, "mimeType": mime, "buffer": content})
    page.get_by_role("button", name="Upload the chosen files").click()
    page.get_by_text("Thanks, what you chose is in.").wait_for()
    page.get_by_text("Support is reviewing it").wait_for()


def test_authenticator_setup_on_a_phone_opens_the_app_and_copies_the_key(page, site, person) -> None:
    """Item 7: an otpauth:// link and a Copy button beside the QR code and the key."""
    signed_in(page, person)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base_url)
    page.set_viewport_size({"width": 390, "height": 844})
    open_section(page, "2FA")
    page.get_by_role("button", name="Set up an authenticator app").click()
    page.get_by_role("heading", name="Set up an authenticator app").wait_for()
    assert page.url.endswith("/security/totp/setup")  # reload and Back show the same setup
    opener = page.get_by_role("link", name="Open in authenticator app")
    assert (opener.get_attribute("href") or "").startswith("otpauth://totp/")
    key = page.locator("#manual-key").inner_text().replace(" ", "")
    assert key in (opener.get_attribute("href") or "")
    page.get_by_role("button", name="Copy the key").click()
    page.get_by_text("Copied: paste it into the app.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == key
    site.audit(page, "flows-totp-setup")


def test_a_refusal_on_a_phone_leaves_the_field_and_its_button_above_the_keyboard(page, site, person) -> None:
    """Item 7: a compact refusal box, and the form's button kept in view with the field when the
    keyboard comes up (it takes the lower half of a 390 × 844 screen)."""
    account = person()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    sign_in_with_password(page, account["email"], "not the password at all")
    page.get_by_role("heading", name="Email or password is not right").wait_for()
    alert = page.locator(".alert").bounding_box()
    assert alert is not None and alert["height"] < 380  # compact on a phone
    field = page.get_by_label("Password", exact=True)
    field.click()  # a tap on the field: the keyboard comes up and the visible part shrinks
    page.set_viewport_size(PHONE_WITH_KEYBOARD)
    page.wait_for_timeout(600)
    button = page.get_by_role("button", name="Sign in", exact=True)
    for element in (field, button):
        box = element.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE_WITH_KEYBOARD["height"], box
