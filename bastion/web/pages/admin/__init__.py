"""The admin console (role admin, signed in with a second factor): maintenance windows, app
versions, suspensions and bans, announcements, service keys."""

from fastapi import APIRouter

from bastion.web.pages.admin import (
    accounts,
    announcements,
    client_versions,
    maintenance,
    rejection_reasons,
    service_keys,
)

router = APIRouter()
for pages in (maintenance.router, client_versions.router, accounts.router, rejection_reasons.router,
              announcements.router, service_keys.router):
    router.include_router(pages)
