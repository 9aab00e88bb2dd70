"""The app's routes as the router holds them, for tests that must cover every one (a new route is
then covered, or listed with a reason, without anyone remembering to)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute


def every_route(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, the included routers' too (the page routers are mounted as routers)."""
    for route in routes:
        included = getattr(route, "original_router", None) or getattr(route, "router", None)
        if included is not None and not isinstance(route, APIRoute):
            yield from every_route(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def query_parameters(dependant: Any) -> dict[str, Any]:
    """The route's query parameters by name (its dependencies' too), as FastAPI declared them."""
    found = {param.alias: param for param in dependant.query_params}
    for sub in dependant.dependencies:
        found.update(query_parameters(sub))
    return found
