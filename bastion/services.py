"""The application's shared parts, built once per process from the settings (`bastion.startup`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from bastion.clock import Clock
from bastion.config import ConfigError, Settings
from bastion.crypto import KeyRing, KeyRingError, generate_key
from bastion.crypto.passwords import Passwords
from bastion.store import Database
from bastion.store.cache import SessionCache
from bastion.throttle.admission import HashGate
from bastion.throttle.rules import SignInThrottle

P = TypeVar("P")


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
    # Parts a feature builds for itself on first use (`part`), closed with the rest.
    _parts: dict[Callable[[Services], Any], Any] = field(default_factory=dict, init=False, repr=False)
    _parts_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def part(self, build: Callable[[Services], P]) -> P:
        """The one part `build` makes for these services, made on first use: a feature's own
        process-wide helper (a background writer) that the services below it cannot name."""
        if build not in self._parts:
            with self._parts_lock:
                if build not in self._parts:
                    self._parts[build] = build(self)
        return cast(P, self._parts[build])

    def close(self) -> None:
        for part in list(self._parts.values()):
            close = getattr(part, "close", None)
            if close is not None:
                close()
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
