"""Shared fixtures: every storage-touching test runs on SQLite and on PostgreSQL.

Each test gets its own database: on SQLite a copy of a migrated template file,
on PostgreSQL `CREATE DATABASE … TEMPLATE` of a migrated template database.
Under CI=true a missing PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_string
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bastion.accounts.admin import create_account
from bastion.clock import MovableClock
from bastion.config import Settings, load_settings
from bastion.crypto import generate_key
from bastion.notify.models import OutboxMessage
from bastion.notify.outbox import message_bodies
from bastion.services import Services
from bastion.startup import build_services
from bastion.store import Database
from bastion.web.app import create_app
from tests.security import secret_watch

secret_watch.install()


@pytest.fixture(autouse=True)
def no_secret_in_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test: no password, token, TOTP secret or code it made appears in a log line.

    The schema fuzzer is exempt: its generated "passwords" are arbitrary strings it also puts
    in paths, so they are no one's secrets."""
    if request.node.get_closest_marker("fuzz") is not None:
        yield
        return
    yield from secret_watch.watch_test()


PG_ADMIN_DSN = os.environ.get("BASTION_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_KEY = generate_key()
DEFAULT_PASSWORD = "violet harbor compass 93 lantern"


def _pg_url(database: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base}/{database}".replace("postgresql://", "postgresql+psycopg://", 1)


def _pg_admin() -> psycopg.Connection:
    return psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_template(worker_id: str) -> Iterator[str]:
    """A migrated template database for this test worker."""
    try:
        admin = _pg_admin()
    except psycopg.OperationalError as error:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true and is not reachable: {error}")
        pytest.skip(f"PostgreSQL not reachable: {error}")
    name = f"bastion_tpl_{worker_id}_{uuid.uuid4().hex[:6]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database = Database(_pg_url(name))
    database.upgrade()
    database.dispose()
    yield name
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "bastion.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    return path


@contextmanager
def fresh_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, migrated database of `kind` ("sqlite" or "postgresql"), dropped afterwards."""
    if kind == "sqlite":
        target = tmp_path / f"bastion-{uuid.uuid4().hex[:6]}.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"bastion_t_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _pg_url(name)
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of each kind: every test using it runs on both."""
    with fresh_database(request.param, request, tmp_path) as url:
        yield url


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        values: dict[str, object] = dict(
            env="dev", data_dir=tmp_path / "data", secret_keys=TEST_KEY,
            # Cheap hashing keeps the suite fast; the production profile is tested on its own.
            argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1,
            public_url="http://testserver",
        )
        values.update(overrides)
        return load_settings(**values)

    return make


@pytest.fixture
def services(database_url: str, settings_factory: Callable[..., Settings], clock: MovableClock) -> Iterator[Services]:
    settings = settings_factory(database_url=database_url)
    built = build_services(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def app_client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services, deliver_mail=False), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def account_factory(services: Services) -> Callable[..., dict[str, str]]:
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, password: str = DEFAULT_PASSWORD, verified: bool = True,
             roles: list[str] | None = None) -> dict[str, str]:
        address = email or f"user{next(counter)}@example.com"
        account_id = create_account(services, address, password, roles=roles or [], verified=verified)
        return {"id": account_id, "email": address, "password": password}

    return make


class Mailbox:
    """Reads what the outbox holds for an address (decrypted), newest last."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def messages(self, to: str | None = None) -> list[dict[str, str]]:
        with self.services.db.transaction() as tx:
            query = select(OutboxMessage).order_by(OutboxMessage.id)
            if to is not None:
                query = query.where(OutboxMessage.to_address == to)
            rows = list(tx.execute(query).scalars())
        result = []
        for row in rows:
            text, html = message_bodies(self.services.keys, row)
            result.append({"to": row.to_address, "subject": row.subject, "template": row.template,
                           "text": text, "html": html})
        return result

    def last(self, to: str) -> dict[str, str]:
        messages = self.messages(to)
        assert messages, f"no mail to {to}"
        return messages[-1]


@pytest.fixture
def mailbox(services: Services) -> Mailbox:
    return Mailbox(services)


def link_token(text: str, path: str = "/confirm?token=") -> str:
    """The token of the first link to `path` in a message body."""
    start = text.index(path) + len(path)
    end = start
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end]


def parse_mime(raw: str):  # type: ignore[no-untyped-def]
    return message_from_string(raw)


@pytest.fixture
def mailbox_for() -> Callable[[Services], Mailbox]:
    """A mailbox over services built by the test itself."""
    return Mailbox


def make_staff(client: TestClient, services: Services, clock: MovableClock, role: str, email: str) -> dict[str, Any]:
    """A support or admin account with an authenticator app, signed in with both steps (staff need 2FA)."""
    from bastion.mfa.totp import otp as totp
    from bastion.mfa.totp import repo as totp_repo

    account_id = create_account(services, email, DEFAULT_PASSWORD, roles=[role], verified=True)
    secret = totp.new_secret()
    with services.db.transaction() as tx:
        totp_repo.enrol_confirmed(tx, services.keys, account_id, secret, clock.now())
    flow = client.post("/v1/login", json={"email": email, "password": DEFAULT_PASSWORD}).json()["flow"]
    answer = client.post(f"/v1/login/{flow['id']}/totp", json={"code": totp.code_at_time(secret, clock.now().timestamp())})
    assert answer.status_code == 200, answer.text
    token = answer.json()["session"]["token"]
    return {"id": account_id, "email": email, "password": DEFAULT_PASSWORD, "secret": secret,
            "token": token, "headers": {"Authorization": f"Bearer {token}"}}


@pytest.fixture
def staff(app_client: TestClient, services: Services, clock: MovableClock) -> Callable[..., dict[str, Any]]:
    counter = iter(range(1, 1000))

    def make(role: str = "support") -> dict[str, Any]:
        return make_staff(app_client, services, clock, role, f"{role}{next(counter)}@staff.example.com")

    return make
