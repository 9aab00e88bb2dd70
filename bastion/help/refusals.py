"""Refusals outside sign-in are kept, so that the reference a person quotes finds what happened."""

from __future__ import annotations

from bastion.help.models import Refusal
from bastion.services import Services


def record_refusal(services: Services, *, reference: str, code: str, status: int, account_id: str | None,
                   method: str, path: str, ip: str | None) -> None:
    with services.db.transaction() as tx:
        tx.add(Refusal(reference=reference, code=code, status=status, created_at=services.clock.now(),
                       account_id=account_id, method=method, path=path, ip=ip))
