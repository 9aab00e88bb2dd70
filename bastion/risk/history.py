"""What the risk signals compare with: the account's devices and its past sign-ins."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, bindparam, func, select
from sqlalchemy.orm import Session as Tx

from bastion.accounts.devices import find_device
from bastion.risk.assess import History
from bastion.risk.trust import fingerprint, is_trusted
from bastion.store.models import Account, Device, SignInAttempt


# Built once (the sign-in path): building a statement costs more than running it from the compiled cache.
_ANY_DEVICE = select(Device.id).where(Device.account_id == bindparam("account_id")).limit(1)
_LOCATED_SUCCESS = (SignInAttempt.account_id == bindparam("account_id"), SignInAttempt.outcome == "success",
                    SignInAttempt.country.is_not(None))


def _latest_located(column: ColumnElement[Any]) -> ScalarSelect[Any]:
    return select(column).where(*_LOCATED_SUCCESS).order_by(SignInAttempt.id.desc()).limit(1).scalar_subquery()


# One round trip: the last located success, and the wrong passwords since `failures_since`.
_PAST = select(
    _latest_located(SignInAttempt.country),
    _latest_located(SignInAttempt.created_at),
    select(func.count()).select_from(SignInAttempt).where(
        # Wrong passwords only: second-step failures have their own limits (REQUIREMENTS 10).
        SignInAttempt.account_id == bindparam("account_id"), SignInAttempt.outcome == "failure",
        SignInAttempt.code == "credentials.invalid", SignInAttempt.created_at >= bindparam("failures_since"),
    ).scalar_subquery(),
)
_COUNTRIES = select(SignInAttempt.country).distinct().where(*_LOCATED_SUCCESS,
                                                            SignInAttempt.created_at >= bindparam("since"))


def last_success(tx: Tx, account_id: str) -> SignInAttempt | None:
    return tx.execute(select(SignInAttempt).where(SignInAttempt.account_id == account_id,
                                                  SignInAttempt.outcome == "success")
                      .order_by(SignInAttempt.id.desc()).limit(1)).scalar_one_or_none()


def load_history(tx: Tx, account: Account, device_hash: str | None, now: datetime, country_days: int,
                 failure_window: timedelta) -> History:
    device = find_device(tx, account.id, device_hash)
    has_devices = device is not None or tx.execute(_ANY_DEVICE, {"account_id": account.id}).first() is not None
    previous_country, previous_at, recent_failures = tx.execute(
        _PAST, {"account_id": account.id, "failures_since": now - failure_window}).one()
    countries: frozenset[str] = frozenset()
    if previous_country is not None:
        countries = frozenset(tx.execute(
            _COUNTRIES, {"account_id": account.id, "since": now - timedelta(days=country_days)}).scalars())
    trusted = device is not None and device.trusted_until is not None and is_trusted(
        device, fingerprint(tx, account), now)
    return History(has_devices=has_devices, device_known=device is not None, device_trusted=trusted,
                   recent_countries=countries,
                   previous=(previous_country, previous_at) if previous_country is not None else None,
                   recent_failures=recent_failures)
