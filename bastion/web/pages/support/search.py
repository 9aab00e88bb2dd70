"""One search box: an email or part of one, an account, case or device id, a refusal's reference,
an IP address or a network. Results in words: each account with what matched."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from starlette.responses import Response

from bastion.support.search import search
from bastion.web.inputs import SearchText
from bastion.web.pages.signed_in import SupportSession
from bastion.web.pages.staff import look_up, staff_page

router = APIRouter(prefix="/support")
PAGE = "/support/search"


@router.get("/search")
def search_page(request: Request, session: SupportSession, q: str = "") -> Response:
    query = q.strip()
    found, error = look_up(query, SearchText, "q", partial(search, request.app.state.services))
    return staff_page(request, session, "support/search.html", PAGE, error, query=query, found=found)
