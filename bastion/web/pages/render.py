"""Rendering pages with Jinja2; refusals as a page with their message, reference and steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from bastion.errors import BastionError

templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def render_problem_page(request: Request, error: BastionError, reference: str) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    response = render(request, "problem.html", status_code=error.reason.status,
                      problem=error.problem(reference))
    if headers:
        response.headers.update(headers)
    return response
