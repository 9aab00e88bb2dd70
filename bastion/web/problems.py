"""Refusals as RFC 9457 problem+json, each with a recorded reference."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from bastion.errors import BastionError, Reason, new_reference
from bastion.help import refusals
from bastion.logs import scrub_path
from bastion.store.errors import DATABASE_ERRORS, is_unreachable
from bastion.web.client import client_ip
from bastion.web.rendering import render_problem_page

log = logging.getLogger("bastion.web")

PROBLEM_JSON = "application/problem+json"
_STATUS_CODES = {404: Reason.RESOURCE_NOT_FOUND, 405: Reason.REQUEST_METHOD_NOT_ALLOWED, 413: Reason.REQUEST_TOO_LARGE}


def record_refusal(request: Request, error: BastionError, reference: str) -> None:
    """Best effort: a refusal must still be answered when the database is down."""
    services = request.app.state.services
    try:
        refusals.record_refusal(
            services, reference=reference, code=error.code, status=error.reason.status,
            account_id=getattr(request.state, "account_id", None),
            method=request.method[:8], path=request.url.path[:200],
            ip=client_ip(request, services.settings.trusted_proxy_networks),
        )
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
        return render_problem_page(request, error, reference)
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return JSONResponse(error.problem(reference), status_code=error.reason.status,
                        media_type=PROBLEM_JSON, headers=headers)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/v1/") and "text/html" in request.headers.get("accept", "")


async def on_bastion_error(request: Request, error: Exception) -> Response:
    if not isinstance(error, BastionError):  # registered for BastionError only
        raise error
    return problem_response(request, error)


async def on_validation_error(request: Request, error: Exception) -> Response:
    if not isinstance(error, RequestValidationError):  # registered for RequestValidationError only
        raise error
    # Field locations and messages only: the submitted values may be passwords.
    problems = [{"field": ".".join(str(part) for part in item.get("loc", ())), "message": item.get("msg", "")}
                for item in error.errors()]
    fields = ", ".join(sorted({p["field"].removeprefix("body.") for p in problems if p["field"]}))
    detail = f"Check these fields: {fields}." if fields else None
    return problem_response(request, BastionError(Reason.REQUEST_INVALID, detail=detail, extra={"errors": problems}))


async def on_http_error(request: Request, error: Exception) -> Response:
    if not isinstance(error, StarletteHTTPException):  # registered for HTTPException only
        raise error
    code = getattr(error, "reason_code", None) or _STATUS_CODES.get(error.status_code, Reason.REQUEST_INVALID)
    return problem_response(request, BastionError(code))


DATABASE_DOWN = DATABASE_ERRORS


async def on_database_error(request: Request, error: Exception) -> Response:
    """The database is unreachable: a fast, honest 503 — the pool reconnects by itself."""
    if not is_unreachable(error):
        return await on_unexpected_error(request, error)
    log.warning("database unavailable", extra={"path": request.url.path, "error": type(error).__name__})
    return problem_response(request, BastionError(Reason.SERVICE_UNAVAILABLE, retry_after=5))


async def on_unexpected_error(request: Request, error: Exception) -> Response:
    reference = new_reference()
    log.error("unexpected error", exc_info=error, extra={"reference": reference, "path": request.url.path})
    problem = BastionError(Reason.INTERNAL_ERROR, reference=reference)
    # Recorded too, so the reference the person quotes finds the moment (the trace is in the log).
    record_refusal(request, problem, reference)
    if wants_html(request):
        return render_problem_page(request, problem, reference)
    return JSONResponse(problem.problem(reference), status_code=500, media_type=PROBLEM_JSON)
