"""The staff enrolment link's page: opening it in a signed-in session unlocks setting up the first
second factor of a staff account for a few minutes (`bastion.mfa.flows.staff_enrolment`).

The link's GET only shows a button (mail scanners open links); its POST uses the token. Opened
signed out, the token waits in a short-lived cookie of this browser while its owner signs in, and
sign-in comes back here.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.mfa.flows.staff_enrolment import open_enrolment_link
from bastion.sessions.tokens import SessionInfo
from bastion.web.api.schemas import TokenIn
from bastion.web.client import client_from
from bastion.web.pages.forms import parse_form
from bastion.web.pages.redirects import see_other, to_login
from bastion.web.pages.security.two_factor import CsrfField, two_factor_page
from bastion.web.pages.signed_in import PageAnswer, account_page, act, page_session
from bastion.web.return_to import ENROLMENT_COOKIE, ENROLMENT_PATH

router = APIRouter()
FormText = Annotated[str, Form()]
WAIT_SECONDS = 30 * 60  # long enough to sign in with a password

_TOKEN = re.compile(r"[A-Za-z0-9_-]{0,256}")


@router.get(ENROLMENT_PATH)
def staff_enrolment(request: Request, token: str = "") -> Response:
    token = token or request.cookies.get(ENROLMENT_COOKIE, "")
    if not _TOKEN.fullmatch(token):
        token = ""  # not a link of ours: nothing to keep (and a cookie holds only ASCII)
    try:
        session = page_session(request)
    except PageAnswer:
        answer = to_login(request, "staff-enrolment")
        if token:
            answer.set_cookie(ENROLMENT_COOKIE, token, max_age=WAIT_SECONDS, path="/", httponly=True, samesite="lax",
                              secure=request.app.state.services.settings.cookie_secure)
        return answer
    return account_page(request, session, "security/staff_enrolment.html", token=token)


@router.post(ENROLMENT_PATH)
def use_staff_enrolment(request: Request, token: FormText = "", csrf_token: CsrfField = "") -> Response:
    services = request.app.state.services

    def unlock(session: SessionInfo) -> Response:
        open_enrolment_link(services, session, parse_form(TokenIn, token=token).token, client_from(request))
        answer = see_other("/security/two-factor?done=staff-enrolment-unlocked")
        answer.delete_cookie(ENROLMENT_COOKIE, path="/")
        return answer

    def refused(session: SessionInfo, error: BastionError) -> Response:
        answer = two_factor_page(request, session, error)
        answer.delete_cookie(ENROLMENT_COOKIE, path="/")
        return answer

    return act(request, csrf_token, ENROLMENT_PATH, unlock, refused)
