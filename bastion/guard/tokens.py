"""Emailed links' tokens (confirmation, password reset, freeze, cancel, device link, case link),
and passkey answers to a passwordless sign-in.

A token is 256 random bits and cannot be guessed; still, a client that presents tokens matching
nothing is guessing or scanning, and is refused like any other guessing: the network's hold is
checked before the look-up, and each unknown token counts against the network's budgets
(requirements §3). An expired or used token is a real one and counts nothing.

    with guarded_token(services, client), services.db.transaction() as tx:
        account_id = consume_token(tx, ...)

The transaction ends (rolled back) before the failure is counted: the counters may live in the
same database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.services import Services


@contextmanager
def guarded_token(services: Services, client: Client, unknown: Reason = Reason.TOKEN_INVALID) -> Iterator[None]:
    """`unknown`: the refusal that says the token matched nothing (a passkey answer to no challenge
    of ours is `passkey.invalid`)."""
    now = services.clock.now()
    services.throttle.check_network(client.ip, now)
    try:
        yield
    except BastionError as refusal:
        if refusal.code == unknown:
            services.throttle.count_network_failure(client.ip, now)
        raise
