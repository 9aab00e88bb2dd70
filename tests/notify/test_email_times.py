"""Times in emails: in the reader's zone and language, naming the zone; never a raw RFC 3339 timestamp."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bastion import i18n
from bastion.notify import outbox
from tests.web.test_pages import csrf_for

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
MOMENT = "2026-01-05T09:00:00Z"
TEMPLATES = Path(outbox.__file__).with_name("templates")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def sign_in_notice(**extra: object) -> dict[str, object]:
    return dict(public_url="https://id.example.com", email="erin@example.com", anti_phishing_code=None,
                what="a new device", when=MOMENT, user_agent=FIREFOX, country="DE", ip="203.0.113.9",
                freeze_link="https://x/f",
                previous={"when": "2026-01-04T21:30:00Z", "user_agent": FIREFOX, "country": "DE", "ip": "203.0.113.7"},
                **extra)


@pytest.mark.parametrize("language, zone, expected, before", [
    ("en", "UTC", "5 Jan 2026, 09:00 UTC", "4 Jan 2026, 21:30 UTC"),
    ("en", "Europe/Berlin", "5 Jan 2026, 10:00 CET", "4 Jan 2026, 22:30 CET"),
    ("es", "America/Mexico_City", "5 ene 2026, 3:00", "4 ene 2026, 15:30"),
    ("ar", "Asia/Dubai", "5 يناير 2026، 13:00", "5 يناير 2026، 01:30"),
])
def test_times_are_in_the_readers_zone_and_language(language: str, zone: str, expected: str, before: str) -> None:
    with i18n.speaking(language, zone):
        _, text, html = outbox.render("new_sign_in", sign_in_notice())
    for body in (text, html):
        assert expected in body and before in body
        assert not ISO.search(body), body
    if zone != "UTC":
        assert "UTC" not in text


def test_a_time_names_its_zone() -> None:
    with i18n.speaking("en", "Asia/Tokyo"):
        _, text, _ = outbox.render("new_sign_in", sign_in_notice())
    assert "When: 5 Jan 2026, 18:00 Japan Standard Time" in text


def test_dates_and_datetimes_deep_in_the_context_are_words_too() -> None:
    context = {"due_at": datetime(2026, 1, 7, 9, 0, tzinfo=UTC), "items": [MOMENT], "nested": {"at": MOMENT},
               "reference": "R-2026ABCD", "day": "2026-01-05", "count": 3, "none": None}
    with i18n.speaking("en", "UTC"):
        words = outbox.in_words(context)
    assert words == {"due_at": "7 Jan 2026, 09:00 UTC", "items": ["5 Jan 2026, 09:00 UTC"],
                     "nested": {"at": "5 Jan 2026, 09:00 UTC"}, "reference": "R-2026ABCD", "day": "2026-01-05",
                     "count": 3, "none": None}


def test_no_email_template_writes_a_machine_time() -> None:
    for template in TEMPLATES.iterdir():
        source = template.read_text()
        assert not re.search(r"\|\s*iso\b|isoformat|strftime", source), template.name


def test_the_sign_up_email_shows_when_in_words(app_client, mailbox) -> None:
    app_client.post("/signup", data={"email": "ivy@example.com", "password": "correct horse battery staple 9",
                                     "csrf_token": csrf_for(app_client, "/signup")})
    mail = mailbox.last("ivy@example.com")
    assert not ISO.search(mail["text"]) and not ISO.search(mail["html"])
    assert re.search(r"made on \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC from", mail["text"]), mail["text"]
