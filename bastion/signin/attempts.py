"""Every sign-in step is recorded: the owner's history and support's look-up by reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Label, Row, ScalarSelect, bindparam, func, select
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.orm import Session as Tx

from bastion.context import Client
from bastion.errors import Reason
from bastion.geo import locate
from bastion.metrics import SIGN_IN_ATTEMPTS
from bastion.services import Services
from bastion.signin.models import SignInAttempt
from bastion.store.rows import append_row

_ATTEMPTS = SignInAttempt.__table__


def record_attempt(
    tx: Tx,
    now: datetime,
    identifier: str,
    method: str,
    outcome: str,
    client: Client,
    account_id: str | None = None,
    code: str | None = None,
    reference: str | None = None,
    flow_id: str | None = None,
    risk: dict[str, object] | None = None,
) -> None:
    """`risk`: the risk decision and its signals, when the sign-in was assessed (requirements §19)."""
    location = locate(client.ip)
    SIGN_IN_ATTEMPTS.labels(method, outcome, code or "").inc()
    append_row(tx, _ATTEMPTS, {
        "reference": reference, "account_id": account_id, "identifier": identifier[:320], "created_at": now,
        "method": method, "outcome": outcome, "code": code, "ip": client.ip,
        "user_agent": (client.user_agent or "")[:512] or None, "device_id": client.device_id, "flow_id": flow_id,
        "country": location.country, "asn_name": location.asn_name, "risk": risk,
    })


# What a history page shows, not whole rows (no risk record to parse): built once, with and without
# the cursor (keyset pagination on ix_sign_in_attempts_account_id_id).
_SHOWN = (SignInAttempt.id, SignInAttempt.created_at, SignInAttempt.outcome, SignInAttempt.code,
          SignInAttempt.reference, SignInAttempt.method, SignInAttempt.ip, SignInAttempt.country,
          SignInAttempt.user_agent)
_NEWEST = (select(*_SHOWN).where(SignInAttempt.account_id == bindparam("account_id"))
           .order_by(SignInAttempt.id.desc()).limit(bindparam("limit")))
_OLDER = _NEWEST.where(SignInAttempt.id < bindparam("before"))


@dataclass(frozen=True, slots=True)
class ActivityPage:
    items: list[Row[*tuple[Any, ...]]]  # the attempt's shown columns, by name (created_at, outcome, code, ...)
    next_cursor: int | None


def list_activity(services: Services, account_id: str, before: int | None, limit: int) -> ActivityPage:
    """Newest first; `before` is the cursor of the previous page."""
    parameters: dict[str, object] = {"account_id": account_id, "limit": limit + 1}
    if before is not None:
        parameters["before"] = before
    with services.db.transaction() as tx:
        rows = list(tx.execute(_NEWEST if before is None else _OLDER, parameters))
    more = len(rows) > limit
    items = rows[:limit]
    return ActivityPage(items, items[-1].id if more and items else None)


def latest_attempt(tx: Tx, account_id: str) -> SignInAttempt | None:
    return tx.execute(select(SignInAttempt).where(SignInAttempt.account_id == account_id)
                      .order_by(SignInAttempt.id.desc()).limit(1)).scalar_one_or_none()


def find_attempt_by_reference(tx: Tx, reference: str) -> SignInAttempt | None:
    return tx.execute(select(SignInAttempt).where(SignInAttempt.reference == reference)).scalar_one_or_none()


# What the risk signals read of the past sign-ins, built once (the sign-in path): building a
# statement costs more than running it from the compiled cache.
_LOCATED_SUCCESS = (SignInAttempt.account_id == bindparam("account_id"), SignInAttempt.outcome == "success",
                    SignInAttempt.country.is_not(None))


def _latest_located(column: QueryableAttribute[Any]) -> ScalarSelect[Any]:
    return select(column).where(*_LOCATED_SUCCESS).order_by(SignInAttempt.id.desc()).limit(1).scalar_subquery()


_RISK_SIGNALS = (
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


def risk_signals() -> tuple[Label[Any], ...]:
    """The last located success (previous_country, previous_at) and the wrong passwords since
    `failures_since` (recent_failures): columns for the risk history's one statement, whose
    parameters are account_id and failures_since."""
    return _RISK_SIGNALS


def recent_countries(tx: Tx, account_id: str, since: datetime) -> frozenset[str]:
    """The countries the account signed in from successfully since then."""
    return frozenset(country for country in tx.execute(_COUNTRIES, {"account_id": account_id, "since": since})
                     .scalars() if country is not None)


def last_success(tx: Tx, account_id: str) -> SignInAttempt | None:
    return tx.execute(select(SignInAttempt).where(SignInAttempt.account_id == account_id,
                                                  SignInAttempt.outcome == "success")
                      .order_by(SignInAttempt.id.desc()).limit(1)).scalar_one_or_none()


# What the support console reads of the sign-in history: an account's attempts (its record and its
# facts), where attempts came from (the search), and what its risk signals count.
def account_attempts(tx: Tx, account_id: str, limit: int, newest_first: bool = False) -> list[SignInAttempt]:
    order = SignInAttempt.id.desc() if newest_first else SignInAttempt.id
    return list(tx.execute(select(SignInAttempt).where(SignInAttempt.account_id == account_id)
                           .order_by(order).limit(limit)).scalars())


_TRACE = (SignInAttempt.account_id, SignInAttempt.identifier, SignInAttempt.ip, SignInAttempt.outcome,
          SignInAttempt.created_at)
Trace: TypeAlias = "Row[str | None, str, str | None, str, datetime]"  # account_id, identifier, ip, outcome, created_at


def _traces(tx: Tx, condition: ColumnElement[bool], limit: int) -> Sequence[Trace]:
    return tx.execute(select(*_TRACE).where(condition).order_by(SignInAttempt.id.desc()).limit(limit)).all()


def attempts_from_device(tx: Tx, device_hash: str, limit: int) -> Sequence[Trace]:
    """The latest attempts from this device, newest first."""
    return _traces(tx, SignInAttempt.device_id == device_hash, limit)


def attempts_from_address(tx: Tx, address: str, limit: int, prefix: bool = False) -> Sequence[Trace]:
    """The latest attempts from this address, newest first; with `prefix`, from any address that
    starts with it (a network's leading octets or groups)."""
    return _traces(tx, SignInAttempt.ip.like(address + "%") if prefix else SignInAttempt.ip == address, limit)


def success_places(tx: Tx, account_id: str, limit: int) -> Sequence[Row[str | None, str | None]]:
    """(country, ip) of the account's latest successful sign-ins, newest first."""
    return tx.execute(select(SignInAttempt.country, SignInAttempt.ip)
                      .where(SignInAttempt.account_id == account_id, SignInAttempt.outcome == "success")
                      .order_by(SignInAttempt.id.desc()).limit(limit)).all()


def count_failures_since(tx: Tx, account_id: str, since: datetime) -> int:
    """The account's refused attempts since then, at any step."""
    return tx.execute(select(func.count()).select_from(SignInAttempt).where(
        SignInAttempt.account_id == account_id, SignInAttempt.outcome == "failure",
        SignInAttempt.created_at >= since)).scalar_one()


def risk_records_since(tx: Tx, account_id: str, since: datetime, limit: int) -> list[dict[str, Any] | None]:
    """The risk records (decision and signals) of the account's assessed attempts since then, newest first."""
    return list(tx.execute(select(SignInAttempt.risk).where(
        SignInAttempt.account_id == account_id, SignInAttempt.risk.is_not(None), SignInAttempt.created_at >= since)
        .order_by(SignInAttempt.id.desc()).limit(limit)).scalars())
