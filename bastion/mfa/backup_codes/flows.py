"""Backup codes: regenerating a set, which needs a recent sign-in or step-up (requirements §11, §13)."""

from __future__ import annotations

from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.mfa.backup_codes import codes as backup_codes
from bastion.mfa.flows.notices import record_factor_change
from bastion.mfa.registry import METHODS
from bastion.services import Services
from bastion.sessions.stepup import require_recent_auth
from bastion.sessions.tokens import SessionInfo


def regenerate_backup_codes(services: Services, session: SessionInfo, client: Client) -> list[str]:
    """A new set of 10, shown once; the old set stops working at once."""
    require_recent_auth(services, session)
    now = services.clock.now()
    with services.db.transaction() as tx:
        if not METHODS.has_second_factor(tx, session.account_id):
            raise BastionError(Reason.MFA_METHOD_UNAVAILABLE, detail=_("Backup codes stand in for an authenticator "
                                                                     "app or a passkey: set one up first."))
        codes = backup_codes.issue_set(tx, services.keys, session.account_id, now)
        record_factor_change(services, tx, session.account_id, "backup_codes_regenerated", client)
    return codes
