"""Signing in with a passkey: its options as the second factor of a flow, and passwordless sign-in
(requirements §12).

Passwordless sign-in needs user verification and a user handle that names the passkey's owner
(WebAuthn §7.2 step 6); it counts as two factors (aal 2), so the flow's second-step stage is
satisfied too. The passkey as a second step is a registered method (`method.py`), continued like
any other (`bastion.mfa.flows.second_factor`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bastion.accounts.repo import get_account, lock_account
from bastion.context import Client
from bastion.errors import BastionError, Reason, new_reference
from bastion.guard.tokens import guarded_token
from bastion.mfa.passkeys import repo as passkey_repo
from bastion.mfa.passkeys import webauthn as passkeys
from bastion.mfa.passkeys.assertion import UsedPasskey, advance_counter, alert_cloned, check_assertion
from bastion.mfa.stage import MFA_STAGE
from bastion.services import Services
from bastion.signin.attempts import record_attempt
from bastion.signin.continuation import finish_flow
from bastion.signin.flow import FlowState, SignInResult, load_open_flow, mark_done, open_anonymous_flow
from bastion.signin.stages import STAGES
from bastion.signin.visit import arrive

PASSWORDLESS_STATE = "passkey"


def _valid_for(services: Services) -> timedelta:
    return timedelta(minutes=services.settings.passkey_challenge_minutes)


def second_factor_options(services: Services, flow_id: str) -> dict[str, Any]:
    now = services.clock.now()
    challenge = passkeys.new_challenge()
    with services.db.transaction() as tx:
        flow = load_open_flow(tx, flow_id, now, "mfa_required", STAGES())
        if "passkey" not in flow.facts.get("methods", []):
            raise BastionError(Reason.MFA_METHOD_UNAVAILABLE)
        allowed = [item.credential_id for item in passkey_repo.list_passkeys(tx, flow.account_id or "")]
        passkey_repo.store_challenge(tx, passkeys.challenge_hash(challenge), "second_factor", now,
                                     _valid_for(services), account_id=flow.account_id, flow_id=flow.id)
    return passkeys.authentication_options(passkeys.relying_party(services.settings), challenge, allowed, False)


def passwordless_options(services: Services, client: Client) -> tuple[FlowState, dict[str, Any]]:
    """A persisted flow waiting for a discoverable credential, and the options for the browser.

    Each call writes a flow and a challenge before anyone is known, so it is limited per IP.
    """
    now = services.clock.now()
    services.throttle.spend(now, ("passkey_ip", client.ip or "unknown"))
    challenge = passkeys.new_challenge()
    with services.db.transaction() as tx:
        flow = open_anonymous_flow(tx, client, PASSWORDLESS_STATE, now, _valid_for(services))
        passkey_repo.store_challenge(tx, passkeys.challenge_hash(challenge), "passwordless", now,
                                     _valid_for(services), flow_id=flow.id)
    return flow, passkeys.authentication_options(passkeys.relying_party(services.settings), challenge, None, True)


def sign_in_passwordless(services: Services, credential: dict[str, Any], client: Client,
                         remember: bool = False) -> SignInResult:
    now = services.clock.now()
    used: UsedPasskey | None = None
    presented = 0
    try:
        visit = arrive(services, client)
        with guarded_token(services, client, unknown=Reason.PASSKEY_INVALID):  # a made-up answer is guessing
            used, assertion = check_assertion(services, credential, "passwordless", now)
        presented = assertion.sign_count
        if passkeys.presented_user_handle(credential) != used.account_id:
            raise BastionError(Reason.PASSKEY_INVALID)
        if not assertion.user_verified:
            raise BastionError(Reason.PASSKEY_USER_NOT_VERIFIED)
        if not passkeys.counter_is_fresh(used.sign_count, presented):
            raise BastionError(Reason.PASSKEY_CLONED)
        owner = used
        with services.db.transaction() as tx:
            account = lock_account(tx, used.account_id)  # a freeze or reset meanwhile is seen, or waits
            flow = load_open_flow(tx, used.challenge_flow_id or "", now, PASSWORDLESS_STATE, STAGES())
            flow.account_id, flow.remember = account.id, remember
            mark_done(flow, "passkey", aal=2)  # the first factor, and the second with it
            return finish_flow(services, tx, flow, account, visit, MFA_STAGE, {"mfa_method": "passkey"},
                               lambda tx: advance_counter(tx, owner, presented, now), "passkey")
    except BastionError as refusal:
        refusal.reference = refusal.reference or new_reference()
        with services.db.transaction() as tx:
            email = get_account(tx, used.account_id).email if used else "(passkey)"
            record_attempt(tx, now, email, "passkey", "failure", client, account_id=used.account_id if used else None,
                           code=refusal.code, reference=refusal.reference,
                           flow_id=used.challenge_flow_id if used else None)
            if used is not None and refusal.code == Reason.PASSKEY_CLONED:
                alert_cloned(services, tx, used, presented, client)
        raise
