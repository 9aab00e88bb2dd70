"""Emailed tokens are single use under concurrency, newest-only, and stored as hashes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from bastion.accounts.models import OneTimeToken
from bastion.accounts.onetime import consume_token, issue_token
from bastion.errors import BastionError, Reason


def test_concurrent_consumers_of_one_token_exactly_one_wins(services, account_factory) -> None:
    account = account_factory()
    now = services.clock.now()
    with services.db.transaction() as tx:
        token = issue_token(tx, now, account["id"], "verify_email", timedelta(hours=1))

    def consume(_: int) -> str:
        try:
            with services.db.transaction() as tx:
                return consume_token(tx, now, "verify_email", token)
        except BastionError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(consume, range(32)))
    assert outcomes.count(account["id"]) == 1
    assert set(outcomes) == {account["id"], "token.invalid"}


def test_only_the_hash_is_stored_and_a_token_of_another_purpose_is_refused(services, account_factory) -> None:
    account = account_factory()
    now = services.clock.now()
    with services.db.transaction() as tx:
        token = issue_token(tx, now, account["id"], "verify_email", timedelta(hours=1))
    with services.db.transaction() as tx:
        stored = tx.execute(select(OneTimeToken.token_hash)).scalars().all()
    assert token not in stored and len(stored) == 1
    try:
        with services.db.transaction() as tx:
            consume_token(tx, now, "password_reset", token)
    except BastionError as error:
        assert error.code == Reason.TOKEN_INVALID
    else:
        raise AssertionError("a token was accepted for another purpose")
