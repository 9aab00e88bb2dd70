"""Secrets at rest (requirements §14): nothing readable in a dump; `bastion keys rotate` re-encrypts
everything under the newest key, after which the old key can go and everything still works."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from typer.testing import CliRunner

from bastion.accounts.models import Account
from bastion.cli import app as cli_app
from bastion.crypto import KeyRing, generate_key, rotation
from bastion.notify.outbox import anti_phishing_aad
from bastion.protected import protected_values
from bastion.startup import build_services
from bastion.store import Base
from bastion.web.app import create_app
from tests.conftest import TEST_KEY, Mailbox, fresh_database
from tests.mfa.conftest import bearer, code_at

ANTI_PHISHING = "Zebra-Quartz-77"


def dump(services) -> str:  # type: ignore[no-untyped-def]
    """Every column of every table, as the database returns it."""
    lines = []
    with services.db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"')):
                lines.append(f"{table.name}: " + " | ".join(str(value) for value in row))
    return "\n".join(lines)


def secured_account(app_client, enrolled, clock, mfa_flow) -> dict:  # type: ignore[no-untyped-def,type-arg]
    account = enrolled()
    assert app_client.put("/v1/me/anti-phishing-code", headers=account["headers"],
                          json={"code": ANTI_PHISHING}).status_code == 200
    flow = mfa_flow(account)
    for _ in range(3):  # a burst of failed second steps: an email with the code on top
        app_client.post(f"/v1/login/{flow}/totp", json={"code": "000000"})
    return account


def test_a_database_dump_holds_no_totp_secret_backup_code_or_anti_phishing_code(
        app_client, enrolled, clock, mfa_flow, services) -> None:
    account = secured_account(app_client, enrolled, clock, mfa_flow)
    everything = dump(services)
    assert "totp_credentials:" in everything and "backup_codes:" in everything
    assert account["secret"] not in everything and account["secret"].lower() not in everything
    for code in account["backup_codes"]:
        assert code not in everything and code.replace("-", "") not in everything
    assert ANTI_PHISHING not in everything and ANTI_PHISHING.lower() not in everything
    assert re.search(r"v1\.[0-9a-f]{8}\.", everything)  # they are there, encrypted


@pytest.fixture
def rotated(app_client, enrolled, clock, mfa_flow, services, settings_factory,  # type: ignore[no-untyped-def]
            database_url) -> Iterator[dict]:  # type: ignore[type-arg]
    """Secrets made under the old key, rotated under a new one, then served with the new key alone."""
    account = secured_account(app_client, enrolled, clock, mfa_flow)
    new_key = generate_key()
    both = build_services(settings_factory(database_url=database_url, secret_keys=f"{new_key},{TEST_KEY}"), clock=clock)
    results = {item.label: item.rotated for item in rotation.rotate_keys(both.db, both.keys, protected_values(), batch=2)}
    assert rotation.remaining(both.db, both.keys, protected_values()) == dict.fromkeys(results, 0)
    both.close()
    only_new = build_services(settings_factory(database_url=database_url, secret_keys=new_key), clock=clock)
    with TestClient(create_app(only_new, deliver_mail=False), raise_server_exceptions=False) as client:
        yield {"account": account, "client": client, "services": only_new, "rotated": results}
    only_new.close()


def test_rotation_reencrypts_every_kind_of_protected_value(rotated) -> None:
    counts = rotated["rotated"]
    assert counts["TOTP secrets"] == 1 and counts["backup code keys"] == 1
    assert counts["anti-phishing codes"] == 1 and counts["email bodies (outbox)"] >= 3


def test_after_rotation_without_the_old_key_totp_and_backup_codes_still_sign_in(rotated, clock) -> None:
    client, account = rotated["client"], rotated["account"]
    clock.advance(seconds=30)
    flow = client.post("/v1/login", json={"email": account["email"], "password": account["password"]}).json()
    answer = client.post(f"/v1/login/{flow['flow']['id']}/totp", json={"code": code_at(account["secret"], clock)})
    assert answer.json()["status"] == "authenticated", answer.text
    flow = client.post("/v1/login", json={"email": account["email"], "password": account["password"]}).json()
    answer = client.post(f"/v1/login/{flow['flow']['id']}/backup-code", json={"code": account["backup_codes"][0]})
    assert answer.json()["status"] == "authenticated", answer.text
    assert client.get("/v1/me/mfa", headers=bearer(answer.json()["session"]["token"])).json()["backup_codes"][
        "remaining"] == 9


def test_after_rotation_without_the_old_key_emails_carry_the_anti_phishing_code(rotated) -> None:
    client, account, mailbox = rotated["client"], rotated["account"], Mailbox(rotated["services"])
    before = mailbox.messages(account["email"])  # every stored body still decrypts
    assert before[-1]["text"].startswith(f"Anti-phishing code: {ANTI_PHISHING}")
    client.post("/v1/password-reset", json={"email": account["email"]})  # a new email, new key only
    newest = mailbox.last(account["email"])
    assert len(mailbox.messages(account["email"])) == len(before) + 1 and newest["template"] == "password_reset"
    assert newest["text"].startswith(f"Anti-phishing code: {ANTI_PHISHING}") and ANTI_PHISHING in newest["html"]


def test_rotation_resumes_after_an_interruption_and_a_second_run_changes_nothing(
        app_client, enrolled, clock, mfa_flow, services, settings_factory, database_url) -> None:
    secured_account(app_client, enrolled, clock, mfa_flow)
    both = build_services(settings_factory(database_url=database_url, secret_keys=f"{generate_key()},{TEST_KEY}"))

    def stop(progress: rotation.Progress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotation.rotate_keys(both.db, both.keys, protected_values(), batch=1, report=stop)
    assert sum(rotation.remaining(both.db, both.keys, protected_values()).values()) > 0
    rotation.rotate_keys(both.db, both.keys, protected_values(), batch=1)
    assert sum(rotation.remaining(both.db, both.keys, protected_values()).values()) == 0
    assert all(item.rotated == 0 for item in rotation.rotate_keys(both.db, both.keys, protected_values()))
    both.close()


@pytest.fixture
def postgres_url(request, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with fresh_database("postgresql", request, tmp_path) as url:
        yield url


def test_rotation_leaves_a_value_the_service_changed_meanwhile(postgres_url, settings_factory, clock,
                                                               monkeypatch) -> None:
    """On PostgreSQL a request can commit between rotation's read and its write (SQLite runs one
    writer at a time, so there it cannot): the conditional UPDATE then leaves the newer value."""
    from bastion.accounts.admin import create_account

    old = build_services(settings_factory(database_url=postgres_url), clock=clock)
    account_id = create_account(old, "rotating@example.com", "violet harbor compass 93 lantern", [], True)
    with old.db.transaction() as tx:
        tx.execute(update(Account).where(Account.id == account_id).values(
            anti_phishing_code=old.keys.encrypt("Before-1", anti_phishing_aad(account_id))))
    both = build_services(settings_factory(database_url=postgres_url, secret_keys=f"{generate_key()},{TEST_KEY}"))
    real = rotation._reencrypt

    def meanwhile(keys: KeyRing, stored, aad):  # type: ignore[no-untyped-def]
        if aad == anti_phishing_aad(account_id):
            with both.db.transaction() as tx:  # the owner sets a new code: the service writes the newest key
                tx.execute(update(Account).where(Account.id == account_id).values(
                    anti_phishing_code=both.keys.encrypt("After-2", anti_phishing_aad(account_id))))
        return real(keys, stored, aad)

    monkeypatch.setattr(rotation, "_reencrypt", meanwhile)
    results = {item.label: item for item in rotation.rotate_keys(both.db, both.keys, protected_values())}
    assert results["anti-phishing codes"].skipped == 1 and results["anti-phishing codes"].rotated == 0
    with both.db.transaction() as tx:
        stored = tx.get_one(Account, account_id).anti_phishing_code
    assert both.keys.decrypt(stored, anti_phishing_aad(account_id)) == "After-2"
    assert not both.keys.needs_rotation(stored)
    old.close()
    both.close()


def test_keys_generate_and_rotate_commands(database_url, tmp_path, monkeypatch) -> None:
    runner = CliRunner()
    generated = runner.invoke(cli_app, ["keys", "generate"], catch_exceptions=False).output.strip()
    KeyRing([generated])  # 32 bytes, base64url
    for name, value in {"DATABASE_URL": database_url, "SECRET_KEYS": f"{generated},{TEST_KEY}",
                        "DATA_DIR": str(tmp_path), "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}.items():
        monkeypatch.setenv(f"BASTION_{name}", value)
    result = runner.invoke(cli_app, ["keys", "rotate", "--batch", "10"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "TOTP secrets" in result.output and "older keys can now be removed" in result.output
    assert generated not in result.output and TEST_KEY not in result.output
