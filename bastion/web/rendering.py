"""Rendering pages with Jinja2, and the page a refusal is shown on (its message, reference and steps)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup
from starlette.responses import Response

from bastion import __version__, i18n
from bastion.errors import BastionError
from bastion.support.words import when_words

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
templates.env.globals["language"] = i18n.current
templates.env.globals["languages"] = tuple(i18n.LANGUAGES.values())  # the language menu (base.html)
# The platform's name in every page; BASTION_BRAND_NAME sets it (issue 22, branding).
templates.env.globals["brand"] = "Bastion"


def when(moment: datetime | str | None) -> str:
    """A time as people read it, in UTC: '5 Jan 2026, 09:00 UTC' (also from an RFC 3339 string)."""
    if not moment:
        return ""
    if isinstance(moment, str):
        try:
            parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return moment
        return when_words(parsed)
    return when_words(moment)


def iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).replace(microsecond=0).isoformat()


@pass_context
def invalid_field(context: Any, name: str) -> Markup:
    """Marks a form field the refusal shown above the form names (`request.invalid`'s errors)."""
    problem = context.get("problem") or {}
    named = {error.get("field") for error in problem.get("errors", ())}
    return Markup(' aria-invalid="true"') if name in named else Markup("")


templates.env.filters["when"] = when
templates.env.filters["iso"] = iso
templates.env.globals["asset_version"] = __version__
templates.env.globals["invalid_field"] = invalid_field


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def render_problem_page(request: Request, error: BastionError, reference: str) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    response = render(request, "problem.html", status_code=error.reason.status,
                      problem=error.problem(reference))
    if headers:
        response.headers.update(headers)
    return response
