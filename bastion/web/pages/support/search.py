"""One search box: an email or part of one, an account, case or device id, a refusal's reference,
an IP address or a network. Results in words: each account with what matched."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.support.search import search
from bastion.web.inputs import SearchText, checked
from bastion.web.pages.signed_in import SupportSession
from bastion.web.pages.staff import staff_page

router = APIRouter(prefix="/support")
PAGE = "/support/search"


@router.get("/search")
def search_page(request: Request, session: SupportSession, q: str = "") -> Response:
    query = q.strip()
    found, error = None, None
    if query:
        try:
            found = search(request.app.state.services, checked(SearchText, query, "q"))
        except BastionError as refused:
            error = refused
    return staff_page(request, session, "support/search.html", PAGE, error, query=query, found=found)
