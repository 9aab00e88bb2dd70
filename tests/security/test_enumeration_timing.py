"""Existing and unknown accounts are indistinguishable at sign-in, sign-up, password reset and
2FA reset (requirements §6, §15, §17; ASVS 5.0 V6.3.8): same status, same body but the reference, and — over
SAMPLES interleaved requests of each kind, in random order — no difference in time that a
Mann-Whitney U test (or Welch's t-test) finds at the 0.001 level.

Slow (a few thousand requests), so kept out of the default run: `pytest -m timing`
(.ci/run runs it on its own, without xdist, after the suite). PostgreSQL, as in production.
"""

from __future__ import annotations

import random
import statistics
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from scipy import stats

from bastion.accounts.admin import create_account
from bastion.clock import MovableClock
from bastion.config import load_settings
from bastion.ops.maintenance import start_maintenance
from bastion.services import Services, build_services
from bastion.web.app import create_app
from tests.conftest import DEFAULT_PASSWORD, TEST_KEY, fresh_database
from tests.security.timing import AsgiTimer, Timed

pytestmark = pytest.mark.timing

SAMPLES = 300
WARM_UP = 10
ALPHA = 0.001
# Rate limits out of the way: each sample is a new identifier, all from one address.
NO_LIMITS = ",".join(f"1000000/1h/{scope}" for scope in ("ip", "subnet", "reset_ip", "signup_ip",
                                                          "reset_identifier", "case_ip", "case_identifier"))


@contextmanager
def served(request: pytest.FixtureRequest, tmp_path: Path, people: Callable[[Services, int], None]) -> Iterator[AsgiTimer]:
    """Bastion on a PostgreSQL database of its own, with `people(services, number)` made for every sample."""
    with fresh_database("postgresql", request, tmp_path) as url:
        settings = load_settings(env="dev", data_dir=tmp_path / "data", secret_keys=TEST_KEY, database_url=url,
                                 argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1,
                                 public_url="http://testserver", rate_limits=NO_LIMITS)
        services = build_services(settings, clock=MovableClock())
        for number in range(SAMPLES + WARM_UP):
            people(services, number)
        yield AsgiTimer(create_app(services, deliver_mail=False))
        services.close()


@pytest.fixture(scope="module")
def timer(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsgiTimer]:
    def known(services: Services, number: int) -> None:
        create_account(services, f"known{number}@example.com", DEFAULT_PASSWORD, roles=[], verified=True)

    with served(request, tmp_path_factory.mktemp("timing"), known) as timer:
        yield timer


def compare(name: str, ask: Callable[[bool, int], Timed]) -> None:
    """Ask for existing (True) and unknown (False) accounts in random order; compare what comes back."""
    for number in range(WARM_UP):
        ask(True, SAMPLES + number)
        ask(False, SAMPLES + number)
    order = [(exists, number) for exists in (True, False) for number in range(SAMPLES)]
    random.shuffle(order)
    times: dict[bool, list[float]] = {True: [], False: []}
    answers: dict[bool, set[str]] = {True: set(), False: set()}
    for exists, number in order:
        timed = ask(exists, number)
        times[exists].append(timed.milliseconds)
        # Random for everyone: the reference, a new device id, a 2FA reset's case id (a decoy when unknown).
        body = {key: value for key, value in timed.body.items() if key not in ("reference", "device_id", "case_id")}
        answers[exists].add(f"{timed.status} {sorted(body.items())}")
    assert len(answers[True]) == 1 and answers[True] == answers[False], answers
    mann_whitney = stats.mannwhitneyu(times[True], times[False], alternative="two-sided").pvalue
    welch = stats.ttest_ind(times[True], times[False], equal_var=False).pvalue
    print(f"\n{name}: {SAMPLES}+{SAMPLES} samples, median existing {statistics.median(times[True]):.2f} ms, "
          f"unknown {statistics.median(times[False]):.2f} ms; Mann-Whitney p={mann_whitney:.3f}, "
          f"Welch p={welch:.3f}")
    assert mann_whitney > ALPHA and welch > ALPHA, f"{name}: the time tells existing accounts apart"


def test_sign_in_with_a_wrong_password_or_an_unknown_email(timer: AsgiTimer) -> None:
    compare("sign-in", lambda exists, number: timer.post("/v1/login", {
        "email": f"{'known' if exists else 'unknown'}{number}@example.com", "password": "not the password 4 sure"}))


def test_sign_up_with_a_taken_or_a_new_address(timer: AsgiTimer) -> None:
    compare("sign-up", lambda exists, number: timer.post("/v1/accounts", {
        "email": f"known{number}@example.com" if exists else f"new{number}-{uuid.uuid4().hex[:8]}@example.com",
        "password": DEFAULT_PASSWORD}))


def test_password_reset_for_an_existing_or_an_unknown_address(timer: AsgiTimer) -> None:
    compare("password reset", lambda exists, number: timer.post("/v1/password-reset", {
        "email": f"{'known' if exists else 'unknown'}{number}@example.com"}))


def test_two_factor_reset_for_an_existing_address_with_a_wrong_password_or_an_unknown_one(timer: AsgiTimer) -> None:
    compare("2FA reset", lambda exists, number: timer.post("/v1/mfa-reset", {
        "email": f"{'known' if exists else 'unknown'}{number}@example.com", "password": "not the password 4 sure"}))


def test_allowlist_reset_for_an_existing_address_with_a_wrong_password_or_an_unknown_one(timer: AsgiTimer) -> None:
    compare("IP allowlist reset", lambda exists, number: timer.post("/v1/allowlist-reset-request", {
        "email": f"{'known' if exists else 'unknown'}{number}@example.com", "password": "not the password 4 sure"}))


@pytest.fixture(scope="module")
def maintenance_timer(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsgiTimer]:
    """During a maintenance window: staff accounts (who may sign in), other accounts, unknown emails."""
    def staff_and_others(services: Services, number: int) -> None:
        create_account(services, f"staff{number}@example.com", DEFAULT_PASSWORD, roles=["support"], verified=True)
        create_account(services, f"person{number}@example.com", DEFAULT_PASSWORD, roles=[], verified=True)

    with served(request, tmp_path_factory.mktemp("maintenance-timing"), staff_and_others) as timer:
        start_maintenance(timer.app.state.services, timedelta(days=1))
        yield timer


def test_during_maintenance_a_staff_email_answers_like_any_other(maintenance_timer: AsgiTimer) -> None:
    """Issue 17, finding 2: a staff email answered 503 after ~100 ms, anyone else's in ~4 ms."""
    for other in ("unknown", "person"):
        compare(f"maintenance, staff or {other}", lambda staff, number, other=other: maintenance_timer.post(
            "/v1/login", {"email": f"{'staff' if staff else other}{number}@example.com",
                          "password": "not the password 4 sure"}))
