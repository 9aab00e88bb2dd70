"""The language menu in Chromium: a choice in the footer comes back to the same address in that
language, and stays chosen on the next pages; Arabic is laid out right to left."""

from __future__ import annotations

import httpx2 as httpx

from tests.browser.test_journey import open_section
from tests.browser.test_security_center import signed_in


def test_choosing_a_language_comes_back_to_the_same_page_in_it(page, site) -> None:
    page.goto("/login?done=signed-out")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    page.locator("form.foot-languages").get_by_role("button", name="Español").click()
    page.wait_for_url("**/login?done=signed-out")  # the query too: the script adds it to the way back
    assert page.evaluate("() => document.documentElement.lang") == "es"
    assert page.locator("form.foot-languages button[aria-current]").inner_text() == "Español"

    page.goto("/status")
    assert page.evaluate("() => document.documentElement.lang") == "es"
    page.locator("form.foot-languages").get_by_role("button", name="العربية").click()
    page.wait_for_url("**/status")
    assert page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    site.audit(page, "status-ar")


def test_the_account_keeps_a_language_and_zone_for_every_browser(page, site, person) -> None:
    account = signed_in(page, person)
    open_section(page, "Language and time zone")
    site.audit(page, "preferences")
    page.locator("#preferences-language").select_option("es")
    page.locator("#preferences-zone").select_option("America/Mexico_City")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/security/preferences?done=saved")
    assert page.evaluate("() => document.documentElement.lang") == "es"
    assert page.locator("#preferences-zone").input_value() == "America/Mexico_City"
    assert "hora de México" in page.locator("#preferences-zone option:checked").inner_text()
    site.audit(page, "preferences-saved")
    with httpx.Client(base_url=site.base_url, timeout=10) as http:
        token = http.post("/v1/login", json={"email": account["email"], "password": account["password"]})
        mine = http.get("/v1/me/preferences", headers={"Authorization": f"Bearer {token.json()['session']['token']}"})
    assert mine.json() == {"language": "es", "time_zone": "America/Mexico_City"}
