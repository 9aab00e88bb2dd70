"""The account a recovery case or a password reset is for, as recovery reads it.

An account row of `bastion.accounts`, read through its repository (`bastion.accounts.repo`); what a
case changes on the account, the accounts change (`set_password`, `empty_allowlist`, `lift_freeze`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bastion.notify.outbox import Recipient


class CaseOwner(Recipient, Protocol):
    @property
    def status(self) -> str: ...

    @property
    def status_changed_at(self) -> datetime | None: ...

    @property
    def ip_allowlist(self) -> list[str]: ...
