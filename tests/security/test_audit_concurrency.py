"""Concurrent writers and several sealers never fork the audit chain (READ COMMITTED on PostgreSQL):
every event ends up at exactly one position, positions are 1..N without a gap, and the chain verifies."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from bastion.audit import record_event
from bastion.audit.chain import seal_pending
from bastion.audit.models import SecurityEvent
from bastion.audit.verify import verify_chain
from bastion.context import Client

WRITERS = 8
TRANSACTIONS_EACH = 25
SEALERS = 3


def test_concurrent_inserts_and_sealers_give_one_unbroken_chain(services) -> None:
    start = threading.Barrier(WRITERS + SEALERS)
    writing = threading.Event()
    writing.set()
    written = []

    def write(writer: int) -> int:
        start.wait()
        count = 0
        for number in range(TRANSACTIONS_EACH):
            with services.db.transaction() as tx:  # one, two or three events per transaction
                for part in range(1 + (writer + number) % 3):
                    record_event(tx, services.clock.now(), "test.concurrent", f"writer-{writer}", Client(),
                                 number=number, part=part)
                    count += 1
        return count

    def seal() -> int:
        start.wait()
        sealed = 0
        while writing.is_set():
            sealed += seal_pending(services, batch=7)
        return sealed

    with ThreadPoolExecutor(WRITERS + SEALERS) as pool:
        sealers = [pool.submit(seal) for _ in range(SEALERS)]
        written = list(pool.map(write, range(WRITERS)))
        writing.clear()
        sealed = sum(future.result() for future in sealers)
    sealed += seal_pending(services)

    total = sum(written)
    assert sealed == total
    with services.db.transaction() as tx:
        positions = list(tx.execute(select(SecurityEvent.chain_seq).order_by(SecurityEvent.chain_seq)).scalars())
    assert positions == list(range(1, total + 1))
    report = verify_chain(services)
    assert report.intact and report.checked == total, report.findings
