"""The guard's tests run in the troubleshooter's labs: a database, a clock and settings of their own."""

from tests.help.conftest import any_lab, lab, lab_factory  # noqa: F401
