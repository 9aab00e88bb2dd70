"""The risk emails: device verification (requirements §20) and new device / location sign-in (requirements §21).

Both carry the time, the device, the approximate location, the IP and a "this wasn't me" link
that freezes the account; neither is sent for the first sign-in of an account (nothing to compare).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.accounts.devices import describe_agent
from bastion.accounts.models import Account
from bastion.accounts.status import freeze_link
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.i18n import _
from bastion.i18n.places import place_words
from bastion.notify.outbox import enqueue
from bastion.risk.geo import Location
from bastion.risk.history import last_success
from bastion.services import Services


def _where(client: Client, location: Location, now: datetime) -> dict[str, Any]:
    return dict(when=rfc3339(now), device=describe_agent(client.user_agent), location=place_words(location.country),
                ip=client.ip or _("unknown"))


def send_device_verification(services: Services, tx: Tx, account: Account, client: Client, location: Location,
                             now: datetime, challenge_id: str, code: str, link: str, valid_minutes: int) -> None:
    enqueue(services, tx, "device_verification", account, dedup_key=f"device_verification/{challenge_id}", now=now,
            code=code, link=link, valid_minutes=valid_minutes, freeze_link=freeze_link(services, tx, account.id),
            **_where(client, location, now))


def send_new_sign_in(services: Services, tx: Tx, account: Account, client: Client, location: Location,
                     now: datetime, flow_id: str, signals: list[str]) -> None:
    new_device, new_country = "new_device" in signals, "new_country" in signals
    what = (_("a new device and a new country") if new_device and new_country else _("a new device") if new_device
            else _("a new country") if new_country else "")
    before = last_success(tx, account.id)
    previous = None
    if before is not None:
        previous = dict(when=rfc3339(before.created_at), device=describe_agent(before.user_agent),
                        location=place_words(before.country), ip=before.ip or _("unknown"))
    enqueue(services, tx, "new_sign_in", account, dedup_key=f"new_sign_in/{flow_id}", now=now, what=what,
            previous=previous, freeze_link=freeze_link(services, tx, account.id), **_where(client, location, now))
