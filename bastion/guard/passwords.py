"""Every check of a password (requirements §1-7), whichever route it comes through.

Order, cheapest first: the network's holds; the identifier's hold (or, on a device that signed
in to the account before, that device's own); then one argon2 verification through the hash
gate — never a hash for a held request. A device that signed in to the account before skips the
network's holds as it skips the email's: someone flooding the owner's network (an office, a
carrier's NAT) with made-up secrets cannot lock the owner out of their own device. A wrong password counts against the same budgets on
every route, so a signed-in session (step-up, password change) or a recovery request buys no
more guesses than the sign-in page, and a pause answers the same `account.locked` everywhere.
An unknown email costs the same one verification (against a stand-in hash) and counts the same.

Every other argon2 computation — a new password's hash — runs in the same gate (`hash_password`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy.orm import Session as Tx

from bastion.context import Client
from bastion.errors import BastionError
from bastion.guard import alerts
from bastion.plugs import Plug
from bastion.services import Services
from bastion.throttle.admission import ESTABLISHED_DEVICE_DAYS


class PasswordHolder(Protocol):
    """The account an identifier names, as far as checking its password goes."""

    @property
    def id(self) -> str: ...

    @property
    def password_hash(self) -> str | None: ...


class PasswordAccounts(Protocol):
    """What the guard reads of the accounts whose passwords it checks."""

    def account_and_device_since(self, reader: Connection, email: str,
                                 device_hash: str | None) -> tuple[PasswordHolder | None, datetime | None]:
        """The account with this email, and when the device first signed in to it (None: never; one statement)."""

    def device_hashes_for_email(self, tx: Tx, email: str) -> list[str]:
        """The devices that signed in to the account with this email (none for an unknown email)."""


ESTABLISHED_AGE = timedelta(days=ESTABLISHED_DEVICE_DAYS)
ACCOUNTS: Plug[PasswordAccounts] = Plug("the accounts whose passwords the guard checks (bastion.accounts.devices)")


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    account: PasswordHolder | None  # the account the email names, matched or not
    known_device: bool
    matched: bool


def check_password(services: Services, identifier: str, password: str, client: Client,
                   against: str | None = None) -> PasswordCheck:
    """One guarded verification of `password` for the normalised email `identifier` — against the
    account's password, or `against` (a hash the person chose for something else of this account,
    such as one sign-up of an address signed up twice).

    Raises `ip.throttled`, `account.locked` or `account.password_disabled` before any hash when
    a budget is spent, and `rate_limited` when the hash queue has no room for it; otherwise
    answers whether it matched, having counted the outcome.
    """
    now = services.clock.now()
    throttle = services.throttle
    if client.device_id is None:
        throttle.check_network(client.ip, now)  # no device that could be known: refused before any look-up
    with services.db.reading_alone() as reader:  # one statement: no BEGIN/COMMIT around it
        account, device_since = ACCOUNTS().account_and_device_since(reader, identifier, client.device_id)
    known = device_since is not None
    if client.device_id is not None and not known:
        throttle.check_network(client.ip, now)
    services.hash_gate.check_room(known)  # a flood refused before its attempt is counted
    attempt = throttle.begin_attempt(identifier, client.device_id, known, now)  # paused? else counted, before the hash
    stored = against if against is not None else account.password_hash if account else None
    try:
        matched = services.hash_gate.run(known, lambda: services.passwords.verify(stored, password),
                                         account=account.id if account else None,
                                         established=device_since is not None and device_since <= now - ESTABLISHED_AGE)
    except BastionError:
        services.throttle.store.decrement(attempt.key, now)  # turned away unchecked (a busy hash gate)
        raise
    if matched and account is not None and stored is not None:
        throttle.record_success(identifier, client.device_id)
        return PasswordCheck(account, known, True)
    outcome = throttle.record_failure(attempt, client.ip, now)
    if account is not None and (outcome.newly_locked or outcome.disabled):
        with services.db.transaction() as tx:
            alerts.password_paused(services, tx, account.id, outcome, client, known)
    return PasswordCheck(account, known, False)


def hash_password(services: Services, password: str, *, known_device: bool, after_answer: bool = False) -> str:
    """A new password's hash, computed in the hash gate like every verification.

    `known_device`: the person already proved who they are (a session, a reset link, the right
    password): their hash goes first under a flood. `after_answer`: a sign-up's, once its answer
    has gone — it waits behind the owners' in the shared line, and is never refused (nothing lost).
    """
    return services.hash_gate.run(known_device, lambda: services.passwords.hash(password), after_answer=after_answer)


def _known_devices(services: Services, identifier: str) -> list[str]:
    """The devices that signed in to the account with this email (none for an unknown email)."""
    with services.db.transaction() as tx:
        return ACCOUNTS().device_hashes_for_email(tx, identifier)


def clear_pauses(services: Services, identifier: str) -> None:
    """A completed password reset: the email's pause and switch-off end, and so do the pauses of
    every device the owner signed in with (requirements §5) — the reset's own help says so."""
    services.throttle.clear_identifier(identifier, _known_devices(services, identifier))


def lift_pause(services: Services, identifier: str) -> bool:
    """An operator's unlock: like `clear_pauses`, unless the 100-failure switch-off is reached (only
    the owner's password reset ends that). False when it is."""
    return services.throttle.lift_pause(identifier, services.clock.now(), _known_devices(services, identifier))
