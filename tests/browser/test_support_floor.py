"""The support floor in Chromium: two agents claim, work and approve a 2FA reset under four eyes, each
step on the case's timeline with its agent; the approved case offers no further decision; an agent
rejects with a prepared reason an admin wrote; search finds a refusal by its reference and accounts
by IP address and network. Every page is checked (axe, CSP) and photographed at 1280 and 390 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx2 as httpx

from bastion.audit.chain import seal_pending
from tests.browser.test_admin_console import sign_in_with_totp
from tests.browser.test_support_console import image
from tests.recovery.conftest import pdf

CONSOLE_SEARCH = "Email, account or case id, reference, IP address or network"


@contextmanager
def four_eyes(site: Any) -> Iterator[None]:
    """BASTION_CASE_APPROVALS_REQUIRED=2 on the shared server, for this test only."""
    settings = site.services.settings
    before, settings.case_approvals_required = settings.case_approvals_required, 2
    try:
        yield
    finally:
        settings.case_approvals_required = before


def ready_case(site: Any, owner: dict[str, str]) -> str:
    """The owner asks for a 2FA reset and uploads the three documents, as their app would."""
    with httpx.Client(base_url=site.base_url, timeout=10) as http:
        http.post("/v1/mfa-reset", json={"email": owner["email"], "password": owner["password"]})
        query = parse_qs(urlparse(site.link(owner["email"], "/recovery/case?")).query)
        case_id, token = query["case"][0], query["token"][0]
        for kind, name, mime, content in (("id_front", "front.png", "image/png", image("PNG")),
                                          ("id_back", "back.jpg", "image/jpeg", image("JPEG")),
                                          ("selfie", "selfie.pdf", "application/pdf", pdf())):
            answer = http.post(f"/v1/mfa-reset/{case_id}/documents", headers={"X-Case-Token": token},
                               data={"kind": kind}, files={"file": (name, content, mime)})
            assert answer.status_code in (200, 201), answer.text
    return case_id


def open_case_from_queue(page: Any, owner: dict[str, str]) -> None:
    page.goto("/support")
    page.get_by_role("link", name=f"2FA reset for {owner['email']}").click()
    page.get_by_role("heading", name="Identity documents").wait_for()


def timeline_entries(page: Any) -> list[str]:
    return [" ".join(text.split()) for text in page.locator(".timeline .event").all_inner_texts()]


def test_two_agents_claim_work_and_approve_a_2fa_reset(page, other_page, site, person) -> None:
    owner = person(totp=True)
    case_id = ready_case(site, owner)
    first, second = person(roles=["support"], totp=True), person(roles=["support"], totp=True)
    with four_eyes(site):
        sign_in_with_totp(page, site, first)
        assert page.url.endswith("/support")  # staff land in their console
        page.get_by_role("heading", name="Recovery cases").wait_for()
        row = page.locator("table.queue tr", has_text=owner["email"])
        assert "To review" in row.inner_text() and "Nobody" in row.inner_text()
        site.audit(page, "support-queue")
        row.get_by_role("button", name=f"Claim the 2FA reset for {owner['email']}").click()
        page.get_by_text("You are working on this case").first.wait_for()
        assert page.url.endswith(f"/support/cases/{case_id}?done=claimed")

        # The evidence viewer: full size, zoom, turn, side by side or one below the other.
        front = page.get_by_role("img", name="ID document, front, as uploaded")
        front.wait_for()
        assert front.evaluate("img => img.complete && img.naturalWidth") == 320
        tools = page.get_by_role("group", name="View ID document, front")
        tools.get_by_role("button", name="Zoom into ID document, front").click()
        tools.get_by_role("button", name="Turn ID document, front a quarter").click()
        assert tools.locator("output").inner_text() == "Zoom 150 %, turned 90°"
        page.get_by_role("button", name="One below the other").click()
        assert page.get_by_role("button", name="One below the other").get_attribute("aria-pressed") == "true"
        site.audit(page, "support-case-viewer")
        page.get_by_role("button", name="Side by side").click()
        tools.get_by_role("button", name="Fit").click()
        signals = page.locator(".signals").inner_text()
        assert "never signed in" not in signals or "Requested" not in signals  # words, not codes
        site.audit(page, "support-case")

        page.get_by_label("Add a note for other agents").fill("Called the owner on the KYC number: they confirm.")
        page.get_by_role("button", name="Add the note").click()
        page.get_by_text("Your note is added").wait_for()
        page.get_by_label("Why you approve (kept in the audit log)").fill("ID matches the account holder.")
        page.get_by_role("button", name="Approve").click()
        page.get_by_text("Your approval is recorded").wait_for()
        decision = page.locator("section", has=page.get_by_role("heading", name="Decision"))
        assert "You approved it; another agent must make the next approval." in decision.inner_text()
        assert decision.get_by_role("button", name="Approve").count() == 0
        assert f"Approved by {first['email']}" in page.locator(".approvals").inner_text()

        sign_in_with_totp(other_page, site, second)
        other_page.get_by_role("heading", name="Recovery cases").wait_for()
        assert "1 of 2 approvals" in other_page.locator("table.queue tr", has_text=owner["email"]).inner_text()
        open_case_from_queue(other_page, owner)
        assert "Called the owner on the KYC number" in other_page.locator(".notes").inner_text()
        other_page.get_by_role("button", name="Claim this case").click()
        other_page.get_by_label("Why you approve (kept in the audit log)").fill("Second check: the photo matches.")
        other_page.get_by_role("button", name="Approve").click()
        other_page.get_by_text("Approved: the waiting period has started").wait_for()

    # Approved: no further decision on offer, only the owner's way out explained.
    decision = other_page.locator("section", has=other_page.get_by_role("heading", name="Decision"))
    assert "No further decision" in decision.inner_text()
    for button in ("Approve", "Reject", "Claim this case"):
        assert other_page.get_by_role("button", name=button).count() == 0, button
    approvals = other_page.locator(".approvals").inner_text()
    assert f"Approved by {first['email']}" in approvals and f"Approved by {second['email']}" in approvals
    assert "Approved, waiting" in other_page.locator(".case-head").inner_text()

    # The case's timeline: each step with its agent, and the chain verified once sealed.
    seal_pending(site.services)
    other_page.reload()
    steps = timeline_entries(other_page)
    expected = [("Case claimed", first["email"]), ("Internal note added", first["email"]),
                ("Approved (1 of 2): ID matches the account holder.", first["email"]),
                ("Case claimed", second["email"]),
                ("Approved (2 of 2): Second check: the photo matches.", second["email"])]
    found = [(what, who) for what, who in expected if any(what in step and f"by {who}" in step for step in steps)]
    assert found == expected, steps
    assert any(step.startswith(tuple("0123456789")) and "2FA reset requested" in step and "by the account holder"
               in step for step in steps)
    assert other_page.locator(".chain.ok").inner_text().startswith("Audit chain verified")
    site.audit(other_page, "support-case-approved")
    other_page.get_by_role("link", name="Account timeline").click()
    other_page.get_by_role("heading", name="Account timeline").wait_for()
    assert any("Approved (2 of 2)" in step for step in timeline_entries(other_page))
    site.audit(other_page, "support-account-timeline")

    # The owner never sees the internal note.
    page.goto(site.link(owner["email"], "/recovery/case?"))
    page.get_by_text("Approved — waiting period").wait_for()
    assert "KYC number" not in page.content()


def test_an_agent_rejects_with_a_prepared_reason_an_admin_wrote(page, other_page, site, person) -> None:
    admin = person(roles=["admin"], totp=True)
    sign_in_with_totp(other_page, site, admin)
    other_page.goto("/admin/rejection-reasons")
    add = other_page.locator("section", has=other_page.get_by_role("heading", name="Add a reason"))
    add.get_by_label("Title (what agents choose)").fill("Photo does not show the note")
    add.get_by_label("Text the owner reads").fill(
        "The photo of you holding your ID must also show a handwritten note with today's date. Please start again.")
    add.get_by_label("2FA reset").check()
    add.get_by_role("button", name="Add the reason").click()
    other_page.get_by_text("The prepared reason is saved").wait_for()
    site.audit(other_page, "admin-rejection-reasons")

    owner = person(totp=True)
    ready_case(site, owner)
    agent = person(roles=["support"], totp=True)
    sign_in_with_totp(page, site, agent)
    open_case_from_queue(page, owner)
    page.get_by_role("button", name="Claim this case").click()
    page.get_by_label("Prepared reason").select_option(label="Photo does not show the note")
    reason = page.get_by_label("Reason the owner will read")
    assert reason.input_value().startswith("The photo of you holding your ID must also show")  # to edit
    reason.fill(reason.input_value().replace("Please start again.", "The note was missing; please start again."))
    site.audit(page, "support-case-rejecting")
    page.get_by_role("button", name="Reject").click()
    page.get_by_text("Rejected: the owner is emailed the reason.").wait_for()
    assert f"Rejected by {agent['email']}" in page.locator(".case-head").inner_text()
    assert page.get_by_role("button", name="Approve").count() == 0
    count = next(number for number in range(1, 10) if "not approved" in site.mail(owner["email"], number)[0])
    assert "The note was missing; please start again." in site.mail(owner["email"], count)[1]
    site.audit(page, "support-case-rejected")


def test_search_finds_a_reference_and_accounts_by_address_and_network(page, site, person) -> None:
    owner, neighbour = person(), person()
    with httpx.Client(base_url=site.base_url, timeout=10) as http:
        refused = http.post("/v1/login", json={"email": owner["email"], "password": "not the password at all"},
                            headers={"X-Forwarded-For": "145.53.10.7"}).json()
        http.post("/v1/login", json={"email": neighbour["email"], "password": "not this one either"},
                  headers={"X-Forwarded-For": "145.53.10.99"})
    agent = person(roles=["support"], totp=True)
    sign_in_with_totp(page, site, agent)
    page.get_by_role("navigation", name="Support console").get_by_role("link", name="Search").click()
    box = page.get_by_label(CONSOLE_SEARCH)
    box.fill(refused["reference"])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("heading", name=re.compile(f"Reference {refused['reference']}: Email or password is not right"))\
        .wait_for()
    assert page.get_by_role("link", name=owner["email"]).count() == 1
    site.audit(page, "support-search-reference")

    page.get_by_label(CONSOLE_SEARCH).fill("145.53.10.7")
    page.get_by_role("button", name="Search").click()
    results = page.locator("section", has=page.get_by_role("heading", name="1 account for “145.53.10.7”"))
    results.wait_for()
    assert owner["email"] in results.inner_text() and neighbour["email"] not in results.inner_text()
    assert "One sign-in attempt from 145.53.10.7 (1 refused)" in results.inner_text()
    site.audit(page, "support-search-ip")

    page.get_by_label(CONSOLE_SEARCH).fill("145.53.10.0/24")
    page.get_by_role("button", name="Search").click()
    results = page.locator("section", has=page.get_by_role("heading", name="2 accounts for “145.53.10.0/24”"))
    results.wait_for()
    assert owner["email"] in results.inner_text() and neighbour["email"] in results.inner_text()
    results.get_by_role("link", name=owner["email"]).click()
    page.get_by_role("heading", name=owner["email"]).wait_for()
    assert "Refused" in page.locator("section", has=page.get_by_role("heading", name="Recent sign-in attempts"))\
        .inner_text()
