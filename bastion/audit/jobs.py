"""The audit chain's periodic job: link new security events within a pass of their commit."""

from __future__ import annotations

from bastion.audit.chain import seal_pending
from bastion.periodic import Job, Phase

JOBS = (Job("audit sealing", Phase.SEAL, seal_pending),)
