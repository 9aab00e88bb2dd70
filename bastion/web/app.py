"""The FastAPI application: routers, problem handlers, security headers, background delivery."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message

from bastion import __version__
from bastion.errors import BastionError
from bastion.oidc.logout import BackchannelWorker
from bastion.services import Services
from bastion.throttle.admission import WORKER_THREADS
from bastion.web import problems
from bastion.web.api import (
    accounts,
    admin,
    audit,
    cases,
    help,
    login_steps,
    me,
    mfa,
    ops_admin,
    preferences,
    recovery,
    restrictions,
    session_checks,
    signin,
    status,
    support,
)
from bastion.web.edge import Edge
from bastion.web.oidc.routes import router as oidc_router
from bastion.web.openapi import serve_rendered_schema
from bastion.web.ops import router as ops_router
from bastion.web.pages import login as login_page
from bastion.web.pages import router as pages_router
from bastion.web.pages.signed_in import PageAnswer, on_page_answer
from bastion.web.refusals import RefusalRecorder
from bastion.web.rendering import compile_every_template
from bastion.web.uploads import FileChecks
from bastion.worker import Worker

STATIC = Path(__file__).with_name("static")


class _EdgeOutside(FastAPI):
    """The edge (bastion/web/edge.py: the door, the body cap, security headers, the language and the
    metrics; one pure-ASGI layer every request pays) outside every other layer, FastAPI's own included.
    The session checks it answers itself pass through nothing else, and what those layers answer (an
    unexpected error's 500) still carries the security headers and has its place in the metrics."""

    def build_middleware_stack(self) -> ASGIApp:
        services: Services = self.state.services
        checks = session_checks.FastChecks(services)
        return Edge(super().build_middleware_stack(), services, checks.routes, DOOR_ANSWERS, checks.at_once,
                    checks.largest_body)

    @property
    def answers_at_once(self) -> Edge | None:
        """What the protocol answers before a request is one (bastion/ops/http_heads.py): the edge,
        once built (by the first request, or at start-up)."""
        stack = self.middleware_stack
        return stack if isinstance(stack, Edge) else None


# How each route behind the door answers the refusals the door makes for it (a held network's, a body too
# slow or too large): as it answers its own.
DOOR_ANSWERS = {"/v1/login": problems.answer_refusal, "/login": login_page.refused_unread,
                "/v1/accounts": problems.answer_refusal, "/signup": problems.answer_refusal}


def create_app(services: Services, deliver_mail: bool = True, serving: bool = False) -> FastAPI:
    """The app over `services`; `deliver_mail` runs the background worker (bastion.worker) in this process;
    `serving`: the process does nothing else (`bastion serve`), so what start-up built can leave the
    garbage collector."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in threads; requests waiting for their hash hold one, so leave room for
        # the rest (the admission queue bounds how long they wait, and how many).
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        worker = Worker(services) if deliver_mail else None
        # Apps' back-channel logouts on their own thread: a slow app never holds up mail or sealing.
        backchannel = BackchannelWorker(services) if deliver_mail else None
        if worker and backchannel:
            worker.start()
            backchannel.start()
        app.state.worker = worker
        if serving:
            # One hash timed now: the admission queue's first estimates are this machine's.
            await anyio.to_thread.run_sync(services.hash_gate.measure,
                                           lambda: services.passwords.hash("hash-time-measure"))
            await _match_every_route(app)
            await anyio.to_thread.run_sync(compile_every_template, app.state)
            # A full collection walks every object start-up made (~170,000: 50-100 ms, a pause in
            # some request's answer); frozen, they are never walked again.
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if worker and backchannel:
                worker.stop()
                backchannel.stop()

    app = _EdgeOutside(
        title="Bastion",
        version=__version__,
        summary="Sign-in security for digital-asset platforms: every refusal has a reason, a reference and a way back in.",
        lifespan=lifespan,
        # Bastion exports its own Prometheus metrics; FastAPI's OpenTelemetry hooks cost every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.services = services
    app.state.refusals = RefusalRecorder(services)
    app.state.file_checks = FileChecks()
    app.add_exception_handler(BastionError, problems.on_bastion_error)
    app.add_exception_handler(ClientDisconnect, problems.on_client_gone)
    app.add_exception_handler(PageAnswer, on_page_answer)
    app.add_exception_handler(RequestValidationError, problems.on_validation_error)
    app.add_exception_handler(StarletteHTTPException, problems.on_http_error)
    for database_error in problems.DATABASE_DOWN:
        app.add_exception_handler(database_error, problems.on_database_error)
    app.add_exception_handler(Exception, problems.on_unexpected_error)
    # The session checks first, as routes of the app itself (no included router to pass through):
    # every request a platform serves leads to one.
    app.router.routes[:0] = session_checks.router.routes
    # Second factors next: its POST /v1/reauth (password, TOTP or backup code) answers before me.py's.
    app.include_router(mfa.router)
    app.include_router(login_steps.router)
    for router in (help.router, accounts.router, signin.router, me.router, preferences.router, restrictions.router,
                   recovery.router,
                   admin.admin_router, support.router, cases.router, audit.router, ops_admin.router, status.router,
                   ops_router, oidc_router, pages_router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    serve_rendered_schema(app)
    return app


async def _match_every_route(app: FastAPI) -> None:
    """FastAPI prepares an included router's routes when a request first reaches it, on the event
    loop: the first requests after start held every answer for ~60 ms. A path no route has reaches
    every router, so they are all prepared before anyone asks."""
    scope = {"type": "http", "method": "GET", "path": "/.no-such-route", "raw_path": b"/.no-such-route",
             "root_path": "", "query_string": b"", "headers": [], "app": app, "extensions": {}}

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def discard(_message: Message) -> None:
        pass

    with suppress(StarletteHTTPException):  # the 404 of a path no route has
        await app.router(scope, receive, discard)


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (used by `bastion serve --workers N`)."""
    from bastion.config import load_settings
    from bastion.logs import configure_logging
    from bastion.ops.memory import use_one_malloc_arena
    from bastion.startup import start_services

    use_one_malloc_arena()  # before any worker thread allocates
    settings = load_settings()
    configure_logging(settings.log_level, settings.access_log)
    return create_app(start_services(settings), serving=True)
