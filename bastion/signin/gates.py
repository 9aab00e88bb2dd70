"""The gates every sign-in passes once its first factor has succeeded (safe to be specific then)."""

from __future__ import annotations

import ipaddress

from sqlalchemy.orm import Session as Tx

from bastion.errors import BastionError, Reason
from bastion.ops.maintenance import maintenance_refusal
from bastion.services import Services
from bastion.signin.flow import Requirement, SigningIn
from bastion.signin.models import SignInFlow
from bastion.signin.visit import Visit


def ip_allowed(allowlist: list[str], ip: str | None) -> bool:
    if not allowlist:
        return True
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in allowlist)


class ServiceGate:
    """During a maintenance window only staff finish signing in (requirements §31). Runs again at
    every later step, so a window that starts mid-sign-in stops it too."""

    name = "service_gate"
    requirement = None
    waiting_reason = None

    def check(self, services: Services, tx: Tx, flow: SignInFlow, account: SigningIn, visit: Visit) -> Requirement | None:
        if visit.window is not None and not account.role_set:
            raise maintenance_refusal(visit.window, services.clock.now())
        return None


class AccountGate:
    """Frozen, suspended, banned, IP allowlist, email not confirmed — in that order."""

    name = "account_gate"
    requirement = None
    waiting_reason = None

    def check(self, services: Services, tx: Tx, flow: SignInFlow, account: SigningIn, visit: Visit) -> Requirement | None:
        now = services.clock.now()
        active_restriction = account.status_until is None or account.status_until > now
        if account.status == "frozen":
            raise BastionError(Reason.ACCOUNT_FROZEN)
        if account.status == "suspended" and active_restriction:
            raise BastionError(Reason.ACCOUNT_SUSPENDED, detail=account.status_reason or None)
        if account.status == "banned" and active_restriction:
            retry = int((account.status_until - now).total_seconds()) if account.status_until else None
            raise BastionError(Reason.ACCOUNT_BANNED, detail=account.status_reason or None, retry_after=retry)
        if not ip_allowed(account.ip_allowlist, visit.client.ip):
            raise BastionError(Reason.ACCOUNT_IP_NOT_ALLOWED, extra={"ip": visit.client.ip})
        if account.email_verified_at is None:
            raise BastionError(Reason.ACCOUNT_EMAIL_UNVERIFIED)
        return None
