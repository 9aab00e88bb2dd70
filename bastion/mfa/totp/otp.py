"""TOTP, RFC 6238 — pure: secrets, codes, step matching, drift wording. No storage, no HTTP.

Bastion's profile (requirements §8): HMAC-SHA-1, 6 digits, 30-second steps from T0 = 0 and a
160-bit secret. Codes are accepted for the steps T−1..T+1 (RFC 6238 §5.2 allows one step of
transmission delay each way). The counter is 64-bit (§4.2), so nothing wraps in 2038 or 2106.

`find_step` also looks ±10 steps (±5 min) further, only to *diagnose* a phone whose clock is off
(requirements §9); the caller refuses those matches (`bastion.mfa.totp.check`; why that diagnosis
gives an attacker nothing: docs/design/clock-skew-diagnosis.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp

STEP_SECONDS = 30  # RFC 6238 §5.2: X = 30 s recommended
DIGITS = 6
SECRET_BYTES = 20  # 160 bits: RFC 4226 §4 R6 recommends the HMAC-SHA-1 output length
WINDOW = 1  # accepted steps: T−1..T+1
DIAGNOSIS_REACH = 10  # diagnosed (never accepted): T−10..T+10
_MAX_COUNTER = 2**64 - 1
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def new_secret() -> str:
    """A fresh 160-bit secret, base32 without padding (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def time_step(unix_seconds: float, step_seconds: int = STEP_SECONDS, t0: int = 0) -> int:
    """T = floor((unix time − T0) / X), as a 64-bit unsigned counter (RFC 6238 §4.2)."""
    counter = int((unix_seconds - t0) // step_seconds)
    if not 0 <= counter <= _MAX_COUNTER:
        raise ValueError("time outside the 64-bit TOTP counter")
    return counter


def code_at_step(secret: str, step: int, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """The code for one time step (HOTP of RFC 4226 over the step counter)."""
    if not 0 <= step <= _MAX_COUNTER:
        raise ValueError("step outside the 64-bit TOTP counter")
    return pyotp.HOTP(secret, digits=digits, digest=_DIGESTS[algorithm]).at(step)


def code_at_time(secret: str, unix_seconds: float, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    return code_at_step(secret, time_step(unix_seconds), digits, algorithm)


def normalize_code(code: str) -> str:
    """Digits only: people paste "123 456" or "123-456"."""
    return "".join(character for character in code if not character.isspace() and character != "-")


@dataclass(frozen=True, slots=True)
class StepMatch:
    step: int
    offset: int  # step − current step: negative when the phone's clock is behind

    @property
    def in_window(self) -> bool:
        return abs(self.offset) <= WINDOW

    @property
    def drift_seconds(self) -> int:
        return self.offset * STEP_SECONDS


def find_step(secret: str, code: str, current_step: int, reach: int = DIAGNOSIS_REACH) -> StepMatch | None:
    """The step within ±reach whose code is `code`, the nearest to now winning.

    Every candidate is computed and compared in constant time, so the answer's timing does not
    tell which step (if any) matched.
    """
    code = normalize_code(code)
    wellformed = len(code) == DIGITS and code.isascii() and code.isdigit()
    found: StepMatch | None = None
    for offset in sorted(range(-reach, reach + 1), key=lambda value: (abs(value), value)):
        step = current_step + offset
        if step < 0:
            continue
        matches = hmac.compare_digest(code_at_step(secret, step).encode(), code.encode())
        if matches and wellformed and found is None:
            found = StepMatch(step, offset)
    return found


def drift_minutes(drift_seconds: int) -> int:
    """A clock's drift in whole minutes (half up), never under one."""
    return max(1, int(abs(drift_seconds) / 60 + 0.5))


def describe_drift(drift_seconds: int) -> str:
    """"about 2 minutes behind" — rounded to whole minutes (half up), never under one."""
    minutes = drift_minutes(drift_seconds)
    direction = "behind" if drift_seconds < 0 else "ahead"
    return f"about {minutes} minute{'s' if minutes != 1 else ''} {direction}"


def provisioning_uri(secret: str, account_name: str, issuer: str) -> str:
    """The otpauth:// URI (Key Uri Format) that authenticator apps scan."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account_name, issuer_name=issuer)
