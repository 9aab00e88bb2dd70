"""The support console (role support or admin, signed in with a second factor): the case queue with
its evidence, accounts, and refusals by reference (REQUIREMENTS 33-34). Agents never see a
password, code, secret or token."""

from fastapi import APIRouter

from bastion.web.pages.support import accounts, cases

router = APIRouter()
for pages in (cases.router, accounts.router):
    router.include_router(pages)
