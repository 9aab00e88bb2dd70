"""The support console (role support or admin, signed in with a second factor): the case queue, each
case with its evidence and record, search, accounts, and refusals by reference (requirements
§33-34). Agents never see a password, code, secret or token."""

from fastapi import APIRouter

from bastion.web.pages.support import accounts, cases, queue, search

router = APIRouter()
for pages in (queue.router, cases.router, search.router, accounts.router):
    router.include_router(pages)
