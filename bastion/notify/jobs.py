"""The outbox's periodic job: deliver what is due."""

from __future__ import annotations

from bastion.notify.delivery import deliver_due
from bastion.notify.transport import transport_for
from bastion.periodic import Job, Phase
from bastion.services import Services


def deliver_outbox(services: Services) -> int:
    return deliver_due(services, transport_for(services))


JOBS = (Job("outbox delivery", Phase.DELIVER, deliver_outbox),)
