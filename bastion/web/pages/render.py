"""Refusals on pages: recorded under a reference, shown as a whole page or above a form.

The templates themselves are in `bastion.web.rendering`, which the problem+json handlers use too.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.web.problems import reference_for
from bastion.web.rendering import render, render_problem_page, templates

__all__ = ["form_page", "problem_for", "refusal_page", "render", "render_problem_page", "templates"]


def problem_for(request: Request, error: BastionError) -> dict[str, Any]:
    """The refusal's problem body, recorded under a new reference unless it already has one."""
    return error.problem(reference_for(request, error))


def refusal_page(request: Request, error: BastionError) -> Response:
    """A refusal as a whole page (pages always answer HTML, whatever the Accept header)."""
    problem = problem_for(request, error)
    return render_problem_page(request, error, problem["reference"])


def form_page(request: Request, name: str, error: BastionError | None = None, **context: Any) -> Response:
    """A form, again with the refusal shown above it when there is one."""
    if error is None:
        return render(request, name, **context)
    response = render(request, name, status_code=error.reason.status,
                      problem=problem_for(request, error), **context)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response
