"""The suite-wide log check sees what it must: a secret made during a test and then logged is found."""

from __future__ import annotations

import logging

from bastion.crypto import new_token
from bastion.mfa.totp import otp as totp
from tests.security.secret_watch import WATCH


def test_a_logged_token_or_totp_secret_is_found_and_an_unrelated_line_is_not() -> None:
    token, secret = new_token("bst_"), totp.new_secret()
    logging.getLogger("bastion.test").info("harmless line", extra={"reference": "R-ABCDEFGH"})
    assert WATCH.leaks() == []
    logging.getLogger("bastion.test").warning("oops %s", token)
    logging.getLogger("bastion.test").warning("set up", extra={"detail": secret})
    leaks = WATCH.leaks()
    WATCH.reset()  # the leak was deliberate: don't fail this test's own check
    assert len(leaks) == 2 and any(token in leak for leak in leaks) and any(secret in leak for leak in leaks)
