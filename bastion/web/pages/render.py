"""Refusals on pages: recorded under a reference, shown as a whole page or above a form — shaped for
the page they are on where the page knows better than the catalogue (a way to go on within the same
sign-in, a step that does not apply to this device).

The templates themselves are in `bastion.web.rendering`, which the problem+json handlers use too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from starlette.responses import Response

from bastion.catalogue import find
from bastion.errors import BastionError
from bastion.web.problems import reference_for
from bastion.web.rendering import render, render_problem_page, templates

__all__ = ["drop_steps", "form_page", "problem_for", "refusal_page", "render", "render_problem_page", "templates"]

Problem = dict[str, Any]
# The step a pause offers to a device that has not signed in before (catalogue text, in the source language).
KNOWN_DEVICE_STEP = "a device you used before"


def drop_steps(problem: Problem, mentioning: str) -> None:
    """Leave out the steps whose catalogue text mentions `mentioning` (matched in the source language,
    so it holds in every language the steps are shown in)."""
    reason = find(str(problem.get("code", "")))
    shown = problem.get("help") or []
    if reason is None or len(reason.steps) != len(shown):
        return
    problem["help"] = [step for source, step in zip(reason.steps, shown, strict=True) if mentioning not in source]


def problem_for(request: Request, error: BastionError) -> Problem:
    """The refusal's problem body, recorded under a new reference unless it already has one."""
    problem = error.problem(reference_for(request, error))
    if error.record.get("known_device"):  # it already is one: "sign in from a device you used before" is no way out
        drop_steps(problem, KNOWN_DEVICE_STEP)
    return problem


def refusal_page(request: Request, error: BastionError) -> Response:
    """A refusal as a whole page (pages always answer HTML, whatever the Accept header)."""
    return form_page(request, "problem.html", error)


def form_page(request: Request, name: str, error: BastionError | None = None,
              shape: Callable[[Problem], None] | None = None, **context: Any) -> Response:
    """A form, again with the refusal shown above it when there is one (`shape` fits it to the page)."""
    if error is None:
        return render(request, name, **context)
    problem = problem_for(request, error)
    if shape is not None:
        shape(problem)
    response = render(request, name, status_code=error.reason.status, problem=problem, **context)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response
