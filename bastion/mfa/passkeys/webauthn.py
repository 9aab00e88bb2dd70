"""Passkeys (WebAuthn level 2) through py_webauthn: ceremonies' options and answers, nothing stored.

- Registration asks for a discoverable credential (a passkey can sign in without an email) and
  prefers user verification; none is required to add one, because passwordless sign-in requires
  it each time it is used (requirements §12).
- Assertions are verified (challenge, origin, RP ID hash, user presence, signature) before
  anything about the credential is told: user verification and the sign counter are judged after
  the signature, so an answer about them proves the caller holds the private key.
- Sign counter (WebAuthn §6.1.1): when the stored or presented counter is non-zero, the
  presented one must be greater, or the authenticator may have been cloned.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_client_data_json,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from bastion.config import Settings
from bastion.errors import BastionError, Reason

CHALLENGE_BYTES = 32  # WebAuthn §13.4.3: at least 16 random bytes


@dataclass(frozen=True, slots=True)
class RelyingParty:
    id: str
    name: str
    origins: list[str]
    timeout_ms: int


def relying_party(settings: Settings) -> RelyingParty:
    return RelyingParty(settings.resolved_rp_id, settings.totp_issuer, settings.resolved_webauthn_origins,
                        settings.passkey_challenge_minutes * 60_000)


def new_challenge() -> bytes:
    return secrets.token_bytes(CHALLENGE_BYTES)


def challenge_hash(challenge: bytes) -> str:
    """Challenges are kept only as this hash, like every other one-time value."""
    return hashlib.sha256(challenge).hexdigest()


def registration_options(rp: RelyingParty, account_id: str, email: str, challenge: bytes,
                         existing: list[str]) -> dict[str, Any]:
    options = generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_id=account_id.encode(), user_name=email, user_display_name=email,
        challenge=challenge, timeout=rp.timeout_ms,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(item)) for item in existing],
    )
    return options_to_json_dict(options)


def authentication_options(rp: RelyingParty, challenge: bytes, allowed: list[str] | None,
                           require_user_verification: bool) -> dict[str, Any]:
    options = generate_authentication_options(
        rp_id=rp.id, challenge=challenge, timeout=rp.timeout_ms,
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(item)) for item in allowed or []],
        user_verification=UserVerificationRequirement.REQUIRED if require_user_verification
        else UserVerificationRequirement.PREFERRED,
    )
    return options_to_json_dict(options)


def presented_challenge(credential: dict[str, Any]) -> bytes | None:
    """The challenge the authenticator signed (from clientDataJSON); verified again later."""
    try:
        return parse_client_data_json(base64url_to_bytes(credential["response"]["clientDataJSON"])).challenge
    except Exception:  # any malformed answer is simply "no challenge"
        return None


def presented_credential_id(credential: dict[str, Any]) -> str | None:
    raw = credential.get("rawId") or credential.get("id")
    if not isinstance(raw, str) or len(raw) > 1400:
        return None
    try:
        return bytes_to_base64url(base64url_to_bytes(raw))
    except Exception:
        return None


def presented_user_handle(credential: dict[str, Any]) -> str | None:
    try:
        handle = parse_authentication_credential_json(credential).response.user_handle
    except Exception:
        return None
    return handle.decode(errors="replace") if handle else None


@dataclass(frozen=True, slots=True)
class NewPasskey:
    credential_id: str
    public_key: str
    sign_count: int
    aaguid: str | None
    transports: list[str]
    backed_up: bool


def verify_registration(rp: RelyingParty, credential: dict[str, Any], challenge: bytes) -> NewPasskey:
    try:
        verified = verify_registration_response(credential=credential, expected_challenge=challenge,
                                                expected_rp_id=rp.id, expected_origin=rp.origins)
    except Exception as error:  # the library raises several types for a bad answer
        raise BastionError(Reason.PASSKEY_REGISTRATION_FAILED) from error
    transports = credential.get("response", {}).get("transports") or []
    return NewPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        aaguid=str(verified.aaguid) if verified.aaguid else None,
        transports=[str(item)[:16] for item in transports if isinstance(item, str)][:8],
        backed_up=verified.credential_backed_up,
    )


@dataclass(frozen=True, slots=True)
class Assertion:
    sign_count: int
    user_verified: bool
    backed_up: bool


def verify_assertion(rp: RelyingParty, credential: dict[str, Any], challenge: bytes, public_key: str) -> Assertion:
    """Signature, challenge, origin, RP ID and presence; the caller judges UV and the counter."""
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id, expected_origin=rp.origins,
            credential_public_key=base64url_to_bytes(public_key), credential_current_sign_count=0,
            require_user_verification=False)
    except Exception as error:
        raise BastionError(Reason.PASSKEY_INVALID) from error
    return Assertion(verified.new_sign_count, verified.user_verified, verified.credential_backed_up)


def counter_is_fresh(stored: int, presented: int) -> bool:
    """WebAuthn §6.1.1: a counter that did not grow (when either is non-zero) may mean a clone."""
    return (stored == 0 and presented == 0) or presented > stored
