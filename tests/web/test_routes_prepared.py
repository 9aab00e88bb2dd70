"""FastAPI prepares an included router's routes when a request first reaches it, on the event loop:
the first requests after start held every answer for ~60 ms. A served app prepares them all at
start-up (`bastion.web.app._match_every_route`, in its lifespan)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator

from fastapi.routing import _IncludedRouter  # the private type whose preparation is lazy
from starlette.routing import BaseRoute

from bastion.web.app import _match_every_route, create_app


def included(routes: Iterable[BaseRoute]) -> Iterator[_IncludedRouter]:
    """The included routers among `routes`, and those they hold once prepared."""
    for route in routes:
        if isinstance(route, _IncludedRouter):
            yield route
            yield from included(route._effective_candidates)  # type: ignore[arg-type]


def test_every_included_router_is_prepared_before_the_first_request(services) -> None:
    app = create_app(services, deliver_mail=False)
    assert all(router._effective_candidates_version is None for router in included(app.router.routes))

    asyncio.run(_match_every_route(app))

    routers = list(included(app.router.routes))
    assert len(routers) >= 15  # the API's, the pages', OpenID's: if FastAPI stops including this way, look again
    assert all(router._effective_candidates_version is not None for router in routers)
