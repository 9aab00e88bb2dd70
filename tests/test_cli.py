"""The operator's commands: db upgrade, user create/show, service-key create/list/revoke."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from bastion.cli import app
from tests.conftest import DEFAULT_PASSWORD, TEST_KEY


@pytest.fixture
def cli(database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name, value in {"DATABASE_URL": database_url, "SECRET_KEYS": TEST_KEY, "DATA_DIR": str(tmp_path),
                        "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}.items():
        monkeypatch.setenv(f"BASTION_{name}", value)
    runner = CliRunner()
    return lambda *args, **kw: runner.invoke(app, list(args), catch_exceptions=False, **kw)


def test_user_create_and_show_never_print_a_secret(cli) -> None:
    assert cli("db", "upgrade").exit_code == 0
    created = cli("user", "create", "ops@example.com", "--role", "support",
                  input=f"{DEFAULT_PASSWORD}\n{DEFAULT_PASSWORD}\n")
    assert created.exit_code == 0, created.output
    shown = cli("user", "show", "ops@example.com")
    assert "support" in shown.output and "ops@example.com" in shown.output
    assert DEFAULT_PASSWORD not in shown.output and "argon2" not in shown.output
    assert cli("user", "show", "nobody@example.com").exit_code == 1


def test_user_create_applies_the_password_policy(cli) -> None:
    result = cli("user", "create", "weak@example.com", input="password123456\npassword123456\n")
    assert result.exit_code == 1 and "common" in result.output.lower()


def test_service_keys_are_shown_once_listed_without_secret_and_revocable(cli) -> None:
    created = cli("service-key", "create", "trading-api")
    secret = re.search(r"bsk_\S+", created.output).group(0)
    key_id = re.search(r"\(([0-9a-f-]{36})\)", created.output).group(1)
    listed = cli("service-key", "list")
    assert "trading-api" in listed.output and secret not in listed.output
    assert cli("service-key", "revoke", key_id).exit_code == 0
    assert cli("service-key", "revoke", key_id).exit_code == 1


def test_suspend_ban_reinstate_and_unlock_from_the_command_line(cli) -> None:
    cli("user", "create", "held@example.com", input=f"{DEFAULT_PASSWORD}\n{DEFAULT_PASSWORD}\n")
    assert cli("user", "suspend", "held@example.com", "--reason", "review").exit_code == 0
    assert "suspended" in cli("user", "show", "held@example.com").output
    assert cli("user", "ban", "held@example.com", "--reason", "abuse", "--until", "2099-01-01").exit_code == 2
    assert cli("user", "ban", "held@example.com", "--reason", "abuse", "--until", "2099-01-01T00:00:00Z").exit_code == 0
    assert cli("user", "reinstate", "held@example.com", "--reason", "done").exit_code == 0
    assert "active" in cli("user", "show", "held@example.com").output
    assert cli("user", "unlock", "held@example.com").exit_code == 0
    assert cli("user", "suspend", "nobody@example.com", "--reason", "x").exit_code == 1


def test_maintenance_start_list_and_stop(cli) -> None:
    assert cli("db", "upgrade").exit_code == 0
    started = cli("maintenance", "start", "--minutes", "20", "--message", "Database upgrade")
    assert started.exit_code == 0 and "Database upgrade" in started.output
    assert "Database upgrade" in cli("maintenance", "list").output
    assert "Ended 1" in cli("maintenance", "stop").output
    assert "No maintenance window" in cli("maintenance", "list").output
    bad = cli("maintenance", "schedule", "--start", "2099-01-01T02:00:00Z", "--end", "2099-01-01T01:00:00Z")
    assert bad.exit_code == 1


def test_calibrate_prints_parameters_that_reach_the_target_time() -> None:
    result = CliRunner().invoke(app, ["calibrate", "--target-ms", "1", "--memory-kib", "64", "--samples", "1"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "BASTION_ARGON2_TIME_COST=" in result.output and "BASTION_ARGON2_MEMORY_KIB=64" in result.output
    assert "below OWASP's minimum" in result.output


def test_the_default_argon2_parameters_are_at_least_owasps_minimum() -> None:
    from bastion.accounts.calibration import OWASP_MEMORY_KIB, OWASP_MIN_TIME_COST
    from bastion.config import Settings

    fields = Settings.model_fields
    assert fields["argon2_memory_kib"].default >= OWASP_MEMORY_KIB
    assert fields["argon2_time_cost"].default >= OWASP_MIN_TIME_COST
    assert fields["argon2_parallelism"].default >= 1


def test_clear_allowlist_from_the_command_line_is_audited_and_emailed(cli) -> None:
    from sqlalchemy import select

    from bastion.accounts.repo import find_account_by_email
    from bastion.audit.models import SecurityEvent
    from bastion.config import load_settings
    from bastion.notify.models import OutboxMessage
    from bastion.startup import build_services

    cli("user", "create", "far@example.com", input=f"{DEFAULT_PASSWORD}\n{DEFAULT_PASSWORD}\n")
    services = build_services(load_settings())
    with services.db.transaction() as tx:
        account = find_account_by_email(tx, "far@example.com")
        account.ip_allowlist = ["198.51.100.0/24"]
        account_id = account.id
    cleared = cli("user", "clear-allowlist", "far@example.com", "--reason", "owner verified on a video call")
    assert cleared.exit_code == 0, cleared.output
    assert "198.51.100.0/24" in cleared.output
    again = cli("user", "clear-allowlist", "far@example.com", "--reason", "owner verified on a video call")
    assert again.exit_code == 1 and "no IP allowlist" in again.output
    assert cli("user", "clear-allowlist", "nobody@example.com", "--reason", "whatever").exit_code == 1
    with services.db.transaction() as tx:
        assert find_account_by_email(tx, "far@example.com").ip_allowlist == []
        event = tx.execute(select(SecurityEvent).where(SecurityEvent.kind == "ip_allowlist.cleared")).scalar_one()
        mail = tx.execute(select(OutboxMessage).where(OutboxMessage.account_id == account_id)
                          .order_by(OutboxMessage.id.desc())).scalars().first()
    assert event.data["via"] == "cli" and event.data["reason"] == "owner verified on a video call"
    assert event.data["operator"] and mail.template == "ip_allowlist_cleared"
    services.close()


def test_creating_staff_emails_the_enrolment_link_and_an_operator_can_send_a_new_one(cli) -> None:
    from sqlalchemy import select

    from bastion.accounts.models import OneTimeToken
    from bastion.config import load_settings
    from bastion.notify.models import OutboxMessage
    from bastion.startup import build_services

    created = cli("user", "create", "agent2@example.com", "--role", "support",
                  input=f"{DEFAULT_PASSWORD}\n{DEFAULT_PASSWORD}\n")
    assert created.exit_code == 0 and "enrolment link" in created.output, created.output
    again = cli("user", "enrolment-link", "agent2@example.com")
    assert again.exit_code == 0 and "agent2@example.com" in again.output, again.output
    cli("user", "create", "trader@example.com", input=f"{DEFAULT_PASSWORD}\n{DEFAULT_PASSWORD}\n")
    refused = cli("user", "enrolment-link", "trader@example.com")
    assert refused.exit_code == 1 and "no support or admin role" in refused.output
    services = build_services(load_settings())
    with services.db.transaction() as tx:
        sent = tx.execute(select(OutboxMessage.template, OutboxMessage.to_address)).all()
        links = tx.execute(select(OneTimeToken.used_at).where(OneTimeToken.purpose == "staff_enrolment")).all()
    assert sorted(sent).count(("staff_enrolment_link", "agent2@example.com")) == 2
    assert ("staff_enrolment_link", "trader@example.com") not in sent
    assert sorted(link.used_at is None for link in links) == [False, True]  # the newer link voids the older
