"""The second-factor methods Bastion offers, in the order sign-in lists them (docs/api.md).

Adding a method: its package (implementing `bastion.mfa.method.SecondFactorMethod`), one line
below, and its migration. Everything that deals with second factors loops over `METHODS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Label, Row
from sqlalchemy.orm import Session as Tx

from bastion.crypto.rotation import Protected
from bastion.mfa import repo
from bastion.mfa.backup_codes.method import BackupCodeMethod
from bastion.mfa.method import EventWords, SecondFactorMethod
from bastion.mfa.passkeys.method import PasskeyMethod
from bastion.mfa.totp.method import TotpMethod


class Registry:
    def __init__(self, *methods: SecondFactorMethod) -> None:
        self._methods: dict[str, SecondFactorMethod] = {method.name: method for method in methods}
        self._reads: tuple[Label[Any], ...] | None = None

    def register(self, method: SecondFactorMethod) -> None:
        if method.name in self._methods or any(known.path == method.path for known in self):
            raise ValueError(f"a second-factor method named {method.name!r} or at {method.path!r} exists")
        self._methods[method.name] = method
        self._reads = None

    def unregister(self, name: str) -> None:
        self._methods.pop(name, None)
        self._reads = None

    def __iter__(self) -> Iterator[SecondFactorMethod]:
        return iter(list(self._methods.values()))

    def get(self, name: str) -> SecondFactorMethod | None:
        return self._methods.get(name)

    def at_path(self, path: str) -> SecondFactorMethod | None:
        return next((method for method in self if method.path == path), None)

    def enrolled_reads(self) -> tuple[Label[Any], ...]:
        """The stand-alone methods' EXISTS clauses, labelled, for another statement on the `account_id`
        parameter (the sign-in's lock of the account); built once while the methods stay the same."""
        if self._reads is None:
            self._reads = tuple(method.enrolled_clause.label(_read_label(method.name)) for method in self
                                if method.stands_alone and method.enrolled_clause is not None)
        return self._reads

    def enrolled(self, tx: Tx, account_id: str, looked_up: Row[Any] | None = None) -> list[str]:
        """The methods a sign-in of this account may use; empty when 2FA is off. `looked_up`: a row
        holding `enrolled_reads()` for this account, read already.

        Methods that only stand in for another (backup codes) count only beside one that stands alone,
        so they are not even looked up for an account without one (every sign-in asks this).
        """
        alone = self._stand_alone(tx, account_id, looked_up)
        if not alone:
            return []
        found = alone | {method.name for method in self
                         if not method.stands_alone and method.enrolled(tx, account_id)}
        return [method.name for method in self if method.name in found]

    def has_second_factor(self, tx: Tx, account_id: str) -> bool:
        return bool(self._stand_alone(tx, account_id))

    def _stand_alone(self, tx: Tx, account_id: str, looked_up: Row[Any] | None = None) -> set[str]:
        """The stand-alone methods enrolled: those that offer an EXISTS clause in one round trip."""
        methods = [method for method in self if method.stands_alone]
        clauses = [(method.name, method.enrolled_clause) for method in methods if method.enrolled_clause is not None]
        found: set[str] = set()
        if looked_up is not None:
            found = {name for name, _ in clauses if getattr(looked_up, _read_label(name))}
        elif clauses:
            held = repo.clauses_holding(tx, [clause for _, clause in clauses], account_id)
            found = {name for (name, _), present in zip(clauses, held, strict=True) if present}
        return found | {method.name for method in methods
                        if method.enrolled_clause is None and method.enrolled(tx, account_id)}

    def remove_all(self, tx: Tx, account_id: str, now: datetime) -> dict[str, int]:
        """Every method's factors of the account go; how many of each, as "<method>_removed"."""
        return {f"{method.name}_removed": method.remove_all(tx, account_id, now) for method in self}

    def trust_ids(self, tx: Tx, account_id: str) -> list[str]:
        return [f"{method.name}:{one}" for method in self for one in method.trust_ids(tx, account_id)]

    def support_view(self, tx: Tx, account_id: str) -> list[dict[str, Any]]:
        return [entry for method in self for entry in method.support_view(tx, account_id)]

    def events(self) -> dict[str, EventWords]:
        """Every method's audit events in words, by kind ("mfa.passkey_added")."""
        return {kind: words for method in self for kind, words in method.history.events.items()}

    def protected(self) -> tuple[Protected, ...]:
        return tuple(item for method in self for item in method.protected)


def _read_label(name: str) -> str:
    return f"mfa_{name}"


METHODS = Registry(TotpMethod(), PasskeyMethod(), BackupCodeMethod())
