"""The IP allowlist (requirements §29): sign-in only from these networks."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.settings import MAX_ALLOWLIST, get_ip_allowlist, set_ip_allowlist
from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.sessions.tokens import SessionInfo
from bastion.signin.gates import ip_allowed
from bastion.web.api.restrictions import AllowlistIn
from bastion.web.client import client_from
from bastion.web.pages.changes import change
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import PageSession, account_page, notice_for

router = APIRouter(prefix="/security")
PAGE = "/security/allowlist"
NOTICES = {"saved": N_("Your IP allowlist is saved. We emailed you about the change.")}
_SEPARATORS = re.compile(r"[\s,;]+")


def allowlist_page(request: Request, session: SessionInfo, error: BastionError | None = None,
                   notice: str | None = None, typed: str | None = None) -> Response:
    cidrs = get_ip_allowlist(request.app.state.services, session.account_id)
    ip = client_from(request).ip
    return account_page(request, session, "security/allowlist.html", error, notice, cidrs=cidrs, ip=ip or _("unknown"),
                        here_allowed=ip_allowed(cidrs, ip), typed="\n".join(cidrs) if typed is None else typed,
                        limit=MAX_ALLOWLIST)


@router.get("/allowlist")
def allowlist(request: Request, session: PageSession, done: str = "") -> Response:
    return allowlist_page(request, session, notice=notice_for(done, NOTICES))


@change("ip-allowlist", N_("Once you have confirmed, your IP allowlist is saved as you typed it."), PAGE,
        lambda request, session, error, values: allowlist_page(request, session, error, typed=values.get("cidrs", "")))
def save_allowlist(request: Request, session: SessionInfo, values: dict[str, str]) -> Response:
    entries = [entry for entry in _SEPARATORS.split(values.get("cidrs", "")) if entry]
    if len(entries) > MAX_ALLOWLIST:
        raise BastionError(Reason.REQUEST_INVALID,
                           detail=_("At most %(count)d networks.") % {"count": MAX_ALLOWLIST})
    body = parse_form(AllowlistIn, cidrs=entries)
    set_ip_allowlist(request.app.state.services, session, body.cidrs, client_from(request))
    return see_other(f"{PAGE}?done=saved")


@router.post("/allowlist")
def save(request: Request, cidrs: Annotated[str, Form()] = "",
         csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    return save_allowlist.make(request, csrf_token, {"cidrs": cidrs})
