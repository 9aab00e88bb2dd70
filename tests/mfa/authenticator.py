"""A software WebAuthn authenticator for API tests (P-256, "none" attestation), after the spec.

Registration: authenticator data = SHA-256(RP ID) ‖ flags (UP|UV|AT) ‖ sign count ‖ zero AAGUID ‖
credential id length ‖ credential id ‖ COSE key. Assertion: SHA-256(RP ID) ‖ flags ‖ sign count,
signed together with SHA-256(clientDataJSON) by ECDSA-SHA256.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class SoftAuthenticator:
    def __init__(self, rp_id: str = "testserver", origin: str = "http://testserver") -> None:
        self.rp_id, self.origin = rp_id, origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.sign_count = 0
        self.user_handle: str | None = None

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        """navigator.credentials.create() with the options' JSON, answered as credential.toJSON()."""
        self.user_handle = options["user"]["id"]
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([UP | UV | AT])
                     + self.sign_count.to_bytes(4, "big") + bytes(16)
                     + len(self.credential_id).to_bytes(2, "big") + self.credential_id + self._cose_key())
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64url(self._client_data("webauthn.create", options["challenge"], None)),
                             "attestationObject": b64url(attestation), "transports": ["internal"]},
                "clientExtensionResults": {}}

    def get(self, options: dict[str, Any], user_verified: bool = True, sign_count: int | None = None,
            origin: str | None = None) -> dict[str, Any]:
        """navigator.credentials.get(); `sign_count` forces the counter (a clone's stale one)."""
        self.sign_count = self.sign_count + 1 if sign_count is None else sign_count
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([UP | (UV if user_verified else 0)])
                     + self.sign_count.to_bytes(4, "big"))
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                             "signature": b64url(signature), "userHandle": self.user_handle},
                "clientExtensionResults": {}}
