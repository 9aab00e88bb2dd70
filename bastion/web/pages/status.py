"""The public status page: maintenance now and next, announcements, app versions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bastion.web.api.status import current_status
from bastion.web.pages.render import render

router = APIRouter()
KIND_WORDS = {"security_advisory": "Security advisory", "phishing_warning": "Phishing warning", "notice": "Notice"}


@router.get("/status")
def status_page(request: Request) -> Response:
    status = current_status(request.app.state.services)
    return render(request, "status.html", status=status, kind_words=KIND_WORDS)
