"""The race suite: every one-time thing and every counter attacked by concurrent requests, each
thread with its own database connection; exactly-once holds. Runs on SQLite and on PostgreSQL
(READ COMMITTED, where lost updates happen if a check and its write are not one statement).

The fixtures are the features' own, shared from their packages.
"""

from tests.help.conftest import any_lab, lab, lab_factory  # noqa: F401
from tests.mfa.conftest import enrolled, login, mfa_flow, signed_in  # noqa: F401
from tests.oidc.conftest import browser, person, plain_http_on_the_test_host, register, rp_http, signed_in_flow  # noqa: F401
from tests.risk.conftest import risky, risky_factory, smtp  # noqa: F401
