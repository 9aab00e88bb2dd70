"""Where a page sends the browser next: Post/Redirect/Get, and back to sign-in."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import RedirectResponse

from bastion.errors import Reason
from bastion.web.deps import SESSION_COOKIE

# Refusals that mean "not signed in (any more)": the page goes back to sign-in.
SIGNED_OUT = frozenset({Reason.SESSION_REQUIRED, Reason.SESSION_INVALID, Reason.SESSION_EXPIRED,
                        Reason.SESSION_REVOKED})


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def to_login(request: Request, notice: str | None = None) -> RedirectResponse:
    """Back to sign-in, dropping a cookie that no longer opens a session."""
    response = see_other(f"/login?done={notice}" if notice else "/login")
    if SESSION_COOKIE in request.cookies:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response
