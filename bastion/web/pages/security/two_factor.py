"""2FA: the authenticator app (QR code, a link that opens the app, and the manual key),
backup codes (shown once, downloadable as text, how many are left), and the passkeys (`passkeys.py`).

Each change answers with a redirect to a page that shows its result (Post/Redirect/Get): the setup
in progress at /security/totp/setup, new backup codes at /security/backup-codes — kept for that page
sealed in a cookie bound to the session, for a few minutes (reload and Back show them again)."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.repo import get_account
from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.mfa.backup_codes.flows import regenerate_backup_codes
from bastion.mfa.factors import summary
from bastion.mfa.flows.staff_enrolment import enrolment_unlocked_until, needs_enrolment_link
from bastion.mfa.passkeys.management import list_passkeys
from bastion.mfa.totp.enrolment import TotpSetup, begin_totp_setup, confirm_totp, remove_totp, resume_totp_setup
from bastion.sessions.tokens import SessionInfo
from bastion.web.api.mfa_schemas import CodeIn
from bastion.web.client import client_from
from bastion.web.pages.changes import ask_to_confirm, change
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.memo import Memo
from bastion.web.pages.redirects import see_other
from bastion.web.pages.render import drop_steps
from bastion.web.pages.signed_in import PageSession, account_page, notice_for

router = APIRouter(prefix="/security")
PAGE = "/security/two-factor"
SETUP_PAGE = "/security/totp/setup"
CODES_PAGE = "/security/backup-codes"
NEW_CODES = Memo("backup_codes", CODES_PAGE, minutes=10)
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


def _no_backup_codes_yet(problem: dict[str, Any]) -> None:
    """While the app is being set up there are no backup codes: a wrong code offers none."""
    if problem.get("code") == Reason.MFA_CODE_INVALID:
        problem.pop("action", None)
        drop_steps(problem, "backup code")


def totp_setup_page(request: Request, session: SessionInfo, setup: TotpSetup,
                    error: BastionError | None = None) -> Response:
    qr = "data:image/svg+xml;base64," + base64.b64encode(setup.qr_svg.encode()).decode()
    return account_page(request, session, "security/totp_setup.html", error, shape=_no_backup_codes_yet, qr=qr,
                        key=grouped(setup.secret), otpauth=setup.otpauth_uri,
                        issuer=request.app.state.services.settings.totp_issuer)


def show_backup_codes(request: Request, session: SessionInfo, codes: list[str], reason: str) -> Response:
    """To the page that shows new backup codes, which only this session can open, for a few minutes."""
    return NEW_CODES.keep(request, see_other(CODES_PAGE), {"codes": codes, "reason": reason}, bound_to=session.id)


@router.get("/backup-codes")
def backup_codes(request: Request, session: PageSession) -> Response:
    kept = NEW_CODES.read(request, bound_to=session.id)
    if kept is None or not isinstance(kept.get("codes"), list):
        return see_other(PAGE)
    codes = [str(code) for code in kept["codes"]]
    text = "\n".join([_("Backup codes for %(email)s") % {"email": session.email},
                      _("Each code works once. Keep them somewhere safe."), "", *codes, ""])
    return account_page(request, session, "security/backup_codes.html", codes=codes, reason=kept.get("reason"),
                        download=text)


@router.get("/two-factor/codes-saved")
def codes_saved(request: Request, session: PageSession) -> Response:
    """"I've saved them": the codes are not shown again."""
    return NEW_CODES.drop(see_other(PAGE))


def _refused(request: Request, session: SessionInfo, error: BastionError, values: dict[str, str]) -> Response:
    return two_factor_page(request, session, error)


@change("totp-setup", N_("Once you have confirmed, the setup of your authenticator app begins."), PAGE, _refused)
def start_totp_setup(request: Request, session: SessionInfo, values: dict[str, str]) -> Response:
    begin_totp_setup(request.app.state.services, session)
    return see_other(SETUP_PAGE)


@router.post("/totp/setup")
def totp_setup(request: Request, csrf_token: CsrfField = "") -> Response:
    return start_totp_setup.make(request, csrf_token, {})


@router.get("/totp/setup")
def totp_setup_in_progress(request: Request, session: PageSession) -> Response:
    """The setup in progress: its QR code and key again (a reload, or Back from the app)."""
    try:
        setup = resume_totp_setup(request.app.state.services, session)
    except BastionError as error:
        if error.code == Reason.REAUTH_REQUIRED:
            return ask_to_confirm(PAGE)
        return two_factor_page(request, session, error)
    return totp_setup_page(request, session, setup)


def _setup_again(request: Request, session: SessionInfo, error: BastionError, values: dict[str, str]) -> Response:
    try:  # the same QR code and key again, with what went wrong
        return totp_setup_page(request, session, resume_totp_setup(request.app.state.services, session), error)
    except BastionError as gone:
        return two_factor_page(request, session, gone)


@change("totp-confirm", N_("Once you have confirmed, the code you typed turns on your authenticator app (if it has "
                           "expired meanwhile, enter the new one)."), SETUP_PAGE, _setup_again)
def turn_on_totp(request: Request, session: SessionInfo, values: dict[str, str]) -> Response:
    code = parse_form(CodeIn, code=values.get("code", "")).code
    codes = confirm_totp(request.app.state.services, session, code, client_from(request))
    return show_backup_codes(request, session, codes, "totp")


@router.post("/totp/confirm")
def totp_confirm(request: Request, code: Annotated[str, Form()] = "", csrf_token: CsrfField = "") -> Response:
    return turn_on_totp.make(request, csrf_token, {"code": code})


@change("totp-remove", N_("Once you have confirmed, the authenticator app is removed from your account."), PAGE,
        _refused)
def remove_authenticator(request: Request, session: SessionInfo, values: dict[str, str]) -> Response:
    remove_totp(request.app.state.services, session, client_from(request))
    return see_other(f"{PAGE}?done=totp-removed")


@router.post("/totp/remove")
def totp_remove(request: Request, csrf_token: CsrfField = "") -> Response:
    return remove_authenticator.make(request, csrf_token, {})


@change("backup-codes", N_("Once you have confirmed, you get a new set of backup codes, and the old ones stop "
                           "working."), PAGE, _refused)
def replace_backup_codes(request: Request, session: SessionInfo, values: dict[str, str]) -> Response:
    codes = regenerate_backup_codes(request.app.state.services, session, client_from(request))
    return show_backup_codes(request, session, codes, "regenerated")


@router.post("/backup-codes")
def new_backup_codes(request: Request, csrf_token: CsrfField = "") -> Response:
    return replace_backup_codes.make(request, csrf_token, {})
