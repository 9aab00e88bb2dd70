"""OpenAPI helpers: document problem+json answers on every route that can refuse."""

from __future__ import annotations

from typing import Any

from bastion.web.problem_body import Problem

_PROBLEM_SCHEMA = Problem.model_json_schema()


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"description": "Refused: see `code`, `reference` and `help`.",
                 "content": {"application/problem+json": {"schema": _PROBLEM_SCHEMA}}}
        for status in statuses
    }
