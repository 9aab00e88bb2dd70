"""The password policy of requirements §7 (the hashing is `bastion.crypto.passwords`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources

from zxcvbn import matching as zxcvbn_matching
from zxcvbn import zxcvbn

from bastion.crypto.passwords import normalize_password
from bastion.errors import BastionError, Reason
from bastion.i18n import _

MIN_LENGTH = 12  # ASVS 4.0.3 2.1.1
MAX_LENGTH = 128  # ASVS 4.0.3 2.1.2
MIN_STRENGTH = 3  # zxcvbn score, 0–4
_ZXCVBN_LIMIT = 72  # zxcvbn refuses longer input: score a prefix instead
# zxcvbn tries every combination of the look-alike substitutions ("@" for "a", "|" for "l"...) the
# password could hold, and matches dictionaries once per combination: twenty different symbols make
# hundreds of combinations and seconds of CPU for one request. A real look-alike password holds a
# few (p@ssw0rd: 2), so a handful of combinations scores it the same.
_L33T_COMBINATIONS = 16
_every_l33t_combination = zxcvbn_matching.enumerate_l33t_subs


def _first_l33t_combinations(table: Mapping[str, Iterable[str]]) -> list[dict[str, str]]:
    return list(_every_l33t_combination(table))[:_L33T_COMBINATIONS]


zxcvbn_matching.enumerate_l33t_subs = _first_l33t_combinations
# Context-specific words (ASVS 5.0 V6.1.2, V6.2.11): scored by the strength estimate as the
# first words an attacker tries against this service; documented in docs/security/asvs.md.
CONTEXT_WORDS = ("bastion", "exchange", "wallet", "crypto", "bitcoin", "ethereum", "trading", "broker",
                 "password", "passwort", "login", "signin", "security", "withdraw", "deposit", "account")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("bastion.accounts").joinpath("data/common-passwords.txt").read_text()
    return frozenset(line.lower() for line in text.splitlines() if line and not line.startswith("#"))


def check_password_policy(password: str, email: str) -> None:
    """Raise `password.weak` / `password.breached`, or return when the password is acceptable."""
    candidate = normalize_password(password)
    if len(candidate) < MIN_LENGTH:
        raise BastionError(Reason.PASSWORD_WEAK, detail=_("Use at least %(count)d characters.") % {"count": MIN_LENGTH})
    if len(candidate) > MAX_LENGTH:
        raise BastionError(Reason.PASSWORD_WEAK, detail=_("Use at most %(count)d characters.") % {"count": MAX_LENGTH})
    if candidate.lower() in common_passwords():
        raise BastionError(Reason.PASSWORD_BREACHED)
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 3 and local_part in candidate.lower():
        raise BastionError(Reason.PASSWORD_WEAK, detail=_("Don't include your email address in the password."))
    estimate = zxcvbn(candidate[:_ZXCVBN_LIMIT], user_inputs=[email, local_part, *CONTEXT_WORDS])
    if estimate["score"] < MIN_STRENGTH:
        warning = estimate["feedback"].get("warning") or _("That password is too easy to guess.")
        raise BastionError(Reason.PASSWORD_WEAK, detail=warning)
    lowered = candidate.lower()
    leans_on = next((word for word in CONTEXT_WORDS if word in lowered), None)
    if leans_on is not None and estimate["score"] < 4:
        # Built on a word about this service: only a very strong password may do that.
        raise BastionError(Reason.PASSWORD_WEAK, detail=_("Words like \"%(word)s\" are the first an attacker tries "
                                                          "here: choose other words, or make it longer.")
                           % {"word": leans_on})
