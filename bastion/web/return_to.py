"""Where sign-in goes when it was started for an app: back to that app's waiting authorization.

The authorization endpoint leaves the waiting request's id in a cookie; sign-in's last step asks
`after_sign_in` where to go. The answer is always a path of Bastion's own, built here from an id
of a fixed shape, never an address taken from the request: no open redirect.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bastion.oidc.authorize import is_request_id

RETURN_COOKIE = "bastion_oidc_return"
RESUME_PATH = "/oauth2/authorize/resume/"
MAX_AGE = 30 * 60


def resume_path(request_id: str) -> str:
    return RESUME_PATH + request_id


# A staff enrolment link opened signed out (bastion.web.pages.security.staff_enrolment) waits here.
ENROLMENT_COOKIE = "bastion_staff_enrolment"
ENROLMENT_PATH = "/security/staff-enrolment"


def after_sign_in(request: Request) -> str:
    """The staff enrolment link or the waiting authorization this browser came for, if any; else the home page."""
    if request.cookies.get(ENROLMENT_COOKIE):
        return ENROLMENT_PATH
    waiting = request.cookies.get(RETURN_COOKIE, "")
    return resume_path(waiting) if is_request_id(waiting) else "/"


def remember_return(request: Request, response: Response, request_id: str) -> Response:
    if not is_request_id(request_id):  # only a waiting request's id goes into the cookie
        return response
    response.set_cookie(RETURN_COOKIE, request_id, max_age=MAX_AGE, path="/", httponly=True, samesite="lax",
                        secure=request.app.state.services.settings.cookie_secure)
    return response


def forget_return(response: Response) -> Response:
    response.delete_cookie(RETURN_COOKIE, path="/")
    return response
