"""Password hashing: argon2id with the configured parameters, over the NFKC form of the password."""

from __future__ import annotations

import secrets
import unicodedata

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


def normalize_password(password: str) -> str:
    """Any Unicode, compared as NFKC so the same password typed on two keyboards matches."""
    return unicodedata.normalize("NFKC", password)


class Passwords:
    """argon2id hashing with the configured parameters; unknown accounts cost the same."""

    def __init__(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # Verified against when the identifier has no account (requirements §6).
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        return self._hasher.hash(normalize_password(password))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when the password matches; an account without a hash still costs one hash."""
        try:
            return self._hasher.verify(stored_hash or self._dummy_hash, normalize_password(password)) and (
                stored_hash is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def burn(self, password: str) -> None:
        """Spend the time of one verification, to keep answers indistinguishable."""
        self.verify(None, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
