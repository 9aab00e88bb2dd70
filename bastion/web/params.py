"""Query parameters the API's routes share, bounded once (FastAPI answers an out-of-range one with
`request.invalid`, a 422 problem+json)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from bastion.numbers import MAX_ROW_ID

# The older page of a list: the cursor the page before it gave.
OlderThan = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="The cursor the page before gave")]

