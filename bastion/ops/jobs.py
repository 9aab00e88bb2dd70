"""Housekeeping's periodic job: delete what has expired (sessions, codes, counters, old attempts)."""

from __future__ import annotations

from bastion.ops.housekeeping import sweep_expired
from bastion.periodic import Job, Phase

JOBS = (Job("expired rows", Phase.TIDY, sweep_expired),)
