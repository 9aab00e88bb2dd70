"""Random tokens and their stored form.

Tokens carry 256 bits (requirements §25; docs/design.md asks ≥128) so a plain SHA-256
is a sufficient stored form: nothing to brute-force, and look-ups stay one
indexed equality. Only the hash ever reaches the database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def constant_time_equal(a: str | bytes, b: str | bytes) -> bool:
    if isinstance(a, str):
        a = a.encode("utf-8", "surrogatepass")
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(a, b)
