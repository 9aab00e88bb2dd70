"""The security center's overview: who is signed in, holds on the account, what protects it,
and the emergency brake (freeze)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bastion.accounts.settings import has_anti_phishing_code
from bastion.i18n import N_, _
from bastion.mfa.factors import summary
from bastion.sessions.holds import active_restrictions
from bastion.sessions.revocation import list_sessions
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import PageSession, account_page, notice_for

router = APIRouter()
HOLD_KINDS = {"withdrawal": N_("Withdrawals paused")}
HOLD_REASONS = {
    "password_reset": N_("because your password was reset"),
    "mfa_disabled": N_("because 2FA was turned off"),
    "mfa_reset_completed": N_("because 2FA was reset through support"),
    "unfreeze_completed": N_("because your account was unfrozen"),
    "allowlist_reset_completed": N_("because your IP allowlist was cleared at your request"),
    "allowlist_cleared": N_("because support cleared your IP allowlist"),
}
NOTICES = {"password": N_("Your password is changed. We emailed you about it.")}


@router.get("/")
def overview(request: Request, session: PageSession, done: str = "") -> Response:
    services = request.app.state.services
    with services.db.transaction() as tx:
        factors = summary(tx, session.account_id)
    holds = [dict(kind=_(HOLD_KINDS[item.kind]) if item.kind in HOLD_KINDS
                  else item.kind.replace("_", " ").capitalize(),
                  reason=_(HOLD_REASONS[item.reason]) if item.reason in HOLD_REASONS else "", until=item.until)
             for item in active_restrictions(services, session.account_id)]
    sessions = len(list_sessions(services, session.account_id))
    return account_page(request, session, "security/overview.html", notice=notice_for(done, NOTICES),
                        factors=factors, holds=holds, other_sessions=sessions - 1,
                        anti_phishing_set=has_anti_phishing_code(services, session.account_id),
                        unfreeze_min_hours=services.settings.unfreeze_min_hours)


@router.get("/security")
def security() -> Response:
    """Where emails send people to review their security settings."""
    return see_other("/")
