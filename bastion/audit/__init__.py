"""The audit log: security events, sealed into a tamper-evident hash chain.

`record_event` writes an event in its cause's transaction (events.py); the sealer links
events into the chain in order (chain.py); `verify_chain` names any sealed event that was
changed, removed or moved (verify.py). Every statement about the tables but the event's own
INSERT is in repo.py: the support console reads events there, the admin API and the OpenID
provider through queries.py.
"""

from bastion.audit.events import record_event

__all__ = ["record_event"]
