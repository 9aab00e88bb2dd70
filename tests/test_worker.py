"""The one background scheduler: every feature's jobs, in phase order, tidying only when due."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import select

from bastion.accounts.signup import sign_up
from bastion.context import Client
from bastion.notify.models import OutboxMessage
from bastion.periodic import Job, Phase
from bastion.services import Services
from bastion.worker import JOBS, Worker, run_pass
from tests.conftest import DEFAULT_PASSWORD


def test_every_feature_job_is_scheduled_once_in_phase_order() -> None:
    names = [job.name for job in JOBS]
    assert sorted(names) == sorted(set(names))
    assert {"recovery cases due", "outbox delivery", "audit sealing",
            "expired rows", "expired grants and tokens", "stale recovery cases",
            "identity documents past retention", "cached sessions' change feed"} == set(names)
    assert [job.phase for job in JOBS] == sorted(job.phase for job in JOBS)
    # Mail a case coming due writes leaves in the same pass; sealing sees what the jobs before it recorded.
    assert names.index("recovery cases due") < names.index("outbox delivery") < names.index("audit sealing")


def _recorder(ran: list[str]) -> Callable[[str, Phase], Job]:
    return lambda name, phase: Job(name, phase, lambda services: ran.append(name))


def test_a_pass_runs_the_tidying_jobs_only_when_they_are_due() -> None:
    ran: list[str] = []
    job = _recorder(ran)
    jobs = (job("prepare", Phase.PREPARE), job("deliver", Phase.DELIVER), job("seal", Phase.SEAL),
            job("tidy", Phase.TIDY))
    run_pass(None, tidy=False, jobs=jobs)  # type: ignore[arg-type]
    assert ran == ["prepare", "deliver", "seal"]
    ran.clear()
    run_pass(None, tidy=True, jobs=jobs)  # type: ignore[arg-type]
    assert ran == ["prepare", "deliver", "seal", "tidy"]


def test_one_pass_of_the_real_jobs_delivers_the_outbox(services: Services) -> None:
    sign_up(services, "worker@example.com", DEFAULT_PASSWORD, Client())
    run_pass(services, tidy=True)
    with services.db.transaction() as tx:
        sent = [(row.sent_at is not None, row.transport) for row in tx.execute(select(OutboxMessage)).scalars()]
    assert sent == [(True, "mailbox")]


def test_the_worker_thread_runs_passes_until_stopped(services: Services) -> None:
    passes = threading.Event()
    worker = Worker(services, jobs=(Job("probe", Phase.DELIVER, lambda _: passes.set()),))
    worker.start()
    try:
        worker.wake()
        assert passes.wait(30)
    finally:
        worker.stop()
    assert not worker._thread.is_alive()
