"""The admin console in Chromium: maintenance windows, app versions, suspensions and bans,
announcements and service keys — and nobody else gets in."""

from __future__ import annotations

import httpx2 as httpx

from bastion.ops.maintenance import stop_maintenance
from tests.browser.test_journey import sign_in_with_password


def sign_in_with_totp(page, site, account) -> None:  # type: ignore[no-untyped-def]
    """Both steps; staff land in their console, everyone else on their security page."""
    page.goto("/login")
    sign_in_with_password(page, account["email"], account["password"])
    page.get_by_label("Authenticator code").fill(site.totp_code(account["secret"]))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Account").wait_for()
    site.next_totp_step()


def open_console_page(page, area: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("navigation", name=area).get_by_role("link", name=name).click()
    page.wait_for_load_state()


def test_maintenance_windows_and_app_versions(page, site, person) -> None:
    admin = person(roles=["admin"], totp=True)
    sign_in_with_totp(page, site, admin)
    page.get_by_role("heading", name="Maintenance windows").wait_for()  # an admin lands in the admin console
    site.audit(page, "admin-maintenance")

    page.get_by_role("button", name="Schedule").click()  # tomorrow, one hour: the defaults
    page.get_by_text("The maintenance window is scheduled").wait_for()
    assert "Scheduled" in page.locator(".rows").inner_text()
    page.goto("/status")
    assert "Next maintenance" in page.locator("main").inner_text()
    page.go_back()
    page.get_by_role("button", name="Cancel the window starting").click()
    page.get_by_text("The maintenance window is cancelled.").wait_for()

    try:
        page.get_by_label("For how many minutes").fill("20")
        page.get_by_role("button", name="Start maintenance").click()
        page.get_by_text("Maintenance has started").wait_for()
        site.audit(page, "admin-maintenance-on")
        with httpx.Client(base_url=site.base_url) as http:
            refused = http.post("/v1/login", json={"email": "someone@example.com", "password": "x" * 12})
        assert refused.status_code == 503 and refused.json()["code"] == "service.maintenance"
        page.get_by_role("button", name="End maintenance now").click()
        page.get_by_text("Maintenance has ended.").wait_for()
    finally:
        stop_maintenance(site.services)  # never leave the shared server in maintenance

    open_console_page(page, "Admin console", "App versions")
    site.audit(page, "admin-client-versions")
    ios = page.locator("section", has=page.get_by_role("heading", name="iOS"))
    ios.get_by_label("Oldest version that can sign in").fill("not a version")
    ios.get_by_role("button", name="Save iOS policy").click()
    page.get_by_role("heading", name="Request not understood").wait_for()
    ios = page.locator("section", has=page.get_by_role("heading", name="iOS"))
    ios.get_by_label("Oldest version that can sign in").fill("2.0.0")
    ios.get_by_label("Recommended version").fill("2.1.0")
    ios.get_by_label("Where to update").fill("https://apps.example.com/bastion")
    ios.get_by_role("button", name="Save iOS policy").click()
    page.get_by_text("The version policy is saved").wait_for()
    with httpx.Client(base_url=site.base_url) as http:
        outdated = http.post("/v1/login", json={"email": "someone@example.com", "password": "x" * 12},
                             headers={"x-client-platform": "ios", "x-client-version": "1.9.9"})
        assert outdated.status_code == 426
    # Cleared again, so other tests' sign-ins are not gated.
    ios = page.locator("section", has=page.get_by_role("heading", name="iOS"))
    for label in ("Oldest version that can sign in", "Recommended version", "Where to update"):
        ios.get_by_label(label).fill("")
    ios.get_by_role("button", name="Save iOS policy").click()
    page.get_by_text("The version policy is saved").wait_for()


def test_suspend_and_reinstate_an_account(page, site, person) -> None:
    admin = person(roles=["admin"], totp=True)
    someone = person()
    sign_in_with_totp(page, site, admin)
    page.goto("/admin/accounts")
    page.get_by_label("Email address or account id").fill(someone["email"])
    page.get_by_role("button", name="Search").click()
    site.audit(page, "admin-accounts")
    page.get_by_role("link", name=someone["email"]).click()
    site.audit(page, "admin-account")

    page.get_by_label("Reason (kept in the audit log)").fill("Chargeback fraud under review")
    page.get_by_role("button", name="Restrict the account").click()
    page.get_by_text("The account is suspended").wait_for()
    assert "Suspended — Chargeback fraud under review" in page.locator(".facts").inner_text()
    with httpx.Client(base_url=site.base_url) as http:
        refused = http.post("/v1/login", json={"email": someone["email"], "password": someone["password"]})
    assert refused.json()["code"] == "account.suspended"

    page.get_by_label("Reason (kept in the audit log)").fill("Review done, no fraud")
    page.get_by_role("button", name="Lift it").click()
    page.get_by_text("The restriction is lifted.").wait_for()
    page.get_by_label("Temporary ban (needs an end)").check()
    page.get_by_label("Reason (kept in the audit log)").fill("Abusive messages to support")
    page.get_by_role("button", name="Restrict the account").click()
    page.get_by_role("heading", name="Request not understood").wait_for()  # a ban needs an end
    assert "needs an end" in page.locator(".alert").inner_text()
    assert page.get_by_label("Temporary ban (needs an end)").is_checked()  # what was typed is kept
    assert page.get_by_label("Reason (kept in the audit log)").input_value() == "Abusive messages to support"
    site.audit(page, "admin-account-refused")


def test_announcements_and_service_keys(page, site, person) -> None:
    admin = person(roles=["admin"], totp=True)
    sign_in_with_totp(page, site, admin)
    page.goto("/admin/announcements")
    page.get_by_label("Kind").select_option("phishing_warning")
    page.get_by_label("Title").fill("Fake support on messaging apps")
    page.get_by_label("Text").fill("We never contact you first on messaging apps. Report such messages.")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("The announcement is published").wait_for()
    site.audit(page, "admin-announcements")
    page.goto("/status")
    assert "Fake support on messaging apps" in page.locator("main").inner_text()
    page.goto("/admin/announcements")
    page.get_by_role("button", name="Withdraw “Fake support on messaging apps”").click()
    page.get_by_text("The announcement is withdrawn.").wait_for()

    open_console_page(page, "Admin console", "Service keys")
    page.get_by_label("Which service uses it").fill("trading-api")
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-key").inner_text()
    assert secret.startswith("bsk_")
    site.audit(page, "admin-service-keys")
    with httpx.Client(base_url=site.base_url) as http:
        answer = http.post("/v1/introspect", json={"token": "bst_nothing"}, headers={"authorization": f"Bearer {secret}"})
        assert answer.status_code == 200 and answer.json()["active"] is False
        page.get_by_role("button", name="Revoke the key trading-api").first.click()
        page.get_by_text("The key is revoked").wait_for()
        assert secret not in page.content()
        revoked = http.post("/v1/introspect", json={"token": "bst_nothing"}, headers={"authorization": f"Bearer {secret}"})
        assert revoked.status_code == 401


def test_consoles_are_closed_to_others(page, site, person) -> None:
    customer = person()
    page.goto("/login")
    sign_in_with_password(page, customer["email"], customer["password"])
    page.get_by_role("heading", name="Account security").wait_for()
    assert page.get_by_role("navigation", name="Account").get_by_role("link", name="Admin").count() == 0
    for path in ("/admin/maintenance", "/admin/service-keys", "/support", "/support/references"):
        answer = page.goto(path)
        assert answer.status == 403
        page.get_by_role("heading", name="Not allowed").wait_for()
    site.audit(page, "staff-forbidden")

    page.get_by_role("button", name="Sign out").click()
    admin_without_2fa = person(roles=["admin"])
    sign_in_with_password(page, admin_without_2fa["email"], admin_without_2fa["password"])
    page.get_by_role("heading", name="Account security").wait_for()
    answer = page.goto("/admin/maintenance")
    assert answer.status == 403
    page.get_by_role("heading", name="2FA required for staff").wait_for()
    site.audit(page, "staff-needs-2fa")
