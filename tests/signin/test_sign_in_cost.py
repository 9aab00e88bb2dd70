"""What one password sign-in asks of the database: each row written once, nothing read twice.

The sign-in's own work sits beside the password hash on the same core (issue 10, benchmark 2):
these counts are what keeps it small, and they do not depend on the machine's speed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from bastion.services import Services
from tests.conftest import DEFAULT_PASSWORD


@contextmanager
def statements_sent(services: Services) -> Iterator[list[str]]:
    sent: list[str] = []

    def note(_connection, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        words = " ".join(statement.split())
        if words.upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            sent.append(words)

    event.listen(services.db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(services.db.engine, "before_cursor_execute", note)


def test_a_known_device_password_sign_in_writes_each_row_once(app_client, account_factory, services) -> None:
    account = account_factory()
    first = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    assert first.json()["status"] == "authenticated"  # the browser's device is known from now on

    with statements_sent(services) as sent:
        again = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    assert again.json()["status"] == "authenticated"

    # The throttle's own counters live in Redis in production; here they may be in the database.
    sign_in = [words for words in sent if "throttle_counters" not in words]

    def count(words: str) -> int:  # a statement may write several tables (PostgreSQL: one WITH chain)
        return sum(statement.count(words) for statement in sign_in)

    for table in ("sign_in_flows", "sessions", "devices", "sign_in_attempts", "security_events"):
        # Each table's rows in one INSERT (risk assessed and signed in: two events, one INSERT).
        assert count(f"INSERT INTO {table} ") == 1, table
        assert count(f"UPDATE {table} ") == 0, table  # written in its final state, not written twice
    # The account is read before the hash, with whether the device is known, and again, locked, in the
    # transaction that signs in (a freeze or reset meanwhile is seen, or waits: issue 17's review).
    assert count("accounts.password_hash") == 2
    # The stages' look-ups (the risk history, the second factors) ride along with the account's lock.
    assert sum(words.startswith("SELECT") for words in sign_in) == 2
    assert count("FOR UPDATE") == 1 or services.db.dialect == "sqlite"
    # PostgreSQL: the read before the hash, the locking read, and every row written in one statement.
    assert len(sign_in) <= (3 if services.db.dialect == "postgresql" else 7), "\n".join(sign_in)
