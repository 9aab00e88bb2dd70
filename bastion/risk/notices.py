"""The risk emails: device verification (requirements §20) and new device / location sign-in (requirements §21).

Both carry the time, the device, the approximate location, the IP and a "this wasn't me" link
that freezes the account; neither is sent for the first sign-in of an account (nothing to compare).
The device and the place go to the email as data (the user agent, the country code): the email puts
them in words in the account's language, which may not be the language of the request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.accounts.status import freeze_link
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.geo import Location
from bastion.i18n import N_
from bastion.notify.outbox import Recipient, enqueue
from bastion.services import Services
from bastion.signin.attempts import last_success

# What was new about a sign-in (its risk signals: a new device, a new country), for "signed in to from …".
NEW_PLACE = {(True, True): N_("a new device and a new country"), (True, False): N_("a new device"),
             (False, True): N_("a new country")}


def _where(client: Client, location: Location, now: datetime) -> dict[str, Any]:
    return dict(when=rfc3339(now), user_agent=client.user_agent, country=location.country, ip=client.ip)


def send_device_verification(services: Services, tx: Tx, account: Recipient, client: Client, location: Location,
                             now: datetime, challenge_id: str, code: str, link: str, valid_minutes: int) -> None:
    enqueue(services, tx, "device_verification", account, dedup_key=f"device_verification/{challenge_id}", now=now,
            code=code, link=link, valid_minutes=valid_minutes, freeze_link=freeze_link(services, tx, account.id),
            **_where(client, location, now))


def send_new_sign_in(services: Services, tx: Tx, account: Recipient, client: Client, location: Location,
                     now: datetime, flow_id: str, signals: list[str]) -> None:
    what = NEW_PLACE.get(("new_device" in signals, "new_country" in signals))
    if what is None:
        return  # nothing new about this sign-in to tell
    before = last_success(tx, account.id)
    previous = None
    if before is not None:
        previous = dict(when=rfc3339(before.created_at), user_agent=before.user_agent, country=before.country,
                        ip=before.ip)
    enqueue(services, tx, "new_sign_in", account, dedup_key=f"new_sign_in/{flow_id}", now=now, what=what,
            previous=previous, freeze_link=freeze_link(services, tx, account.id), **_where(client, location, now))
