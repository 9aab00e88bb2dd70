"""The emailed device-verification challenge: a 6-digit code and a link (requirements §20).

Valid 15 min; issuing one voids every older open one of the account (only the newest works). The
code is kept only as a MAC under the key ring (a database dump alone cannot test a guess), the
link only as its hash.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session as Tx

from bastion.context import Client
from bastion.crypto import KeyRing, hash_token, new_token
from bastion.errors import BastionError, Reason
from bastion.geo import Location
from bastion.notify.outbox import Recipient
from bastion.risk import repo
from bastion.risk.models import DeviceChallenge
from bastion.risk.notices import send_device_verification
from bastion.services import Services
from bastion.signin.flow import FlowState
from bastion.store.types import new_id

STATE = "device_verification_required"
LINK_PATH = "/login/device"


def code_mac(keys: KeyRing, challenge_id: str, code: str) -> str:
    return keys.mac("device_code", f"{challenge_id}:{code}")


def code_matches(keys: KeyRing, challenge_id: str, code: str, stored: str) -> bool:
    """Constant time, under every key of the ring (a code issued before a rotation still works)."""
    return keys.verify_mac("device_code", f"{challenge_id}:{code}", stored)


def issue_challenge(services: Services, tx: Tx, flow: FlowState, account: Recipient, client: Client,
                    location: Location, now: datetime) -> None:
    repo.void_open_challenges(tx, account.id, now)
    minutes = services.settings.device_verification_minutes
    challenge_id, code, token = new_id(), f"{secrets.randbelow(10**6):06d}", new_token()
    repo.add_challenge(tx, challenge_id, account.id, flow.id, code_mac(services.keys, challenge_id, code),
                       hash_token(token), now, now + timedelta(minutes=minutes))
    send_device_verification(services, tx, account, client, location, now, challenge_id, code,
                             f"{services.settings.public_url}{LINK_PATH}?token={token}", minutes)


def open_challenge(tx: Tx, flow_id: str, now: datetime) -> DeviceChallenge:
    challenge = repo.open_challenge_of_flow(tx, flow_id)
    if challenge is None or challenge.expires_at <= now:
        raise BastionError(Reason.DEVICE_VERIFICATION_EXPIRED)
    return challenge


def challenge_by_link(tx: Tx, token: str, now: datetime) -> DeviceChallenge:
    challenge = repo.challenge_by_link_hash(tx, hash_token(token))
    if challenge is None:
        raise BastionError(Reason.TOKEN_INVALID)
    if challenge.used_at is not None or challenge.expires_at <= now:
        raise BastionError(Reason.DEVICE_VERIFICATION_EXPIRED)
    return challenge
