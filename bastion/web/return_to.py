"""Where sign-in goes when it was started for an app: back to that app's waiting authorization, or
to the platform page the person came from.

The authorization endpoint leaves the waiting request's id in a cookie; sign-in's last step asks
`after_sign_in` where to go. That answer is a path of Bastion's own, built here from an id of a
fixed shape. A platform page sends people to /login?return_to=<its address>: the address is kept
only when its origin (scheme, host, port) is exactly one of BASTION_RETURN_URLS, and checked again
when it is used; anything else is ignored and sign-in goes home as usual. No open redirect.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from bastion.oidc.authorize import is_request_id
from bastion.urls import exact_origin

RETURN_COOKIE = "bastion_oidc_return"
RESUME_PATH = "/oauth2/authorize/resume/"
MAX_AGE = 30 * 60


def resume_path(request_id: str) -> str:
    return RESUME_PATH + request_id


# A staff enrolment link opened signed out (bastion.web.pages.security.staff_enrolment) waits here.
ENROLMENT_COOKIE = "bastion_staff_enrolment"
ENROLMENT_PATH = "/security/staff-enrolment"


# A platform page sign-in was started from (BASTION_RETURN_URLS), as base64url of its address.
RETURN_TO_COOKIE = "bastion_return_to"


def after_sign_in(request: Request) -> str:
    """The staff enrolment link, the waiting authorization or the platform page this browser came
    for, if any; else the home page."""
    if request.cookies.get(ENROLMENT_COOKIE):
        return ENROLMENT_PATH
    waiting = request.cookies.get(RETURN_COOKIE, "")
    if is_request_id(waiting):
        return resume_path(waiting)
    return _remembered_return(request) or "/"


def allowed_return(url: str, origins: frozenset[str]) -> str | None:
    """`url` when its origin is exactly one of `origins`, rebuilt from its checked parts; else None."""
    origin = exact_origin(url)
    if origin is None or origin not in origins:
        return None
    parts = urlsplit(url)
    return (origin + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            + (f"#{parts.fragment}" if parts.fragment else ""))


def remember_return_to(request: Request, response: Response, url: str) -> Response:
    """Keeps `url` for the end of this sign-in when it is one of the platform's pages."""
    settings = request.app.state.services.settings
    allowed = allowed_return(url, settings.return_origins)
    if allowed is not None:
        response.set_cookie(RETURN_TO_COOKIE, base64.urlsafe_b64encode(allowed.encode()).decode(), max_age=MAX_AGE,
                            path="/", httponly=True, samesite="lax", secure=settings.cookie_secure)
    return response


def forget_return_to(request: Request, response: Response) -> Response:
    if RETURN_TO_COOKIE in request.cookies:
        response.delete_cookie(RETURN_TO_COOKIE, path="/")
    return response


def _remembered_return(request: Request) -> str | None:
    kept = request.cookies.get(RETURN_TO_COOKIE)
    if not kept or len(kept) > 4096:
        return None
    try:
        url = base64.urlsafe_b64decode(kept.encode("ascii")).decode("ascii")
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return allowed_return(url, request.app.state.services.settings.return_origins)


def remember_return(request: Request, response: Response, request_id: str) -> Response:
    if not is_request_id(request_id):  # only a waiting request's id goes into the cookie
        return response
    response.set_cookie(RETURN_COOKIE, request_id, max_age=MAX_AGE, path="/", httponly=True, samesite="lax",
                        secure=request.app.state.services.settings.cookie_secure)
    return response


def forget_return(response: Response) -> Response:
    response.delete_cookie(RETURN_COOKIE, path="/")
    return response
