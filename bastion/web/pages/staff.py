"""What the support and admin consoles share: their navigation, and times typed into their forms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.sessions.tokens import SessionInfo
from bastion.web.pages.signed_in import ADMIN_PAGES, SUPPORT_PAGES, account_page

AREAS = {"admin": (ADMIN_PAGES, "Admin console"), "support": (SUPPORT_PAGES, "Support console")}


def staff_page(request: Request, session: SessionInfo, name: str, section: str, error: BastionError | None = None,
               notice: str | None = None, **context: Any) -> Response:
    """A console page; `section` is its entry in the console's navigation."""
    pages, label = AREAS[section.split("/")[1]]
    return account_page(request, session, name, error, notice, area_pages=pages, area_label=label, section=section,
                        **context)


def typed_time(value: str, label: str) -> datetime | None:
    """A `datetime-local` field, read as UTC (the consoles show every time in UTC); empty is None."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value[:32])
    except ValueError:
        raise BastionError("request.invalid", detail=f"The {label} is not a date and time.") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def time_field(moment: datetime | None) -> str:
    """A time as a `datetime-local` value, in UTC."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
