"""The security center: everything the account holder manages about signing in, one page per concern."""

from fastapi import APIRouter

from bastion.web.pages.security import (
    activity,
    allowlist,
    emails,
    overview,
    passkeys,
    password,
    preferences,
    sessions,
    staff_enrolment,
    step_up,
    two_factor,
)

router = APIRouter()
for pages in (overview.router, step_up.router, two_factor.router, passkeys.router, sessions.router,
              activity.router, password.router, emails.router, allowlist.router, staff_enrolment.router,
              preferences.router):
    router.include_router(pages)
