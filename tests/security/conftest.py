"""Security verification fixtures: the operator's command line, staff sessions, hand edits of the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bastion.cli import app
from bastion.context import Client
from bastion.services import Services
from bastion.sessions.tokens import issue_session
from tests.conftest import TEST_KEY


@pytest.fixture
def cli(database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """`bastion …` against the test's database, with the test's key ring."""
    for name, value in {"DATABASE_URL": database_url, "SECRET_KEYS": TEST_KEY, "DATA_DIR": str(tmp_path),
                        "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}.items():
        monkeypatch.setenv(f"BASTION_{name}", value)
    runner = CliRunner()
    return lambda *args, **kw: runner.invoke(app, list(args), catch_exceptions=False, **kw)


@pytest.fixture
def staff_headers(services, account_factory) -> Callable[[str], dict[str, str]]:  # type: ignore[no-untyped-def]
    """Bearer headers of a fresh account with `role` ("support", "admin" or "" for none), signed in
    with two factors as staff must be (the sign-in itself is tested with the second factors)."""

    def make(role: str) -> dict[str, str]:
        account = account_factory(roles=[role] if role else [])
        with services.db.transaction() as tx:
            token, _ = issue_session(services, tx, account["id"], Client(ip="192.0.2.1"), remember=False, aal=2)
        return {"Authorization": f"Bearer {token}"}

    return make


def edit_by_hand(services: Services, *statements: str) -> None:
    """What someone with the database owner's rights can do: switch off the append-only triggers, edit."""
    with services.db.engine.begin() as connection:
        if services.db.dialect == "postgresql":
            connection.execute(text("ALTER TABLE security_events DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS security_events_append_only_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS security_events_append_only_delete"))
        for statement in statements:
            connection.execute(text(statement))


def app_routes(app: Any) -> list[Any]:
    """Every route of the app, flattened out of included routers."""

    def walk(routes: list[Any]) -> Any:
        for route in routes:
            original = getattr(route, "original_router", None)
            if original is not None:
                yield from walk(original.routes)
            else:
                yield route

    return list(walk(app.routes))
