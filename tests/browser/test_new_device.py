"""A sign-in from a new country in Chromium: the password is right, so the person is asked for the
code we emailed (or the email's link) before the session starts; the activity names the places.
And the "this wasn't me" link of a security email freezes the account after a press."""

from __future__ import annotations

import re

from tests.browser.test_journey import open_section, sign_in_with_password

GB, DE = "81.2.69.142", "85.214.132.117"  # checked with geoip2fast (tests/risk/test_geo.py)


def test_a_new_country_is_confirmed_with_the_emailed_code(browser, site, person) -> None:
    account = person()
    for country, ip in (("gb", GB), ("de", DE)):
        context = browser.new_context(base_url=site.base_url, extra_http_headers={"X-Forwarded-For": ip})
        page = context.new_page()
        site.watch(page)
        page.goto("/login")
        sign_in_with_password(page, account["email"], account["password"])
        if country == "gb":  # the first sign-in sets what is usual
            page.get_by_role("heading", name="Account security").wait_for()
            context.close()
            site.clock.advance(hours=12)
            continue
        page.get_by_role("heading", name="Confirm it's you").wait_for()
        site.audit(page, "device-code")
        page.get_by_label("Code from the email").fill("000000")
        page.get_by_role("button", name="Confirm").click()
        page.get_by_role("heading", name="Device code not accepted").wait_for()
        site.audit(page, "device-code-refused")
        _, text = site.mail(account["email"], 1)
        code = re.search(r"\b(\d{3} ?\d{3})\b", text).group(1)
        page.get_by_label("Code from the email").fill(code)
        page.get_by_role("button", name="Confirm").click()
        page.get_by_role("heading", name="Account security").wait_for()
        open_section(page, "Activity")
        places = page.locator(".rows").inner_text()
        assert "Germany" in places and "United Kingdom" in places
        site.audit(page, "activity-places")
        site.assert_no_page_errors(page)
        context.close()


def test_the_email_link_asks_before_it_freezes(page, site, person) -> None:
    account = person()
    page.goto("/login")
    sign_in_with_password(page, account["email"], account["password"])
    page.get_by_role("heading", name="Account security").wait_for()
    open_section(page, "IP allowlist")
    page.get_by_label("Allowed networks").fill("127.0.0.1")
    page.get_by_role("button", name="Save allowlist").click()
    page.get_by_text("Your IP allowlist is saved.").wait_for()

    page.goto(site.link(account["email"], "/freeze?token="))
    page.get_by_role("heading", name="Freeze your account?").wait_for()
    site.audit(page, "freeze-from-email")
    page.get_by_role("button", name="Freeze my account").click()
    page.get_by_role("heading", name="Your account is frozen").wait_for()
    page.goto("/")
    page.wait_for_url("**/login")
