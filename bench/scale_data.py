"""A Bastion database at scale, written with PostgreSQL's COPY: accounts, one session and one device
each, sign-in records.

Rows are generated in Python and streamed in 100,000-line chunks of COPY text; the schema is
Bastion's own (`bastion db upgrade` first), indexes included, then ANALYZE. The first
`MEASURED` accounts are the ones the benchmark signs in as: each has `HISTORY` sign-in records
spread over the whole table, so their own history is the same size at every scale.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import psycopg

from bastion.crypto import KeyRing
from bastion.sessions.tokens import signed_session_token

MEASURED = 20
HISTORY = 200
CHUNK = 100_000
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def account_id(index: int) -> str:
    return f"{index:08x}-5ca1-4000-8000-{index:012x}"


def email(index: int) -> str:
    return f"user{index}@scale.example"


@lru_cache(maxsize=4)
def _ring(secret_keys: str) -> KeyRing:
    return KeyRing.from_setting(secret_keys)


def session_token(index: int, secret_keys: str) -> str:
    """The index's session token, signed as the server (with these keys) signs the tokens it issues."""
    return signed_session_token(_ring(secret_keys), f"scale-session-{index:012d}".ljust(43, "x"))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def _copy(connection: psycopg.Connection, statement: str, lines: Iterator[str]) -> None:
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= CHUNK:
                copy.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            copy.write("\n".join(chunk) + "\n")


def _accounts(count: int, password_hash: str, now: datetime) -> Iterator[str]:
    created = _stamp(now - timedelta(days=365))
    for index in range(count):
        yield (f"{account_id(index)}\t{email(index)}\t{password_hash}\t{created}\tactive\t[]\t\t{created}\t"
               f"{created}")


def _sessions(count: int, now: datetime, secret_keys: str) -> Iterator[str]:
    created, expires = _stamp(now), _stamp(now + timedelta(hours=12))
    for index in range(count):
        token_hash = hashlib.sha256(session_token(index, secret_keys).encode()).hexdigest()
        yield (f"{index:08x}-5e55-4000-8000-{index:012x}\t{account_id(index)}\t{token_hash}\t{created}\t{created}\t{created}\t1800\t"
               f"{expires}\t1\tf\t127.0.0.1")


def _devices(count: int, now: datetime) -> Iterator[str]:
    seen = _stamp(now - timedelta(days=1))
    for index in range(count):
        device_hash = hashlib.sha256(f"scale-device-{index}".encode()).hexdigest()
        yield f"{index:08x}-de71-4000-8000-{index:012x}\t{account_id(index)}\t{device_hash}\t{seen}\t{seen}\tDE"


def _attempts(count: int, accounts: int, now: datetime) -> Iterator[str]:
    """Newest last, over the last 90 days; every `stride`-th record belongs to a measured account."""
    span = timedelta(days=90).total_seconds()
    stride = max(1, count // (MEASURED * HISTORY))
    measured_seen = 0
    for index in range(count):
        if index % stride == 0 and measured_seen < MEASURED * HISTORY:
            owner = measured_seen % MEASURED
            measured_seen += 1
        else:
            owner = (index * 7919) % accounts
        if index % 1000 == 0:
            stamp = _stamp(now - timedelta(seconds=span * (1 - index / count)))
        failed = index % 10 == 0
        outcome, code, reference = ("failure", "credentials.invalid", f"R{index:011d}") if failed else \
            ("success", "\\N", "\\N")
        yield (f"{reference}\t{account_id(owner)}\t{email(owner)}\t{stamp}\tpassword\t{outcome}\t{code}\t"
               f"198.51.100.{index % 250}\tMozilla/5.0 (X11; Linux x86_64)\tDE")


def generate(dsn: str, accounts: int, attempts: int, password_hash: str, secret_keys: str) -> dict[str, float]:
    """Fill a migrated, empty database; returns seconds per table."""
    now = datetime.now(UTC)
    timings: dict[str, float] = {}
    with psycopg.connect(dsn, autocommit=True) as connection:
        # Bulk load: the rows are consistent by construction, so skip the per-row foreign-key
        # triggers for this connection (needs a superuser, as the local `postgres` is).
        connection.execute("SET session_replication_role = replica")
        started = time.monotonic()
        _copy(connection, "COPY accounts (id, email, password_hash, email_verified_at, status, ip_allowlist, roles, "
                          "created_at, password_changed_at) FROM STDIN", _accounts(accounts, password_hash, now))
        timings["accounts"] = time.monotonic() - started
        started = time.monotonic()
        _copy(connection, "COPY sessions (id, account_id, token_hash, created_at, authenticated_at, last_seen_at, "
                          "idle_seconds, expires_at, aal, remember, ip) FROM STDIN", _sessions(accounts, now, secret_keys))
        timings["sessions"] = time.monotonic() - started
        started = time.monotonic()
        _copy(connection, "COPY devices (id, account_id, device_hash, first_seen_at, last_seen_at, last_country) "
                          "FROM STDIN", _devices(accounts, now))
        timings["devices"] = time.monotonic() - started
        started = time.monotonic()
        _copy(connection, "COPY sign_in_attempts (reference, account_id, identifier, created_at, method, outcome, "
                          "code, ip, user_agent, country) FROM STDIN", _attempts(attempts, accounts, now))
        timings["sign_in_attempts"] = time.monotonic() - started
        started = time.monotonic()
        connection.execute("ANALYZE")
        timings["analyze"] = time.monotonic() - started
    return timings
