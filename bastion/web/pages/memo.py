"""What a page keeps for the next page of the same browser: a small value in a sealed, short-lived cookie.

Post/Redirect/Get: a form's POST acts, then sends the browser (303) to a GET page that shows the
result, so Back and reload never post again. What that page needs (the address an email went to,
the sign-in a step belongs to, backup codes shown once, a change waiting for "Confirm it's you")
travels in a cookie sealed with the key ring (AES-GCM, bound to the memo's name and, on signed-in
pages, to the session) and sent only to the page that reads it — never in the address, which
reaches logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.responses import Response

from bastion.crypto.keyring import KeyRingError
from bastion.services import Services

_COOKIE_BYTES = 3800  # browsers keep at least 4096 bytes a cookie, name and attributes included


class MemoTooLarge(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Memo:
    """One kind of memo: its cookie's name, the path it is sent to, and how long it lasts."""

    name: str
    path: str
    minutes: int

    @property
    def cookie(self) -> str:
        return f"bastion_{self.name}"

    def _aad(self, bound_to: str) -> str:
        return f"web/memo/{self.name}/{bound_to}"

    def keep(self, request: Request, response: Response, value: dict[str, Any], bound_to: str = "") -> Response:
        """Seal `value` into the response's cookie; `bound_to` (a session id) ties it to one session."""
        services: Services = request.app.state.services
        expires = int(services.clock.now().timestamp()) + self.minutes * 60
        sealed = services.keys.encrypt(json.dumps({"value": value, "expires": expires}, separators=(",", ":")),
                                       self._aad(bound_to))
        if len(sealed) > _COOKIE_BYTES:
            raise MemoTooLarge(self.name)
        response.set_cookie(self.cookie, sealed, max_age=self.minutes * 60, path=self.path, httponly=True,
                            samesite="strict", secure=services.settings.cookie_secure)
        return response

    def read(self, request: Request, bound_to: str = "") -> dict[str, Any] | None:
        """The value kept, if this browser has one that is this memo's, unexpired and (if bound) this session's."""
        sealed = request.cookies.get(self.cookie)
        if not sealed or len(sealed) > _COOKIE_BYTES:
            return None
        services: Services = request.app.state.services
        try:
            kept = json.loads(services.keys.decrypt(sealed, self._aad(bound_to)))
        except (KeyRingError, ValueError):
            return None
        if not isinstance(kept, dict) or not isinstance(kept.get("value"), dict):
            return None
        if not isinstance(kept.get("expires"), int) or kept["expires"] <= services.clock.now().timestamp():
            return None
        value: dict[str, Any] = kept["value"]
        return value

    def drop(self, response: Response) -> Response:
        response.delete_cookie(self.cookie, path=self.path)
        return response
