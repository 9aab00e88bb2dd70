"""What the risk signals compare with: the account's devices and its past sign-ins."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Tx

from bastion.risk.assess import History
from bastion.risk.trust import fingerprint, is_trusted
from bastion.store.models import Account, Device, SignInAttempt


def find_device(tx: Tx, account_id: str, device_hash: str | None) -> Device | None:
    if not device_hash:
        return None
    return tx.execute(select(Device).where(Device.account_id == account_id, Device.device_hash == device_hash)
                      ).scalar_one_or_none()


def last_success(tx: Tx, account_id: str, located: bool = False) -> SignInAttempt | None:
    query = select(SignInAttempt).where(SignInAttempt.account_id == account_id, SignInAttempt.outcome == "success")
    if located:
        query = query.where(SignInAttempt.country.is_not(None))
    return tx.execute(query.order_by(SignInAttempt.id.desc()).limit(1)).scalar_one_or_none()


def load_history(tx: Tx, account: Account, device_hash: str | None, now: datetime, country_days: int,
                 failure_window: timedelta) -> History:
    device = find_device(tx, account.id, device_hash)
    has_devices = device is not None or tx.execute(
        select(Device.id).where(Device.account_id == account.id).limit(1)).first() is not None
    previous = last_success(tx, account.id, located=True)
    countries: frozenset[str] = frozenset()
    if previous is not None:
        countries = frozenset(tx.execute(select(SignInAttempt.country).distinct().where(
            SignInAttempt.account_id == account.id, SignInAttempt.outcome == "success",
            SignInAttempt.country.is_not(None), SignInAttempt.created_at >= now - timedelta(days=country_days),
        )).scalars())
    failures = tx.execute(select(func.count()).select_from(SignInAttempt).where(
        # Wrong passwords only: second-step failures have their own limits (REQUIREMENTS 10).
        SignInAttempt.account_id == account.id, SignInAttempt.outcome == "failure",
        SignInAttempt.code == "credentials.invalid", SignInAttempt.created_at >= now - failure_window)).scalar_one()
    trusted = device is not None and device.trusted_until is not None and is_trusted(
        device, fingerprint(tx, account), now)
    return History(has_devices=has_devices, device_known=device is not None, device_trusted=trusted,
                   recent_countries=countries,
                   previous=(previous.country, previous.created_at) if previous and previous.country else None,
                   recent_failures=failures)
