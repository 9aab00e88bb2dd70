"""What the risk signals compare with: the account's devices and its past sign-ins."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ScalarSelect, bindparam, exists, func, select
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.orm import Session as Tx

from bastion.accounts.devices import THIS_DEVICE
from bastion.accounts.models import Account, Device
from bastion.errors import Reason
from bastion.risk.assess import History
from bastion.risk.trust import fingerprint, is_trusted
from bastion.signin.models import SignInAttempt

# Built once (the sign-in path): building a statement costs more than running it from the compiled cache.
_LOCATED_SUCCESS = (SignInAttempt.account_id == bindparam("account_id"), SignInAttempt.outcome == "success",
                    SignInAttempt.country.is_not(None))


def _latest_located(column: QueryableAttribute[Any]) -> ScalarSelect[Any]:
    return select(column).where(*_LOCATED_SUCCESS).order_by(SignInAttempt.id.desc()).limit(1).scalar_subquery()


# One round trip: this device (known? trusted until, for which factors?), whether the account has
# any device, the last located success, and the wrong passwords since `failures_since`.
_PAST = select(
    select(Device.id).where(*THIS_DEVICE).scalar_subquery().label("device_id"),
    select(Device.trusted_until).where(*THIS_DEVICE).scalar_subquery().label("trusted_until"),
    select(Device.trust_fingerprint).where(*THIS_DEVICE).scalar_subquery().label("trust_fingerprint"),
    exists().where(Device.account_id == bindparam("account_id")).label("has_devices"),
    _latest_located(SignInAttempt.country).label("previous_country"),
    _latest_located(SignInAttempt.created_at).label("previous_at"),
    select(func.count()).select_from(SignInAttempt).where(
        # Wrong passwords only: second-step failures have their own limits (requirements §10).
        SignInAttempt.account_id == bindparam("account_id"), SignInAttempt.outcome == "failure",
        SignInAttempt.code == Reason.CREDENTIALS_INVALID, SignInAttempt.created_at >= bindparam("failures_since"),
    ).scalar_subquery().label("recent_failures"),
)
_COUNTRIES = select(SignInAttempt.country).distinct().where(*_LOCATED_SUCCESS,
                                                            SignInAttempt.created_at >= bindparam("since"))


def last_success(tx: Tx, account_id: str) -> SignInAttempt | None:
    return tx.execute(select(SignInAttempt).where(SignInAttempt.account_id == account_id,
                                                  SignInAttempt.outcome == "success")
                      .order_by(SignInAttempt.id.desc()).limit(1)).scalar_one_or_none()


def load_history(tx: Tx, account: Account, device_hash: str | None, now: datetime, country_days: int,
                 failure_window: timedelta) -> History:
    past = tx.execute(_PAST, {"account_id": account.id, "device_hash": device_hash,
                              "failures_since": now - failure_window}).one()
    previous_country, previous_at = past.previous_country, past.previous_at
    countries: frozenset[str] = frozenset()
    if previous_country is not None:
        countries = frozenset(country for country in tx.execute(
            _COUNTRIES, {"account_id": account.id, "since": now - timedelta(days=country_days)}).scalars()
            if country is not None)
    trusted = past.trusted_until is not None and is_trusted(past, fingerprint(tx, account), now)
    return History(has_devices=past.has_devices, device_known=past.device_id is not None, device_trusted=trusted,
                   recent_countries=countries,
                   previous=(previous_country, previous_at) if previous_country is not None else None,
                   recent_failures=past.recent_failures)
