"""Accounts and live sessions written straight into a benchmark database (no HTTP, one hash in all)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

import common  # noqa: F401 — puts the project on sys.path
from sqlalchemy import update

from bastion.accounts.models import Account
from bastion.config import load_settings
from bastion.context import Client
from bastion.crypto import generate_key
from bastion.services import Services
from bastion.sessions.models import Session as SessionRow
from bastion.sessions.service_keys import create_service_key
from bastion.sessions.tokens import issue_session
from bastion.startup import build_services

PASSWORD = "violet harbor compass 93 lantern"


@dataclass
class Seeded:
    account_ids: list[str]
    emails: list[str]
    tokens: list[str]
    service_key: str


def bench_services(database_url: str, data_dir: str, secret_keys: str | None = None) -> Services:
    """Services over the benchmark database with cheap hashing: seeding is not what is measured."""
    settings = load_settings(env="dev", database_url=database_url, data_dir=data_dir,
                             secret_keys=secret_keys or generate_key(),
                             argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    return build_services(settings)


def seed_accounts(services: Services, count: int, tag: str, password_hash: str | None = None,
                  sessions: bool = False) -> Seeded:
    """`count` verified accounts (all with the password PASSWORD, hashed once: `password_hash`, or
    at `services`' parameters) and, with `sessions`, one live session each and a service key.

    Each session was last seen at a random moment of the last touch interval, as in steady
    traffic: their `last_seen_at` writes then come spread out, not all in the same second.
    """
    password_hash = password_hash or services.passwords.hash(PASSWORD)
    now = services.clock.now()
    client = Client(ip="127.0.0.1", user_agent="bench")
    touch = services.settings.session_touch_seconds
    seeded = Seeded([], [], [], "")
    for start in range(0, count, 500):
        with services.db.transaction() as tx:
            accounts = [Account(email=f"bench{index}-{tag}@bench.example", password_hash=password_hash,
                                status="active", roles="", created_at=now, password_changed_at=now,
                                email_verified_at=now) for index in range(start, min(count, start + 500))]
            tx.add_all(accounts)
            tx.flush()
            for account in accounts:
                seeded.account_ids.append(account.id)
                seeded.emails.append(account.email)
                if sessions:
                    token, session = issue_session(services, tx, account.id, client, remember=False)
                    tx.execute(update(SessionRow).where(SessionRow.id == session.id)
                               .values(last_seen_at=now - timedelta(seconds=random.uniform(0, touch))))
                    seeded.tokens.append(token)
    if sessions:
        seeded.service_key, _ = create_service_key(services, "bench")
    return seeded


def seed_sessions(services: Services, count: int, tag: str, password_hash: str | None = None) -> Seeded:
    """`count` verified accounts with one live session each, and a service key for introspection."""
    return seed_accounts(services, count, tag, password_hash, sessions=True)


def seed_accounts_hashed_at(database_url: str, data_dir: str, count: int, tag: str, time_cost: int,
                            memory_kib: int) -> list[str]:
    """`count` accounts for a server hashing at these argon2 parameters (the password hashed once, at
    them, so a sign-in costs the server exactly one verification and no rehash); their emails."""
    from argon2 import PasswordHasher, Type

    stored = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=Type.ID).hash(PASSWORD)
    services = bench_services(database_url, data_dir)
    try:
        return seed_accounts(services, count, tag, password_hash=stored).emails
    finally:
        services.close()
