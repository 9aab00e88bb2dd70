"""Every second step after the password (requirements §10, §20): an authenticator code, a backup code,
a passkey, and the emailed code that confirms a new device.

Each attempt is counted before it is checked, in order: the network's hold, the account's pause,
the account's budget, the flow's (docs/design/guard.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session as Tx

from bastion.clock import seconds_until
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.guard import alerts
from bastion.plugs import Plug
from bastion.services import Services
from bastion.throttle.rules import counter_key

# How long the doubling remembers earlier pauses without a new one.
STREAK_MEMORY = timedelta(days=1)
# A flow whose budget is spent ends; flows are sign-in's. (transaction, flow id, now)
EndFlow = Callable[[Tx, str, datetime], None]
FLOWS: Plug[EndFlow] = Plug("ending a sign-in flow (bastion.signin)")


@dataclass(frozen=True, slots=True)
class StepBudget:
    name: str  # keys the account's pause and streak
    account_scope: str  # the windowed limit per account (BASTION_RATE_LIMITS)
    flow_scope: str | None  # the windowed limit per flow, if any
    paused: Reason  # the refusal while the account's step is paused
    flow_over: Reason  # the refusal when the flow's budget is spent
    # Whether tripping the account's budget also ends the flow. A device code's flow has one live code
    # whose own five tries are counted atomically, so it may outlive a pause (and a right code sent
    # many times at once still finishes it once).
    ends_flow: bool = True


SECOND_FACTOR = StepBudget("mfa", "mfa_account", "mfa_flow", Reason.MFA_LOCKED, Reason.MFA_ATTEMPTS_EXCEEDED)
# Refusals of a checked proof (not of a budget): each is a failure from the client's network.
CHECK_FAILURES = frozenset(alerts.FAILED_SECOND_STEP) | {Reason.MFA_CODE_REUSED, Reason.PASSKEY_CLONED,
                                                        Reason.DEVICE_ATTEMPTS_EXCEEDED}
# A device code's own 5 tries are counted on its row (bastion.risk.device_step); this is the account's.
DEVICE_CODE = StepBudget("device", "device_account", None, Reason.DEVICE_LOCKED, Reason.DEVICE_ATTEMPTS_EXCEEDED,
                         ends_flow=False)


def paused_until(services: Services, budget: StepBudget, account_id: str, now: datetime) -> datetime | None:
    """When the account's pause on this step ends, if it is paused now."""
    return services.throttle.store.held_until(counter_key(f"{budget.name}_lock", account_id), now)


def admit(services: Services, budget: StepBudget, account_id: str, flow_id: str | None, client: Client,
          known_device: bool = False) -> None:
    """Refuse, or count this attempt before it is checked. A device that signed in to the account
    before skips the network's holds (as it does at the password)."""
    now = services.clock.now()
    throttle = services.throttle
    if not known_device:
        throttle.check_network(client.ip, now)
    until = paused_until(services, budget, account_id, now)
    if until is not None:
        raise BastionError(budget.paused, retry_after=seconds_until(until, now))
    over_account = throttle.hit(budget.account_scope, account_id, now)
    over_flow = throttle.hit(budget.flow_scope, flow_id, now) if flow_id and budget.flow_scope else None
    if over_account is None and over_flow is None:
        return
    refusal = BastionError(budget.flow_over)
    newly_paused = False
    if over_account is not None:
        streak = throttle.store.increment(counter_key(f"{budget.name}_streak", account_id), STREAK_MEMORY, now,
                                          sliding=True)
        until = now + throttle.delay_after(throttle.lock_after + streak - 1)
        throttle.store.hold(counter_key(f"{budget.name}_lock", account_id), until, now)
        refusal, newly_paused = BastionError(budget.paused, retry_after=seconds_until(until, now)), streak == 1
    with services.db.transaction() as tx:
        if flow_id and (budget.ends_flow or over_flow is not None):
            FLOWS()(tx, flow_id, now)
        if newly_paused:
            alerts.second_step_paused(services, tx, account_id, budget.paused, refusal.retry_after, client)
    raise refusal


def failed(services: Services, account_id: str, code: Reason, client: Client, new_place: bool,
           alert: bool = True) -> bool:
    """A checked step failed (`code` in CHECK_FAILURES): the network's budgets, and — unless the
    method sent an alert of its own — the owner's burst alert. True when emailed. Call it outside
    any transaction (the counters may live in the same database)."""
    if code not in CHECK_FAILURES:
        return False
    services.throttle.count_network_failure(client.ip, services.clock.now())
    return alert and alerts.second_step_failed(services, account_id, code, client, new_place)


def succeeded(services: Services, budget: StepBudget, account_id: str) -> None:
    services.throttle.store.reset(counter_key(f"{budget.name}_streak", account_id))
