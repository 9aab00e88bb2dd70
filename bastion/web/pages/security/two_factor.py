"""2FA: the authenticator app (QR code and manual key), backup codes (shown once,
downloadable as text, how many are left), and the passkeys (`passkeys.py`)."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.repo import get_account
from bastion.errors import BastionError
from bastion.i18n import N_, _
from bastion.mfa.backup_codes.flows import regenerate_backup_codes
from bastion.mfa.factors import summary
from bastion.mfa.flows.staff_enrolment import enrolment_unlocked_until, needs_enrolment_link
from bastion.mfa.passkeys.management import list_passkeys
from bastion.mfa.totp.enrolment import TotpSetup, begin_totp_setup, confirm_totp, remove_totp, resume_totp_setup
from bastion.sessions.tokens import SessionInfo
from bastion.web.api.mfa_schemas import CodeIn
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import PageSession, account_page, act, notice_for

router = APIRouter(prefix="/security")
PAGE = "/security/two-factor"
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
NOTICES = {
    "totp-removed": N_("The authenticator app is removed. We emailed you about it."),
    "passkey-added": N_("Your passkey is added. Next time, sign in with it — no password needed."),
    "passkey-renamed": N_("The passkey is renamed."),
    "passkey-removed": N_("The passkey is removed. We emailed you about it."),
    "staff-enrolment-unlocked": N_("Your enrolment link is accepted: set up your authenticator app or passkey now."),
}


def two_factor_page(request: Request, session: SessionInfo, error: BastionError | None = None,
                    notice: str | None = None) -> Response:
    services = request.app.state.services
    with services.db.transaction() as tx:
        factors = summary(tx, session.account_id)
        until = None
        if needs_enrolment_link(tx, get_account(tx, session.account_id)):
            until = enrolment_unlocked_until(tx, services.clock.now(), session)
            enrolment = "unlocked" if until else "needed"
        else:
            enrolment = None
    return account_page(request, session, "security/two_factor.html", error, notice, factors=factors,
                        passkeys=list_passkeys(services, session.account_id), staff_enrolment=enrolment,
                        staff_enrolment_until=until)


@router.get("/two-factor")
def two_factor(request: Request, session: PageSession, done: str = "") -> Response:
    return two_factor_page(request, session, notice=notice_for(done, NOTICES))


def grouped(secret: str) -> str:
    """The manual key in groups of four, as authenticator apps accept it typed with spaces."""
    return " ".join(secret[index:index + 4] for index in range(0, len(secret), 4))


def totp_setup_page(request: Request, session: SessionInfo, setup: TotpSetup,
                    error: BastionError | None = None) -> Response:
    qr = "data:image/svg+xml;base64," + base64.b64encode(setup.qr_svg.encode()).decode()
    return account_page(request, session, "security/totp_setup.html", error, qr=qr, key=grouped(setup.secret),
                        issuer=request.app.state.services.settings.totp_issuer)


def backup_codes_page(request: Request, session: SessionInfo, codes: list[str], reason: str) -> Response:
    text = "\n".join([_("Backup codes for %(email)s") % {"email": session.email},
                      _("Each code works once. Keep them somewhere safe."), "", *codes, ""])
    return account_page(request, session, "security/backup_codes.html", codes=codes, reason=reason,
                        download=text)


@router.post("/totp/setup")
def totp_setup(request: Request, csrf_token: CsrfField = "") -> Response:
    return act(request, csrf_token, PAGE,
               lambda session: totp_setup_page(request, session, begin_totp_setup(request.app.state.services, session)),
               lambda session, error: two_factor_page(request, session, error))


@router.post("/totp/confirm")
def totp_confirm(request: Request, code: Annotated[str, Form()] = "", csrf_token: CsrfField = "") -> Response:
    services = request.app.state.services

    def confirm(session: SessionInfo) -> Response:
        codes = confirm_totp(services, session, parse_form(CodeIn, code=code).code, client_from(request))
        return backup_codes_page(request, session, codes, "totp")

    def refused(session: SessionInfo, error: BastionError) -> Response:
        try:  # the same QR code and key again, with what went wrong
            return totp_setup_page(request, session, resume_totp_setup(services, session), error)
        except BastionError as gone:
            return two_factor_page(request, session, gone)

    return act(request, csrf_token, PAGE, confirm, refused)


@router.post("/totp/remove")
def totp_remove(request: Request, csrf_token: CsrfField = "") -> Response:
    def remove(session: SessionInfo) -> Response:
        remove_totp(request.app.state.services, session, client_from(request))
        return see_other(f"{PAGE}?done=totp-removed")

    return act(request, csrf_token, PAGE, remove, lambda session, error: two_factor_page(request, session, error))


@router.post("/backup-codes")
def new_backup_codes(request: Request, csrf_token: CsrfField = "") -> Response:
    def regenerate(session: SessionInfo) -> Response:
        codes = regenerate_backup_codes(request.app.state.services, session, client_from(request))
        return backup_codes_page(request, session, codes, "regenerated")

    return act(request, csrf_token, PAGE, regenerate, lambda session, error: two_factor_page(request, session, error))
