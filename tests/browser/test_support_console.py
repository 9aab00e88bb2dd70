"""A lost phone, end to end in Chromium: the owner asks for a 2FA reset and uploads identity
documents from the emailed link; a support agent reviews them in the console and approves; after
the waiting period the owner signs in with the password alone, and withdrawals are on hold.
And the "this wasn't me" link of a case email cancels it and freezes the account."""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.browser.test_admin_console import open_console_page, sign_in_with_totp
from tests.browser.test_journey import sign_in_with_password
from tests.recovery.conftest import pdf


def image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 90, 160) if kind == "PNG" else (180, 140, 90)).save(buffer, format=kind)
    return buffer.getvalue()


def upload(page, label: str, name: str, mime: str, content: bytes) -> None:  # type: ignore[no-untyped-def]
    row = page.locator(".row.document", has_text=label)
    row.locator("input[type=file]").set_input_files({"name": name, "mimeType": mime, "buffer": content})
    row.get_by_role("button", name="Upload").click()
    page.get_by_text("Thanks, that document is in.").wait_for()


def start_the_request(page, site, owner, requested: str, awaiting: str) -> None:  # type: ignore[no-untyped-def]
    """On a recovery request page: email and password, then the emailed case link, waiting for the documents
    (each step photographed under the names given)."""
    page.get_by_label("Email address").fill(owner["email"])
    page.get_by_label("Password").fill(owner["password"])
    page.get_by_role("button", name="Start the request").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    site.audit(page, requested)
    page.goto(site.link(owner["email"], "/recovery/case?"))
    page.get_by_text("Waiting for your documents").wait_for()
    site.audit(page, awaiting)


def test_support_approves_a_2fa_reset(page, other_page, site, person) -> None:
    owner = person(totp=True)
    page.goto("/login")
    sign_in_with_password(page, owner["email"], owner["password"])
    page.get_by_role("heading", name="One more step").wait_for()
    page.get_by_role("link", name="Ask to reset 2FA").click()
    site.audit(page, "mfa-reset-request")
    start_the_request(page, site, owner, "mfa-reset-requested", "case-awaiting-documents")
    upload(page, "ID document, front", "front.png", "image/png", image("PNG"))
    # A file is judged by its content, not its name.
    upload_refused = page.locator(".row.document", has_text="ID document, back")
    upload_refused.locator("input[type=file]").set_input_files(
        {"name": "back.jpg", "mimeType": "image/jpeg", "buffer": b"PK\x03\x04 not really a photo"})
    upload_refused.get_by_role("button", name="Upload").click()
    page.get_by_role("heading", name="File type not accepted").wait_for()
    site.audit(page, "case-upload-refused")
    upload(page, "ID document, back", "back.jpg", "image/jpeg", image("JPEG"))
    upload(page, "Photo of you holding the ID", "selfie.pdf", "application/pdf", pdf())
    page.get_by_text("Support is reviewing it").wait_for()
    case_url = page.url

    agent = person(roles=["support"], totp=True)
    sign_in_with_totp(other_page, site, agent)
    other_page.get_by_role("heading", name="Recovery cases").wait_for()  # support lands on the queue
    other_page.get_by_role("link", name=f"2FA reset for {owner['email']}").click()
    other_page.get_by_role("heading", name="Identity documents").wait_for()
    for label in ("ID document, front", "ID document, back"):
        picture = other_page.get_by_role("img", name=f"{label}, as uploaded")
        picture.wait_for()
        assert picture.evaluate("img => img.complete && img.naturalWidth") == 320  # the decrypted file, shown
    assert other_page.get_by_role("link", name="Open the PDF").count() == 1
    other_page.get_by_label("Why you approve (kept in the audit log)").fill("ID matches the account holder; note dated today.")
    other_page.get_by_role("button", name="Approve").click()
    other_page.get_by_text("Approved: the waiting period has started").wait_for()

    # The account as support sees it, and a refusal found by the reference the owner would quote.
    open_console_page(other_page, "Support console", "Search")
    other_page.get_by_label("Email, account or case id, reference, IP address or network").fill(owner["email"])
    other_page.get_by_role("button", name="Search").click()
    other_page.get_by_role("link", name=owner["email"]).click()
    facts = other_page.locator(".facts").inner_text()
    assert "Authenticator app" in facts and owner["secret"] not in other_page.content()
    site.audit(other_page, "support-account")
    other_page.get_by_label("Reason", exact=True).fill("Owner asked on the phone after too many tries")
    other_page.get_by_role("button", name="Lift the wrong-password pause").click()
    other_page.get_by_text("The wrong-password pause on this email is lifted.").wait_for()
    other_page.goto("/support/references?reference=R-NOTFOUND")
    other_page.get_by_role("heading", name="Reference not found").wait_for()
    reference = wrong_password_reference(site, owner["email"])
    other_page.get_by_label("Reference the person quoted").fill(reference)
    other_page.get_by_role("button", name="Find").click()
    other_page.get_by_role("heading", name="Email or password is not right").wait_for()
    assert owner["email"] in other_page.locator(".facts").inner_text()
    assert "credentials.invalid" not in other_page.content()  # words, never the raw code
    site.audit(other_page, "support-reference")

    page.goto(case_url)
    page.get_by_text("Approved — waiting period").wait_for()
    assert "Takes effect" in page.locator(".facts").inner_text()
    site.audit(page, "case-waiting")

    site.clock.advance(hours=48, minutes=1)
    wait_for_subject(site, owner["email"], "is complete")  # the worker completed the case
    page.goto("/login")
    sign_in_with_password(page, owner["email"], owner["password"])
    hold = page.locator(".hold")
    hold.wait_for()  # no second step asked: the authenticator app is gone
    assert "because 2FA was reset through support" in hold.inner_text()
    assert "2FA is off" in page.locator("main").inner_text()


def test_the_cancel_link_of_a_case_email_stops_it_and_freezes_the_account(page, site, person) -> None:
    owner = person(totp=True)
    page.goto("/recovery/mfa-reset")
    page.get_by_label("Email address").fill(owner["email"])
    page.get_by_label("Password").fill(owner["password"])
    page.get_by_role("button", name="Start the request").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    page.goto(site.link(owner["email"], "/recovery/cancel?"))
    site.audit(page, "case-cancel")
    page.get_by_role("button", name="Cancel and freeze my account").click()
    page.get_by_role("heading", name="Request cancelled, account frozen").wait_for()
    site.audit(page, "case-cancelled")
    page.get_by_role("link", name="ask for it to be unfrozen").click()
    site.audit(page, "unfreeze-request")
    page.goto("/login")
    sign_in_with_password(page, owner["email"], owner["password"])
    page.get_by_role("heading", name="Account frozen").wait_for()


def wait_for_subject(site, to: str, word: str) -> str:  # type: ignore[no-untyped-def]
    """The subject of the first mail to `to` whose subject has `word`, waiting for the worker to send it."""
    for count in range(1, 20):
        subject, _ = site.mail(to, count)
        if re.search(word, subject, re.IGNORECASE):
            return subject
    raise AssertionError(f"no mail about {word!r} to {to}")


def wrong_password_reference(site, email: str) -> str:  # type: ignore[no-untyped-def]
    import httpx2 as httpx

    with httpx.Client(base_url=site.base_url) as http:
        refused = http.post("/v1/login", json={"email": email, "password": "not the password at all"})
    return str(refused.json()["reference"])
