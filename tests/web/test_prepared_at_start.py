"""What the first requests after start used to prepare, prepared by a served app's lifespan instead:
FastAPI's included routers (prepared on the event loop when a request first reached them: every
answer held ~60 ms) and the pages' templates (each compiled at its first render)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator

from fastapi.routing import _IncludedRouter  # the private type whose preparation is lazy
from starlette.routing import BaseRoute

from bastion.web.app import _match_every_route, create_app
from bastion.web.brand import look_of
from bastion.web.rendering import _templates, compile_every_template, templates_for


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


def test_every_template_is_compiled_before_the_first_page(services) -> None:
    _templates.cache_clear()  # a new look's templates, as in a new process (other tests rendered pages)
    app = create_app(services, deliver_mail=False)
    env = templates_for(look_of(app.state)).env
    names = env.list_templates()
    assert names and env.cache is not None
    assert not {name for (_loader, name) in env.cache} >= set(names)

    compile_every_template(app.state)

    compiled = {name for (_loader, name) in env.cache}
    assert compiled >= set(names)
