"""The provider's tidying, in the background pass's sweep: what expired long enough ago goes.

A day's grace keeps the precise answers (a code or token a day old is still known, and refused as
used or expired rather than unknown); delivered logout tokens are kept a week for support.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

from sqlalchemy.orm import Session as Tx

from bastion.oidc.repo import grants, logouts, requests
from bastion.services import Services

GRACE = timedelta(days=1)


def sweep_oidc(services: Services) -> dict[str, int]:
    now = services.clock.now()
    gone: dict[str, int] = {}
    sweeps: dict[str, Callable[[Tx], int]] = {
        "oidc_authorization_requests": partial(requests.delete_expired_requests, before=now - GRACE),
        "oidc_tokens": partial(grants.delete_expired_tokens, before=now - GRACE),
        # Grants whose code was never exchanged, and revoked ones (their tokens are gone with them).
        "oidc_grants": partial(grants.delete_ended_grants, unexchanged_before=now - GRACE,
                               revoked_before=now - timedelta(days=30)),
        "oidc_logout_deliveries": partial(logouts.delete_delivered, before=now - timedelta(days=7)),
    }
    for name, sweep in sweeps.items():
        with services.db.transaction() as tx:
            gone[name] = sweep(tx)
    return gone
