"""A maintenance window as the rest of Bastion sees it (requirements §31)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bastion.i18n import N_, _

# What a window says when the admin wrote nothing: kept as it is, shown in each reader's language.
DEFAULT_MESSAGE = N_("We are upgrading our systems.")


@dataclass(frozen=True, slots=True)
class Window:
    id: str
    starts_at: datetime
    ends_at: datetime
    message: str  # as stored: the admin's own words, or DEFAULT_MESSAGE
    block_sessions: bool

    @property
    def shown_message(self) -> str:
        """The message as people read it: the default one in their language, an admin's own as typed."""
        return _(DEFAULT_MESSAGE) if self.message == DEFAULT_MESSAGE else self.message
