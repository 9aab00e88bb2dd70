"""Existing and unknown accounts are indistinguishable on every route that takes an identifier before
sign-in (requirements §6, §15, §17; ASVS 5.0 V6.3.8): same status, same answer but the reference, and — over
SAMPLES interleaved requests of each kind, in random order — no difference in time that a Mann-Whitney U
test (or Welch's t-test) finds at the 0.001 level.

The routes are found from the app itself (a body field naming an account, no session needed), so a new
one cannot be missed: it is timed here (`TIMED`) or listed with its reason (`EXEMPT`), and a fast test
outside the timing run fails when it is neither (issue 18, finding 4: the resend routes were missed).

The timing tests are slow (a few thousand requests each), so kept out of the default run:
`pytest -m timing -n 0 -s tests/security/test_enumeration_timing.py` (.ci/run runs it on its own, without
xdist, after the suite). PostgreSQL, as in production.
"""

from __future__ import annotations

import random
import re
import statistics
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from scipy import stats

from bastion.accounts.admin import create_account
from bastion.clock import MovableClock
from bastion.config import load_settings
from bastion.ops.maintenance import start_maintenance
from bastion.services import Services
from bastion.startup import build_services
from bastion.web.app import create_app
from bastion.web.deps import current_session, safe_session_from_request, service_key
from tests.conftest import DEFAULT_PASSWORD, TEST_KEY, fresh_database
from tests.routes import every_route
from tests.security.timing import AsgiTimer, Timed

SAMPLES = 300
WARM_UP = 10
ALPHA = 0.001
WRONG = "not the password 4 sure"
# Rate limits out of the way: each sample is a new identifier, all from one address.
NO_LIMITS = ",".join(f"1000000/1h/{scope}" for scope in (
    "ip", "subnet", "reset_ip", "signup_ip", "signup_identifier", "reset_identifier", "case_ip", "case_identifier",
    "resend_identifier", "resend_ip"))


# The routes -------------------------------------------------------------------------------------
IDENTIFIER_FIELDS = frozenset({"email", "identifier", "username", "login"})
SESSION_DEPENDENCIES = frozenset({current_session, safe_session_from_request, service_key})


def _fields(dependant: Any) -> set[str]:
    found: set[str] = set()
    for param in dependant.body_params:
        found.add(param.alias.lower())
        found |= {name.lower() for name in getattr(param.field_info.annotation, "model_fields", None) or {}}
    for sub in dependant.dependencies:
        found |= _fields(sub)
    return found


def _needs_session(dependant: Any) -> bool:
    return dependant.call in SESSION_DEPENDENCIES or any(_needs_session(sub) for sub in dependant.dependencies)


def identifier_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route whose body names an account and that needs no session (JSON and pages)."""
    return {(method, route.path) for route in every_route(app.routes)
            if _fields(route.dependant) & IDENTIFIER_FIELDS and not _needs_session(route.dependant)
            for method in route.methods}


@dataclass(frozen=True)
class Ask:
    """How one request to a route is sent: as JSON or as its page's form, with which other fields, and
    which accounts are the existing ones."""

    form: bool = False
    fields: dict[str, str] = field(default_factory=dict)
    # "waiting": accounts not confirmed yet (those a new confirmation link is for); "taken": accounts
    # no other route asks (each sign-up counts against its address, as the other sign-up route has)
    existing: str = "known"
    paths: tuple[str, ...] = ()  # for a route with a path parameter: the pages it serves
    # Resends count a cooldown per address: the existing addresses' counters may already exist (an
    # earlier route shares the key) where each unknown one is new, a difference of the test's making.
    # Asking every address once first gives both the same counter history.
    prime: bool = False
    # A sign-up takes the address it is given, so its unknown addresses are new each run. Every other
    # route asks the same unknown addresses as the routes before it: a wrong password counts against
    # the address whether an account has it or not, and the existing addresses have been asked by
    # every route before, so fresh unknown ones would be timed against a shorter failure history.
    takes_address: bool = False


WITH_PASSWORD = {"password": WRONG}
TIMED: dict[tuple[str, str], Ask] = {
    ("POST", "/v1/login"): Ask(fields=WITH_PASSWORD),
    ("POST", "/login"): Ask(form=True, fields=WITH_PASSWORD),
    ("POST", "/v1/accounts"): Ask(fields={"password": DEFAULT_PASSWORD}, existing="taken", takes_address=True),
    ("POST", "/signup"): Ask(form=True, fields={"password": DEFAULT_PASSWORD}, takes_address=True),
    ("POST", "/v1/password-reset"): Ask(),
    ("POST", "/password-reset"): Ask(form=True),
    ("POST", "/v1/password-reset/resend"): Ask(prime=True),
    ("POST", "/help/sign-in/resend-reset"): Ask(form=True, prime=True),
    ("POST", "/v1/accounts/resend-verification"): Ask(existing="waiting", prime=True),
    ("POST", "/help/sign-in/resend-verification"): Ask(form=True, existing="waiting", prime=True),
    ("POST", "/v1/mfa-reset"): Ask(fields=WITH_PASSWORD),
    ("POST", "/v1/unfreeze-request"): Ask(fields=WITH_PASSWORD),
    ("POST", "/v1/allowlist-reset-request"): Ask(fields=WITH_PASSWORD),
    ("POST", "/recovery/{which}"): Ask(form=True, fields=WITH_PASSWORD,
                                       paths=("/recovery/mfa-reset", "/recovery/unfreeze", "/recovery/allowlist")),
    ("POST", "/help/sign-in/mfa-reset"): Ask(form=True, fields=WITH_PASSWORD),
    ("POST", "/help/sign-in/unfreeze-request"): Ask(form=True, fields=WITH_PASSWORD),
    ("POST", "/help/sign-in/allowlist-reset"): Ask(form=True, fields=WITH_PASSWORD),
}
# Routes that take an identifier before sign-in and are not timed, each with why. None today: a route
# added here needs a reason a reviewer would accept (e.g. it answers before reading the identifier).
EXEMPT: dict[tuple[str, str], str] = {}


def test_every_route_that_takes_an_identifier_before_sign_in_is_timed_or_exempt(app_client: Any) -> None:
    found = identifier_routes(app_client.app)
    assert ("POST", "/v1/login") in found and ("POST", "/help/sign-in/resend-reset") in found
    assert not found & set(TIMED) & set(EXEMPT), "timed and exempt at once"
    missing = found - set(TIMED) - set(EXEMPT)
    assert not missing, f"time these in TIMED, or say in EXEMPT why not: {sorted(missing)}"
    assert not set(TIMED) - found, f"no longer routes that take an identifier: {sorted(set(TIMED) - found)}"


# Timing -----------------------------------------------------------------------------------------
@contextmanager
def served(request: pytest.FixtureRequest, tmp_path: Path, people: Callable[[Services, int], None]) -> Iterator[AsgiTimer]:
    """Bastion on a PostgreSQL database of its own, with `people(services, number)` made for every sample."""
    with fresh_database("postgresql", request, tmp_path) as url:
        settings = load_settings(env="dev", data_dir=tmp_path / "data", secret_keys=TEST_KEY, database_url=url,
                                 argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1,
                                 public_url="http://testserver", rate_limits=NO_LIMITS, lockout_after=1_000_000)
        services = build_services(settings, clock=MovableClock())
        for number in range(SAMPLES + WARM_UP):
            people(services, number)
        yield AsgiTimer(create_app(services, deliver_mail=False))
        services.close()


@pytest.fixture(scope="module")
def timer(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsgiTimer]:
    def known(services: Services, number: int) -> None:
        create_account(services, f"known{number}@example.com", DEFAULT_PASSWORD, roles=[], verified=True)
        create_account(services, f"waiting{number}@example.com", DEFAULT_PASSWORD, roles=[], verified=False)
        create_account(services, f"taken{number}@example.com", DEFAULT_PASSWORD, roles=[], verified=True)

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


# What differs between two answers of the same page but says nothing: attribute values (CSRF values,
# nonces), a refusal's reference, and the address typed, echoed back.
_RANDOM = re.compile(r'"[^"]*"|R-[0-9A-Z]{8}')


def asker(timer: AsgiTimer, path: str, ask: Ask) -> Callable[[bool, int], Timed]:
    """One request to `path` for an existing account or an unknown address (new each run for a sign-up)."""
    unknown = f"unknown{{}}-{uuid.uuid4().hex[:8]}@example.com" if ask.takes_address else "unknown{}@example.com"

    def one(exists: bool, number: int) -> Timed:
        email = f"{ask.existing}{number}@example.com" if exists else unknown.format(number)
        if not ask.form:
            return timer.post(path, {"email": email, **ask.fields})
        timed = timer.form(path, {"email": email, **ask.fields})
        page = _RANDOM.sub("", timed.body["page"].replace(email, "EMAIL"))
        return Timed(timed.status, {"page": page}, timed.milliseconds)

    return one


@pytest.mark.timing
@pytest.mark.parametrize("route", sorted(TIMED), ids=lambda route: f"{route[0]} {route[1]}")
def test_an_existing_account_and_an_unknown_address_answer_alike(timer: AsgiTimer, route: tuple[str, str]) -> None:
    ask = TIMED[route]
    for path in ask.paths or (route[1],):
        one = asker(timer, path, ask)
        if ask.prime:
            for number in range(SAMPLES + WARM_UP):
                one(True, number)
                one(False, number)
        compare(f"{route[0]} {path}", one)


@pytest.fixture(scope="module")
def maintenance_timer(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsgiTimer]:
    """During a maintenance window: staff accounts (who may sign in), other accounts, unknown emails."""
    def staff_and_others(services: Services, number: int) -> None:
        create_account(services, f"staff{number}@example.com", DEFAULT_PASSWORD, roles=["support"], verified=True)
        create_account(services, f"person{number}@example.com", DEFAULT_PASSWORD, roles=[], verified=True)

    with served(request, tmp_path_factory.mktemp("maintenance-timing"), staff_and_others) as timer:
        start_maintenance(timer.app.state.services, timedelta(days=1))
        yield timer


@pytest.mark.timing
def test_during_maintenance_a_staff_email_answers_like_any_other(maintenance_timer: AsgiTimer) -> None:
    """Issue 17, finding 2: a staff email answered 503 after ~100 ms, anyone else's in ~4 ms."""
    for other in ("unknown", "person"):
        compare(f"maintenance, staff or {other}", lambda staff, number, other=other: maintenance_timer.post(
            "/v1/login", {"email": f"{'staff' if staff else other}{number}@example.com",
                          "password": "not the password 4 sure"}))
