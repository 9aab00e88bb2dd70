"""The kinds of recovery case and their timing (requirements §16-17, §28-29): what each is called,
how long an approved case waits before it takes effect, and how long withdrawals are held after.

An unfreeze has no waiting period of its own: it takes effect once `unfreeze_min_hours` have
passed since the freeze, which may already be the case when support approves it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bastion.config import Settings
from bastion.i18n import N_, _
from bastion.recovery.evidence import DOCUMENT_KINDS
from bastion.recovery.owner import CaseOwner

KINDS = {"mfa_reset": N_("2FA reset"), "unfreeze": N_("unfreeze request"), "allowlist_reset": N_("IP allowlist reset")}
# Binance and Coinbase hold withdrawals 24-48 h after a recovery (requirements §28).
_HOLD_HOURS = {"mfa_reset": 48, "unfreeze": 24}


def document_labels(kind: str) -> dict[str, str]:
    """What each identity document is; the handwritten note in the photo names this kind of request."""
    return {**{document: _(label) for document, label in DOCUMENT_KINDS.items()},
            "selfie": _("Photo of you holding the ID and a handwritten note with today's date and \"%(kind)s\"")
            % {"kind": _(KINDS[kind])}}


def wait_hours(settings: Settings, kind: str) -> int:
    """The waiting period between the last approval and the effect (0 for an unfreeze: see due_at)."""
    if kind == "mfa_reset":
        return settings.mfa_reset_wait_hours
    if kind == "allowlist_reset":
        return settings.allowlist_reset_wait_hours
    return 0


def hold_hours(settings: Settings, kind: str) -> int:
    """How long withdrawals are held once the case has taken effect."""
    return settings.allowlist_reset_hold_hours if kind == "allowlist_reset" else _HOLD_HOURS[kind]


def due_at(settings: Settings, kind: str, account: CaseOwner, approved_at: datetime) -> datetime:
    """When an approved case takes effect; an unfreeze not before `unfreeze_min_hours` after the freeze."""
    if kind == "unfreeze":
        earliest = (account.status_changed_at or approved_at) + timedelta(hours=settings.unfreeze_min_hours)
        return max(approved_at, earliest)
    return approved_at + timedelta(hours=wait_hours(settings, kind))
