"""What every signed-in page shares: the cookie session, its CSRF token, step-up as a page.

A signed-out browser is sent to sign-in; any other refusal (a maintenance window that pauses
sessions, a missing CSRF value) is a page with its message, reference and steps. Every change
that needs a recent proof of identity answers the "Confirm it's you" page instead of an error,
and comes back to the page it was made from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import Response

from bastion.accounts.staff import ADMIN_ROLES, SUPPORT_ROLES, ensure_staff
from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.mfa.registry import METHODS
from bastion.services import Services
from bastion.sessions.tokens import SessionInfo
from bastion.web.deps import csrf_token_for, session_from_request
from bastion.web.pages.redirects import SIGNED_OUT, to_login
from bastion.web.pages.render import problem_for, refusal_page, render

# The signed-in areas and their pages, in the order their navigation shows them.
SECURITY_PAGES = (
    ("/", N_("Overview")),
    ("/security/two-factor", N_("2FA")),
    ("/security/sessions", N_("Sessions and devices")),
    ("/security/activity", N_("Activity")),
    ("/security/password", N_("Password")),
    ("/security/emails", N_("Emails")),
    ("/security/allowlist", N_("IP allowlist")),
    ("/security/apps", N_("Connected apps")),
    ("/security/preferences", N_("Language and time zone")),
)
STAFF_AREAS = (("support", "/support", N_("Support")), ("admin", "/admin", N_("Admin")))
SUPPORT_PAGES = (("/support", N_("Cases")), ("/support/search", N_("Search")),
                 ("/support/references", N_("References")))
ADMIN_PAGES = (
    ("/admin/maintenance", N_("Maintenance")),
    ("/admin/client-versions", N_("App versions")),
    ("/admin/accounts", N_("Suspensions and bans")),
    ("/admin/rejection-reasons", N_("Rejection reasons")),
    ("/admin/announcements", N_("Announcements")),
    ("/admin/service-keys", N_("Service keys")),
    ("/admin/apps", N_("Apps (OpenID)")),
)
SUPPORT = SUPPORT_ROLES
ADMIN = ADMIN_ROLES
# Notices after a redirect come from fixed lists: nothing from the address is echoed.
COMMON_NOTICES = {"confirmed": N_("Thanks, that's confirmed: you can change your security settings for the next "
                                  "few minutes.")}


def notice_for(done: str, notices: dict[str, str]) -> str | None:
    notice = notices.get(done) or COMMON_NOTICES.get(done)
    return _(notice) if notice else None


def nav_pages(pages: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """A navigation's pages with their labels in the reader's language."""
    return [(path, _(label)) for path, label in pages]


class PageAnswer(Exception):
    """Raised instead of opening a page: the answer to give (sign-in, a refusal page); the app
    answers it as it is, so a page handler receives a session or never runs."""

    def __init__(self, response: Response) -> None:
        super().__init__("answered instead of the page")
        self.response = response


async def on_page_answer(request: Request, error: Exception) -> Response:
    if not isinstance(error, PageAnswer):  # registered for PageAnswer only
        raise error
    return error.response


def page_session(request: Request, csrf_token: str | None = None, roles: tuple[str, ...] = ()) -> SessionInfo:
    """The cookie session (after the CSRF check for a POST), or `PageAnswer` with what to show instead:
    sign-in for a signed-out browser, the refusal's page otherwise.

    With `roles`, staff pages: the role and a session signed in with a second factor, or a 403 page.
    """
    try:
        session = session_from_request(request, csrf_form_value=csrf_token)
    except BastionError as error:
        raise PageAnswer(to_login(request) if error.code in SIGNED_OUT else refusal_page(request, error)) from None
    if roles:
        try:
            ensure_staff(session, roles)
        except BastionError as error:
            raise PageAnswer(account_page(request, session, "problem.html", error)) from None
    return session


def _signed_in(roles: tuple[str, ...]) -> Callable[[Request], SessionInfo]:
    def dependency(request: Request) -> SessionInfo:
        return page_session(request, roles=roles)

    return dependency


# What a page handler declares to be opened only signed in (as staff: with the role and a second factor).
PageSession = Annotated[SessionInfo, Depends(_signed_in(()))]
SupportSession = Annotated[SessionInfo, Depends(_signed_in(SUPPORT))]
AdminSession = Annotated[SessionInfo, Depends(_signed_in(ADMIN))]


def needs_step_up(request: Request, session: SessionInfo) -> bool:
    services: Services = request.app.state.services
    return services.clock.now() - session.authenticated_at > timedelta(minutes=services.settings.reauth_minutes)


def account_page(request: Request, session: SessionInfo, name: str, error: BastionError | None = None,
                 notice: str | None = None, **context: Any) -> Response:
    """A signed-in page: its refusal (if any) shown on it, the session's CSRF token in its forms."""
    services = request.app.state.services
    response = render(
        request, name, status_code=error.reason.status if error else 200,
        problem=problem_for(request, error) if error else None, notice=notice, signed_in=True,
        email=session.email, csrf_token=csrf_token_for(services, session.id), path=request.url.path,
        security_pages=nav_pages(SECURITY_PAGES), support_pages=nav_pages(SUPPORT_PAGES),
        admin_pages=nav_pages(ADMIN_PAGES),
        staff_areas=[(path, _(label)) for role, path, label in STAFF_AREAS
                     if role in session.roles or "admin" in session.roles],
        stale=needs_step_up(request, session), **context)
    if error is not None and error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def act(request: Request, csrf_token: str, back: str, action: Callable[[SessionInfo], Response],
        refused: Callable[[SessionInfo, BastionError], Response], roles: tuple[str, ...] = ()) -> Response:
    """Run a signed-in change: step-up when it needs one, its page with the refusal otherwise."""
    session = page_session(request, csrf_token, roles)
    try:
        return action(session)
    except BastionError as error:
        if error.code == Reason.REAUTH_REQUIRED:
            return step_up_page(request, session, back)
        return refused(session, error)


_PAGES = frozenset(path for path, _label in SECURITY_PAGES)


def safe_back(back: str) -> str:
    """Only back to a page of the security center: nothing from the address is followed blindly."""
    return back if back in _PAGES else "/"


def step_up_page(request: Request, session: SessionInfo, back: str, error: BastionError | None = None,
                 method: str = "password") -> Response:
    services = request.app.state.services
    with services.db.transaction() as tx:
        enrolled = METHODS.enrolled(tx, session.account_id)
    factors = [factor for factor in METHODS if factor.step_up and factor.name in enrolled]
    chosen = next((factor for factor in factors if factor.name == method), None)
    return account_page(request, session, "security/step_up.html", error, back=safe_back(back), factors=factors,
                        chosen=chosen, minutes=services.settings.reauth_minutes)
