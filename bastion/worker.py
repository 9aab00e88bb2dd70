"""The one scheduler of background work, run by `bastion serve` (in a thread) and `bastion worker`.

Each feature declares its periodic jobs in its own `jobs.py` (a tuple of `bastion.periodic.Job`),
and the rows it deletes once expired (`bastion.store.expiry.Expiry`); this module only gathers them
and runs them in passes. Every job is safe on several nodes at once
(claims are conditional UPDATEs), so any number of workers may run beside the serving nodes.
"""

from __future__ import annotations

import logging
import threading
import time

from bastion.accounts.jobs import EXPIRIES as ACCOUNT_EXPIRIES
from bastion.audit.jobs import JOBS as AUDIT_JOBS
from bastion.mfa.passkeys.jobs import EXPIRIES as PASSKEY_EXPIRIES
from bastion.notify.jobs import JOBS as NOTIFY_JOBS
from bastion.oidc.jobs import JOBS as OIDC_JOBS
from bastion.periodic import TIDY_EVERY_SECONDS, Job, Phase
from bastion.recovery.jobs import JOBS as RECOVERY_JOBS
from bastion.services import Services
from bastion.sessions.jobs import EXPIRIES as SESSION_EXPIRIES
from bastion.sessions.jobs import JOBS as SESSION_JOBS
from bastion.signin.jobs import EXPIRIES as SIGN_IN_EXPIRIES
from bastion.store.expiry import Expiry
from bastion.throttle.jobs import EXPIRIES as THROTTLE_EXPIRIES

log = logging.getLogger("bastion.worker")

EXPIRIES: tuple[Expiry, ...] = (*THROTTLE_EXPIRIES, *PASSKEY_EXPIRIES, *SIGN_IN_EXPIRIES, *ACCOUNT_EXPIRIES,
                                 *SESSION_EXPIRIES)


def sweep_expired(services: Services, expiries: tuple[Expiry, ...] = EXPIRIES) -> dict[str, int]:
    """Delete what expired long enough ago; returns how many rows of each kind went."""
    now = services.clock.now()
    removed: dict[str, int] = {}
    for expiry in expiries:
        with services.db.transaction() as tx:
            removed[expiry.table] = expiry.delete(tx, now - expiry.keep)
    return removed


# Sorted by phase only: jobs of one phase keep the order they are listed in here.
JOBS: tuple[Job, ...] = tuple(sorted((Job("expired rows", Phase.TIDY, sweep_expired), *NOTIFY_JOBS, *OIDC_JOBS,
                                      *RECOVERY_JOBS, *AUDIT_JOBS, *SESSION_JOBS), key=lambda job: job.phase))


def run_pass(services: Services, tidy: bool, jobs: tuple[Job, ...] = JOBS) -> None:
    """One pass: every job of every phase, the tidying ones only when `tidy`. A failure ends the pass
    (the next one retries): a job that failed is usually the database, which the rest need too."""
    for job in jobs:
        if job.phase is not Phase.TIDY or tidy:
            job.run(services)


class Worker:
    """Runs passes in a background thread until stopped; `wake` starts the next pass now."""

    def __init__(self, services: Services, jobs: tuple[Job, ...] = JOBS) -> None:
        self.services = services
        self.jobs = jobs
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bastion-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        last_tidy = float("-inf")
        while not self._stop.is_set():
            try:
                tidy = time.monotonic() - last_tidy >= TIDY_EVERY_SECONDS
                if tidy:
                    last_tidy = time.monotonic()
                run_pass(self.services, tidy, self.jobs)
            except Exception:  # database down, etc.: keep the loop alive and retry
                log.exception("background pass failed")
            self._wake.wait(self.services.settings.outbox_poll_seconds)
            self._wake.clear()
