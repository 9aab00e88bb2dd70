"""Support fixtures: accounts with an authenticator app (from the second-factor fixtures)."""

from tests.mfa.conftest import enrolled, login, signed_in  # noqa: F401 (fixtures used here)
