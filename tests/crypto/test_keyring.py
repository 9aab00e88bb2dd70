"""The key ring (requirements §14): AES-256-GCM, first key encrypts, all decrypt, bound to a place."""

from __future__ import annotations

import pytest

from bastion.crypto import KeyRing, KeyRingError, generate_key


def test_round_trip_and_fresh_nonce_each_time() -> None:
    ring = KeyRing([generate_key()])
    first, second = ring.encrypt("ANTI-42", "a"), ring.encrypt("ANTI-42", "a")
    assert first != second and "ANTI-42" not in first
    assert ring.decrypt(first, "a") == "ANTI-42"


def test_first_key_encrypts_and_every_key_decrypts() -> None:
    old, new = generate_key(), generate_key()
    stored = KeyRing([old]).encrypt("secret", "place")
    rotated = KeyRing([new, old])
    assert rotated.decrypt(stored, "place") == "secret"
    assert rotated.needs_rotation(stored)
    assert not rotated.needs_rotation(rotated.encrypt("secret", "place"))
    with pytest.raises(KeyRingError):
        KeyRing([new]).decrypt(stored, "place")


def test_a_value_moved_to_another_place_or_tampered_does_not_decrypt() -> None:
    ring = KeyRing([generate_key()])
    stored = ring.encrypt("secret", "accounts/1/anti_phishing_code")
    with pytest.raises(KeyRingError):
        ring.decrypt(stored, "accounts/2/anti_phishing_code")
    tampered = stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB")
    with pytest.raises(KeyRingError):
        ring.decrypt(tampered, "accounts/1/anti_phishing_code")


@pytest.mark.parametrize("bad", ["", "short", "!!!!", "A" * 39])
def test_malformed_keys_are_refused(bad: str) -> None:
    with pytest.raises(KeyRingError):
        KeyRing.from_setting(bad)


def test_macs_verify_under_any_key_and_are_purpose_bound() -> None:
    old, new = generate_key(), generate_key()
    mac = KeyRing([old]).mac("csrf", "session-1")
    assert KeyRing([new, old]).verify_mac("csrf", "session-1", mac)
    assert not KeyRing([new, old]).verify_mac("other", "session-1", mac)
    assert not KeyRing([new]).verify_mac("csrf", "session-1", mac)
