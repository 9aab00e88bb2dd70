"""A refused sign-in step shown again on its own GET page (Post/Redirect/Get for refusals too).

Sign-in is a chain of forms — the password, the second step, the emailed code — and people go Back
along it: after a mistyped password or code, a page that was a POST's answer meets the browser's
"Confirm form resubmission". So a refused step answers with a 303 to its page, which shows the
refusal once (its reference recorded when it happened) and what was typed that is not a secret.
The refusal travels in a sealed cookie sent only to the sign-in pages, for a few minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.web.pages.memo import Memo, MemoTooLarge
from bastion.web.pages.redirects import see_other
from bastion.web.problems import reference_for

REFUSAL = Memo("refusal", "/login", minutes=10)
# Refusals answered on the spot: a cross-site post gets no cookie of ours, and a browser that keeps
# no cookies would never see a refusal kept in one.
AT_ONCE = frozenset({Reason.CSRF_INVALID, Reason.BROWSER_COOKIES_BLOCKED})


def refused_at(request: Request, path: str, error: BastionError, page: Callable[[], Response],
               typed: dict[str, Any] | None = None, answer: Response | None = None) -> Response:
    """A 303 to `path` (a sign-in page; `answer` if it is already made, e.g. with a query), which shows
    `error` above its form with `typed` filled in — or, for the refusals answered at once, `page()`."""
    if error.code in AT_ONCE:
        return page()
    reference = reference_for(request, error)
    kept = {"path": path, "code": error.code, "detail": error.detail, "retry_after": error.retry_after,
            "extra": error.extra, "reference": reference, "record": _shown(error.record), "typed": typed or {}}
    answer = answer if answer is not None else see_other(path)
    try:
        return REFUSAL.keep(request, answer, kept)
    except MemoTooLarge:  # never with the sign-in's refusals; the catalogue's words then stand alone
        return REFUSAL.keep(request, answer, {**kept, "detail": None, "extra": {}})


def refusal_for(request: Request, path: str) -> tuple[BastionError, dict[str, Any]] | None:
    """The refusal kept for the page at `path`, if any (drop it from the answer with `REFUSAL.drop`)."""
    kept = REFUSAL.read(request)
    if kept is None or kept.get("path") != path:
        return None
    try:
        code = Reason(str(kept.get("code")))
        error = BastionError(code, detail=kept.get("detail"), retry_after=kept.get("retry_after"),
                             extra=dict(kept.get("extra") or {}), reference=kept.get("reference"),
                             record=dict(kept.get("record") or {}))
    except (KeyError, ValueError):
        return None
    return error, dict(kept.get("typed") or {})


def _shown(record: dict[str, Any]) -> dict[str, Any]:
    """Of the facts recorded with a refusal, those its page uses (nothing else leaves the server)."""
    return {"known_device": True} if record.get("known_device") else {}
