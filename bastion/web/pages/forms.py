"""What the forms before sign-in share: a double-submit CSRF token and the API's own validation.

Before sign-in there is no session to tie a CSRF token to, so a random value goes
both in an HttpOnly, SameSite=Strict cookie and in a hidden field; a POST must
carry the same value in both (OWASP CSRF cheat sheet, "double submit cookie").
"""

from __future__ import annotations

import re
import secrets
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from bastion.crypto import constant_time_equal
from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.web.cookie_round_trip import cookies_refused
from bastion.web.inputs import invalid

CSRF_COOKIE = "bastion_csrf"
CSRF_FIELD = "csrf_token"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # token_urlsafe(32): 256 bits

# The fields a refusal names, in a person's words (translated where the refusal is made).
FIELD_NAMES = {"email": N_("email address"), "password": N_("password"), "token": N_("link"), "code": N_("code"),
               "current_password": N_("current password"), "new_password": N_("new password"),
               "cidrs": N_("networks"), "name": N_("name"), "reason": N_("reason (at least 3 characters)"),
               "minutes": N_("duration"), "starts_at": N_("start"), "ends_at": N_("end"), "until": N_("end"),
               "update_url": N_("update address (https://…)"), "minimum": N_("oldest version"),
               "recommended": N_("recommended version"), "kind": N_("kind"), "title": N_("title"), "body": N_("text"),
               "publish_at": N_("publication time"), "expires_at": N_("expiry")}

Model = TypeVar("Model", bound=BaseModel)


def form_csrf_token(request: Request) -> str:
    """The browser's token if it has a well-formed one, else a new one (set it with `set_csrf_cookie`)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if _TOKEN_SHAPE.match(current) else secrets.token_urlsafe(32)


def set_csrf_cookie(request: Request, response: Response, token: str) -> Response:
    secure = request.app.state.services.settings.cookie_secure
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/")
    return response


def public_form_page(request: Request, name: str, error: BastionError | None = None, **context: Any) -> Response:
    """A form shown before sign-in (refusal above it, if any), with its double-submit CSRF token."""
    from bastion.web.pages.render import form_page

    token = form_csrf_token(request)
    return set_csrf_cookie(request, form_page(request, name, error, csrf_token=token, **context), token)


def check_form_csrf(request: Request, submitted: str) -> None:
    """Refuse with `csrf.invalid` unless the hidden field equals the cookie — or with
    `browser.cookies_blocked` when our own page came back without any cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (_TOKEN_SHAPE.match(cookie) and constant_time_equal(cookie, submitted)):
        if cookies_refused(request, bool(_TOKEN_SHAPE.match(submitted))):
            raise BastionError(Reason.BROWSER_COOKIES_BLOCKED)
        raise BastionError(Reason.CSRF_INVALID)


def parse_form(model: type[Model], **values: Any) -> Model:
    """Validate with the JSON API's body model, so pages and API accept the same input and give the
    same refusal (`request.invalid`, each field named so the page can mark it)."""
    try:
        return model(**values)
    except ValidationError as error:
        fields = [(".".join(str(part) for part in item.get("loc", ())), item.get("msg", ""))
                  for item in error.errors()]
        words = sorted({_(FIELD_NAMES[str(item["loc"][0])]) if str(item["loc"][0]) in FIELD_NAMES
                        else str(item["loc"][0]) for item in error.errors() if item.get("loc")})
        raise invalid(fields, _("Check the %(fields)s.") % {"fields": ", ".join(words)} if words else None) from None
