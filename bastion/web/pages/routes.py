"""Page routes: each group of pages lives in its own module."""

from __future__ import annotations

from fastapi import APIRouter

from bastion.web.pages import (
    admin,
    brand,
    device_check,
    freeze,
    help,
    language,
    login,
    mailbox,
    passkey_login,
    recovery,
    reset,
    second_step,
    security,
    signup,
    status,
    support,
)

router = APIRouter(include_in_schema=False)
for pages in (signup.router, login.router, passkey_login.router, second_step.router, device_check.router,
              reset.router, recovery.router, security.router, freeze.router, support.router, admin.router,
              status.router, mailbox.router, help.router, brand.router, language.router):
    router.include_router(pages)
