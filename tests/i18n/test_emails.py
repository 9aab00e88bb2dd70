"""Emails are written in the account's saved language and time zone — set at sign-up or in the
settings — or, without them, in English and UTC, never in the asker's: subject and body."""

from __future__ import annotations

import pytest
from jinja2 import ChoiceLoader, DictLoader

from bastion import i18n
from bastion.accounts.preferences import save_preferences
from bastion.notify import outbox
from bastion.store.types import new_id

SPANISH = {"Set a new password": "Crea una contraseña nueva", "A note": "Una nota",
           "Hello from %(brand)s.": "Hola de %(brand)s."}


@pytest.fixture
def note_template(monkeypatch: pytest.MonkeyPatch) -> str:
    """A message whose subject and body are marked (the shipped templates are being marked apart),
    with the zone it is written in."""
    templates = {"i18n_note.txt": '{{ _("Hello from %(brand)s.", brand=brand) }} {{ zone() }}\n',
                 "i18n_note.html": '<p>{{ _("Hello from %(brand)s.", brand=brand) }} {{ zone() }}</p>\n'}
    monkeypatch.setattr(outbox._env, "loader", ChoiceLoader([DictLoader(templates), outbox._env.loader]))
    monkeypatch.setitem(outbox._env.globals, "zone", i18n.current_zone)
    monkeypatch.setitem(outbox.SUBJECTS, "i18n_note", "A note")
    return "i18n_note"


def send_note(services, account_id: str) -> None:  # type: ignore[no-untyped-def]
    from bastion.accounts.repo import get_account

    with services.db.transaction() as tx:
        outbox.enqueue(services, tx, "i18n_note", get_account(tx, account_id), dedup_key=f"note/{new_id()}",
                       now=services.clock.now())


def test_the_accounts_language_and_zone_write_subject_and_body(services, account_factory, mailbox, catalogue,
                                                                note_template) -> None:
    catalogue("es", SPANISH)
    account = account_factory()
    send_note(services, account["id"])
    assert mailbox.last(account["email"])["subject"] == "A note"
    assert mailbox.last(account["email"])["text"] == "Hello from Bastion. UTC\n"

    save_preferences(services, account["id"], {"language": "es", "time_zone": "America/Mexico_City"})
    send_note(services, account["id"])
    mail = mailbox.last(account["email"])
    assert mail["subject"] == "Una nota"
    assert mail["text"] == "Hola de Bastion. America/Mexico_City\n"
    assert mail["html"] == "<p>Hola de Bastion. America/Mexico_City</p>\n"


def test_the_asker_never_chooses_the_language_or_zone_of_someone_elses_email(app_client, account_factory, services,
                                                                             mailbox, catalogue) -> None:
    catalogue("es", SPANISH)
    catalogue("ar", {"Set a new password": "عيّن كلمة مرور جديدة"})
    account = account_factory()
    app_client.cookies.set("bastion_tz", "Pacific/Kiritimati")
    asked = app_client.post("/v1/password-reset", json={"email": account["email"]}, headers={"Accept-Language": "es"})
    assert asked.status_code == 202
    assert mailbox.last(account["email"])["subject"] == "Set a new password"  # no saved language: English

    save_preferences(services, account["id"], {"language": "ar"})
    services.clock.advance(minutes=2)
    app_client.post("/v1/password-reset", json={"email": account["email"]}, headers={"Accept-Language": "es"})
    assert mailbox.last(account["email"])["subject"] == "عيّن كلمة مرور جديدة"  # the account's, not the asker's


def test_the_language_someone_signs_up_in_becomes_the_accounts(app_client, services, mailbox) -> None:
    email = "nueva@example.com"
    answer = app_client.post("/v1/accounts", json={"email": email, "password": "una frase larga de prueba 4471"},
                             headers={"Accept-Language": "es-MX"})
    assert answer.status_code == 202
    assert app_client.get("/v1/health").status_code in (200, 404)  # the sign-up's work runs after its answer
    with services.db.transaction() as tx:
        from bastion.accounts.repo import find_account_by_email

        found = find_account_by_email(tx, email)
        assert found is not None and found.language == "es"
    with i18n.speaking("es"):
        assert mailbox.last(email)["subject"] == i18n.gettext("Confirm your email address")


def test_outside_a_request_an_email_without_a_saved_language_is_in_english(services, account_factory, mailbox,
                                                                            catalogue, note_template) -> None:
    catalogue("es", SPANISH)
    account = account_factory()
    with i18n.speaking("es", "Europe/Madrid"):  # a request's language and the browser's zone do not count
        send_note(services, account["id"])
    assert mailbox.last(account["email"])["text"] == "Hello from Bastion. UTC\n"
    send_note(services, account["id"])
    assert mailbox.last(account["email"])["text"] == "Hello from Bastion. UTC\n"
