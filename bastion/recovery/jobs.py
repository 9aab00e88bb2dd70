"""Recovery's periodic jobs: cases whose waiting period is over, stale cases, documents past retention."""

from __future__ import annotations

from bastion.periodic import Job, Phase
from bastion.recovery.completion import complete_due_cases, expire_stale_cases, purge_documents

JOBS = (
    Job("recovery cases due", Phase.PREPARE, complete_due_cases),
    Job("stale recovery cases", Phase.TIDY, expire_stale_cases),
    Job("identity documents past retention", Phase.TIDY, purge_documents),
)
