"""Continuing a sign-in with its second factor: a TOTP code, a backup code or a passkey.

Every method goes through the same steps (REQUIREMENTS 8–12):
1. the flow waits for "mfa_required" and has not expired (`flow.not_found`, `flow.expired`),
   comes from the device that passed the password (when that one had a device id), and the
   method is one the flow offered;
2. the service gates hold (an outdated app, or a maintenance window for a non-staff account, is
   refused) and the account's second step is not held (`mfa.locked`);
3. the attempt is counted before it is checked; over a limit the flow is void (`attempts`);
4. the check. Whatever is single-use — the TOTP step, the backup code, the passkey's sign
   counter — is consumed in the transaction that completes the flow and issues the session
   (aal 2), so of any number of concurrent requests exactly one gets a session.
A refusal is recorded with its reference. Correct password + failed second step emails the owner
once per flow; a reused TOTP code and a cloned passkey send alerts of their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import get_account
from bastion.context import Client
from bastion.errors import BastionError, new_reference
from bastion.mfa import attempts, totp_repo
from bastion.mfa.flows import notices
from bastion.mfa.flows.backup_code_flows import check_backup_code, consume_backup_code, report_backup_code_used
from bastion.mfa.flows.service_gates import service_gates
from bastion.mfa.flows.totp_check import ValidCode, check_code
from bastion.mfa.stage import MFA_STAGE
from bastion.services import Services
from bastion.signin.attempts import record_attempt
from bastion.signin.flow import Authenticated, SignInResult, advance_flow, load_open_flow, mark_done, void_flow
from bastion.signin.stages import STAGES

Consume = Callable[[Tx], None]


@dataclass
class Step:
    """One method's part. `prepare` checks what needs no transaction (it may raise, and may
    persist a burn or use up a challenge) and returns what to consume in the completing one."""

    method: str
    prepare: Callable[[str, datetime], Consume]
    succeeded: Callable[[Tx, str], None] = field(default=lambda tx, account_id: None)
    # Extra side effects of a refusal; True when it sent its own alert to the owner.
    refused: Callable[[Tx, str, BastionError], bool] = field(default=lambda tx, account_id, error: False)


def sign_in_with_totp(services: Services, flow_id: str, code: str, client: Client) -> SignInResult:
    checked: list[ValidCode] = []

    def prepare(account_id: str, now: datetime) -> Consume:
        valid = check_code(services, account_id, code, now)
        checked.append(valid)
        return lambda tx: totp_repo.accept_step(tx, valid.credential_id, valid.step, now)

    def refused(tx: Tx, account_id: str, error: BastionError) -> bool:
        if error.code != "mfa.code_reused" or not checked:
            return False
        notices.alert_reused_code(services, tx, account_id, checked[0].credential_id, checked[0].step, client,
                                  during="sign_in")
        return True

    return continue_sign_in(services, flow_id, client, Step("totp", prepare, refused=refused))


def sign_in_with_backup_code(services: Services, flow_id: str, code: str, client: Client) -> SignInResult:
    def prepare(account_id: str, now: datetime) -> Consume:
        typed = check_backup_code(services, account_id, code)
        return lambda tx: consume_backup_code(tx, typed, now)

    def succeeded(tx: Tx, account_id: str) -> None:
        report_backup_code_used(services, tx, account_id, client, during="sign_in")

    return continue_sign_in(services, flow_id, client, Step("backup_code", prepare, succeeded=succeeded))


def continue_sign_in(services: Services, flow_id: str, client: Client, step: Step) -> SignInResult:
    now = services.clock.now()
    gates = service_gates(services, client)
    with services.db.transaction() as tx:
        flow = load_open_flow(tx, flow_id, now, "mfa_required")
        if flow.device_id is not None and flow.device_id != client.device_id:
            # The flow id stands for "password passed": only the device that passed it may go on.
            raise BastionError("flow.not_found")
        account_id = flow.account_id
        assert account_id is not None
        account = get_account(tx, account_id)
        email, staff = account.email, bool(account.role_set)
        offered = list(flow.facts.get("methods", []))
    try:
        gates.admit(services, staff)
        if step.method not in offered:
            raise BastionError("mfa.method_unavailable")
        attempts.ensure_not_locked(services, account_id, now)
        verdict = attempts.count_attempt(services, account_id, flow_id, now)
        if verdict.refusal is not None:
            with services.db.transaction() as tx:
                void_flow(tx, flow_id, now)
                if verdict.newly_locked:
                    notices.alert_locked(services, tx, account_id, verdict.refusal.retry_after, client)
            raise verdict.refusal
        consume = step.prepare(account_id, now)
        with services.db.transaction() as tx:
            flow = load_open_flow(tx, flow_id, now, "mfa_required")
            account = get_account(tx, account_id)
            consume(tx)
            mark_done(flow, MFA_STAGE, aal=2, mfa_method=step.method)
            result = advance_flow(services, tx, flow, account, client, STAGES)
            authenticated = isinstance(result, Authenticated)
            record_attempt(tx, now, email, step.method, "success" if authenticated else "challenge", client,
                           account_id=account_id, flow_id=flow_id,
                           code=None if isinstance(result, Authenticated) else result.requirement.status)
            step.succeeded(tx, account_id)
    except BastionError as refusal:
        _record_refusal(services, flow_id, account_id, email, client, step, refusal, now)
        raise
    attempts.record_success(services, account_id)
    return dataclasses.replace(result, update_available=gates.update_available) if gates.update_available else result


def _record_refusal(services: Services, flow_id: str, account_id: str, email: str, client: Client, step: Step,
                    refusal: BastionError, now: datetime) -> None:
    refusal.reference = refusal.reference or new_reference()
    with services.db.transaction() as tx:
        record_attempt(tx, now, email, step.method, "failure", client, account_id=account_id,
                       code=refusal.code, reference=refusal.reference, flow_id=flow_id)
        alerted = step.refused(tx, account_id, refusal)
        if not alerted and refusal.code in notices.FAILED_SECOND_STEP:
            notices.alert_failed_second_step(services, tx, account_id, flow_id, refusal.code, client)
