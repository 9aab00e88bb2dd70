"""Refusals as RFC 9457 problem+json, each with a recorded reference (bastion.web.refusals)."""

from __future__ import annotations

import json
import logging
from functools import lru_cache

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from bastion import i18n
from bastion.errors import BastionError, Reason, new_reference
from bastion.logs import scrub_path
from bastion.store.errors import DATABASE_ERRORS, is_unreachable
from bastion.web.client import client_ip
from bastion.web.inputs import invalid
from bastion.web.refusals import RefusalRecorder
from bastion.web.rendering import render_problem_page

log = logging.getLogger("bastion.web")

PROBLEM_JSON = "application/problem+json"
_STATUS_CODES = {404: Reason.RESOURCE_NOT_FOUND, 405: Reason.REQUEST_METHOD_NOT_ALLOWED, 413: Reason.REQUEST_TOO_LARGE}


def reference_for(request: Request, error: BastionError) -> str:
    """The refusal's reference: the domain's, or recorded now (or this second: bastion.web.refusals); logged."""
    reference = error.reference
    route = request.scope.get("route")
    path = request.scope["path"]
    if reference is None:
        reference = _recorder(request).reference(error, request.method, getattr(route, "path", ""), path,
                                                 _client_ip(request), getattr(request.state, "account_id", None))
    if log.isEnabledFor(logging.INFO):  # built only when it is written: a flood of refusals logs at this cost
        log.info("refused", extra={"reference": reference, "reason_code": error.code,
                                   "path": getattr(route, "path", None) or scrub_path(path),
                                   "status": error.reason.status})
    return reference


async def recorded_off_loop(request: Request, error: BastionError) -> BastionError:
    """`error` with its reference recorded (as `reference_for` records it), any write on a worker
    thread: for refusals answered on the event loop (the exception handlers, the session checks),
    so that a refusal made while the database is busy never holds the other requests."""
    if error.reference is None:
        route = request.scope.get("route")
        error.reference = await _recorder(request).reference_off_loop(
            error, request.method, getattr(route, "path", ""), request.scope["path"], _client_ip(request),
            getattr(request.state, "account_id", None))
    return error


def _recorder(request: Request) -> RefusalRecorder:
    recorder: RefusalRecorder = request.app.state.refusals
    return recorder


def _client_ip(request: Request) -> str | None:
    trusted = _recorder(request).trusted_proxies
    if not trusted:  # the socket's peer as the server gave it: nothing to parse or believe
        return request.client.host if request.client else None
    return client_ip(request, trusted)


def problem_response(request: Request, error: BastionError) -> Response:
    reference = reference_for(request, error)
    if wants_html(request):
        return render_problem_page(request, error, reference)
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    challenge = _BEARER_CHALLENGES.get(error.code)
    if challenge is not None:
        headers = {**(headers or {}), "WWW-Authenticate": challenge}
    if error.extra:
        return JSONResponse(error.problem(reference), status_code=error.reason.status,
                            media_type=PROBLEM_JSON, headers=headers)
    return Response(_problem_json(reference, error.code, error.detail, error.retry_after, i18n.current().tag),
                    status_code=error.reason.status, media_type=PROBLEM_JSON, headers=headers)


# A session token is a bearer token: a 401 for it says how to authenticate (RFC 6750 §3, RFC 9110 §15.5.2).
_BEARER_CHALLENGES = {
    Reason.SESSION_REQUIRED: 'Bearer realm="bastion"',
    **{code: 'Bearer realm="bastion", error="invalid_token"'
       for code in (Reason.SESSION_INVALID, Reason.SESSION_EXPIRED, Reason.SESSION_REVOKED)},
}


@lru_cache(maxsize=512)
def _problem_json(reference: str, code: Reason, detail: str | None, retry_after: int | None, language: str) -> bytes:
    """The body, made once for the refusals that share a reference (a flood's, in its second) and a language."""
    body = BastionError(code, detail=detail, retry_after=retry_after).problem(reference)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def wants_html(request: Request) -> bool:
    return not request.scope["path"].startswith("/v1/") and "text/html" in request.headers.get("accept", "")


async def on_client_gone(_request: Request, _error: Exception) -> Response:
    """The client went away while its body was being read: nobody to answer, nothing to record."""
    return Response(status_code=400)


async def on_bastion_error(request: Request, error: Exception) -> Response:
    if not isinstance(error, BastionError):  # registered for BastionError only
        raise error
    return await answer_refusal(request, error)


async def answer_refusal(request: Request, error: BastionError) -> Response:
    """The answer to a refusal on the event loop: recorded off it, then problem+json (or the page)."""
    return problem_response(request, await recorded_off_loop(request, error))


async def on_validation_error(request: Request, error: Exception) -> Response:
    if not isinstance(error, RequestValidationError):  # registered for RequestValidationError only
        raise error
    # Field locations and messages only: the submitted values may be passwords.
    fields = [(".".join(str(part) for part in item.get("loc", ())), item.get("msg", "")) for item in error.errors()]
    return problem_response(request, await recorded_off_loop(request, invalid(fields)))


async def on_http_error(request: Request, error: Exception) -> Response:
    if not isinstance(error, StarletteHTTPException):  # registered for HTTPException only
        raise error
    code = getattr(error, "reason_code", None) or _STATUS_CODES.get(error.status_code, Reason.REQUEST_INVALID)
    response = problem_response(request, await recorded_off_loop(request, BastionError(code)))
    if error.headers:  # the router's Allow on a 405 (RFC 9110 §15.5.6)
        response.headers.update(error.headers)
    return response


DATABASE_DOWN = DATABASE_ERRORS


async def on_database_error(request: Request, error: Exception) -> Response:
    """The database is unreachable: a fast, honest 503 — the pool reconnects by itself."""
    if not is_unreachable(error):
        return await on_unexpected_error(request, error)
    log.warning("database unavailable", extra={"path": request.url.path, "error": type(error).__name__})
    return problem_response(request, await recorded_off_loop(request, BastionError(Reason.SERVICE_UNAVAILABLE,
                                                                                   retry_after=5)))


async def on_unexpected_error(request: Request, error: Exception) -> Response:
    reference = new_reference()
    log.error("unexpected error", exc_info=error, extra={"reference": reference, "path": request.url.path})
    problem = BastionError(Reason.INTERNAL_ERROR, reference=reference)
    # Recorded too, so the reference the person quotes finds the moment (the trace is in the log).
    await _recorder(request).record_off_loop(reference, problem, request.method, request.url.path,
                                             _client_ip(request), getattr(request.state, "account_id", None))
    if wants_html(request):
        return render_problem_page(request, problem, reference)
    return JSONResponse(problem.problem(reference), status_code=500, media_type=PROBLEM_JSON)
