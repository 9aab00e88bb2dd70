"""Two worker processes against one PostgreSQL database complete each due case exactly once
(docs/design.md: background work is safe with many nodes; SKIP LOCKED shares the cases out and the
conditional UPDATE in the completing transaction decides)."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bastion.accounts.admin import create_account
from bastion.audit.models import SecurityEvent
from bastion.clock import MovableClock
from bastion.config import load_settings
from bastion.crypto import hash_token, new_token
from bastion.mfa.totp import otp as totp
from bastion.mfa.totp import repo as totp_repo
from bastion.notify.models import OutboxMessage
from bastion.recovery.models import RecoveryCase
from bastion.sessions.models import SecurityHold
from bastion.startup import build_services
from tests.conftest import DEFAULT_PASSWORD, TEST_KEY, fresh_database

CASES = 40
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _settings(url: str, data_dir: Path):  # type: ignore[no-untyped-def]
    return load_settings(env="dev", database_url=url, secret_keys=TEST_KEY, data_dir=data_dir,
                         argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1,
                         public_url="http://testserver")


def _work(url: str, data_dir: str, start, results) -> None:  # type: ignore[no-untyped-def]
    """One worker process: wait for the other, then complete whatever is due until nothing is."""
    from bastion.recovery.completion import complete_due_cases

    services = build_services(_settings(url, Path(data_dir)), clock=MovableClock(NOW))
    start.wait()
    done = 0
    while (batch := complete_due_cases(services, batch=5)) or _any_due(services):
        done += batch
    results.put(done)
    services.close()


def _any_due(services) -> bool:  # type: ignore[no-untyped-def]
    with services.db.transaction() as tx:
        return tx.execute(select(func.count()).select_from(RecoveryCase)
                          .where(RecoveryCase.status == "waiting")).scalar_one() > 0


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with fresh_database("postgresql", request, tmp_path) as url:
        yield url


def test_two_worker_processes_complete_each_due_case_exactly_once(postgres_url: str, tmp_path: Path) -> None:
    services = build_services(_settings(postgres_url, tmp_path), clock=MovableClock(NOW))
    for index in range(CASES):
        account_id = create_account(services, f"owner{index}@example.com", DEFAULT_PASSWORD, roles=[], verified=True)
        with services.db.transaction() as tx:
            totp_repo.enrol_confirmed(tx, services.keys, account_id, totp.new_secret(), NOW - timedelta(days=3))
            tx.add(RecoveryCase(account_id=account_id, kind="mfa_reset", status="waiting",
                                access_hash=hash_token(new_token()), created_at=NOW - timedelta(days=3),
                                submitted_at=NOW - timedelta(days=3), decided_at=NOW - timedelta(days=2),
                                due_at=NOW - timedelta(minutes=index)))

    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_work, args=(postgres_url, str(tmp_path), start, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    counts = [results.get(timeout=5) for _ in workers]

    print("completed per worker:", counts)
    assert sum(counts) == CASES
    with services.db.transaction() as tx:
        assert tx.execute(select(RecoveryCase.status, func.count()).group_by(RecoveryCase.status)).all() == [
            ("completed", CASES)]
        completions = tx.execute(select(SecurityEvent.data).where(SecurityEvent.kind == "case.completed")).scalars()
        assert sorted(str(data["case_id"]) for data in completions) == sorted(
            tx.execute(select(RecoveryCase.id)).scalars())
        assert tx.execute(select(func.count()).select_from(SecurityHold)).scalar_one() == CASES
        assert tx.execute(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.template == "case_completed")).scalar_one() == CASES
    services.close()
