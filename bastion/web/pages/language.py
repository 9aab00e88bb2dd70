"""The language menu on every page: `POST /language` remembers the choice in this browser (and, signed
in, on the account) and goes back to the page it was made on.

A choice of language is harmless, so the cookie is set for anyone who posts from one of our
pages (Sec-Fetch-Site or Origin: another site cannot switch a browser's language); saving it on
the account needs the session's CSRF token too. The way back is the form's `back` when it is a
path of this site that a GET answers (pages send no Referer: Referrer-Policy no-referrer), the
home page otherwise: never an address elsewhere.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from starlette.responses import Response
from starlette.routing import Match

from bastion.accounts.preferences import save_preferences
from bastion.errors import BastionError, Reason
from bastion.i18n import PSEUDO
from bastion.i18n.negotiation import supported
from bastion.services import Services
from bastion.sessions.tokens import SessionInfo
from bastion.web.cookie_round_trip import from_our_page
from bastion.web.deps import SESSION_COOKIE, session_from_request
from bastion.web.language import LANGUAGE_COOKIE
from bastion.web.pages.forms import CSRF_FIELD
from bastion.web.pages.redirects import see_other

router = APIRouter()
YEAR = 365 * 24 * 3600
FormText = Annotated[str, Form()]


@router.post("/language")
def choose_language(request: Request, language: FormText = "", back: FormText = "",
                    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    services: Services = request.app.state.services
    session = _signed_in(request, csrf_token)
    if session is None and not from_our_page(request):
        # Only our own pages ask (Fetch Metadata or Origin, or the session's CSRF token): another site
        # cannot switch this browser's language.
        raise BastionError(Reason.CSRF_INVALID)
    response = see_other(way_back(request, back))
    tag = supported(language, pseudo=services.settings.pseudo_locale)
    if tag is None:
        return response  # nothing Bastion speaks: back to the page as it was
    response.set_cookie(LANGUAGE_COOKIE, tag, max_age=YEAR, path="/", httponly=True, samesite="lax",
                        secure=services.settings.cookie_secure)
    if session is not None and tag != PSEUDO.tag:
        save_preferences(services, session.account_id, {"language": tag})
    return response


def _signed_in(request: Request, csrf_token: str) -> SessionInfo | None:
    """The session whose CSRF token the form carries; None signed out (or not our form)."""
    if not csrf_token or not request.cookies.get(SESSION_COOKIE):
        return None
    try:
        return session_from_request(request, csrf_form_value=csrf_token)
    except BastionError:
        return None  # signed out meanwhile, or not our form: this browser's choice only


def way_back(request: Request, back: str) -> str:
    """`back` when it is a path of this site a GET answers (less a `?lang=`, which would outrank the
    choice just made); the home page otherwise."""
    path = same_origin_path(back)
    if path is None or not _answered_by_get(request, path):
        return "/"
    parts = urlsplit(path)
    if "lang=" not in parts.query:
        return path
    query = urlencode([(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
                       if name != "lang"])
    return parts.path + (f"?{query}" if query else "")


def same_origin_path(candidate: str | None) -> str | None:
    """`candidate` when it is a path (and query) of this site: no scheme, no host, not `//host`
    nor `/\\host` (browsers read both as another host), no control characters."""
    if not candidate or len(candidate) > 2048 or not candidate.startswith("/") or candidate.startswith("//"):
        return None
    if "\\" in candidate or any(ord(character) < 0x20 or ord(character) == 0x7F for character in candidate):
        return None
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return None
    return candidate


def _answered_by_get(request: Request, path: str) -> bool:
    """A page a GET opens (a form's result page may have been the answer to a POST only)."""
    scope = {"type": "http", "method": "GET", "path": unquote(urlsplit(path).path), "root_path": "",
             "headers": [], "query_string": b""}
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)
