"""The support API (requirements §33-34): accounts, cases, prepared rejection reasons — the same
operations as the support console, with the same role checks and audit events."""

from __future__ import annotations

from fastapi import APIRouter

from bastion.web.api import rejection_reasons, support_accounts, support_cases

router = APIRouter()
for part in (support_accounts.router, support_cases.router, rejection_reasons.router):
    router.include_router(part)
