"""The OpenID provider's periodic jobs: tidying. (Back-channel logouts run on their own thread,
bastion.oidc.backchannel, so that a slow app never holds up the mail or the audit seals.)"""

from __future__ import annotations

from bastion.oidc.housekeeping import sweep_oidc
from bastion.periodic import Job, Phase

JOBS = (
    Job("expired grants and tokens", Phase.TIDY, sweep_oidc),
)
