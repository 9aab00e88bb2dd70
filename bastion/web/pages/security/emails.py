"""What we email and how to tell it is us: the anti-phishing code (requirements §22) and the list of
security emails (requirements §23).

Security emails cannot be switched off: Bastion has no notification preferences to choose from, so
the page says what is always sent rather than offering switches that would do nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.settings import has_anti_phishing_code, set_anti_phishing_code
from bastion.errors import BastionError
from bastion.i18n import N_, _
from bastion.sessions.tokens import SessionInfo
from bastion.web.api.schemas import AntiPhishingIn
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import PageSession, account_page, act, notice_for

router = APIRouter(prefix="/security")
PAGE = "/security/emails"
NOTICES = {"anti-phishing": N_("Your anti-phishing code is saved. Look for it at the top of every email from us.")}
ALWAYS_SENT = (
    N_("A sign-in from a new device or place"),
    N_("Your correct password followed by a failed second step"),
    N_("Sign-in paused after wrong passwords or wrong codes"),
    N_("An authenticator code used twice"),
    N_("Your password changed, or a reset requested or completed"),
    N_("A second factor, passkey or backup codes added, changed, removed or used"),
    N_("Your anti-phishing code or IP allowlist changed"),
    N_("Your account frozen or unfrozen, and security holds placed"),
)


def emails_page(request: Request, session: SessionInfo, error: BastionError | None = None,
                notice: str | None = None) -> Response:
    return account_page(request, session, "security/emails.html", error, notice,
                        always_sent=[_(kind) for kind in ALWAYS_SENT],
                        anti_phishing_set=has_anti_phishing_code(request.app.state.services, session.account_id))


@router.get("/emails")
def emails(request: Request, session: PageSession, done: str = "") -> Response:
    return emails_page(request, session, notice=notice_for(done, NOTICES))


@router.post("/anti-phishing-code")
def set_anti_phishing(request: Request, code: Annotated[str, Form()] = "",
                      csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    def save(session: SessionInfo) -> Response:
        body = parse_form(AntiPhishingIn, code=code)
        set_anti_phishing_code(request.app.state.services, session, body.code, client_from(request))
        return see_other(f"{PAGE}?done=anti-phishing")

    return act(request, csrf_token, PAGE, save, lambda session, error: emails_page(request, session, error))
