""""This wasn't me": the freeze link of security emails, and "freeze my account" in the security center.

Neither acts on one click: the link's GET shows a button (mail scanners open links), and the security
center asks first, since undoing a freeze takes an identity check and hours. Both then show the
result on a page of its own (Post/Redirect/Get).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.status import freeze_account, freeze_with_link
from bastion.errors import BastionError, Reason
from bastion.web.api.schemas import TokenIn
from bastion.web.client import client_from
from bastion.web.deps import SESSION_COOKIE
from bastion.web.pages.forms import CSRF_FIELD, check_form_csrf, parse_form, public_form_page
from bastion.web.pages.memo import Memo
from bastion.web.pages.redirects import see_other
from bastion.web.pages.render import refusal_page, render
from bastion.web.pages.signed_in import PageSession, account_page, page_session

router = APIRouter()
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
FROZEN = Memo("frozen", "/freeze/done", minutes=30)


def _freeze_form(request: Request, token: str, error: BastionError | None = None) -> Response:
    return public_form_page(request, "freeze.html", error, token=token)


def _frozen(request: Request) -> Response:
    response = FROZEN.keep(request, see_other(FROZEN.path), {})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/freeze/done")
def frozen_page(request: Request) -> Response:
    if FROZEN.read(request) is None:
        return see_other("/login")
    return render(request, "freeze_done.html", unfreeze_min_hours=request.app.state.services.settings.unfreeze_min_hours)


@router.get("/freeze")
def freeze_page(request: Request, token: str = "") -> Response:
    """A GET never freezes: mail scanners open links. The person presses the button."""
    try:
        parse_form(TokenIn, token=token)
    except BastionError:
        return refusal_page(request, BastionError(Reason.TOKEN_INVALID))
    return _freeze_form(request, token)


@router.post("/freeze")
def freeze_submit(request: Request, token: Annotated[str, Form()] = "", csrf_token: CsrfField = "") -> Response:
    try:
        body = parse_form(TokenIn, token=token)
        check_form_csrf(request, csrf_token)
    except BastionError as error:
        return _freeze_form(request, token, error)
    try:
        freeze_with_link(request.app.state.services, body.token, client_from(request))
    except BastionError as error:
        return refusal_page(request, error)
    return _frozen(request)


@router.get("/security/freeze")
def freeze_me_page(request: Request, session: PageSession) -> Response:
    """"Freeze now?" — asked once: undoing it takes an identity check and hours."""
    return account_page(request, session, "security/freeze.html",
                        unfreeze_min_hours=request.app.state.services.settings.unfreeze_min_hours)


@router.post("/security/freeze")
def freeze_me(request: Request, csrf_token: CsrfField = "") -> Response:
    session = page_session(request, csrf_token)
    freeze_account(request.app.state.services, session.account_id, client_from(request), via="self_service")
    return _frozen(request)
