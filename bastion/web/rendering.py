"""Rendering pages with Jinja2, and the page a refusal is shown on (its message, reference and steps).

Each platform's look (bastion.web.brand) renders through its own overlay of the one environment:
its name, logo and stylesheets as globals, and BASTION_TEMPLATES_DIR/pages in front of the shipped
templates, so a platform can replace any one template file without a fork.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader, pass_context
from markupsafe import Markup
from starlette.responses import Response

from bastion import __version__, i18n
from bastion.errors import BastionError
from bastion.i18n.times import date_words, duration_words, text_moment_words, utc_words
from bastion.web.brand import Look, look, look_of

SHIPPED = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(SHIPPED))
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
templates.env.globals["language"] = i18n.current
templates.env.globals["zone"] = i18n.current_zone
templates.env.globals["utc_label"] = utc_words
templates.env.globals["languages"] = tuple(i18n.LANGUAGES.values())  # the language menu (base.html)
# The platform's name in every page; BASTION_BRAND_NAME sets it (issue 22, branding).
templates.env.globals.update(brand="Bastion", brand_logo=Look().logo_src, brand_theme=None, brand_stylesheet=None)


def when(moment: datetime | str | None) -> str:
    """A time as people read it, in their zone and language: '5 Jan 2026, 10:00 CET' (also from an
    RFC 3339 string); '5 Jan 2026, 09:00 UTC' while their zone is not known."""
    return text_moment_words(moment)


def iso(moment: datetime | None) -> str:
    """For `datetime` attributes: programs and the page's script read them, never people."""
    return "" if moment is None else moment.astimezone(UTC).replace(microsecond=0).isoformat()


# The fields a refusal is about, by the names forms give them (besides those `request.invalid` names).
FIELDS_OF = {
    "credentials.invalid": ("email", "password"),
    "mfa.code_invalid": ("code", "secret"), "mfa.code_reused": ("code", "secret"),
    "mfa.clock_skew": ("code", "secret"), "mfa.backup_code_invalid": ("code", "secret"),
    "device.code_invalid": ("code",), "reauth.failed": ("secret", "current_password"),
    "password.weak": ("password", "new_password"), "password.breached": ("password", "new_password"),
    "signup.password_required": ("password",), "signup.password_mismatch": ("password",),
}
PROBLEM_ID = "problem"  # the refusal box above a form (_problem.html)


@pass_context
def invalid_field(context: Any, name: str, described_by: str = "", sole: bool = False) -> Markup:
    """A form field's ARIA attributes: when the refusal shown above the form is about it (a field
    `request.invalid` names, what the reason is about, or any refusal when it is the form's `sole`
    field), `aria-invalid` and the refusal box in its description (WCAG 3.3.1), before its own hint
    `described_by`, if any."""
    problem = context.get("problem") or {}
    named = {str(error.get("field", "")).removeprefix("body.").split(".")[0] for error in problem.get("errors", ())}
    invalid = bool(problem) and (sole or name in named or name in FIELDS_OF.get(problem.get("code", ""), ()))
    ids = " ".join([*([PROBLEM_ID] if invalid else []), *([described_by] if described_by else [])])
    invalid_mark = Markup(' aria-invalid="true"') if invalid else Markup("")
    return invalid_mark + (Markup(' aria-describedby="{}"').format(ids) if ids else Markup(""))


templates.env.filters["when"] = when
templates.env.filters["iso"] = iso
templates.env.filters["duration"] = duration_words
templates.env.filters["date"] = date_words
templates.env.globals["asset_version"] = __version__
templates.env.globals["invalid_field"] = invalid_field


def templates_for(chosen: Look) -> Jinja2Templates:
    return _templates(chosen.name, chosen.logo_src, chosen.theme_href, chosen.stylesheet_href, chosen.templates_dir)


@cache
def _templates(name: str, logo: str, theme: str | None, stylesheet: str | None,
               overrides: Path | None) -> Jinja2Templates:
    env = templates.env.overlay()
    if overrides:
        env.loader = ChoiceLoader([FileSystemLoader(str(overrides / "pages")), FileSystemLoader(str(SHIPPED))])
    env.globals = {**templates.env.globals, "brand": name, "brand_logo": logo, "brand_theme": theme,
                   "brand_stylesheet": stylesheet}
    return Jinja2Templates(env=env)


def compile_every_template(app_state: Any) -> None:
    """Every page's template compiled once, at start-up: each page's first render compiled its own
    (57 ms for the sign-in page's), holding the interpreter while the other requests waited."""
    env = templates_for(look_of(app_state)).env
    for name in env.list_templates():
        env.get_template(name)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    return templates_for(look(request)).TemplateResponse(request, name, context, status_code=status_code)


def render_problem_page(request: Request, error: BastionError, reference: str) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    response = render(request, "problem.html", status_code=error.reason.status,
                      problem=error.problem(reference))
    if headers:
        response.headers.update(headers)
    return response
