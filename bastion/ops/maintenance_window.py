"""A maintenance window as the rest of Bastion sees it (requirements §31)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Window:
    id: str
    starts_at: datetime
    ends_at: datetime
    message: str
    block_sessions: bool
