"""An IP allowlist whose every network is lost, in Chromium: the sign-in refusal leads to the request
page, which works from the refused network; the owner uploads identity documents from the emailed
link, support approves, and after the waiting period the owner signs in from here, with withdrawals
on hold. And support clearing an allowlist at once from the console."""

from __future__ import annotations

from bastion.accounts.repo import get_account
from tests.browser.test_admin_console import open_console_page, sign_in_with_totp
from tests.browser.test_journey import sign_in_with_password
from tests.browser.test_support_console import image, start_the_request, upload, wait_for_subject
from tests.recovery.conftest import pdf

OFFICE = "198.51.100.0/24"  # not where the browser is (127.0.0.1)


def allowlisted(site, person):  # type: ignore[no-untyped-def]
    owner = person()
    with site.services.db.transaction() as tx:
        get_account(tx, owner["id"]).ip_allowlist = [OFFICE]
    return owner


def test_the_owner_asks_to_clear_the_allowlist_from_the_refused_network_and_support_approves(
        page, other_page, site, person) -> None:
    owner = allowlisted(site, person)
    page.goto("/login")
    sign_in_with_password(page, owner["email"], owner["password"])
    page.get_by_role("heading", name="Network not on your allowlist").wait_for()
    site.audit(page, "login-ip-not-allowed")
    page.locator(".alert").get_by_role("link", name="Ask to clear your IP allowlist").click()
    page.get_by_role("heading", name="Clear your IP allowlist").wait_for()
    site.audit(page, "allowlist-reset-request")
    start_the_request(page, site, owner, "allowlist-reset-requested", "allowlist-reset-case")
    page.get_by_role("heading", name="IP allowlist reset").wait_for()
    assert '"IP allowlist reset"' in page.locator(".field.document", has_text="Photo of you holding the ID").inner_text()
    upload(page, "ID document, front", "front.png", "image/png", image("PNG"))
    upload(page, "ID document, back", "back.jpg", "image/jpeg", image("JPEG"))
    upload(page, "Photo of you holding the ID", "selfie.pdf", "application/pdf", pdf())
    page.get_by_text("Support is reviewing it").wait_for()

    agent = person(roles=["support"], totp=True)
    sign_in_with_totp(other_page, site, agent)
    other_page.get_by_role("navigation", name="Account").get_by_role("link", name="Support").click()
    other_page.get_by_role("link", name=f"IP allowlist reset for {owner['email']}").click()
    assert OFFICE in other_page.locator(".case-head .facts").inner_text()
    site.audit(other_page, "support-allowlist-reset-case")
    other_page.get_by_label("Why you approve (kept in the audit log)").fill("ID matches; the office network is gone.")
    other_page.get_by_role("button", name="Approve").click()
    other_page.get_by_text("Approved: the waiting period has started").wait_for()

    site.clock.advance(hours=24, minutes=1)
    wait_for_subject(site, owner["email"], "is complete")  # the worker completed the case
    page.goto("/login")
    sign_in_with_password(page, owner["email"], owner["password"])
    hold = page.locator(".hold")
    hold.wait_for()
    assert "because your IP allowlist was cleared at your request" in hold.inner_text()
    site.audit(page, "overview-after-allowlist-reset")


def test_support_clears_an_allowlist_from_the_console(page, site, person) -> None:
    owner = allowlisted(site, person)
    agent = person(roles=["support"], totp=True)
    sign_in_with_totp(page, site, agent)
    open_console_page(page, "Support console", "Search")
    page.get_by_label("Email, account or case id, reference, IP address or network").fill(owner["email"])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=owner["email"]).click()
    assert OFFICE in page.locator(".facts").inner_text()
    site.audit(page, "support-account-allowlist")
    page.get_by_label("Reason").fill("Owner verified on a call from the KYC number")
    page.get_by_role("button", name="Clear the IP allowlist").click()
    page.get_by_text("The IP allowlist is cleared").wait_for()
    assert OFFICE not in page.locator(".facts").inner_text()
    site.audit(page, "support-allowlist-cleared")
    assert "cleared your IP allowlist" in site.mail(owner["email"])[0]


def test_the_troubleshooter_asks_for_it_right_where_it_explains_it(page, site, person) -> None:
    owner = allowlisted(site, person)
    page.goto("/help/sign-in/restricted#allowlist")
    section = page.locator("section#allowlist")
    section.get_by_role("heading", name="Network not on your IP allowlist").wait_for()
    site.audit(page, "help-allowlist")
    section.get_by_label("Email address").fill(owner["email"])
    section.get_by_label("Password").fill(owner["password"])
    section.get_by_role("button", name="Ask to clear your IP allowlist").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    assert "upload your identity documents" in page.locator("main").inner_text()
    assert site.link(owner["email"], "/recovery/case?")
