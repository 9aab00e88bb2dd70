"""Every refusal is problem+json with a catalogued code, a recorded reference and help."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter
from fastapi.testclient import TestClient

from bastion.catalogue import CATALOGUE
from bastion.errors import BastionError, Reason, new_reference
from bastion.help.models import Refusal
from bastion.web.app import create_app


def test_catalogue_entries_are_complete() -> None:
    for code, reason in CATALOGUE.items():
        assert (reason.code == code and "." in code) or code == "rate_limited"
        assert 400 <= reason.status <= 599
        assert reason.title and reason.message.endswith(".")
        assert reason.steps and all(step.endswith(".") for step in reason.steps)


def test_references_are_short_and_distinct() -> None:
    references = {new_reference() for _ in range(2000)}
    assert len(references) == 2000
    assert all(len(ref) == 10 and ref.startswith("R-") for ref in references)


def test_unknown_codes_cannot_be_raised() -> None:
    """The type checker refuses a string where a `Reason` belongs; a code read back from storage is
    checked when the error is made."""
    try:
        BastionError("no.such_code")  # type: ignore[arg-type]
    except ValueError:
        return
    raise AssertionError("an uncatalogued code was accepted")


def test_a_refusal_reference_is_recorded_for_lookup(app_client, services) -> None:
    answer = app_client.post("/v1/accounts/verify-email", json={"token": "nope"})
    reference = answer.json()["reference"]
    with services.db.transaction() as tx:
        refusal = tx.get(Refusal, reference)
    assert (refusal.code, refusal.status, refusal.path) == ("token.invalid", 400, "/v1/accounts/verify-email")


def test_an_unexpected_exception_answers_problem_json_and_logs_the_reference(services, caplog) -> None:
    app = create_app(services, deliver_mail=False)
    router = APIRouter()

    @router.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("database exploded with password hunter2")

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        answer = client.get("/v1/boom")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["code"] == "internal.error" and body["help"]
    assert "hunter2" not in answer.text and "Traceback" not in answer.text
    logged = [record for record in caplog.records if getattr(record, "reference", None) == body["reference"]]
    assert logged and logged[0].exc_info


def test_retry_after_header_accompanies_retry_after(services) -> None:
    app = create_app(services, deliver_mail=False)
    router = APIRouter()

    @router.get("/v1/slow-down")
    def slow_down() -> None:
        raise BastionError(Reason.ACCOUNT_LOCKED, retry_after=120)

    app.include_router(router)
    with TestClient(app) as client:
        answer = client.get("/v1/slow-down")
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "120"
    assert json.loads(answer.text)["retry_after"] == 120


def test_security_headers_are_on_every_answer(app_client) -> None:
    for answer in (app_client.get("/healthz"), app_client.get("/v1/session")):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["cache-control"] == "no-store"
