"""ASVS 5.0 requirements not shown elsewhere: long passwords taken whole and never expiring,
masked password fields that password managers may fill, no default account, no hints or secret
questions, and sign-out on every signed-in page."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bastion.accounts.models import Account

LONG = "the quiet harbour keeps seven lanterns lit for every ship that comes home late 1987 and more, x" * 2


def test_passwords_up_to_128_characters_are_taken_whole_and_never_expire(app_client, account_factory,
                                                                          clock) -> None:
    password = LONG[:128]
    account = account_factory(password=password)
    clock.advance(days=800)  # no forced rotation (V6.2.10)
    answer = app_client.post("/v1/login", json={"email": account["email"], "password": password})
    assert answer.json()["status"] == "authenticated"
    cut = app_client.post("/v1/login", json={"email": account["email"], "password": password[:127]})
    assert cut.json()["code"] == "credentials.invalid"  # no truncation (V6.2.8)
    upper = app_client.post("/v1/login", json={"email": account["email"], "password": password.upper()})
    assert upper.json()["code"] == "credentials.invalid"  # no case folding


def test_password_fields_are_masked_and_password_managers_welcome(app_client) -> None:
    for path, autocomplete in (("/login", "current-password"), ("/signup", "new-password")):
        page = app_client.get(path).text
        field = re.search(r'<input[^>]*name="password"[^>]*>', page).group(0)
        assert 'type="password"' in field and f'autocomplete="{autocomplete}"' in field, field
        assert "onpaste" not in page and "autocomplete=\"off\"" not in field


def test_a_new_installation_has_no_account(services) -> None:
    with services.db.transaction() as tx:
        assert tx.execute(select(func.count()).select_from(Account)).scalar_one() == 0


def test_no_password_hint_or_secret_question_anywhere_in_the_api(app_client) -> None:
    schema = app_client.get("/openapi.json").text.lower()
    assert not re.search(r"hint|secret_question|security_question|mother", schema)


def test_every_signed_in_page_offers_sign_out(app_client, account_factory) -> None:
    account = account_factory()
    token = app_client.post("/v1/login", json={"email": account["email"], "password": account["password"]}
                            ).json()["session"]["token"]
    app_client.cookies.set("bastion_session", token)
    for path in ("/", "/security"):
        page = app_client.get(path)
        assert page.status_code == 200 and 'action="/logout"' in page.text, path
