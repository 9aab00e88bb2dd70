"""What a periodic job is: features declare theirs in their own `jobs.py`; `bastion.worker` runs them.

A pass runs every few seconds (`BASTION_OUTBOX_POLL_SECONDS`, sooner when woken); tidying jobs run
on the first pass and then every ten minutes. Within a pass, jobs run in the order of their phase.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from bastion.services import Services


class Phase(IntEnum):
    # Work that writes mail (a recovery case coming due) runs before delivery, so its mail leaves this pass.
    PREPARE = 1
    DELIVER = 2
    # Sealing links the security events the jobs before it recorded into the audit chain.
    SEAL = 3
    # Expiry and purges: only every TIDY_EVERY_SECONDS.
    TIDY = 4


TIDY_EVERY_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    phase: Phase
    run: Callable[[Services], object]
