"""Signing in with a passkey: as the second factor of a flow, or passwordless (REQUIREMENTS 12).

Each ceremony's challenge is stored server-side (as its hash) beside a persisted flow, and is
used up by the first answer that presents it, valid or not. Passwordless sign-in needs user
verification and a user handle that names the passkey's owner (WebAuthn §7.2 step 6); it counts
as two factors (aal 2), so the flow's second-step stage is satisfied too. A sign counter that did
not move forward refuses the passkey as cloned (`passkey.cloned`) and alerts the owner.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bastion.accounts.repo import get_account
from bastion.context import Client
from bastion.errors import BastionError, new_reference
from bastion.mfa import passkey_repo, passkeys
from bastion.mfa.flows import notices
from bastion.mfa.flows.second_factor import Consume, Step, continue_sign_in
from bastion.mfa.flows.service_gates import service_gates
from bastion.mfa.stage import MFA_STAGE
from bastion.services import Services
from bastion.signin.attempts import record_attempt
from bastion.signin.flow import Authenticated, SignInResult, advance_flow, load_open_flow, mark_done
from bastion.signin.stages import STAGES
from bastion.store.models import SignInFlow

PASSWORDLESS_STATE = "passkey"


@dataclass(frozen=True, slots=True)
class UsedPasskey:
    id: str
    account_id: str
    name: str
    public_key: str
    sign_count: int
    challenge_flow_id: str | None


def _valid_for(services: Services) -> timedelta:
    return timedelta(minutes=services.settings.passkey_challenge_minutes)


def second_factor_options(services: Services, flow_id: str) -> dict[str, Any]:
    now = services.clock.now()
    challenge = passkeys.new_challenge()
    with services.db.transaction() as tx:
        flow = load_open_flow(tx, flow_id, now, "mfa_required")
        if "passkey" not in flow.facts.get("methods", []):
            raise BastionError("mfa.method_unavailable")
        allowed = [item.credential_id for item in passkey_repo.list_passkeys(tx, flow.account_id or "")]
        passkey_repo.store_challenge(tx, passkeys.challenge_hash(challenge), "second_factor", now,
                                     _valid_for(services), account_id=flow.account_id, flow_id=flow.id)
    return passkeys.authentication_options(passkeys.relying_party(services.settings), challenge, allowed, False)


def sign_in_with_passkey(services: Services, flow_id: str, credential: dict[str, Any], client: Client) -> SignInResult:
    seen: list[tuple[UsedPasskey, int]] = []

    def prepare(account_id: str, now: datetime) -> Consume:
        used, assertion = _check_assertion(services, credential, "second_factor", now)
        if used.account_id != account_id or used.challenge_flow_id != flow_id:
            raise BastionError("passkey.invalid")
        seen.append((used, assertion.sign_count))
        if not passkeys.counter_is_fresh(used.sign_count, assertion.sign_count):
            raise BastionError("passkey.cloned")
        return lambda tx: _advance_counter(tx, used, assertion.sign_count, now)

    def refused(tx: Any, account_id: str, error: BastionError) -> bool:
        if error.code != "passkey.cloned" or not seen:
            return False
        used, presented = seen[0]
        notices.alert_cloned_passkey(services, tx, account_id, used.id, used.name, used.sign_count, presented, client)
        return True

    return continue_sign_in(services, flow_id, client, Step("passkey", prepare, refused=refused))


def passwordless_options(services: Services, client: Client) -> tuple[SignInFlow, dict[str, Any]]:
    """A persisted flow waiting for a discoverable credential, and the options for the browser.

    Each call writes a flow and a challenge before anyone is known, so it is limited per IP.
    """
    now = services.clock.now()
    wait = services.throttle.hit("passkey_ip", client.ip or "unknown", now)
    if wait is not None:
        raise BastionError("rate_limited", retry_after=wait)
    challenge = passkeys.new_challenge()
    with services.db.transaction() as tx:
        flow = SignInFlow(account_id=None, state=PASSWORDLESS_STATE, created_at=now,
                          expires_at=now + _valid_for(services), remember=False, ip=client.ip,
                          user_agent=(client.user_agent or "")[:512] or None, device_id=client.device_id,
                          facts={"done": []})
        tx.add(flow)
        tx.flush()
        passkey_repo.store_challenge(tx, passkeys.challenge_hash(challenge), "passwordless", now,
                                     _valid_for(services), flow_id=flow.id)
    return flow, passkeys.authentication_options(passkeys.relying_party(services.settings), challenge, None, True)


def sign_in_passwordless(services: Services, credential: dict[str, Any], client: Client,
                         remember: bool = False) -> SignInResult:
    now = services.clock.now()
    used: UsedPasskey | None = None
    presented = 0
    try:
        gates = service_gates(services, client)
        used, assertion = _check_assertion(services, credential, "passwordless", now)
        presented = assertion.sign_count
        if passkeys.presented_user_handle(credential) != used.account_id:
            raise BastionError("passkey.invalid")
        if not assertion.user_verified:
            raise BastionError("passkey.user_not_verified")
        if not passkeys.counter_is_fresh(used.sign_count, presented):
            raise BastionError("passkey.cloned")
        with services.db.transaction() as tx:
            flow = load_open_flow(tx, used.challenge_flow_id or "", now, PASSWORDLESS_STATE)
            account = get_account(tx, used.account_id)
            gates.admit(services, staff=bool(account.role_set))
            _advance_counter(tx, used, presented, now)
            flow.account_id, flow.remember = account.id, remember
            mark_done(flow, "passkey", aal=2)
            mark_done(flow, MFA_STAGE, mfa_method="passkey")
            result = advance_flow(services, tx, flow, account, client, STAGES)
            authenticated = isinstance(result, Authenticated)
            record_attempt(tx, now, account.email, "passkey", "success" if authenticated else "challenge", client,
                           account_id=account.id, flow_id=flow.id,
                           code=None if isinstance(result, Authenticated) else result.requirement.status)
        return dataclasses.replace(result, update_available=gates.update_available) if gates.update_available \
            else result
    except BastionError as refusal:
        refusal.reference = refusal.reference or new_reference()
        with services.db.transaction() as tx:
            email = get_account(tx, used.account_id).email if used else "(passkey)"
            record_attempt(tx, now, email, "passkey", "failure", client, account_id=used.account_id if used else None,
                           code=refusal.code, reference=refusal.reference,
                           flow_id=used.challenge_flow_id if used else None)
            if used is not None and refusal.code == "passkey.cloned":
                notices.alert_cloned_passkey(services, tx, used.account_id, used.id, used.name, used.sign_count,
                                             presented, client)
        raise


def _check_assertion(services: Services, credential: dict[str, Any], purpose: str,
                     now: datetime) -> tuple[UsedPasskey, passkeys.Assertion]:
    """Use up the presented challenge (whatever follows), then verify the signature against the passkey."""
    challenge = passkeys.presented_challenge(credential)
    credential_id = passkeys.presented_credential_id(credential)
    if challenge is None or credential_id is None:
        raise BastionError("passkey.invalid")
    with services.db.transaction() as tx:
        row = passkey_repo.consume_challenge(tx, passkeys.challenge_hash(challenge), purpose, now)
        challenge_flow_id = row.flow_id if row is not None else None
    if row is None:
        raise BastionError("passkey.invalid")
    with services.db.transaction() as tx:
        passkey = passkey_repo.find_by_credential_id(tx, credential_id)
        if passkey is None:
            raise BastionError("passkey.invalid")
        used = UsedPasskey(passkey.id, passkey.account_id, passkey.name, passkey.public_key, passkey.sign_count,
                           challenge_flow_id)
    assertion = passkeys.verify_assertion(passkeys.relying_party(services.settings), credential, challenge,
                                          used.public_key)
    return used, assertion


def _advance_counter(tx: Any, used: UsedPasskey, presented: int, now: datetime) -> None:
    if not passkey_repo.advance_counter(tx, used.id, used.sign_count, presented, now):
        raise BastionError("passkey.cloned")
