"""Under concurrency the device code's 5 attempts are 5, and a code completes its sign-in once
(docs/style.md, "Race tests"; requirements §20) — on SQLite and on PostgreSQL (READ COMMITTED)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from bastion.context import Client
from bastion.crypto import hash_token
from bastion.errors import BastionError
from bastion.risk.device_step import verify_device_code
from bastion.risk.models import DeviceChallenge
from bastion.signin.flow import Authenticated
from tests.risk.conftest import DE, MAC_CHROME, Risky
from tests.risk.test_device_verification import ask_from_germany

RACERS = 20


def race(risky: Risky, flow: str, codes: list[str]) -> Counter[str]:
    client = Client(ip=DE, user_agent=MAC_CHROME, device_id=hash_token(risky.device_id("laptop")), platform=None,
                    version=None)
    start = threading.Barrier(len(codes))

    def run(code: str) -> str:
        start.wait()
        try:
            result = verify_device_code(risky.services, flow, code, client)
        except BastionError as refusal:
            return refusal.code
        return "session" if isinstance(result, Authenticated) else "other"

    with ThreadPoolExecutor(len(codes)) as pool:
        return Counter(pool.map(run, codes))


def test_twenty_parallel_wrong_codes_are_counted_exactly_five(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email, flow = ask_from_germany(risky, clock)
    code, _, _ = risky.verification_mail(email, 1)
    wrong = "000000" if code != "000000" else "111111"
    outcomes = race(risky, flow, [wrong] * RACERS)
    # Checked: at most 4 wrong answers; every other racer finds the code used up or the sign-in void.
    # The account's budget (10 an hour) pauses the rest: `device.locked`.
    assert set(outcomes) <= {"device.code_invalid", "device.attempts_exceeded", "device.verification_expired",
                             "flow.not_found", "device.locked"}, outcomes
    assert outcomes["device.code_invalid"] <= 4 and outcomes["device.attempts_exceeded"] >= 1
    with risky.services.db.transaction() as tx:
        assert tx.execute(select(DeviceChallenge.attempts)).scalars().all() == [5]


def test_one_code_sent_twenty_times_at_once_gives_one_session(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email, flow = ask_from_germany(risky, clock)
    code, _, _ = risky.verification_mail(email, 1)
    outcomes = race(risky, flow, [code] * RACERS)
    assert outcomes["session"] == 1 and sum(outcomes.values()) == RACERS
