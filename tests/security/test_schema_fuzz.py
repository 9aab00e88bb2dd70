"""Schemathesis against Bastion's own /openapi.json, in process: for every operation, generated
valid and invalid requests, anonymous and as staff. No 5xx but the documented 503s, every answer
valid against the schema (status, content type, body), and problem+json on every refusal.

Bounded: `FUZZ_EXAMPLES` cases per operation (BASTION_FUZZ_EXAMPLES overrides it).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
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
from bastion.services import Services, build_services
from bastion.sessions.tokens import issue_session
from bastion.web.app import create_app
from tests.conftest import DEFAULT_PASSWORD, fresh_database

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
