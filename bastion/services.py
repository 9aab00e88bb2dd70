"""The application's shared parts, built once per process from the settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import bastion.schema  # noqa: F401  every feature's tables, before the database is opened
from bastion.accounts.passwords import Passwords
from bastion.clock import Clock, SystemClock
from bastion.config import ConfigError, Settings
from bastion.crypto import KeyRing, KeyRingError, generate_key
from bastion.sessions.cache import SessionCache
from bastion.store import Database
from bastion.throttle.admission import HashGate
from bastion.throttle.factory import build_store
from bastion.throttle.rules import SignInThrottle


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    keys: KeyRing
    passwords: Passwords
    throttle: SignInThrottle
    hash_gate: HashGate
    session_cache: SessionCache

    def close(self) -> None:
        self.session_cache.close()
        self.hash_gate.close()
        self.db.dispose()


def load_key_ring(settings: Settings) -> KeyRing:
    if settings.secret_keys is not None and settings.secret_keys.get_secret_value().strip():
        value = settings.secret_keys.get_secret_value()
    elif settings.is_dev:
        value = _dev_key_file(settings.data_dir)
    else:
        raise ConfigError("BASTION_SECRET_KEYS is required in prod")
    try:
        return KeyRing.from_setting(value)
    except KeyRingError as error:
        raise ConfigError(f"BASTION_SECRET_KEYS: {error}") from error


def _dev_key_file(data_dir: Path) -> str:
    """Dev only: a key generated once and kept beside the SQLite file."""
    path = data_dir / "secret-keys"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(generate_key() + "\n")
    return path.read_text().strip()


def build_services(settings: Settings, clock: Clock | None = None, db: Database | None = None) -> Services:
    database = db or Database(settings.resolved_database_url)
    return Services(
        settings=settings,
        clock=clock or SystemClock(),
        db=database,
        keys=load_key_ring(settings),
        passwords=Passwords(
            settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
        ),
        throttle=SignInThrottle(build_store(settings, database), settings),
        hash_gate=HashGate(settings.hash_concurrency or os.cpu_count() or 1, settings.signin_queue_seconds),
        session_cache=SessionCache(database, settings.session_cache_seconds, settings.session_cache_size,
                                   settings.redis_url),
    )
