"""A security email (requirements §23, §24): when, from which IP, and a "this wasn't me" link that
freezes the account — written to the outbox in the caller's transaction. Never a code or secret."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import get_account
from bastion.accounts.status import freeze_link
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.notify.outbox import enqueue
from bastion.services import Services


def send_security_email(services: Services, tx: Tx, account_id: str, template: str, dedup_key: str,
                        client: Client, **context: Any) -> None:
    now = services.clock.now()
    enqueue(services, tx, template, get_account(tx, account_id), dedup_key=dedup_key, now=now,
            when=rfc3339(now), ip=client.ip, freeze_link=freeze_link(services, tx, account_id),
            **context)
