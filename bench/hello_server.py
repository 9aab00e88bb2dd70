#!/usr/bin/env python
"""Bastion served as `bastion serve --workers 1` serves it, plus two hello-world JSON routes.

For context beside the ceiling (a bare Starlette process, bench/bare_hello.py), hello-worlds
behind Bastion's own middleware: `GET /bench/hello` is a plain Starlette route (what Bastion's
stack costs) and `GET /bench/hello-fastapi` a FastAPI route. They are matched right after the
session checks, which keep their place (first). `GET /bench/db-statements` tells how many SQL
statements the process has sent. Settings come from the environment (`BASTION_*`), as for
`bastion serve`.

    python bench/hello_server.py --port 8000
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def create():  # type: ignore[no-untyped-def]
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from bastion.web.api import session_checks
    from bastion.web.app import create_app_from_env

    app = create_app_from_env()

    async def hello(_request):  # type: ignore[no-untyped-def]
        return JSONResponse({"hello": "world"})

    @app.get("/bench/hello-fastapi", include_in_schema=False)
    async def hello_fastapi() -> dict[str, str]:
        return {"hello": "world"}

    fastapi_route = app.router.routes.pop()
    services = app.state.services
    statements = count_statements(services.db.engine)

    async def db_statements(_request):  # type: ignore[no-untyped-def]
        return JSONResponse({"statements": statements[0], "by_kind": dict(statements[1]),
                             "session_cache": services.session_cache.status()})

    after_session_checks = len(session_checks.router.routes)
    app.router.routes[after_session_checks:after_session_checks] = [
        Route("/bench/hello", hello), fastapi_route, Route("/bench/db-statements", db_statements)]
    return app


def count_statements(engine) -> list:  # type: ignore[no-untyped-def, type-arg]
    """SQL statements this process sends (its database round trips), background work included,
    and how many of each kind (the first words of the statement)."""
    from collections import Counter

    from sqlalchemy import event

    statements: list = [0, Counter()]  # type: ignore[type-arg]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements[0] += 1
        # Only the statement's start: the sign-in's writes are one statement of several kilobytes, and
        # the count must not add to the server's work a measurable share of what it measures.
        statements[1][" ".join(statement[:120].split()[:4])[:60]] += 1

    return statements


def main() -> None:
    from common import serve_as_bastion_serves

    serve_as_bastion_serves(create, __doc__, 8000)


if __name__ == "__main__":
    main()
