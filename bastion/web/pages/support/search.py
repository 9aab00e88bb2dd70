"""One search box: an email or part of one, an account, case or device id, a refusal's reference,
an IP address or a network. Results in words: each account with what matched."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bastion.services import Services
from bastion.support.access import record_view
from bastion.support.search import Found, search
from bastion.web.client import client_from
from bastion.web.inputs import SearchText
from bastion.web.pages.signed_in import SupportSession
from bastion.web.pages.staff import look_up, staff_page

router = APIRouter(prefix="/support")
PAGE = "/support/search"


@router.get("/search")
def search_page(request: Request, session: SupportSession, q: str = "") -> Response:
    query = q.strip()
    services: Services = request.app.state.services

    def search_on_record(typed: str) -> Found:
        record_view(services, session.account_id, None, "search", client_from(request), query=typed)
        return search(services, typed)

    found, error = look_up(query, SearchText, "q", search_on_record)
    return staff_page(request, session, "support/search.html", PAGE, error, query=query, found=found)
