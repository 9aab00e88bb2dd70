"""The guided troubleshooter: every problem from the issue has a page, every path on it ends in
an action the person can take right there, and the live parts come from the service."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bastion.catalogue import CATALOGUE
from bastion.help.guide import ACTING_PARTS, BY_SLUG, FORMS, LIVE_PARTS, TOPICS
from bastion.ops.client_versions import set_policy
from bastion.ops.maintenance import start_maintenance
from tests.help.conftest import Lab

PROBLEMS = ("forgot-password", "locked", "authenticator", "lost-phone", "new-device", "email", "phishing", "browser",
            "app-update", "maintenance", "restricted", "someone-else")
OLD_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:60.0) Gecko/20100101 Firefox/60.0"
NEW_CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
              "Safari/537.36")


def test_every_problem_people_meet_has_a_page_and_every_reason_a_page_that_exists() -> None:
    assert set(PROBLEMS) <= set(BY_SLUG)
    assert {reason.topic for reason in CATALOGUE.values() if reason.topic} <= set(BY_SLUG)


def test_every_path_ends_in_an_action() -> None:
    for topic in TOPICS:
        for section in topic.sections:
            assert section.steps, f"{topic.slug}#{section.anchor}"
            assert section.live is None or section.live in LIVE_PARTS
            assert section.action is not None or section.live in ACTING_PARTS, f"{topic.slug}#{section.anchor}"
            assert set(section.see) <= set(BY_SLUG)


def _internal_targets() -> set[str]:
    hrefs = {section.action.href for topic in TOPICS for section in topic.sections if section.action}
    hrefs |= {reason.action.href for reason in CATALOGUE.values() if reason.action}
    return {href.split("#")[0] for href in hrefs if href.startswith("/")}


def test_every_action_leads_somewhere(lab: Lab) -> None:
    for target in sorted(_internal_targets()):
        answer = lab.client.get(target, follow_redirects=False)
        assert answer.status_code in {200, 303, 307}, f"{target}: {answer.status_code}"


def test_the_index_lists_every_problem_with_a_plain_link(lab: Lab) -> None:
    page = lab.client.get("/help/sign-in")
    assert page.status_code == 200 and "Can't sign in?" in page.text
    for topic in TOPICS:
        assert f'href="{topic.url}"' in page.text
    assert 'form method="get" action="/help/sign-in#reference-lookup"' in page.text


@pytest.mark.parametrize("slug", sorted(BY_SLUG))
def test_every_page_renders_its_sections_and_actions(lab: Lab, slug: str) -> None:
    page = lab.client.get(f"/help/sign-in/{slug}")
    assert page.status_code == 200
    for section in BY_SLUG[slug].sections:
        assert f'id="{section.anchor}"' in page.text
        if section.action and section.live not in FORMS:
            assert f'href="{section.action.href}"' in page.text


def test_the_three_paths_the_browser_suite_drives_end_in_the_right_action(lab: Lab) -> None:
    locked = lab.client.get("/help/sign-in/locked").text
    assert 'name="reference"' in locked and 'action="/password-reset"' in locked
    clock = lab.client.get("/help/sign-in/authenticator").text
    assert 'id="clock"' in clock and "09:00:00 UTC" in clock and 'href="/login"' in clock
    lost = lab.client.get("/help/sign-in/lost-phone").text
    assert "Use a backup code" in lost and 'href="/login"' in lost and 'action="/help/sign-in/mfa-reset"' in lost


def test_an_unknown_page_is_not_found(lab: Lab) -> None:
    answer = lab.client.get("/help/sign-in/nothing-here", headers={"Accept": "text/html"})
    assert answer.status_code == 404 and "There is no help page with this name." in answer.text


def test_maintenance_shows_live_on_every_page_and_on_its_own(lab: Lab) -> None:
    assert "No maintenance right now" in lab.client.get("/help/sign-in/maintenance").text
    start_maintenance(lab.services, timedelta(minutes=30), "Moving to new servers.")
    for path in ("/help/sign-in", "/help/sign-in/maintenance", "/help/sign-in/locked"):
        page = lab.client.get(path).text
        assert "Maintenance now" in page and "Moving to new servers." in page and "09:30 UTC" in page


def test_the_clock_section_shows_the_time_to_set_a_phone_by(lab: Lab) -> None:
    lab.clock.advance(minutes=7, seconds=42)
    page = lab.client.get("/help/sign-in/authenticator").text
    assert "09:07:42 UTC" in page and "Set Automatically" in page


def test_an_outdated_browser_and_app_are_detected_from_what_they_send(lab: Lab) -> None:
    old = lab.client.get("/help/sign-in/browser", headers={"User-Agent": OLD_FIREFOX}).text
    assert "Firefox 60" in old and "too old for sign-in: update to 78 or newer" in old
    new = lab.client.get("/help/sign-in/browser", headers={"User-Agent": NEW_CHROME}).text
    assert "Chrome 124" in new and "Recent enough for sign-in." in new
    set_policy(lab.services, "android", "3.0.0", "3.2.0", "https://apps.example.com/bastion")
    app = lab.client.get("/help/sign-in/app-update",
                         headers={"X-Client-Platform": "android", "X-Client-Version": "2.9.0"}).text
    assert "This app is too old" in app and "update to 3.0.0 or newer" in app
    assert 'href="https://apps.example.com/bastion"' in app and "Oldest version that can sign in: 3.0.0" in app


def test_the_cookie_check_is_a_round_trip_through_a_link(lab: Lab) -> None:
    first = lab.client.get("/help/sign-in/browser")
    nonce = re.search(r"check=([A-Za-z0-9_-]{22})", first.text).group(1)  # type: ignore[union-attr]
    assert "bastion_cookie_check" in first.headers["set-cookie"] and "samesite=strict" in \
        first.headers["set-cookie"].lower()
    kept = lab.client.get(f"/help/sign-in/browser?check={nonce}").text
    assert "your browser keeps our cookies" in kept
    older = lab.client.get(f"/help/sign-in/browser?check={nonce}").text  # the page set a new cookie meanwhile
    assert "older page" in older
    lab.client.cookies.clear()
    blocked = lab.client.get(f"/help/sign-in/browser?check={nonce}").text
    assert "did not send back the cookie" in blocked and "Allow cookies for this site" in blocked


def test_phishing_warnings_and_the_sender_address_are_shown(lab: Lab) -> None:
    from bastion.ops.announcements import publish

    publish(lab.services, "phishing_warning", "Fake support calls", "We never call you about your account.",
            lab.clock.now(), None)
    assert "Fake support calls" in lab.client.get("/help/sign-in/phishing").text
    assert "security@localhost" in lab.client.get("/help/sign-in/email").text


def test_the_contact_page_offers_the_configured_support_address(lab_factory) -> None:  # type: ignore[no-untyped-def]
    plain = lab_factory().client.get("/help/sign-in/contact").text
    assert "Use the help or contact page" in plain
    configured = lab_factory(support_url="https://support.example.com/new")
    assert 'href="https://support.example.com/new"' in configured.client.get("/help/sign-in/contact").text
