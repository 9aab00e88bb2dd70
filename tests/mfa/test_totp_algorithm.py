"""RFC 6238 itself: the Appendix B vectors, the 64-bit counter, the secret, the window and drift."""

from __future__ import annotations

import base64

import pytest

from bastion.mfa.totp import otp as totp

SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890" * 6 + b"1234",
}
# RFC 6238 Appendix B (8 digits, T0 = 0, X = 30), as listed in docs/requirements.md.
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("unix_time", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_appendix_b_vectors(unix_time: int, sha1: str, sha256: str, sha512: str) -> None:
    for algorithm, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        secret = base64.b32encode(SEEDS[algorithm]).decode()
        assert totp.code_at_time(secret, unix_time, digits=8, algorithm=algorithm) == expected, algorithm


def test_the_time_counter_is_64_bit_and_never_wraps() -> None:
    # Past 2**32 seconds (year 2106) the counter keeps counting; counters up to 2**64 − 1 work.
    assert totp.time_step(2**32 + 30) == (2**32 + 30) // 30
    assert totp.time_step(20000000000) == 666666666
    secret = totp.new_secret()
    assert totp.code_at_step(secret, 2**63 + 5).isdigit()
    with pytest.raises(ValueError):
        totp.code_at_step(secret, 2**64)


def test_new_secrets_are_160_random_bits_in_base32() -> None:
    secrets = {totp.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert len(base64.b32decode(secret)) == 20


def test_a_code_is_found_in_its_step_and_only_the_window_is_valid() -> None:
    secret, now = totp.new_secret(), 60_000_000
    for offset in range(-10, 11):
        found = totp.find_step(secret, totp.code_at_step(secret, now + offset), now)
        assert found is not None and found.step == now + offset and found.offset == offset
        assert found.in_window == (abs(offset) <= 1)
    assert totp.find_step(secret, totp.code_at_step(secret, now + 11), now) is None
    assert totp.find_step(secret, "12345", now) is None and totp.find_step(secret, "abcdef", now) is None


def test_typed_codes_may_carry_spaces_or_a_dash() -> None:
    secret, now = totp.new_secret(), 60_000_000
    code = totp.code_at_step(secret, now)
    assert totp.find_step(secret, f" {code[:3]} {code[3:]} ", now) is not None
    assert totp.find_step(secret, f"{code[:3]}-{code[3:]}", now) is not None


@pytest.mark.parametrize(("drift", "words"), [(-90, "about 2 minutes behind"), (120, "about 2 minutes ahead"),
                                             (-60, "about 1 minute behind"), (300, "about 5 minutes ahead")])
def test_drift_is_told_in_plain_minutes(drift: int, words: str) -> None:
    assert totp.describe_drift(drift) == words


def test_the_provisioning_uri_names_issuer_account_and_secret() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "alice@example.com", "Bastion")
    assert uri.startswith("otpauth://totp/Bastion:alice%40example.com?")
    assert f"secret={secret}" in uri and "issuer=Bastion" in uri
