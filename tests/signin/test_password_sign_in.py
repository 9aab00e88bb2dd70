"""Password sign-in: answers, enumeration safety (requirements §6), history, rehash."""

from __future__ import annotations

import pytest

from bastion.accounts.repo import find_account_by_email
from bastion.crypto.passwords import Passwords
from tests.conftest import DEFAULT_PASSWORD


def login(client, email: str, password: str = DEFAULT_PASSWORD, **extra):  # type: ignore[no-untyped-def]
    return client.post("/v1/login", json={"email": email, "password": password, **extra})


def without_reference(answer):  # type: ignore[no-untyped-def]
    body = answer.json()
    assert body.pop("reference").startswith("R-")
    return answer.status_code, answer.headers["content-type"], body


def test_correct_password_answers_a_session(app_client, account_factory) -> None:
    account = account_factory()
    answer = login(app_client, account["email"])
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "authenticated"
    assert body["account"] == {"id": account["id"], "email": account["email"]}
    assert body["session"]["token"].startswith("bst_")
    assert set(body) == {"status", "session", "account", "device_id"}  # a new device is issued an id
    assert body["device_id"].startswith("d1.")


def test_email_is_matched_case_and_space_insensitively(app_client, account_factory) -> None:
    account = account_factory(email="mixed@example.com")
    assert login(app_client, "  MIXED@Example.COM ").json()["status"] == "authenticated"
    assert account["email"] == "mixed@example.com"


def test_wrong_password_unknown_email_and_unverified_are_identical_but_the_reference(
    app_client, account_factory
) -> None:
    known = account_factory(email="known@example.com")
    unverified = account_factory(email="pending@example.com", verified=False)
    wrong = login(app_client, known["email"], "not the right password at all")
    unknown = login(app_client, "nobody@example.com", "not the right password at all")
    unverified_wrong = login(app_client, unverified["email"], "not the right password at all")
    assert wrong.json()["code"] == "credentials.invalid"
    assert wrong.status_code == 401
    assert without_reference(wrong) == without_reference(unknown) == without_reference(unverified_wrong)
    # Byte for byte apart from the reference (same length references, same field order).
    strip = lambda answer: answer.content.replace(answer.json()["reference"].encode(), b"R-XXXXXXXX")
    assert strip(wrong) == strip(unknown) == strip(unverified_wrong)
    assert wrong.json()["reference"] != unknown.json()["reference"]


def test_unverified_account_with_the_right_password_is_told_to_confirm(app_client, account_factory) -> None:
    pending = account_factory(verified=False)
    answer = login(app_client, pending["email"])
    assert answer.status_code == 403
    assert answer.json()["code"] == "account.email_unverified"
    assert answer.json()["help"]


def test_every_attempt_is_recorded_in_the_owners_history_with_its_reference(app_client, account_factory) -> None:
    account = account_factory()
    refused = login(app_client, account["email"], "wrong password for history")
    token = login(app_client, account["email"]).json()["session"]["token"]
    history = app_client.get("/v1/me/activity", headers={"Authorization": f"Bearer {token}"}).json()
    newest, oldest = history["items"]
    assert (newest["outcome"], newest["code"]) == ("success", None)
    assert (oldest["outcome"], oldest["code"]) == ("failure", "credentials.invalid")
    assert oldest["reference"] == refused.json()["reference"]
    assert oldest["ip"] == "testclient"


def test_activity_is_paginated_newest_first(app_client, account_factory, clock) -> None:
    account = account_factory()
    for _ in range(5):
        login(app_client, account["email"], "wrong password for paging")
    clock.advance(seconds=31)  # the 5th failure paused sign-in for 30 s
    token = login(app_client, account["email"]).json()["session"]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    first = app_client.get("/v1/me/activity?limit=4", headers=headers).json()
    second = app_client.get(f"/v1/me/activity?limit=4&before={first['next_cursor']}", headers=headers).json()
    assert len(first["items"]) == 4 and len(second["items"]) == 2
    assert second["next_cursor"] is None
    times = [item["time"] for item in first["items"] + second["items"]]
    assert times == sorted(times, reverse=True)


def test_password_is_rehashed_when_parameters_change(services, account_factory, app_client) -> None:
    account = account_factory()
    with services.db.transaction() as tx:
        old_hash = find_account_by_email(tx, account["email"]).password_hash
    services.passwords = Passwords(time_cost=2, memory_kib=2048, parallelism=1)
    assert login(app_client, account["email"]).status_code == 200
    with services.db.transaction() as tx:
        new_hash = find_account_by_email(tx, account["email"]).password_hash
    assert new_hash != old_hash and "m=2048,t=2" in new_hash
    assert login(app_client, account["email"]).status_code == 200


def test_unknown_identifier_still_costs_one_password_verification(services, monkeypatch, app_client) -> None:
    calls = []
    real_verify = services.passwords.verify
    monkeypatch.setattr(services.passwords, "verify", lambda *a: calls.append(a) or real_verify(*a))
    login(app_client, "ghost@example.com", "whatever password here")
    assert len(calls) == 1 and calls[0][0] is None


# Full-width letters on purpose (RUF001): NFKC folds them to ASCII.
@pytest.mark.parametrize("password", ["Passwörd ﬁne example 42", "ｆｕｌｌｗｉｄｔｈ passphrase 42 ok"])  # noqa: RUF001
def test_passwords_are_compared_after_nfkc_normalization(app_client, account_factory, password) -> None:
    import unicodedata

    account = account_factory(password=password)
    assert login(app_client, account["email"], unicodedata.normalize("NFKC", password)).status_code == 200


def test_production_hashing_profile_is_argon2id_above_owasp_minimum() -> None:
    from bastion.config import Settings

    defaults = Settings()
    hashed = Passwords(defaults.argon2_time_cost, defaults.argon2_memory_kib, defaults.argon2_parallelism).hash(
        "some long passphrase 1")
    # OWASP's minimum memory at four times its minimum time cost (bastion/accounts/calibration.py).
    assert hashed.startswith("$argon2id$v=19$m=19456,t=8,p=1$")
