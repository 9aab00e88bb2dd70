"""Changes in the security center that wait for "Confirm it's you" (requirements §13) instead of being lost.

A change that needs a recent proof of identity is kept while the person confirms: its form's values
sealed in a cookie bound to the session (`memo`), sent only to the step-up page — never in the
address. The step-up page says which change waits, and once the person has confirmed, makes it and
shows its result, as if the form had been sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.sessions.tokens import SessionInfo
from bastion.web.pages.memo import Memo, MemoTooLarge
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import page_session

STEP_UP_PATH = "/security/confirm"
# Long enough to find the password or the phone; the values are dropped once the change is made.
PENDING = Memo("pending_change", STEP_UP_PATH, minutes=15)

Apply = Callable[[Request, SessionInfo, dict[str, str]], Response]
Refused = Callable[[Request, SessionInfo, BastionError, dict[str, str]], Response]


@dataclass(frozen=True, slots=True)
class Change:
    name: str
    words: str  # N_(): what happens once the person has confirmed, said on the "Confirm it's you" page
    back: str  # the page the change is made from
    apply: Apply  # makes the change from its form's values; its answer is the result page (or a 303 to it)
    refused: Refused  # the page the change is made from, with the refusal (and the values, to fix them)

    def make(self, request: Request, csrf_token: str, values: dict[str, str]) -> Response:
        """Make the change from its form, or keep it and ask "Confirm it's you" when it needs a recent proof."""
        session = page_session(request, csrf_token)
        try:
            return self.apply(request, session, values)
        except BastionError as error:
            if error.code == Reason.REAUTH_REQUIRED:
                return self.wait_for_confirmation(request, session, values)
            return self.refused(request, session, error, values)

    def wait_for_confirmation(self, request: Request, session: SessionInfo, values: dict[str, str]) -> Response:
        answer = ask_to_confirm(self.back)
        try:
            return PENDING.keep(request, answer, {"change": self.name, "values": values}, bound_to=session.id)
        except MemoTooLarge:  # too much to keep: after confirming, the person makes the change again
            return answer


_CHANGES: dict[str, Change] = {}


def change(name: str, words: str, back: str, refused: Refused) -> Callable[[Apply], Change]:
    """Declares a change that may wait for "Confirm it's you": decorates the function that makes it."""
    def register(apply: Apply) -> Change:
        if name in _CHANGES:
            raise ValueError(f"a change named {name!r} exists")
        _CHANGES[name] = made = Change(name, words, back, apply, refused)
        return made

    return register


def ask_to_confirm(back: str) -> Response:
    """To the "Confirm it's you" page (Post/Redirect/Get), which comes back to `back` after."""
    return see_other(f"{STEP_UP_PATH}?back={quote(back, safe='/')}")


def pending_change(request: Request, session: SessionInfo, back: str) -> tuple[Change, dict[str, str]] | None:
    """The change this session keeps waiting for the confirmation asked from the page `back`, if any
    (one left waiting on another page is not made by a confirmation asked from this one)."""
    kept: dict[str, Any] | None = PENDING.read(request, bound_to=session.id)
    waiting = _CHANGES.get(str(kept.get("change"))) if kept else None
    values = kept.get("values") if kept else None
    if waiting is None or waiting.back != back or not isinstance(values, dict):
        return None
    return waiting, {str(key): str(value) for key, value in values.items()}


def make_pending(request: Request, session: SessionInfo, waiting: Change, values: dict[str, str]) -> Response:
    """After the confirmation: the change kept for it, made now, its values forgotten."""
    try:
        answer = waiting.apply(request, session, values)
    except BastionError as error:
        answer = waiting.refused(request, session, error, values)
    return PENDING.drop(answer)
