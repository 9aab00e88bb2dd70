"""Every route of the OpenID provider, for the app to include once."""

from __future__ import annotations

from fastapi import APIRouter

from bastion.web.oidc import admin_clients, authorize, connected_apps, endpoints, logout

router = APIRouter(include_in_schema=False)
for routes in (endpoints.router, authorize.router, logout.router, admin_clients.router, connected_apps.router):
    router.include_router(routes)
