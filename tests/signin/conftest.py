"""Sign-in tests share the troubleshooter's labs (requests from any address, a clock of their own)."""

from tests.help.conftest import any_lab, lab, lab_factory  # noqa: F401
