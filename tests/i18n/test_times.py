"""Times and durations as people read them: in their zone and language, the zone always named; UTC,
said as such, while their zone is not known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bastion import i18n
from bastion.i18n.times import duration_words, moment_words, text_moment_words, utc_words
from bastion.support.words import age_words, when_words
from bastion.web.rendering import templates, when

MOMENT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("language, zone, expected", [
    ("en", "UTC", "5 Jan 2026, 09:00 UTC"),
    ("en", "Europe/Paris", "5 Jan 2026, 10:00 CET"),
    ("en", "Europe/London", "5 Jan 2026, 09:00 GMT"),
    ("en", "Asia/Tokyo", "5 Jan 2026, 18:00 Japan Standard Time"),
    ("en", "America/New_York", "5 Jan 2026, 04:00 Eastern Standard Time"),
    ("es", "UTC", "5 ene 2026, 9:00 UTC"),
    ("es", "Europe/Madrid", "5 ene 2026, 10:00 CET"),
    ("es", "America/Bogota", "5 ene 2026, 4:00 hora estándar de Colombia"),
    ("ar", "UTC", "5 يناير 2026، 09:00 التوقيت العالمي"),
    ("ar", "Asia/Riyadh", "5 يناير 2026، 12:00 التوقيت العربي الرسمي"),
    ("zh-Hans", "Asia/Shanghai", "2026年1月5日 17:00 中国标准时间"),
])
def test_a_time_in_the_readers_zone_and_language(language: str, zone: str, expected: str) -> None:
    with i18n.speaking(language, zone):
        assert moment_words(MOMENT) == expected
        assert when(MOMENT) == expected and when_words(MOMENT) == expected


def test_summer_time_is_named_as_such() -> None:
    with i18n.speaking("en", "Europe/Paris"):
        assert moment_words(datetime(2026, 7, 5, 9, 0, tzinfo=UTC)) == "5 Jul 2026, 11:00 CEST"


def test_an_unknown_zone_is_utc_and_says_so() -> None:
    assert moment_words(MOMENT) == "5 Jan 2026, 09:00 UTC"  # no zone known: today's words, unchanged
    for zone in ("Mars/Olympus_Mons", "../../etc/passwd", "Europe/Paris\x00", "x" * 300):
        with i18n.speaking("en", zone):
            assert moment_words(MOMENT) == "5 Jan 2026, 09:00 UTC", zone


def test_any_offset_and_naive_times_are_read_right() -> None:
    with i18n.speaking("en", "UTC"):
        assert moment_words(datetime(2026, 1, 5, 10, 0, tzinfo=timezone(timedelta(hours=1)))) == "5 Jan 2026, 09:00 UTC"
        assert moment_words(datetime(2026, 1, 5, 9, 0)) == "5 Jan 2026, 09:00 UTC"  # stored as naive UTC


def test_text_times_are_read_and_other_text_kept() -> None:
    with i18n.speaking("en", "Europe/Paris"):
        assert text_moment_words("2026-01-05T09:00:00Z") == "5 Jan 2026, 10:00 CET"
        assert text_moment_words("2026-01-05T09:00:00+00:00") == "5 Jan 2026, 10:00 CET"
        assert text_moment_words("soon") == "soon"
        assert text_moment_words(None) == "" and text_moment_words("") == ""


def test_the_page_filter_follows_the_current_zone() -> None:
    page = templates.env.from_string('<time datetime="{{ at | iso }}">{{ at | when }}</time>')
    with i18n.speaking("es", "Europe/Madrid"):
        assert page.render(at=MOMENT) == '<time datetime="2026-01-05T09:00:00+00:00">5 ene 2026, 10:00 CET</time>'


@pytest.mark.parametrize("language, expected", [
    ("en", ["35 minutes", "47 hours", "3 days", "35 min"]),
    ("es", ["35 minutos", "47 horas", "3 días", "35 min"]),
    ("ar", ["35 دقيقة", "47 ساعة", "3 أيام", "35 د"]),
    ("zh-Hans", ["35分钟", "47小时", "3天", "35分钟"]),
])
def test_durations_in_words(language: str, expected: list[str]) -> None:
    with i18n.speaking(language):
        assert [duration_words(35 * 60), duration_words(timedelta(hours=47)), duration_words(3 * 86400),
                duration_words(35 * 60, short=True)] == expected


def test_ages_in_the_support_queue() -> None:
    assert [age_words(seconds) for seconds in (5, 35 * 60, 5 * 3600, 47 * 3600, 3 * 86400)] == [
        "1 min", "35 min", "5 hr", "2 days", "3 days"]


def test_the_name_of_utc_is_the_languages() -> None:
    with i18n.speaking("ar"):
        assert utc_words() == "التوقيت العالمي"
    assert utc_words() == "UTC"


def test_a_zone_name_no_file_can_have_is_refused_not_raised() -> None:
    from bastion.i18n.negotiation import valid_zone

    for name in ("x" * 64, "Europe", "America/", "a" * 300, "Etc/../../x", "CON", "\x00"):
        assert valid_zone(name) in (None, name) and valid_zone(name) != "Europe"
