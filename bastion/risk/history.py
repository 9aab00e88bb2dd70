"""What the risk signals compare with: the account's devices and its past sign-ins.

One round trip reads both: the accounts and the sign-in history each hand over the columns about
their own rows (`risk_signals`), and this module only puts them in one statement.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Label, Row, select
from sqlalchemy.orm import Session as Tx

from bastion.accounts import devices
from bastion.risk.assess import History
from bastion.risk.trust import Secured, fingerprint, is_trusted
from bastion.signin import attempts


class Devices(Protocol):
    """What the history reads of the account's devices (bastion.accounts.devices)."""

    def risk_signals(self) -> tuple[Label[Any], ...]: ...


class Attempts(Protocol):
    """What the history reads of the account's past sign-ins (bastion.signin.attempts)."""

    def risk_signals(self) -> tuple[Label[Any], ...]: ...

    def recent_countries(self, tx: Tx, account_id: str, since: datetime) -> frozenset[str]: ...


DEVICES: Devices = devices
ATTEMPTS: Attempts = attempts
# One round trip: this device (known? trusted until, for which factors?), whether the account has
# any device, the last located success, and the wrong passwords since `failures_since`. Built once
# (the sign-in path): building a statement costs more than running it from the compiled cache.
PAST_SIGNALS = (*DEVICES.risk_signals(), *ATTEMPTS.risk_signals())
_PAST = select(*PAST_SIGNALS)


def past_parameters(device_hash: str | None, now: datetime, failure_window: timedelta) -> dict[str, Any]:
    """The parameters of `PAST_SIGNALS` besides account_id."""
    return {"device_hash": device_hash, "failures_since": now - failure_window}


def load_history(tx: Tx, account: Secured, device_hash: str | None, now: datetime, country_days: int,
                 failure_window: timedelta, past: Row[Any] | None = None) -> History:
    """`past`: `PAST_SIGNALS` as read already (with the account's lock); else read here."""
    if past is None:
        past = tx.execute(_PAST, {"account_id": account.id,
                                  **past_parameters(device_hash, now, failure_window)}).one()
    previous_country, previous_at = past.previous_country, past.previous_at
    countries: frozenset[str] = frozenset()
    if previous_country is not None:
        countries = ATTEMPTS.recent_countries(tx, account.id, now - timedelta(days=country_days))
    trusted = past.trusted_until is not None and is_trusted(past, fingerprint(tx, account), now)
    return History(has_devices=past.has_devices, device_known=past.device_id is not None, device_trusted=trusted,
                   recent_countries=countries,
                   previous=(previous_country, previous_at) if previous_country is not None else None,
                   recent_failures=past.recent_failures)
