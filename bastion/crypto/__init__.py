"""Key ring, token hashing and constant-time comparison: the security primitives, in one place."""

from bastion.crypto.keyring import KeyRing, KeyRingError, generate_key
from bastion.crypto.tokens import constant_time_equal, hash_token, new_token

__all__ = ["KeyRing", "KeyRingError", "constant_time_equal", "generate_key", "hash_token", "new_token"]
