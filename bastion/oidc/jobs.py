"""The OpenID provider's periodic jobs: back-channel logouts beside the mail, and tidying."""

from __future__ import annotations

from bastion.oidc.housekeeping import sweep_oidc
from bastion.oidc.logout import deliver_logout_tokens
from bastion.periodic import Job, Phase

JOBS = (
    Job("back-channel logout delivery", Phase.DELIVER, deliver_logout_tokens),
    Job("expired grants and tokens", Phase.TIDY, sweep_oidc),
)
