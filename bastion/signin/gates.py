"""Account gates, checked once the first factor has succeeded (safe to be specific then)."""

from __future__ import annotations

from sqlalchemy.orm import Session as Tx

from bastion.context import Client
from bastion.errors import BastionError
from bastion.services import Services
from bastion.signin.flow import Requirement
from bastion.store.models import Account, SignInFlow


class AccountGate:
    name = "account_gate"

    def check(self, services: Services, tx: Tx, flow: SignInFlow, account: Account, client: Client) -> Requirement | None:
        if account.email_verified_at is None:
            raise BastionError("account.email_unverified")
        return None
