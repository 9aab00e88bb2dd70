"""Under concurrency a one-time code is used exactly once (docs/design.md; docs/style.md, "Race tests"):
50 submissions of one valid TOTP code, or one backup code, on 50 separate flows → one session.

The per-account budget (10 per 15 min) is raised here so that all 50 reach the one-time check;
the budget itself is tested in test_attempt_limits.py.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from bastion.context import Client
from bastion.errors import BastionError
from bastion.mfa.flows.second_factor import sign_in_with_backup_code, sign_in_with_totp
from bastion.signin.flow import Authenticated, StepRequired
from bastion.signin.password import sign_in_with_password
from bastion.throttle.limits import Limit
from tests.conftest import DEFAULT_PASSWORD
from tests.mfa.conftest import code_at

RACERS = 50


def race(attempt: Callable[[str], object], flow_ids: list[str]) -> Counter[str]:
    start = threading.Barrier(len(flow_ids))

    def run(flow_id: str) -> str:
        start.wait()
        try:
            result = attempt(flow_id)
        except BastionError as refusal:
            return refusal.code
        return "session" if isinstance(result, Authenticated) else "other"

    with ThreadPoolExecutor(max_workers=len(flow_ids)) as pool:
        return Counter(pool.map(run, flow_ids))


@pytest.fixture
def flows(services, enrolled) -> tuple[dict, list[str]]:  # type: ignore[type-arg]
    services.throttle.limits["mfa_account"] = Limit(1000, timedelta(minutes=15))
    account = enrolled()
    flow_ids = []
    for index in range(RACERS):
        result = sign_in_with_password(services, account["email"], DEFAULT_PASSWORD, Client(ip=f"10.0.0.{index}"))
        assert isinstance(result, StepRequired)
        flow_ids.append(result.flow.id)
    return account, flow_ids


def test_one_totp_code_on_50_concurrent_flows_gives_exactly_one_session(services, flows, clock, mailbox) -> None:
    account, flow_ids = flows
    code = code_at(account["secret"], clock)
    outcomes = race(lambda flow_id: sign_in_with_totp(services, flow_id, code, Client(ip="10.1.1.1")), flow_ids)
    assert outcomes == Counter({"session": 1, "mfa.code_reused": RACERS - 1})
    reused = [mail for mail in mailbox.messages(account["email"]) if mail["template"] == "totp_code_reused"]
    assert len(reused) == 1  # one alert for one reused step, however many tried it


def test_one_backup_code_on_50_concurrent_flows_gives_exactly_one_session(services, flows, mailbox) -> None:
    account, flow_ids = flows
    code = account["backup_codes"][0]
    outcomes = race(lambda flow_id: sign_in_with_backup_code(services, flow_id, code, Client(ip="10.1.1.1")),
                    flow_ids)
    assert outcomes == Counter({"session": 1, "mfa.backup_code_invalid": RACERS - 1})
    used = [mail for mail in mailbox.messages(account["email"]) if mail["template"] == "backup_code_used"]
    assert len(used) == 1 and "Backup codes left: 9" in used[0]["text"]


def test_two_valid_codes_on_one_flow_concurrently_give_one_session(services, flows, clock) -> None:
    account, flow_ids = flows
    codes = [code_at(account["secret"], clock), code_at(account["secret"], clock, 30)]
    start = threading.Barrier(2)

    def submit(code: str) -> str:
        start.wait()
        try:
            return type(sign_in_with_totp(services, flow_ids[0], code, Client())).__name__
        except BastionError as refusal:
            return refusal.code

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(submit, codes))
    assert outcomes.count("Authenticated") == 1, outcomes
