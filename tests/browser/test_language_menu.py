"""The language menu in Chromium: a choice in the footer comes back to the same address in that
language, and stays chosen on the next pages; Arabic is laid out right to left."""

from __future__ import annotations


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
