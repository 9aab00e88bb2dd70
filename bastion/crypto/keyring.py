"""AES-256-GCM key ring (requirements §14): the first key encrypts, every key decrypts.

Stored form: ``v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``. The key id
is the first 8 hex digits of SHA-256(key), so a value names the key it needs.
``aad`` binds a value to its place (e.g. the account id and the field name),
so a ciphertext copied to another row does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12  # NIST SP 800-38D §8.2: 96-bit random nonces


class KeyRingError(ValueError):
    pass


def generate_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def _decode_key(text: str) -> bytes:
    text = text.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as error:
        raise KeyRingError("a secret key is not base64url") from error
    if len(raw) != 32:
        raise KeyRingError("each secret key must be 32 bytes (base64url); use `bastion keys generate`")
    return raw


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


class KeyRing:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise KeyRingError("the key ring needs at least one key")
        self._keys = [(_key_id(raw), raw) for raw in map(_decode_key, keys)]
        self._by_id = dict(self._keys)

    @classmethod
    def from_setting(cls, value: str) -> KeyRing:
        return cls([item for item in value.split(",") if item.strip()])

    @property
    def current_id(self) -> str:
        return self._keys[0][0]

    def encrypt(self, plaintext: str | bytes, aad: str) -> str:
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        key_id, key = self._keys[0]
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, data, aad.encode())
        return f"v1.{key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt_bytes(self, stored: str, aad: str) -> bytes:
        try:
            version, key_id, payload = stored.split(".", 2)
            blob = base64.urlsafe_b64decode(payload)
        except ValueError as error:
            raise KeyRingError("not an encrypted value") from error
        key = self._by_id.get(key_id)
        if version != "v1" or key is None:
            raise KeyRingError(f"no key {key_id!r} in the key ring")
        try:
            return AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], aad.encode())
        except InvalidTag as error:
            raise KeyRingError("value does not decrypt (tampered, or moved to another place)") from error

    def decrypt(self, stored: str, aad: str) -> str:
        return self.decrypt_bytes(stored, aad).decode()

    def needs_rotation(self, stored: str) -> bool:
        return not stored.startswith(f"v1.{self.current_id}.")

    def mac(self, purpose: str, message: str) -> str:
        """A keyed MAC under the current key, for values that are checked, never decrypted."""
        return self._mac_with(self._keys[0][1], purpose, message)

    def verify_mac(self, purpose: str, message: str, mac: str) -> bool:
        return any(
            hmac.compare_digest(self._mac_with(key, purpose, message), mac) for _, key in self._keys
        )

    def macs(self, purpose: str, message: str) -> list[str]:
        """The MAC under every key, newest first (for truncated MACs compared by the caller)."""
        return [self._mac_with(key, purpose, message) for _, key in self._keys]

    @staticmethod
    def _mac_with(key: bytes, purpose: str, message: str) -> str:
        # hmac.digest: OpenSSL's one-shot HMAC, the same value as hmac.new(...) without its Python object.
        return hmac.digest(_subkey(key, purpose), message.encode(), "sha256").hex()


@lru_cache(maxsize=256)
def _subkey(key: bytes, purpose: str) -> bytes:
    """Each purpose's own key, so a MAC made for one use is worthless for another (derived once: a
    session check or a refused made-up token pays one HMAC, not two)."""
    return hmac.new(key, b"bastion/" + purpose.encode(), hashlib.sha256).digest()
