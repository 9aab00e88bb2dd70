"""OpenAPI helpers: document problem+json answers on every route that can refuse."""

from __future__ import annotations

from typing import Any

from bastion.web.api.schemas import Problem


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": Problem, "description": "Refused: see `code`, `reference` and `help`.",
                 "content": {"application/problem+json": {}}}
        for status in statuses
    }
