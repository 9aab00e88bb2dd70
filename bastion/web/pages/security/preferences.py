"""Language and time zone: what the account reads Bastion in, on any browser, and in every email.

Saving a language also remembers it in this browser (the language menu's cookie), so the page
that answers is in it at once; "as my browser says" clears both.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.preferences import preferences_of, save_preferences
from bastion.errors import BastionError
from bastion.i18n import LANGUAGES, N_, current
from bastion.i18n.negotiation import zone_choices
from bastion.sessions.tokens import SessionInfo
from bastion.web.language import LANGUAGE_COOKIE
from bastion.web.pages.forms import CSRF_FIELD
from bastion.web.pages.language import YEAR
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import PageSession, account_page, notice_for, page_session

router = APIRouter(prefix="/security")
PAGE = "/security/preferences"
NOTICES = {"saved": N_("Saved. Pages and emails use your choices from now on.")}
FormText = Annotated[str, Form()]


def preferences_page(request: Request, session: SessionInfo, error: BastionError | None = None,
                     notice: str | None = None) -> Response:
    saved = preferences_of(request.app.state.services, session.account_id)
    return account_page(request, session, "security/preferences.html", error, notice, saved=saved,
                        languages=tuple(LANGUAGES.values()), zones=zone_choices(current().babel_locale))


@router.get("/preferences")
def preferences(request: Request, session: PageSession, done: str = "") -> Response:
    return preferences_page(request, session, notice=notice_for(done, NOTICES))


@router.post("/preferences")
def save(request: Request, language: FormText = "", time_zone: FormText = "",
         csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    services = request.app.state.services
    session = page_session(request, csrf_token)
    try:
        saved = save_preferences(services, session.account_id, {"language": language, "time_zone": time_zone})
    except BastionError as error:
        return preferences_page(request, session, error)
    response = see_other(f"{PAGE}?done=saved")
    if saved.language:
        response.set_cookie(LANGUAGE_COOKIE, saved.language, max_age=YEAR, path="/", httponly=True,
                            samesite="lax", secure=services.settings.cookie_secure)
    else:
        response.delete_cookie(LANGUAGE_COOKIE, path="/")
    return response
