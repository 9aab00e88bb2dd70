"""What a second-factor method is (requirements §8-13): one protocol every method package implements.

Everything that deals with second factors loops over the registered methods
(`bastion.mfa.registry`); a proof is checked outside any transaction and consumed inside the one
that acts on it. Why: docs/design/second-factor-methods.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session as Tx

from bastion.context import Client
from bastion.crypto.rotation import Protected
from bastion.errors import BastionError
from bastion.services import Services

Consume = Callable[[Tx], None]


@dataclass(frozen=True, slots=True)
class ProofContext:
    services: Services
    account_id: str
    client: Client
    during: str  # "sign_in" or "reauth": where the proof is used (audit, alerts)
    flow_id: str | None = None  # the sign-in flow a proof must belong to (a passkey's challenge)


class ProofCheck(Protocol):
    """One attempt at a proof; keeps what a refusal's alert needs to know about it."""

    def check(self, now: datetime) -> Consume:
        """Check the proof (raise the method's refusal); return what to consume once it is acted on."""

    def refused(self, tx: Tx, refusal: BastionError) -> bool:
        """The method's own alert for a refusal (a reused code, a cloned passkey); True when it sent one."""

    def succeeded(self, tx: Tx) -> None:
        """After the proof was used (e.g. the "backup code used" email)."""


@dataclass(frozen=True, slots=True)
class MethodWords:
    """How the sign-in page asks for this method's proof."""

    lead: str
    switch: str  # the link that switches to this method
    named: str  # the method in a list of the others: "Or use a passkey or a backup code."
    field_label: str = ""
    hint: str = ""
    input: dict[str, str] = field(default_factory=dict)  # the code field's HTML attributes


@dataclass(frozen=True, slots=True)
class EventWords:
    """One of the method's audit events ("mfa.passkey_added") in words."""

    console: str  # the support console's timeline: "Passkey added"
    notice: str = ""  # the owner's "factor changed" email, for an event that sends one (mfa/flows/notices.py)
    changes_factors: bool = False  # counts as a change of second factors beside a support case (a risk signal)


@dataclass(frozen=True, slots=True)
class HistoryWords:
    """How the method reads in an account's history: the owner's activity page, the support console and
    the security emails look its words up here, so none of them lists the methods."""

    step: str  # a sign-in step on the owner's activity page: "Authenticator code"
    console_step: str  # in the console's "Refused at the %(step)s step": "authenticator code"
    console_step_label: str  # a label of its own, a whole phrase so each language words it: "Authenticator code step"
    events: dict[str, EventWords] = field(default_factory=dict)  # by the audit event's kind


class SecondFactorMethod(Protocol):
    name: str  # in a flow's `methods`, the API's answers and the audit log: "totp", "passkey", "backup_code"
    path: str  # the API's step: POST /v1/login/{flow_id}/{path}
    label: str  # for people: "Authenticator app"
    proof: str  # what a step's body carries: "code" or "credential"
    stands_alone: bool  # turns 2FA on by itself (backup codes only stand in for one that does)
    step_up: bool  # may confirm it's you (POST /v1/reauth)
    amr: str  # the authentication method reference (RFC 8176) of a sign-in that used it
    words: MethodWords
    history: HistoryWords

    # Read-only, so that a method may declare a narrower value (no columns, one clause kind).
    @property
    def protected(self) -> tuple[Protected, ...]:
        """Its columns encrypted under the key ring (`bastion keys rotate`)."""

    # Optional: `enrolled` as an EXISTS on the `account_id` bind parameter, built by the method's repository,
    # so that the registry asks every method at once in one round trip (every sign-in asks; `bastion.mfa.repo`
    # runs it). None: `enrolled` is called.
    @property
    def enrolled_clause(self) -> ColumnElement[bool] | None: ...

    def enrolled(self, tx: Tx, account_id: str) -> bool: ...

    def trust_ids(self, tx: Tx, account_id: str) -> list[str]:
        """Ids whose change revokes trusted devices (they are part of the trust fingerprint)."""

    def start_check(self, context: ProofContext, proof: Any) -> ProofCheck: ...

    def remove_all(self, tx: Tx, account_id: str, now: datetime) -> int:
        """A completed 2FA reset: remove (or void) every credential of this kind; how many."""

    def support_view(self, tx: Tx, account_id: str) -> list[dict[str, Any]]:
        """What an agent may see: which exist, added and last used — never a secret."""
