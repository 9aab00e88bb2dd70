"""Sign-in's expiring rows: flows (their device challenges go with them), swept by `bastion.worker`."""

from __future__ import annotations

from datetime import timedelta

from bastion.signin.flow import delete_expired_flows
from bastion.store.expiry import Expiry

EXPIRIES = (Expiry("sign_in_flows", timedelta(days=1), delete_expired_flows),)
