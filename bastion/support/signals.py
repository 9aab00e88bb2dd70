"""Risk signals beside a case: what in the account's recent past should make an agent look twice
before handing the account to whoever asked (a wrong 2FA reset gives an impostor the funds).

Facts only, each with its evidence, from the request's address, the sign-in history, the audit
log and earlier cases; the agent judges. `level` is "warning" for what is typical of account
takeover (a new country, an anonymising network, a password changed just before), "info" for
context.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session as Tx

from bastion.accounts.words import place_words
from bastion.audit import repo as audit
from bastion.clock import rfc3339
from bastion.config import Settings
from bastion.geo import locate
from bastion.mfa.registry import METHODS
from bastion.recovery import repo as cases
from bastion.risk.policy import policy_of
from bastion.signin import attempts as sign_ins
from bastion.support.casework import Case

RECENT = timedelta(days=7)
RISKY_WINDOW = timedelta(days=30)
HISTORY = timedelta(days=180)
NEW_ACCOUNT = timedelta(days=14)
TAKEOVER_SIGNALS = ("new_country", "impossible_travel", "anonymizer", "failure_velocity")


def factor_changes() -> tuple[str, ...]:
    """The audit events that change an account's second factors: 2FA turned off, and each method's own."""
    return ("mfa.mfa_disabled", *(kind for kind, words in METHODS.events().items() if words.changes_factors))


class CaseAccount(Protocol):
    """The account a case is about, as its signals read it (a row of `bastion.accounts`)."""

    @property
    def id(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def password_changed_at(self) -> datetime | None: ...


def _signal(name: str, level: str, **fields: Any) -> dict[str, Any]:
    return {"signal": name, "level": level, **fields}


def risk_signals(tx: Tx, settings: Settings, case: Case, account: CaseAccount, now: datetime) -> list[dict[str, Any]]:
    signals = _request_signals(tx, settings, case, account)
    signals += _history_signals(tx, case, account, now)
    return sorted(signals, key=lambda item: item["level"] != "warning")


def _request_signals(tx: Tx, settings: Settings, case: Case, account: CaseAccount) -> list[dict[str, Any]]:
    """Where the request came from, against where the account signs in."""
    signals = []
    location = locate(case.ip)
    seen = sign_ins.success_places(tx, account.id, 500)
    countries = {country for country, _ in seen if country}
    if location.country and countries and location.country not in countries:
        signals.append(_signal("case_new_country", "warning", place=place_words(location.country), ip=case.ip))
    if policy_of(settings).is_anonymizer(case.ip, location.asn_name):
        signals.append(_signal("case_anonymizer", "warning", network=location.asn_name or case.ip, ip=case.ip))
    if case.ip and seen and case.ip not in {ip for _, ip in seen}:
        signals.append(_signal("case_new_address", "info", ip=case.ip))
    if not seen:
        signals.append(_signal("no_sign_in", "info"))
    return signals


def _history_signals(tx: Tx, case: Case, account: CaseAccount, now: datetime) -> list[dict[str, Any]]:
    signals = []
    before = case.created_at
    changed = account.password_changed_at
    if changed and changed - account.created_at > timedelta(minutes=1) and before - RECENT <= changed <= before:
        signals.append(_signal("recent_password_change", "warning", when=rfc3339(changed)))
    factor_change = audit.latest_of_kinds(tx, account.id, factor_changes(), before - RECENT, before)
    if factor_change is not None:
        signals.append(_signal("recent_factor_change", "warning", when=rfc3339(factor_change)))
    failures = sign_ins.count_failures_since(tx, account.id, now - RECENT)
    if failures >= 5:
        signals.append(_signal("recent_failures", "warning", count=failures))
    risky = [attempt for attempt in sign_ins.risk_records_since(tx, account.id, now - RISKY_WINDOW, 200)
             if attempt and set(attempt.get("signals") or ()) & set(TAKEOVER_SIGNALS)]
    if risky:
        seen_signals = sorted({signal for attempt in risky for signal in attempt.get("signals", ())
                               if signal in TAKEOVER_SIGNALS})
        signals.append(_signal("risky_sign_ins", "warning", count=len(risky), signals=seen_signals))
    refused = cases.count_account_cases(tx, account.id, ("rejected", "cancelled"), now - HISTORY, other_than=case.id)
    if refused:
        signals.append(_signal("previous_refusals", "warning", count=refused))
    if account.created_at >= before - NEW_ACCOUNT:
        signals.append(_signal("new_account", "warning", when=rfc3339(account.created_at)))
    return signals
