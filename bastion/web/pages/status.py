"""The public status page: maintenance now and next, announcements, app versions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bastion.i18n import N_, _
from bastion.web.api.status import current_status
from bastion.web.pages.render import render

router = APIRouter()
KIND_WORDS = {"security_advisory": N_("Security advisory"), "phishing_warning": N_("Phishing warning"),
              "notice": N_("Notice")}


def kind_words() -> dict[str, str]:
    """What each kind of announcement is called, in the reader's language."""
    return {kind: _(words) for kind, words in KIND_WORDS.items()}


@router.get("/status")
def status_page(request: Request) -> Response:
    status = current_status(request.app.state.services)
    return render(request, "status.html", status=status, kind_words=kind_words())
