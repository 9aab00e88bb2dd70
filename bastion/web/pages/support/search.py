"""One search box: an email or part of one, an account, case or device id, a refusal's reference,
an IP address or a network. Results in words: each account with what matched."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.support.access import record_view
from bastion.support.search import search
from bastion.web.client import client_from
from bastion.web.pages.signed_in import SUPPORT, page_session
from bastion.web.pages.staff import staff_page

router = APIRouter(prefix="/support")
PAGE = "/support/search"


@router.get("/search")
def search_page(request: Request, q: str = "") -> Response:
    session = page_session(request, roles=SUPPORT)
    if isinstance(session, Response):
        return session
    query = q.strip()[:320]
    found, error = None, None
    if query:
        record_view(request.app.state.services, session.account_id, None, "search", client_from(request), query=query)
        try:
            found = search(request.app.state.services, query)
        except BastionError as refused:
            error = refused
    return staff_page(request, session, "support/search.html", PAGE, error, query=query, found=found)
