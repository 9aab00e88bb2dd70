"""Schemathesis against Bastion's own /openapi.json, in process: for every operation, generated
valid and invalid requests, anonymous and as staff. No 5xx but the documented 503s, every answer
valid against the schema (status, content type, body), and problem+json on every refusal.

Bounded: `FUZZ_EXAMPLES` cases per operation (BASTION_FUZZ_EXAMPLES overrides it).
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bastion.accounts.admin import create_account
from bastion.accounts.models import Account
from bastion.clock import MovableClock
from bastion.context import Client
from bastion.ops import client_versions
from bastion.ops.maintenance import start_maintenance, stop_maintenance
from bastion.services import Services
from bastion.sessions.tokens import issue_session
from bastion.startup import build_services
from bastion.web.app import create_app
from tests.conftest import DEFAULT_PASSWORD, fresh_database
from tests.routes import every_route, query_parameters

FUZZ_EXAMPLES = int(os.environ.get("BASTION_FUZZ_EXAMPLES", "12"))
# Deliberate 5xx answers: both are problem+json with Retry-After (requirements §31).
EXPECTED_5XX = {"service.maintenance", "service.unavailable"}
CASES = itertools.count()

pytestmark = pytest.mark.fuzz


class Fuzzed:
    """The app under test, and sessions made fresh for the cases that need one."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.app = create_app(services, deliver_mail=False)
        self.accounts: dict[str, str] = {}
        self.counter = itertools.count(1)
        # Apps below 2.0 are refused (426): the cases that say they are version 1.0 meet it.
        client_versions.set_policy(services, "ios", "2.0.0", None, "https://example.com/app")

    def session_headers(self, role: str) -> dict[str, str]:
        """A new session of an account with `role` ("" for an account holder)."""
        account_id = self.accounts.get(role)
        with self.services.db.transaction() as tx:
            account = tx.get(Account, account_id) if account_id else None
            usable = account is not None and account.status == "active" and account.password_hash is not None
        if not usable:  # the fuzzer froze, suspended or otherwise changed the last one
            account_id = self.accounts[role] = create_account(
                self.services, f"fuzz{next(self.counter)}@example.com", DEFAULT_PASSWORD,
                roles=[role] if role else [], verified=True)
        with self.services.db.transaction() as tx:
            token, _ = issue_session(self.services, tx, account_id, Client(ip="192.0.2.1"), remember=False,
                                     aal=2 if role else 1)  # staff sign in with two factors
        return {"Authorization": f"Bearer {token}"}

    def prepare(self, number: int) -> dict[str, str] | None:
        """Vary who asks, and when: anonymous, staff, an account holder, an old app, during maintenance."""
        kind = number % 6
        if kind in (1, 3):
            return self.session_headers("admin")
        if kind == 2:
            return self.session_headers("")
        if kind == 4:
            return {"X-Client-Platform": "ios", "X-Client-Version": "1.0.0"}
        if kind == 5:
            start_maintenance(self.services, timedelta(minutes=30), block_sessions=True)
            return self.session_headers("")
        return None


@pytest.fixture(scope="module")
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    from bastion.config import load_settings
    from tests.conftest import TEST_KEY

    tmp_path: Path = tmp_path_factory.mktemp("fuzz")
    with fresh_database("sqlite", request, tmp_path) as url:
        settings_ = load_settings(env="dev", data_dir=tmp_path / "data", secret_keys=TEST_KEY, database_url=url,
                                  argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1,
                                  public_url="http://testserver")
        services = build_services(settings_, clock=MovableClock())
        yield Fuzzed(services)
        services.close()
    print(f"\nschemathesis: {next(CASES)} cases run")


def problem_on_every_refusal(ctx, response, case) -> bool | None:  # type: ignore[no-untyped-def]
    """A refusal is RFC 9457 problem+json with Bastion's code, reference and help steps."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type.startswith("application/problem+json"), f"{response.status_code} as {content_type}"
    body = response.json()
    assert body["status"] == response.status_code and body["code"] and body["reference"], body
    assert isinstance(body["help"], list) and body["help"], body
    if response.status_code >= 500:
        assert body["code"] in EXPECTED_5XX, body
    if "retry_after" in body and body["retry_after"] is not None:
        assert "retry-after" in {name.lower() for name in response.headers}, response.headers
    return None


def no_unexpected_server_error(ctx, response, case) -> bool | None:  # type: ignore[no-untyped-def]
    if response.status_code >= 500 and response.json().get("code") in EXPECTED_5XX:
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [no_unexpected_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance, problem_on_every_refusal]


def test_every_operation_answers_within_its_schema(fuzzed: Fuzzed) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(fuzzed, operation.as_strategy(generation_mode=mode))
            except Unsatisfiable:  # nothing in this operation can be made invalid (e.g. no parameters)
                continue
            except (Exception, BaseExceptionGroup) as failure:  # gather every operation's failures, fail once
                failures.append(f"{operation.label} ({mode}): {_summary(failure)}")
    assert operations >= 50
    assert not failures, "\n\n".join(failures)


def _summary(failure: BaseException) -> str:
    causes = failure.exceptions if isinstance(failure, BaseExceptionGroup) else [failure]
    return "; ".join(f"{type(cause).__name__}: {str(cause).strip()[:600]}" for cause in causes)


def _fuzz(fuzzed: Fuzzed, strategy) -> None:  # type: ignore[no-untyped-def]
    @given(case=strategy)
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:  # type: ignore[no-untyped-def]
        headers = fuzzed.prepare(next(CASES))
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        finally:
            # End any maintenance (this case's, or one an admin case started) so the next cases reach the flows.
            stop_maintenance(fuzzed.services)

    run()


# Query strings ----------------------------------------------------------------------------------
# Issue 18, finding 6: `GET /v1/me/activity?before=99999999999999999999` overflowed the database (a 500).
# The values a query string can carry that have broken parsers before: numbers past 64 bits, negative and
# non-ASCII digits (`"²".isdigit()` is true, `int("²")` fails), a NUL (PostgreSQL refuses it in text),
# very long strings.
NASTY_QUERY_VALUES = ["99999999999999999999", str(2**63), str(2**62 + 1), "-1", "-99999999999999999999", "0",
                      "1e400", "NaN", "²", "١٢٣", "\x00", "1\x00", "%00", "x" * 5000, "9" * 5000, "", " ", "'--"]
FILLED_PATH = {"slug": "email", "which": "mfa-reset", "platform": "ios"}


def get_routes(fuzzed: Fuzzed) -> list[tuple[str, dict[str, Any]]]:
    """Every GET route with its path filled in (an account id where one is asked), and its query parameters."""
    found = []
    for route in every_route(fuzzed.app.routes):
        if "GET" in route.methods:
            path = re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda name: FILLED_PATH.get(name.group(1), "{id}"), route.path)
            found.append((path, query_parameters(route.dependant)))
    return found


def test_every_get_route_answers_any_query_value_without_a_server_error(fuzzed: Fuzzed) -> None:
    """Each query parameter of each GET route (API and pages) with each nasty value, then hypothesis's
    own combinations, anonymous and as an admin: never a 5xx but the deliberate ones."""
    client = TestClient(fuzzed.app, raise_server_exceptions=False)
    routes = get_routes(fuzzed)
    assert len(routes) > 60 and any(params for _, params in routes)
    failures: list[str] = []

    def ask(path: str, query: dict[str, str], headers: dict[str, str] | None) -> None:
        account = fuzzed.accounts.get("admin", "0" * 36)
        answer = client.get(path.replace("{id}", account), params=query, headers=headers, follow_redirects=False)
        body = answer.json() if answer.headers.get("content-type", "").startswith("application/problem") else {}
        if answer.status_code >= 500 and body.get("code") not in EXPECTED_5XX:
            failures.append(f"GET {path} {query!r}: {answer.status_code} {answer.text[:200]}")

    for who in (None, "admin"):
        headers = fuzzed.session_headers(who) if who else None
        for path, params in routes:
            for name in params:
                for value in NASTY_QUERY_VALUES:
                    ask(path, {name: value}, headers)
            if not params:
                ask(path, {"before": NASTY_QUERY_VALUES[0]}, headers)

    @given(route=st.sampled_from([route for route in routes if route[1]]), data=st.data())
    @settings(max_examples=FUZZ_EXAMPLES * 20, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def combinations(route: tuple[str, dict[str, Any]], data: st.DataObject) -> None:
        path, params = route
        value = st.one_of(st.sampled_from(NASTY_QUERY_VALUES), st.integers().map(str), st.text(max_size=300))
        ask(path, data.draw(st.fixed_dictionaries({name: value for name in params})), fuzzed.session_headers("admin"))

    combinations()
    assert not failures, "\n".join(failures[:40])


def test_every_numeric_query_parameter_is_bounded(fuzzed: Fuzzed) -> None:
    """An integer parameter without both bounds is an overflow waiting for its number (finding 6)."""
    unbounded = []
    for route in every_route(fuzzed.app.routes):
        for name, param in query_parameters(route.dependant).items():
            if int in _types(param.field_info.annotation):
                bounds = {type(item).__name__ for item in param.field_info.metadata}
                if not {"Ge", "Le"} <= bounds and not {"Gt", "Lt"} <= bounds:
                    unbounded.append(f"{route.path} ?{name}")
    assert not unbounded, unbounded


def _types(annotation: Any) -> set[Any]:
    return {annotation, *get_args(annotation)}
