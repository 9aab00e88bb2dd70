"""Client-version policy (requirements §32): per platform, the oldest app that may sign in and the one
recommended, with where to update."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.i18n import N_
from bastion.ops.client_versions import PLATFORMS, all_policies, set_policy
from bastion.sessions.tokens import SessionInfo
from bastion.web.api.ops_admin import PolicyIn
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import ADMIN, AdminSession, act, notice_for
from bastion.web.pages.staff import staff_page

router = APIRouter(prefix="/admin/client-versions")
PAGE = "/admin/client-versions"
FormText = Annotated[str, Form()]
PLATFORM_WORDS = {"web": "Web", "ios": "iOS", "android": "Android"}
NOTICES = {"saved": N_("The version policy is saved; it applies to the next sign-in.")}


def versions_page(request: Request, session: SessionInfo, error: BastionError | None = None,
                  notice: str | None = None, failed: str | None = None) -> Response:
    policies = {policy.platform: policy for policy in all_policies(request.app.state.services)}
    return staff_page(request, session, "admin/client_versions.html", PAGE, error, notice, platforms=PLATFORMS,
                      policies=policies, platform_words=PLATFORM_WORDS, failed=failed)


@router.get("")
def versions(request: Request, session: AdminSession, done: str = "") -> Response:
    return versions_page(request, session, notice=notice_for(done, NOTICES))


@router.post("/{platform}")
def save(request: Request, platform: str, minimum: FormText = "", recommended: FormText = "", update_url: FormText = "",
         csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    def save_it(session: SessionInfo) -> Response:
        body = parse_form(PolicyIn, minimum=minimum.strip() or None, recommended=recommended.strip() or None,
                          update_url=update_url.strip() or None)
        set_policy(request.app.state.services, platform, body.minimum, body.recommended, body.update_url)
        return see_other(f"{PAGE}?done=saved")

    return act(request, csrf_token, PAGE, save_it,
               lambda session, error: versions_page(request, session, error, failed=platform), ADMIN)
