"""The dev mailbox: the outbox as a mail client would show it, in dev only and only without SMTP.

The HTML body is shown in a sandboxed frame loaded from its own address, which
answers with its own policy: inline styles (emails need them), nothing else —
no scripts, no requests, a unique origin (CSP `sandbox`), framed by this site only.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from bastion.config import Settings
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.notify.outbox import MailboxMessage, email_logo, find_message, recent_messages
from bastion.numbers import whole_number
from bastion.urls import exact_origin
from bastion.web.brand import image_origin
from bastion.web.headers import page_csp
from bastion.web.pages.render import refusal_page, render

router = APIRouter(prefix="/dev/mailbox")

SHOWN = 100
BODY_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; "
            "base-uri 'none'; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox")
# A URL, without the punctuation that usually follows one in a sentence: "(see https://x/y)."
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def mailbox_enabled(settings: Settings) -> bool:
    return settings.is_dev and settings.smtp_url is None


def _messages(request: Request) -> list[MailboxMessage]:
    return recent_messages(request.app.state.services, SHOWN)


def _message(request: Request, message_id: str) -> MailboxMessage | None:
    number = whole_number(message_id)
    return None if number is None else find_message(request.app.state.services, number)


def _linked(text: str) -> list[tuple[str, bool]]:
    """The text in pieces, each (piece, is_link): the template escapes them and links the URLs."""
    pieces: list[tuple[str, bool]] = []
    last = 0
    for match in _URL.finditer(text):
        pieces.append((text[last:match.start()], False))
        pieces.append((match.group(0), True))
        last = match.end()
    pieces.append((text[last:], False))
    return pieces


def _not_here(request: Request) -> Response | None:
    if mailbox_enabled(request.app.state.services.settings):
        return None
    return refusal_page(request, BastionError(Reason.RESOURCE_NOT_FOUND))


@router.get("")
def mailbox(request: Request) -> Response:
    if (refused := _not_here(request)) is not None:
        return refused
    return render(request, "mailbox.html", messages=_messages(request), shown=SHOWN)


@router.get("/{message_id}")
def mailbox_message(request: Request, message_id: str) -> Response:
    if (refused := _not_here(request)) is not None:
        return refused
    message = _message(request, message_id)
    if message is None:
        return refusal_page(request, BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("There is no such message.")))
    response = render(request, "mailbox_message.html", message=message, text=_linked(message.text))
    # The message page frames the body from this site; everything else as on every page.
    response.headers["content-security-policy"] = page_csp(image_origin(request.app.state.services.settings)) \
        + "; frame-src 'self'"
    return response


@router.get("/{message_id}/html")
def mailbox_message_html(request: Request, message_id: str) -> Response:
    if (refused := _not_here(request)) is not None:
        return refused
    message = _message(request, message_id)
    if message is None:
        return refusal_page(request, BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("There is no such message.")))
    # Links open in a new, unsandboxed tab: this site's pages refuse to be framed.
    html = message.html.replace("<head>", '<head><base target="_blank">', 1)
    return HTMLResponse(html, headers={"content-security-policy": _body_csp(request), "x-frame-options": "SAMEORIGIN"})


def _body_csp(request: Request) -> str:
    """The email's own images are none, but for the platform's logo (BASTION_BRAND_LOGO)."""
    settings = request.app.state.services.settings
    logo = email_logo(settings.brand_logo, settings.public_url)
    origin = exact_origin(logo) if logo else None
    return BODY_CSP.replace("img-src data:", f"img-src data: {origin}") if origin else BODY_CSP
