"""Counters under concurrency: parallel guesses never get more checks than the budget allows
(second step: 5 per flow, 10 per account), and the request limits let exactly their count through
(password reset: 5 an hour per address; sign-up: 20 an hour per IP)."""

from __future__ import annotations

from bastion.accounts.signup import sign_up
from bastion.context import Client
from bastion.mfa.flows.second_factor import sign_in_with_totp
from bastion.recovery.password_reset import request_password_reset
from bastion.signin.flow import StepRequired
from bastion.signin.password import sign_in_with_password
from tests.conftest import DEFAULT_PASSWORD
from tests.races.racing import race

RACERS = 30
WRONG = "000000"


def second_step_flows(services, account, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    flows = []
    for number in range(count):
        result = sign_in_with_password(services, account["email"], DEFAULT_PASSWORD, Client(ip=f"10.9.0.{number}"))
        assert isinstance(result, StepRequired)
        flows.append(result.flow.id)
    return flows


def test_thirty_parallel_guesses_on_one_flow_get_at_most_five_checks(services, enrolled) -> None:
    account = enrolled()
    flow_id = second_step_flows(services, account, 1)[0]
    outcomes = race(lambda _: sign_in_with_totp(services, flow_id, WRONG, Client()), range(RACERS))
    assert outcomes["mfa.code_invalid"] <= 5 and outcomes["mfa.attempts_exceeded"] >= 1, outcomes
    # Past ten the account's own budget (requirements §10) answers first.
    assert set(outcomes) <= {"mfa.code_invalid", "mfa.attempts_exceeded", "mfa.locked", "flow.not_found"}, outcomes


def test_thirty_parallel_guesses_on_thirty_flows_get_at_most_ten_checks(services, enrolled) -> None:
    account = enrolled()
    flows = second_step_flows(services, account, RACERS)
    outcomes = race(lambda flow_id: sign_in_with_totp(services, flow_id, WRONG, Client()), flows)
    assert outcomes["mfa.code_invalid"] == 10 and outcomes["mfa.locked"] == RACERS - 10, outcomes


def test_thirty_parallel_reset_requests_for_one_address_send_exactly_five(services, account_factory,
                                                                           mailbox) -> None:
    account = account_factory()
    outcomes = race(lambda number: request_password_reset(services, account["email"], Client(ip=f"10.8.0.{number}")),
                    range(RACERS))
    assert outcomes == {"ok": 5, "rate_limited": RACERS - 5}, outcomes
    sent = [mail for mail in mailbox.messages(account["email"]) if mail["template"] == "password_reset"]
    assert len(sent) == 5


def test_thirty_parallel_sign_ups_from_one_address_let_exactly_twenty_through(services, mailbox) -> None:
    outcomes = race(lambda number: sign_up(services, f"racer{number}@example.com", DEFAULT_PASSWORD,
                                           Client(ip="10.7.0.1")), range(RACERS))
    assert outcomes == {"ok": 20, "rate_limited": RACERS - 20}, outcomes
    assert len([mail for mail in mailbox.messages() if mail["template"] == "verify_email"]) == 20
