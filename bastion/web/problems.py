"""Refusals as RFC 9457 problem+json, each with a recorded reference."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from bastion.errors import BastionError, new_reference
from bastion.logs import scrub_path
from bastion.store.models import Refusal
from bastion.web.client import client_ip
from bastion.web.inputs import invalid

log = logging.getLogger("bastion.web")

PROBLEM_JSON = "application/problem+json"
_STATUS_CODES = {404: "resource.not_found", 405: "request.method_not_allowed", 413: "request.too_large"}


def record_refusal(request: Request, error: BastionError, reference: str) -> None:
    """Best effort: a refusal must still be answered when the database is down."""
    services = request.app.state.services
    try:
        with services.db.transaction() as tx:
            tx.add(Refusal(
                reference=reference, code=error.code, status=error.reason.status,
                created_at=services.clock.now(), account_id=getattr(request.state, "account_id", None),
                method=request.method[:8], path=request.url.path[:200],
                ip=client_ip(request, services.settings.trusted_proxy_networks),
            ))
    except Exception:
        log.exception("could not record refusal", extra={"reference": reference})


def reference_for(request: Request, error: BastionError) -> str:
    """The refusal's reference: recorded now unless the domain already recorded it; logged."""
    reference = error.reference
    if reference is None:
        reference = new_reference()
        record_refusal(request, error, reference)
    log.info("refused", extra={"reference": reference, "reason_code": error.code,
                               "path": scrub_path(request.url.path), "status": error.reason.status})
    return reference


def problem_response(request: Request, error: BastionError) -> Response:
    reference = reference_for(request, error)
    if wants_html(request):
        from bastion.web.pages.render import render_problem_page

        return render_problem_page(request, error, reference)
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return JSONResponse(error.problem(reference), status_code=error.reason.status,
                        media_type=PROBLEM_JSON, headers=headers)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/v1/") and "text/html" in request.headers.get("accept", "")


async def on_bastion_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, BastionError)
    return problem_response(request, error)


async def on_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    # Field locations and messages only: the submitted values may be passwords.
    fields = [(".".join(str(part) for part in item.get("loc", ())), item.get("msg", "")) for item in error.errors()]
    return problem_response(request, invalid(fields))


async def on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    code = getattr(error, "reason_code", None) or _STATUS_CODES.get(error.status_code, "request.invalid")
    return problem_response(request, BastionError(code))


DATABASE_DOWN = (DBAPIError, PoolTimeout)


async def on_database_error(request: Request, error: Exception) -> Response:
    """The database is unreachable: a fast, honest 503 — the pool reconnects by itself."""
    unreachable = isinstance(error, (OperationalError, InterfaceError, PoolTimeout)) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)
    if not unreachable:
        return await on_unexpected_error(request, error)
    log.warning("database unavailable", extra={"path": request.url.path, "error": type(error).__name__})
    return problem_response(request, BastionError("service.unavailable", retry_after=5))


async def on_unexpected_error(request: Request, error: Exception) -> Response:
    reference = new_reference()
    log.error("unexpected error", exc_info=error, extra={"reference": reference, "path": request.url.path})
    problem = BastionError("internal.error", reference=reference)
    # Recorded too, so the reference the person quotes finds the moment (the trace is in the log).
    record_refusal(request, problem, reference)
    if wants_html(request):
        from bastion.web.pages.render import render_problem_page

        return render_problem_page(request, problem, reference)
    return JSONResponse(problem.problem(reference), status_code=500, media_type=PROBLEM_JSON)
