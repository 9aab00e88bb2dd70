"""Device verification by email: a 6-digit code and a link (REQUIREMENTS 20).

Valid 15 min; issuing one voids every older open one of the account (only the newest works);
5 attempts per code, counted before the check with one conditional UPDATE
(`attempts = attempts + 1 WHERE attempts < 5 AND used_at IS NULL`), so parallel guesses cannot
overtake the count; the 5th wrong code voids the sign-in. Used once: the completing transaction
sets `used_at` with `WHERE used_at IS NULL` and checks the row count. Only keyed hashes are kept.
The code goes to `POST /v1/login/{flow_id}/device`; the link opens a page whose button (a POST —
a GET never acts) finishes the sign-in in the browser that started it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import get_account
from bastion.audit import record_event
from bastion.context import Client
from bastion.crypto import hash_token, new_token
from bastion.errors import BastionError, new_reference
from bastion.risk.geo import Location
from bastion.risk.notices import send_device_verification
from bastion.services import Services
from bastion.signin.attempts import record_attempt
from bastion.signin.flow import Authenticated, SignInResult, advance_flow, load_open_flow, mark_done, void_flow
from bastion.store.models import Account, DeviceChallenge, SignInFlow
from bastion.store.types import new_id

STATE = "device_verification_required"
LINK_PATH = "/login/device"


def _code_mac(challenge_id: str, code: str) -> str:
    # Keyed by the challenge's random id: a code is only ever checked against its own challenge.
    return hmac.new(challenge_id.encode(), code.encode(), hashlib.sha256).hexdigest()


def issue_challenge(services: Services, tx: Tx, flow: SignInFlow, account: Account, client: Client,
                    location: Location, now: datetime) -> None:
    tx.execute(update(DeviceChallenge).where(DeviceChallenge.account_id == account.id,
                                             DeviceChallenge.used_at.is_(None)).values(used_at=now))
    minutes = services.settings.device_verification_minutes
    challenge_id, code, token = new_id(), f"{secrets.randbelow(10**6):06d}", new_token()
    tx.flush()  # a flow started in this transaction is written before the challenge that refers to it
    tx.add(DeviceChallenge(id=challenge_id, account_id=account.id, flow_id=flow.id,
                           code_mac=_code_mac(challenge_id, code), link_hash=hash_token(token), attempts=0,
                           created_at=now, expires_at=now + timedelta(minutes=minutes)))
    send_device_verification(services, tx, account, client, location, now, challenge_id, code,
                             f"{services.settings.public_url}{LINK_PATH}?token={token}", minutes)


def _open_challenge(tx: Tx, flow_id: str, now: datetime) -> DeviceChallenge:
    # The open one: issuing a code closes the older ones, which may share its timestamp.
    challenge = tx.execute(select(DeviceChallenge).where(DeviceChallenge.flow_id == flow_id,
                                                         DeviceChallenge.used_at.is_(None))
                           .order_by(DeviceChallenge.created_at.desc()).limit(1)).scalar_one_or_none()
    if challenge is None or challenge.expires_at <= now:
        raise BastionError("device.verification_expired")
    return challenge


def _load(tx: Tx, flow_id: str, now: datetime, client: Client) -> SignInFlow:
    flow = load_open_flow(tx, flow_id, now, STATE)
    if flow.device_id is not None and flow.device_id != client.device_id:
        # Only the device that passed the password may go on (as with the second factor).
        raise BastionError("flow.not_found")
    return flow


def verify_device_code(services: Services, flow_id: str, code: str, client: Client) -> SignInResult:
    now = services.clock.now()
    limit = services.settings.device_verification_attempts
    with services.db.transaction() as tx:
        flow = _load(tx, flow_id, now, client)
        account_id, email = flow.account_id or "", get_account(tx, flow.account_id or "").email
    try:
        with services.db.transaction() as tx:
            challenge = _open_challenge(tx, flow_id, now)
            counted = tx.execute(
                update(DeviceChallenge)
                .where(DeviceChallenge.id == challenge.id, DeviceChallenge.used_at.is_(None),
                       DeviceChallenge.attempts < limit)
                .values(attempts=DeviceChallenge.attempts + 1)
                .returning(DeviceChallenge.attempts)
            ).scalar_one_or_none()
            challenge_id, expected = challenge.id, challenge.code_mac
        if counted is None:
            # Over the limit: refused unchecked. The flow was voided by the 5th wrong code — or a
            # right one among the first five is finishing it, which an excess request must not undo.
            raise BastionError("device.attempts_exceeded")
        if not hmac.compare_digest(_code_mac(challenge_id, code.strip()), expected):
            if counted >= limit:
                _void(services, flow_id, challenge_id, now)
                raise BastionError("device.attempts_exceeded")
            raise BastionError("device.code_invalid")
        return _complete(services, flow_id, challenge_id, client, now, via="code")
    except BastionError as refusal:
        _record_refusal(services, flow_id, account_id, email, client, refusal, now)
        raise


def peek_device_link(services: Services, token: str) -> None:
    """Whether the link would work now, without using it (the GET page)."""
    with services.db.transaction() as tx:
        challenge = tx.execute(select(DeviceChallenge).where(DeviceChallenge.link_hash == hash_token(token))
                               ).scalar_one_or_none()
        if challenge is None:
            raise BastionError("token.invalid")
        if challenge.used_at is not None or challenge.expires_at <= services.clock.now():
            raise BastionError("device.verification_expired")


def verify_device_link(services: Services, token: str, client: Client) -> SignInResult:
    now = services.clock.now()
    with services.db.transaction() as tx:
        challenge = tx.execute(select(DeviceChallenge).where(DeviceChallenge.link_hash == hash_token(token))
                               ).scalar_one_or_none()
        if challenge is None:
            raise BastionError("token.invalid")
        flow_id, challenge_id = challenge.flow_id, challenge.id
        if challenge.used_at is not None or challenge.expires_at <= now:
            raise BastionError("device.verification_expired")
        _load(tx, flow_id, now, client)
    return _complete(services, flow_id, challenge_id, client, now, via="link")


def _complete(services: Services, flow_id: str, challenge_id: str, client: Client, now: datetime,
              via: str) -> SignInResult:
    from bastion.signin.stages import STAGES
    from bastion.risk.stage import RISK_STAGE

    with services.db.transaction() as tx:
        flow = _load(tx, flow_id, now, client)
        used = tx.execute(update(DeviceChallenge)
                          .where(DeviceChallenge.id == challenge_id, DeviceChallenge.used_at.is_(None))
                          .values(used_at=now)).rowcount
        if used != 1:
            raise BastionError("device.verification_expired")
        account = get_account(tx, flow.account_id or "")
        risk = {**(flow.facts.get("risk") or {}), "passed": True, "verified_by": via}
        mark_done(flow, RISK_STAGE, risk=risk)
        record_event(tx, now, "device.verified", account.id, client, flow_id=flow.id, via=via)
        result = advance_flow(services, tx, flow, account, client, STAGES)
        authenticated = isinstance(result, Authenticated)
        record_attempt(tx, now, account.email, "device", "success" if authenticated else "challenge", client,
                       account_id=account.id, flow_id=flow.id,
                       code=None if isinstance(result, Authenticated) else result.requirement.status)
        return result


def _void(services: Services, flow_id: str, challenge_id: str, now: datetime) -> None:
    with services.db.transaction() as tx:
        tx.execute(update(DeviceChallenge).where(DeviceChallenge.id == challenge_id,
                                                 DeviceChallenge.used_at.is_(None)).values(used_at=now))
        void_flow(tx, flow_id, now)


def _record_refusal(services: Services, flow_id: str, account_id: str, email: str, client: Client,
                    refusal: BastionError, now: datetime) -> None:
    refusal.reference = refusal.reference or new_reference()
    with services.db.transaction() as tx:
        record_attempt(tx, now, email, "device", "failure", client, account_id=account_id or None,
                       code=refusal.code, reference=refusal.reference, flow_id=flow_id)
