"""The words built from codes — support's labels and sentences, country names, the maintenance default,
what an email says happened — read in the reader's language: the page's, or the account's for an email
even when someone else's request caused it. English stays as it was."""

from __future__ import annotations

from datetime import UTC, datetime

from bastion import i18n
from bastion.accounts.preferences import save_preferences
from bastion.accounts.repo import get_account
from bastion.i18n.places import country_words, place_words
from bastion.mfa.flows.notices import change_words
from bastion.notify import outbox
from bastion.ops.maintenance_window import DEFAULT_MESSAGE, Window
from bastion.recovery.kinds import KINDS
from bastion.risk.notices import NEW_PLACE
from bastion.store.types import new_id
from bastion.support import words
from bastion.support.timeline import event_words
from bastion.web.rendering import templates

SPANISH = {"Completed": "Completada", "Account suspended: %(reason)s": "Cuenta suspendida: %(reason)s",
           "2FA reset": "restablecimiento de 2FA", "Admin": "Administración", "Unknown location": "Lugar desconocido",
           "A refused sign-in in the last 7 days": "Un inicio de sesión rechazado en los últimos 7 días",
           "%(count)s refused sign-ins in the last 7 days":
               "%(count)s inicios de sesión rechazados en los últimos 7 días",
           "We are upgrading our systems.": "Estamos actualizando nuestros sistemas.",
           "a new device": "un dispositivo nuevo", "unknown": "desconocida",
           "Your account %(email)s was signed in to from %(what)s.": "Se inició sesión en %(email)s desde %(what)s.",
           "%(browser)s on %(system)s": "%(browser)s en %(system)s"}
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_support_labels_are_translated_where_they_are_looked_up(catalogue) -> None:  # type: ignore[no-untyped-def]
    catalogue("es", SPANISH)
    assert words.CASE_STATES["completed"] == "Completed"
    with i18n.speaking("es"):
        assert words.CASE_STATES["completed"] == "Completada"
        assert words.CASE_STATES.get("nothing like it", "Otro") == "Otro" and "completed" in words.CASE_STATES
        assert dict(words.ROLES.items())["admin"] == "Administración"
        assert event_words("account.suspended", {"reason": "fraude"}) == "Cuenta suspendida: fraude"
        # A template reads them the same way, with no _() of its own.
        page = templates.env.from_string("{{ words.CASE_STATES[state] }} · {{ words.CASE_KINDS.get(kind) }}")
        assert page.render(words=words, state="completed", kind="mfa_reset") == "Completada · restablecimiento de 2FA"


def test_a_missing_field_reads_as_nothing_and_a_sentence_keeps_its_english() -> None:
    assert event_words("account.suspended", {}) == "Account suspended"
    assert event_words("account.frozen", {"via": "email_link"}) == "Account frozen from an email's link"
    with i18n.speaking("en", "UTC"):
        assert words.match_words({"what": "sign_in", "count": 1, "refused": 0, "ip": "203.0.113.9",
                                  "last_at": "2026-01-05T09:00:00Z"}) \
            == "One sign-in attempt from 203.0.113.9 (0 refused), 5 Jan 2026, 09:00 UTC"


def test_a_count_takes_the_languages_plural_form(catalogue) -> None:  # type: ignore[no-untyped-def]
    catalogue("es", SPANISH)
    assert words.signal_words({"signal": "recent_failures", "count": 1}) == "A refused sign-in in the last 7 days"
    assert words.signal_words({"signal": "recent_failures", "count": 4}) == "4 refused sign-ins in the last 7 days"
    with i18n.speaking("es"):
        assert words.signal_words({"signal": "recent_failures", "count": 4}) \
            == "4 inicios de sesión rechazados en los últimos 7 días"
    with i18n.speaking(i18n.PSEUDO.tag):  # through the catalogue: transformed, the count kept
        assert words.signal_words({"signal": "recent_failures", "count": 4}).startswith("⟦4 ŕéƒûšéđ")


def test_country_names_are_cldrs_in_the_readers_language(catalogue) -> None:  # type: ignore[no-untyped-def]
    catalogue("es", SPANISH)
    assert (place_words("DE"), place_words("gb"), place_words(None)) \
        == ("Germany", "United Kingdom", "Unknown location")
    with i18n.speaking("es"):
        assert (place_words("DE"), place_words(None)) == ("Alemania", "Lugar desconocido")
    with i18n.speaking("zh-Hans"):
        assert place_words("DE") == "德国"
    with i18n.speaking("ar"):
        assert place_words("DE") == "ألمانيا"
    assert country_words("QQ") == "QQ" and country_words("") is None  # a code CLDR lacks, as it is


def test_the_default_maintenance_message_is_translated_and_an_admins_own_is_not(  # type: ignore[no-untyped-def]
        catalogue) -> None:
    catalogue("es", SPANISH)
    moment = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    default = Window("w1", moment, moment, DEFAULT_MESSAGE, False)
    own = Window("w2", moment, moment, "Database upgrade until noon.", False)
    assert default.shown_message == "We are upgrading our systems."
    with i18n.speaking("es"):
        assert default.shown_message == "Estamos actualizando nuestros sistemas."
        assert own.shown_message == "Database upgrade until noon."
    assert default.message == DEFAULT_MESSAGE  # stored as the one text every language translates


def test_an_email_words_what_its_caller_passed_in_the_accounts_language(  # type: ignore[no-untyped-def]
        services, account_factory, mailbox, catalogue) -> None:
    catalogue("es", SPANISH)
    account = account_factory()
    save_preferences(services, account["id"], {"language": "es"})
    with i18n.speaking("en"), services.db.transaction() as tx:  # an English request caused it
        outbox.enqueue(services, tx, "new_sign_in", get_account(tx, account["id"]), dedup_key=f"t/{new_id()}",
                       now=services.clock.now(), what=NEW_PLACE[True, False], when="2026-01-05T09:00:00Z",
                       user_agent=FIREFOX, country="DE", ip=None, previous=None, freeze_link="https://x/f")
    text = mailbox.last(account["email"])["text"]
    assert f"Se inició sesión en {account['email']} desde un dispositivo nuevo." in text
    assert "Firefox en Linux" in text and "Alemania" in text and "desconocida" in text


def test_the_email_words_of_a_change_and_a_case_kind_fill_in_there() -> None:
    moment = "2026-01-07T09:00:00Z"
    with i18n.speaking("en"):
        _, text, html = outbox.render("factor_changed", dict(
            public_url="https://id.example.com", email="erin@example.com", anti_phishing_code=None, when=moment,
            ip="203.0.113.9", freeze_link="https://x/f", change=change_words("passkey_added"), name="<Work key>",
            hold_until=""))
        assert "A passkey named “<Work key>” was added." in text and "“&lt;Work key&gt;”" in html
        _, text, _ = outbox.render("factor_changed", dict(
            public_url="https://id.example.com", email="erin@example.com", anti_phishing_code=None, when=moment,
            ip=None, freeze_link="https://x/f", change=change_words("mfa_disabled"), name="", hold_until=moment))
        assert "withdrawals are on hold until 7 Jan 2026, 09:00 UTC." in text and "from IP unknown" in text
        _, text, _ = outbox.render("case_submitted", dict(
            public_url="https://id.example.com", email="erin@example.com", anti_phishing_code=None, when=moment,
            what=KINDS["mfa_reset"], kind="mfa_reset", case_id="c1", wait_hours=48, hold_hours=48,
            cancel_link="https://x/c"))
        assert "All documents of your 2FA reset arrived on 7 Jan 2026, 09:00 UTC." in text


def test_a_device_in_words_never_carries_the_senders_own_text() -> None:
    from bastion.agents import describe_agent

    for agent in ("Mozilla/5.0 (compatible; Visit https://evil.example/claim)", "Visit evil.example now Bot/1.0",
                  "Call +1 555 0100 urgently Spider/2", "python-httpx2/2.16.2", "", None):
        assert describe_agent(agent) == "Unknown device", agent
    assert describe_agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
                          "Chrome/120.0 Safari/537.36") == "Chrome on macOS"
