"""The one domain exception — a reason code and what the person needs to know — and how it
becomes an RFC 9457 problem body. The codes and what each says are in bastion/catalogue/.

The body is in the current language (bastion.i18n): the title, the catalogue's message, the
help steps and the action's label go through the catalogue; `code`, `type`, `reference`,
`help_url`, field names and hrefs never change with the language."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from bastion.catalogue import CATALOGUE, Action, ReasonEntry
from bastion.catalogue.codes import Reason
from bastion.i18n import gettext as _

__all__ = ["PROBLEM_TYPE_BASE", "BastionError", "Reason", "action_body", "new_reference"]

PROBLEM_TYPE_BASE = "https://bastion.dev/problems/"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def action_body(action: Action) -> dict[str, str]:
    body = {"label": _(action.label), "href": action.href}
    if action.endpoint:
        body["endpoint"] = action.endpoint
    return body


def new_reference() -> str:
    """A refusal's reference: 'R-' and 8 Crockford base-32 characters (40 random bits)."""
    return "R-" + "".join(secrets.choice(_CROCKFORD) for _ in range(8))


@dataclass
class BastionError(Exception):
    """The one domain exception: a reason code and what the person needs to know."""

    code: Reason
    detail: str | None = None
    retry_after: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Set when the refusal was already recorded (e.g. with a sign-in attempt).
    reference: str | None = None
    # Facts to record with the refusal (e.g. the risk signals); never part of the answer.
    record: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The type checker holds callers to `Reason`; a code read back from storage is checked here.
        self.code = Reason(self.code)
        super().__init__(self.code)

    @property
    def reason(self) -> ReasonEntry:
        return CATALOGUE[self.code]

    def problem(self, reference: str) -> dict[str, Any]:
        """The RFC 9457 body."""
        reason = self.reason
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + reason.code,
            "title": _(reason.title),
            "status": reason.status,
            # A detail of the code's own was translated where it was raised.
            "detail": self.detail or _(reason.message),
            "code": reason.code,
            "reference": reference,
            "help": [_(step) for step in reason.steps],
            "help_url": reason.help_url,
        }
        if reason.action is not None:
            body["action"] = action_body(reason.action)
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        body.update(self.extra)
        return body
